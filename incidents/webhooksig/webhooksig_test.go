package webhooksig_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents/webhooksig"
)

var now = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

const stripeSecret = "whsec_test_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH"

// Stripe sends JSON pretty-printed with two spaces.
const stripeBody = `{
  "id": "evt_1NG8Du2eZvKYlo2CUI79vXWy",
  "object": "event",
  "type": "payment_intent.payment_failed",
  "data": {
    "object": {
      "id": "pi_3NG8",
      "amount": 2000,
      "currency": "eur"
    }
  }
}`

func stripeHeader(secret, body string, t time.Time) string {
	ts := fmt.Sprint(t.Unix())
	// As documented: HMAC-SHA256 with the endpoint secret over "<t>.<body>".
	m := hmacHex(sha256.New, []byte(secret), []byte(ts+"."+body))
	return "t=" + ts + ",v1=" + m + ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"
}

type check struct {
	name    string
	req     webhooksig.Request
	valid   bool
	problem webhooksig.Problem
	says    string
}

func run(t *testing.T, cases []check) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Now = now
			r, err := webhooksig.Verify(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if r.Valid != tc.valid || r.Problem != tc.problem || !strings.Contains(r.Message, tc.says) {
				t.Fatalf("got valid=%v problem=%q %q\nwant valid=%v problem=%q containing %q\nsteps %+v", r.Valid, r.Problem, r.Message, tc.valid, tc.problem, tc.says, r.Steps)
			}
			// No secret ever appears in a result.
			raw, _ := json.Marshal(r)
			for _, s := range []string{stripeSecret, adyenKeyHex, btPrivate} {
				if strings.Contains(string(raw), s) {
					t.Fatalf("result leaks a secret: %s", raw)
				}
			}
		})
	}
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestStripe(t *testing.T) {
	good := stripeHeader(stripeSecret, stripeBody, now.Add(-30*time.Second))
	compact := strings.Join(strings.Fields(stripeBody), "")
	req := func(body, h, secret string) webhooksig.Request {
		return webhooksig.Request{Provider: "stripe", Payload: []byte(body), Headers: hdr("Stripe-Signature", h), Secret: []byte(secret)}
	}
	run(t, []check{
		{"valid", req(stripeBody, good, stripeSecret), true, "", "Valid"},
		{"old timestamp", req(stripeBody, stripeHeader(stripeSecret, stripeBody, now.Add(-10*time.Minute)), stripeSecret), false, "timestamp", "10m0s off"},
		{"future timestamp", req(stripeBody, stripeHeader(stripeSecret, stripeBody, now.Add(time.Hour)), stripeSecret), false, "timestamp", "1h0m0s off"},
		{"wrong secret", req(stripeBody, good, "whsec_other"), false, "secret", "wrong signing secret"},
		{"api key as secret", req(stripeBody, good, "sk_test_abc"), false, "secret", "API key"},
		{"payload re-serialised", req(compact, good, stripeSecret), false, "payload", "re-serialised"},
		{"trailing newline", req(stripeBody+"\n", good, stripeSecret), false, "payload", "trailing newline was added"},
		{"amount changed", req(strings.Replace(stripeBody, "2000", "20", 1), good, stripeSecret), false, "secret", "otherwise the payload was changed"},
		{"no header", req(stripeBody, "", stripeSecret), false, "header", "missing"},
		{"malformed header", req(stripeBody, "v1=zz", stripeSecret), false, "header", "malformed"},
		{"no v1", req(stripeBody, "t=123,v0=abc", stripeSecret), false, "header", "v0"},
	})
	// A second v1 signature (during secret rotation) is accepted.
	ts := fmt.Sprint(now.Unix())
	h := "t=" + ts + ",v1=" + strings.Repeat("ab", 32) + ",v1=" + hmacHex(sha256.New, []byte(stripeSecret), []byte(ts+"."+stripeBody))
	run(t, []check{{"two v1", req(stripeBody, h, stripeSecret), true, "", "Valid"}})
}

