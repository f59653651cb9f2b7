package slack

import "testing"

func TestConnected(t *testing.T) {
	h, _ := New(Options{BotToken: "xoxb", SigningSecret: "s"})
	if !h.Connected() {
		t.Error("HTTP adapter reports not connected")
	}
	s, _ := New(Options{BotToken: "xoxb", AppToken: "xapp-1"})
	if s.Connected() {
		t.Error("Socket Mode reports connected before connecting")
	}
	s.socketUp.Store(true)
	if !s.Connected() {
		t.Error("Socket Mode connected but not reported")
	}
}
