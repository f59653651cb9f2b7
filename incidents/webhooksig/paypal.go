package webhooksig

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PayPal's transmission headers.
const (
	PayPalTransmissionID   = "Paypal-Transmission-Id"
	PayPalTransmissionTime = "Paypal-Transmission-Time"
	PayPalTransmissionSig  = "Paypal-Transmission-Sig"
	PayPalCertURL          = "Paypal-Cert-Url"
	PayPalAuthAlgo         = "Paypal-Auth-Algo"
)

// PayPalMessage is the documented signed string:
// transmission id|transmission time|webhook id|CRC32 of the body (decimal).
func PayPalMessage(transmissionID, transmissionTime, webhookID string, body []byte) string {
	return transmissionID + "|" + transmissionTime + "|" + webhookID + "|" + strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)
}

// PayPalVerifyRequest is the body of PayPal's
// POST /v1/notifications/verify-webhook-signature.
type PayPalVerifyRequest struct {
	AuthAlgo         string          `json:"auth_algo"`
	CertURL          string          `json:"cert_url"`
	TransmissionID   string          `json:"transmission_id"`
	TransmissionSig  string          `json:"transmission_sig"`
	TransmissionTime string          `json:"transmission_time"`
	WebhookID        string          `json:"webhook_id"`
	WebhookEvent     json.RawMessage `json:"webhook_event"`
}

// validCertURL is PayPal's rule that the certificate comes from PayPal:
// https on paypal.com (api.paypal.com, api.sandbox.paypal.com…).
func validCertURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return h == "paypal.com" || strings.HasSuffix(h, ".paypal.com")
}

