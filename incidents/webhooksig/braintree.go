package webhooksig

import (
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// ParseBraintree reads bt_signature and bt_payload from a form body
// ("bt_signature=…&bt_payload=…", as Braintree POSTs them) or, when the
// body is not such a form, takes the body as bt_payload and the signature
// from a bt_signature header.
func ParseBraintree(body []byte, header string) (signature, payload string) {
	if v, err := url.ParseQuery(strings.TrimSpace(string(body))); err == nil && v.Get("bt_payload") != "" {
		return v.Get("bt_signature"), v.Get("bt_payload")
	}
	return strings.TrimSpace(header), string(body)
}

// BraintreePair is one "public_key|signature" of bt_signature.
type BraintreePair struct{ PublicKey, Signature string }

// ParseBraintreeSignature splits bt_signature into its pairs. Errors when a
// pair is not "key|40 hex".
func ParseBraintreeSignature(s string) ([]BraintreePair, error) {
	var out []BraintreePair
	for _, p := range strings.Split(s, "&") {
		pub, sig, ok := strings.Cut(p, "|")
		if !ok || pub == "" {
			return nil, fmt.Errorf("pair %q is not public_key|signature", clip(p))
		}
		if b, err := hex.DecodeString(sig); err != nil || len(b) != 20 {
			return nil, fmt.Errorf("signature of %s is not a 40-character hex HMAC-SHA1", clip(pub))
		}
		out = append(out, BraintreePair{pub, sig})
	}
	return out, nil
}

// BraintreeSign is the SDKs' signature: hex HMAC-SHA1 keyed with
// SHA1(private key).
func BraintreeSign(privateKey, payload []byte) string {
	return hex.EncodeToString(hmacSHA1(sha1Sum(privateKey), payload))
}

// btPayloadRe is the SDKs' check that bt_payload is base64.
var btPayloadRe = regexp.MustCompile(`^[A-Za-z0-9+=/\n]+$`)

func verifyBraintree(req Request, r *Result) *Result {
	sigStr, payload := ParseBraintree(req.Payload, req.Headers.Get("bt_signature"))
	if sigStr == "" {
		r.step("header", false, "no bt_signature")
		return r.fail(ProblemHeader, "bt_signature is missing: give the whole form body (bt_signature=…&bt_payload=…) or the bt_signature value as a header.")
	}
	pairs, err := ParseBraintreeSignature(sigStr)
	if err != nil {
		r.step("header", false, "bt_signature is malformed: %v", err)
		return r.fail(ProblemHeader, "bt_signature is malformed ("+err.Error()+").")
	}
	if !btPayloadRe.MatchString(payload) {
		r.step("payload", false, "bt_payload contains characters outside base64")
		return r.fail(ProblemPayload, "bt_payload contains characters that are not base64: it was altered or decoded before capture (the SDKs reject it as \"payload contains illegal characters\").")
	}
	var pair *BraintreePair
	var pubs []string
	for i := range pairs {
		pubs = append(pubs, pairs[i].PublicKey)
		if req.PublicKey == "" || pairs[i].PublicKey == req.PublicKey {
			pair = &pairs[i]
			break
		}
	}
	if pair == nil {
		r.step("public key", false, "bt_signature is for %s, not the configured public key", strings.Join(pubs, ", "))
		return r.fail(ProblemSecret, fmt.Sprintf("The webhook was signed for public key %s, not yours: it comes from another Braintree account or environment (sandbox vs production).", strings.Join(pubs, ", ")))
	}
	r.step("header", true, "bt_signature for public key %s", pair.PublicKey)
	want, _ := hex.DecodeString(pair.Signature)
	match := func(p string) bool { return hmac.Equal(want, hmacSHA1(sha1Sum(req.Secret), []byte(p))) }
	if match(payload) {
		r.step("signature", true, "HMAC-SHA1 matches")
		return r.pass("Valid: the Braintree signature matches the payload.")
	}
	for _, v := range variants([]byte(payload)) {
		if match(string(v.body)) {
			r.step("signature", false, "matches only if %s", v.what)
			return r.fail(ProblemPayload, "bt_payload was altered after Braintree signed it: "+v.what+".")
		}
	}
	r.step("signature", false, "HMAC-SHA1 does not match")
	return r.fail(ProblemSecret, "The signature does not match: most likely the wrong private key (sandbox and production keys differ; use the private key of the public key "+pair.PublicKey+"), otherwise bt_payload was changed.")
}
