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
	// Issue 10: autocomplete, action forms and their submissions.
	f.Add(`{"id":"6","type":4,"data":{"name":"payissue","options":[{"type":1,"name":"ack","options":[{"name":"ref","type":3,"value":"PA","focused":true}]}]}}`)
	f.Add(`{"id":"7","type":3,"data":{"custom_id":"pb:resolve:PAY-1","component_type":2}}`)
	f.Add(`{"id":"8","type":5,"data":{"custom_id":"pb:form:resolve:PAY-1","components":[{"type":1,"components":[{"type":4,"custom_id":"fix","value":"a :: b"}]}]}}`)
	f.Add(`{"id":"9","type":5,"data":{"custom_id":"pb:form:update:","components":[]}}`)
	f.Add(`{"id":"10","type":2,"data":{"name":"payissue","options":[{"type":1,"name":"severity","options":[{"name":"level","type":3,"value":"SEV2"},{"name":"ref","type":3,"value":"PAY-1"}]}]}}`)
	a, err := New(Config{AppID: "app1", PublicKey: testPublicKey(), Mode: ModeHTTP}, Options{Logger: quietLogger(), Refs: &fakeRefs{}})
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