const adyenKeyHex = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"

func adyenBody(t *testing.T, key string, tamper func(items []map[string]any)) string {
	t.Helper()
	k, _ := hexDecode(key)
	items := []map[string]any{
		{"pspReference": "7914073381342284", "merchantAccountCode": "PaybotECOM", "merchantReference": "order-1",
			"amount": map[string]any{"value": 1130, "currency": "EUR"}, "eventCode": "AUTHORISATION", "success": "true",
			"originalReference": ""},
		{"pspReference": "8816178914079738", "merchantAccountCode": "PaybotECOM", "merchantReference": "order-2",
			"amount": map[string]any{"value": 500, "currency": "EUR"}, "eventCode": "REFUND", "success": "false",
			"originalReference": "7914073381342284"},
	}
	var wrapped []map[string]any
	for _, it := range items {
		// As documented: the eight fields joined by ':'.
		s := strings.Join([]string{it["pspReference"].(string), it["originalReference"].(string), it["merchantAccountCode"].(string),
			it["merchantReference"].(string), fmt.Sprint(it["amount"].(map[string]any)["value"]), it["amount"].(map[string]any)["currency"].(string),
			it["eventCode"].(string), it["success"].(string)}, ":")
		it["additionalData"] = map[string]any{"hmacSignature": base64.StdEncoding.EncodeToString(hmacSum(sha256.New, k, []byte(s))),
			"cardSummary": "1111", "fraudCheck": map[string]any{"score": 0}}
		wrapped = append(wrapped, map[string]any{"NotificationRequestItem": it})
	}
	if tamper != nil {
		tamper(items)
	}
	b, _ := json.Marshal(map[string]any{"live": "false", "notificationItems": wrapped})
	return string(b)
}

func TestAdyen(t *testing.T) {
	req := func(body string, key string) webhooksig.Request {
		return webhooksig.Request{Provider: "adyen", Payload: []byte(body), Secret: []byte(key)}
	}
	other := strings.Repeat("AB", 32)
	run(t, []check{
		{"valid", req(adyenBody(t, adyenKeyHex, nil), adyenKeyHex), true, "", "all 2 item(s)"},
		{"wrong key", req(adyenBody(t, adyenKeyHex, nil), other), false, "secret", "wrong HMAC key"},
		{"key not hex", req(adyenBody(t, adyenKeyHex, nil), "not-hex"), false, "secret", "hex"},
		{"amount altered", req(adyenBody(t, adyenKeyHex, func(it []map[string]any) { it[1]["amount"].(map[string]any)["value"] = 50000 }), adyenKeyHex), false, "payload", "8816178914079738 were altered"},
		{"signature removed", req(adyenBody(t, adyenKeyHex, func(it []map[string]any) {
			for _, x := range it {
				x["additionalData"] = map[string]any{}
			}
		}), adyenKeyHex), false, "header", "enable HMAC"},
		{"not a notification", req(`{"hello":1}`, adyenKeyHex), false, "header", "notificationItems"},
		{"success as a boolean", req(strings.Replace(adyenBody(t, adyenKeyHex, nil), `"success":"true"`, `"success":true`, 1), adyenKeyHex), true, "", "all 2 item(s)"},
	})
	// Whole-body HmacSignature header (Balance Platform webhooks).
	k, _ := hexDecode(adyenKeyHex)
	body := `{"data":{"balancePlatform":"YOUR_BALANCE_PLATFORM","id":"BA00000000000000000000001"},"environment":"test","type":"balancePlatform.balanceAccount.updated"}`
	sig := base64.StdEncoding.EncodeToString(hmacSum(sha256.New, k, []byte(body)))
	hreq := func(b, s, key string) webhooksig.Request {
		return webhooksig.Request{Provider: "adyen", Payload: []byte(b), Headers: hdr("HmacSignature", s), Secret: []byte(key)}
	}
	run(t, []check{
		{"body valid", hreq(body, sig, adyenKeyHex), true, "", "Valid"},
		{"body newline", hreq(body+"\n", sig, adyenKeyHex), false, "payload", "trailing newline"},
		{"body wrong key", hreq(body, sig, other), false, "secret", "wrong HMAC key"},
		{"body bad header", hreq(body, "!!", adyenKeyHex), false, "header", "malformed"},
	})
}