func verifyPayPal(ctx context.Context, req Request, r *Result) *Result {
	h := req.Headers
	id, ts, sig, cert, algo := h.Get(PayPalTransmissionID), h.Get(PayPalTransmissionTime), h.Get(PayPalTransmissionSig), h.Get(PayPalCertURL), h.Get(PayPalAuthAlgo)
	var missing []string
	for name, v := range map[string]string{PayPalTransmissionID: id, PayPalTransmissionTime: ts, PayPalTransmissionSig: sig, PayPalCertURL: cert, PayPalAuthAlgo: algo} {
		if v == "" {
			missing = append(missing, strings.ToUpper(name))
		}
	}
	if len(missing) > 0 {
		sortStrings(missing)
		r.step("header", false, "missing %s", strings.Join(missing, ", "))
		return r.fail(ProblemHeader, "PayPal transmission header(s) missing: "+strings.Join(missing, ", ")+". Capture all PAYPAL-* headers as received.")
	}
	if algo != "SHA256withRSA" {
		r.step("header", false, "PAYPAL-AUTH-ALGO is %q", clip(algo))
		return r.fail(ProblemHeader, "PAYPAL-AUTH-ALGO must be SHA256withRSA.")
	}
	if !validCertURL(cert) {
		r.step("header", false, "PAYPAL-CERT-URL is not an https URL on paypal.com")
		return r.fail(ProblemHeader, "PAYPAL-CERT-URL does not point to paypal.com over https: this webhook did not come from PayPal, or the header was changed. Never fetch a certificate from anywhere else.")
	}
	rawSig, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(rawSig) < 64 {
		r.step("header", false, "PAYPAL-TRANSMISSION-SIG is not base64 of an RSA signature")
		return r.fail(ProblemHeader, "PAYPAL-TRANSMISSION-SIG is malformed: it must be base64.")
	}
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		r.step("header", false, "PAYPAL-TRANSMISSION-TIME %q is not RFC 3339", clip(ts))
		return r.fail(ProblemHeader, "PAYPAL-TRANSMISSION-TIME is malformed: it must be a time such as 2026-11-30T08:00:00Z.")
	}
	r.step("header", true, "transmission %s at %s, cert %s", clip(id), ts, cert)
	r.stamp(t, req.Now)
	if req.WebhookID == "" {
		r.step("webhook id", false, "no webhook id given")
		return r.fail(ProblemSecret, "PayPal signs with the webhook's id: give it (--webhook-id or PAYBOT_PAYPAL_WEBHOOK_ID; it is on the app's Webhooks page).")
	}
	msg := PayPalMessage(id, ts, req.WebhookID, req.Payload)
	r.step("crc32", true, "CRC32 of the body is %d", crc32.ChecksumIEEE(req.Payload))
	age := req.Now.Sub(t)
	timeOK := abs(age) <= req.Tolerance
	var sigOK bool
	switch {
	case len(req.CertPEM) > 0:
		pub, err := paypalKey(req.CertPEM)
		if err != nil {
			r.step("certificate", false, "%v", err)
			return r.fail(ProblemUnverifiable, "The certificate given could not be read ("+err.Error()+"): download it from PAYPAL-CERT-URL as PEM.")
		}
		check := func(body []byte) bool {
			sum := sha256.Sum256([]byte(PayPalMessage(id, ts, req.WebhookID, body)))
			return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], rawSig) == nil
		}
		if !check(req.Payload) {
			for _, v := range variants(req.Payload) {
				if check(v.body) {
					r.step("signature", false, "matches only if %s", v.what)
					return r.fail(ProblemPayload, "The payload was altered after PayPal signed it: "+v.what+". Verify the raw body exactly as received.")
				}
			}
			r.step("signature", false, "SHA256withRSA over %q does not verify", msg)
			return r.fail(ProblemSecret, "The signature does not verify: most likely the wrong webhook id (sandbox and live apps, and each webhook, have their own), otherwise the body was changed or the certificate is not the one in PAYPAL-CERT-URL.")
		}
		sigOK = true
		r.step("signature", true, "SHA256withRSA verifies with the certificate")
	case req.VerifyURL != "":
		status, err := paypalAPI(ctx, req, id, ts, sig, cert, algo)
		if err != nil {
			r.step("verify api", false, "%v", err)
			return r.fail(ProblemUnverifiable, "PayPal's verify-webhook-signature call failed: "+err.Error()+".")
		}
		if status != "SUCCESS" {
			r.step("verify api", false, "verification_status %s", clip(status))
			return r.fail(ProblemSecret, "PayPal says the signature does not verify (verification_status "+clip(status)+"): most likely the wrong webhook id, otherwise the body was changed.")
		}
		sigOK = true
		r.step("verify api", true, "verification_status SUCCESS")
	}
	if !timeOK {
		r.step("timestamp", false, "sent %s ago, tolerance %s", roundDur(age), req.Tolerance)
		return r.fail(ProblemTimestamp, fmt.Sprintf("The transmission time is %s off (tolerance %s): a replayed or long-delayed delivery, or a wrong clock.", roundDur(age), req.Tolerance))
	}
	r.step("timestamp", true, "sent %s ago", roundDur(age))
	if !sigOK {
		return r.fail(ProblemUnverifiable, "Headers, timestamp and CRC32 are fine, but PayPal's RSA signature can only be checked with its certificate: download PAYPAL-CERT-URL and pass it with --paypal-cert FILE, or use --paypal-verify-url with an access token (PayPal's verify-webhook-signature API).")
	}
	return r.pass("Valid: PayPal's signature verifies and the transmission time is within tolerance.")
}

func paypalKey(pemBytes []byte) (*rsa.PublicKey, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		return nil, fmt.Errorf("no PEM block")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a certificate: %v", err)
	}
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the certificate's key is not RSA")
	}
	return pub, nil
}

func paypalAPI(ctx context.Context, req Request, id, ts, sig, cert, algo string) (string, error) {
	if !json.Valid(req.Payload) {
		return "", fmt.Errorf("the payload is not JSON")
	}
	body, _ := json.Marshal(PayPalVerifyRequest{AuthAlgo: algo, CertURL: cert, TransmissionID: id, TransmissionSig: sig,
		TransmissionTime: ts, WebhookID: req.WebhookID, WebhookEvent: json.RawMessage(req.Payload)})
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, req.VerifyURL, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	hr.Header.Set("Content-Type", "application/json")
	if req.AccessToken != "" {
		hr.Header.Set("Authorization", "Bearer "+req.AccessToken)
	}
	c := req.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(hr)
	if err != nil {
		return "", fmt.Errorf("request: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var out struct {
		Status string `json:"verification_status"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return "", fmt.Errorf("unreadable answer: %v", err)
	}
	return out.Status, nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for k := i; k > 0 && s[k] < s[k-1]; k-- {
			s[k], s[k-1] = s[k-1], s[k]
		}
	}
}
