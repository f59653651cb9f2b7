package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzInteraction signs arbitrary bodies: the handler answers 200 or 400,
// never panics. go test -fuzz FuzzInteraction ./adapters/discord
func FuzzInteraction(f *testing.F) {
	f.Add(`{"id":"1","type":1}`)
	f.Add(commandBody("1300000000000000801", "t", "c1", "open", map[string]string{"summary": "x y z"}))
	f.Add(componentBody("1300000000000000802", "t", "th", "c1", "m", "pb:pick:provider:0", 3, []string{"a"}))
	f.Add(`{"id":"3","type":5,"data":{"custom_id":"pb:open","components":[{"type":1,"components":[{"type":4}]}]}}`)
	f.Add(`{"id":"4","type":3,"data":{"custom_id":"pb:step:a:b"},"message":{"components":[{"type":42}]}}`)
	f.Add(`{"id":"5","type":2,"data":{"name":"payissue","options":[{"type":1,"name":"status","options":[{"name":"ref","type":3,"value":{"x":1}}]}]}}`)
	a, err := New(Config{AppID: "app1", PublicKey: testPublicKey(), Mode: ModeHTTP}, Options{Logger: quietLogger()})
	if err != nil {
		f.Fatal(err)
	}
	a.SetHandler(&recorder{})
	h := a.InteractionsHandler()
	f.Fuzz(func(t *testing.T, body string) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req := httptest.NewRequest("POST", InteractionsPath, strings.NewReader(body))
		req.Header.Set("X-Signature-Timestamp", ts)
		req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(testKey, []byte(ts+body))))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("status %d for %q", w.Code, body)
		}
	})
}