const btPrivate = "integration_private_key_9f8a7c"
const btPublic = "integration_public_key"

func btForm(sigPub, privateKey, payload string) string {
	// As the SDKs do: hex HMAC-SHA1 keyed with SHA1(private key).
	k := sha1.Sum([]byte(privateKey))
	sig := sigPub + "|" + hmacHex(sha1.New, k[:], []byte(payload))
	return url.Values{"bt_signature": {sig}, "bt_payload": {payload}}.Encode()
}

func TestBraintree(t *testing.T) {
	payload := base64.StdEncoding.EncodeToString([]byte(`<notification><kind>check</kind><timestamp type="datetime">2026-11-30T08:00:00Z</timestamp></notification>`)) + "\n"
	req := func(body, pub, priv string) webhooksig.Request {
		return webhooksig.Request{Provider: "braintree", Payload: []byte(body), Secret: []byte(priv), PublicKey: pub}
	}
	altered := strings.Replace(payload, "PG5v", "PG5w", 1)
	run(t, []check{
		{"valid", req(btForm(btPublic, btPrivate, payload), btPublic, btPrivate), true, "", "Valid"},
		{"valid without public key", req(btForm(btPublic, btPrivate, payload), "", btPrivate), true, "", "Valid"},
		{"wrong private key", req(btForm(btPublic, btPrivate, payload), btPublic, "other"), false, "secret", "wrong private key"},
		{"other account", req(btForm("someone_else", btPrivate, payload), btPublic, btPrivate), false, "secret", "public key someone_else"},
		{"payload altered", req(url.Values{"bt_signature": {btPublic + "|" + hmacHex(sha1.New, sha1b(btPrivate), []byte(payload))}, "bt_payload": {altered}}.Encode(), btPublic, btPrivate), false, "secret", "bt_payload was changed"},
		{"newline stripped", req(url.Values{"bt_signature": {btPublic + "|" + hmacHex(sha1.New, sha1b(btPrivate), []byte(payload))}, "bt_payload": {strings.TrimSpace(payload)}}.Encode(), btPublic, btPrivate), false, "payload", "trailing newline was removed"},
		{"illegal chars", req(url.Values{"bt_signature": {btPublic + "|" + strings.Repeat("a", 40)}, "bt_payload": {"<xml>"}}.Encode(), btPublic, btPrivate), false, "payload", "not base64"},
		{"no signature", req(url.Values{"bt_payload": {payload}}.Encode(), btPublic, btPrivate), false, "header", "missing"},
		{"malformed signature", req(url.Values{"bt_signature": {"nopipe"}, "bt_payload": {payload}}.Encode(), btPublic, btPrivate), false, "header", "malformed"},
	})
	// The payload as body and bt_signature as a header.
	k := sha1b(btPrivate)
	r := webhooksig.Request{Provider: "braintree", Payload: []byte(payload), Secret: []byte(btPrivate),
		Headers: hdr("bt_signature", btPublic+"|"+hmacHex(sha1.New, k, []byte(payload)))}
	run(t, []check{{"header form", r, true, "", "Valid"}})
}

func sha1b(s string) []byte { k := sha1.Sum([]byte(s)); return k[:] }

