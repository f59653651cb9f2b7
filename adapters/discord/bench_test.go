package discord

import (
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"crypto/ed25519"
)

// BenchmarkAck measures the server side of one signed command interaction:
// verify, parse, translate, hand to the (no-op) handler, respond.
func BenchmarkAck(b *testing.B) {
	a, err := New(Config{AppID: "app1", PublicKey: testPublicKey(), Mode: ModeHTTP}, Options{Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	a.SetHandler(&recorder{})
	h := a.InteractionsHandler()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		body := commandBody(strconv.Itoa(1300000000000000000+i), "t", "c1", "status", map[string]string{"ref": "PAY-1"})
		req := httptest.NewRequest("POST", InteractionsPath, strings.NewReader(body))
		req.Header.Set("X-Signature-Timestamp", ts)
		req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(testKey, []byte(ts+body))))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}
