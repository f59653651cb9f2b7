package discord

import (
	"strings"
	"testing"
)

func TestConnected(t *testing.T) {
	http, err := New(Config{AppID: "1", PublicKey: strings.Repeat("ab", 32), Mode: "http"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !http.Connected() {
		t.Error("http mode reports not connected")
	}
	gw, err := New(Config{Token: "t", AppID: "1", Mode: "gateway"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if gw.Connected() {
		t.Error("gateway reports connected before it connected")
	}
}