func paypalCert(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "messageverificationcerts.paypal.com"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour * 24 * 365)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestPayPal(t *testing.T) {
	key, certPEM := paypalCert(t)
	_, otherPEM := paypalCert(t)
	const webhookID = "8PT597110X687430LKGECATA"
	body := `{"id":"WH-2WR32451HC0233532-67976317FL4543714","event_type":"PAYMENT.CAPTURE.DENIED","resource":{"id":"7NW873794T343360M"}}`
	sign := func(body, ts, wid string) http.Header {
		msg := webhooksig.PayPalMessage("69cd13f0-d67a-11e5-baa3-778b53f4ae55", ts, wid, []byte(body))
		sum := sha256.Sum256([]byte(msg))
		sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
		return hdr("PAYPAL-TRANSMISSION-ID", "69cd13f0-d67a-11e5-baa3-778b53f4ae55", "PAYPAL-TRANSMISSION-TIME", ts,
			"PAYPAL-TRANSMISSION-SIG", base64.StdEncoding.EncodeToString(sig),
			"PAYPAL-CERT-URL", "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270",
			"PAYPAL-AUTH-ALGO", "SHA256withRSA")
	}
	ts := now.Add(-time.Minute).Format(time.RFC3339)
	good := sign(body, ts, webhookID)
	req := func(b string, h http.Header, wid string, cert []byte) webhooksig.Request {
		return webhooksig.Request{Provider: "paypal", Payload: []byte(b), Headers: h, WebhookID: wid, CertPEM: cert}
	}
	badURL := sign(body, ts, webhookID)
	badURL.Set("PAYPAL-CERT-URL", "https://evil.example/cert.pem")
	noSig := sign(body, ts, webhookID)
	noSig.Del("PAYPAL-TRANSMISSION-SIG")
	run(t, []check{
		{"valid with cert", req(body, good, webhookID, certPEM), true, "", "Valid"},
		{"offline without cert", req(body, good, webhookID, nil), false, "unverifiable", "--paypal-cert"},
		{"wrong webhook id", req(body, good, "WRONGID", certPEM), false, "secret", "wrong webhook id"},
		{"other cert", req(body, good, webhookID, otherPEM), false, "secret", "wrong webhook id"},
		{"payload altered", req(strings.Replace(body, "DENIED", "COMPLETED", 1), good, webhookID, certPEM), false, "secret", "body was changed"},
		{"payload newline", req(body+"\n", good, webhookID, certPEM), false, "payload", "trailing newline"},
		{"old transmission", req(body, sign(body, now.Add(-time.Hour).Format(time.RFC3339), webhookID), webhookID, certPEM), false, "timestamp", "1h0m0s off"},
		{"cert url not paypal", req(body, badURL, webhookID, certPEM), false, "header", "paypal.com"},
		{"missing sig", req(body, noSig, webhookID, certPEM), false, "header", "PAYPAL-TRANSMISSION-SIG"},
		{"no webhook id", req(body, good, "", certPEM), false, "secret", "webhook's id"},
	})
	// PayPal's verify-webhook-signature API, against a loopback stand-in.
	var got webhooksig.PayPalVerifyRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer A21AAtoken" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
		status := "FAILURE"
		if got.WebhookID == webhookID {
			status = "SUCCESS"
		}
		fmt.Fprintf(w, `{"verification_status":%q}`, status)
	}))
	defer srv.Close()
	api := func(wid, token string) webhooksig.Request {
		r := req(body, good, wid, nil)
		r.VerifyURL, r.AccessToken = srv.URL+"/v1/notifications/verify-webhook-signature", token
		return r
	}
	run(t, []check{
		{"api success", api(webhookID, "A21AAtoken"), true, "", "Valid"},
		{"api failure", api("WRONG", "A21AAtoken"), false, "secret", "FAILURE"},
		{"api unauthorised", api(webhookID, "bad"), false, "unverifiable", "HTTP 401"},
	})
	if got.TransmissionSig == "" || got.AuthAlgo != "SHA256withRSA" || string(got.WebhookEvent) != body {
		t.Errorf("API request body %+v", got)
	}
}

func TestUsage(t *testing.T) {
	for _, r := range []webhooksig.Request{{Provider: "square", Secret: []byte("x")}, {Provider: "stripe"}} {
		if _, err := webhooksig.Verify(context.Background(), r); err == nil {
			t.Errorf("%+v: want a usage error", r)
		}
	}
}
