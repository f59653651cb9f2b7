package webhooksig_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents/webhooksig"
)

// Headers and payloads come from outside: no input may panic, and a result
// is valid only when its problem is empty.
func FuzzStripeHeader(f *testing.F) {
	f.Add("t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39")
	f.Add("t=,v1=")
	f.Add(",,,=")
	f.Fuzz(func(t *testing.T, h string) {
		s, err := webhooksig.ParseStripeHeader(h)
		if err == nil && (s.Timestamp <= 0 || len(s.V1) == 0) {
			t.Fatalf("accepted %q as %+v", h, s)
		}
	})
}

func FuzzBraintreeSignature(f *testing.F) {
	f.Add("pub|0123456789abcdef0123456789abcdef01234567&pub2|0123456789abcdef0123456789abcdef01234567")
	f.Add("|")
	f.Fuzz(func(t *testing.T, s string) {
		pairs, err := webhooksig.ParseBraintreeSignature(s)
		if err == nil && len(pairs) == 0 {
			t.Fatalf("no pairs and no error for %q", s)
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add("stripe", []byte(`{"id":"evt_1"}`), "Stripe-Signature", "t=1796025600,v1=00")
	f.Add("adyen", []byte(`{"notificationItems":[{"NotificationRequestItem":{"amount":{"value":1},"additionalData":{"hmacSignature":"AAAA"}}}]}`), "X", "")
	f.Add("adyen", []byte(`{}`), "HmacSignature", "AAAA")
	f.Add("braintree", []byte(`bt_signature=a%7Cb&bt_payload=abc`), "bt_signature", "")
	f.Add("paypal", []byte(`{}`), "PAYPAL-TRANSMISSION-SIG", "AAAA")
	f.Fuzz(func(t *testing.T, provider string, payload []byte, name, value string) {
		h := http.Header{}
		if name != "" {
			h.Set(name, value)
		}
		r, err := webhooksig.Verify(context.Background(), webhooksig.Request{Provider: provider, Payload: payload, Headers: h,
			Secret: []byte("whsec_x"), Now: time.Unix(1796025600, 0), WebhookID: "W"})
		if err != nil {
			return
		}
		if r.Valid != (r.Problem == "") || r.Message == "" {
			t.Fatalf("inconsistent result %+v", r)
		}
	})
}
