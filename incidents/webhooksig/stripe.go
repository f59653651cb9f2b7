package webhooksig

import (
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"github.com/paybot/paybot/incidents/redact"
	"strconv"
	"strings"
	"time"
)

// StripeHeader is Stripe's signature header.
const StripeHeader = "Stripe-Signature"

// StripeSignature is a parsed Stripe-Signature header.
type StripeSignature struct {
	Timestamp int64
	V1        [][]byte
	HasV0     bool
}

// ParseStripeHeader parses "t=<unix>,v1=<hex>[,v1=<hex>…]" (other schemes
// such as v0 are ignored, as Stripe's libraries do). Errors describe what is
// malformed.
func ParseStripeHeader(h string) (StripeSignature, error) {
	var s StripeSignature
	seenT := false
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return s, fmt.Errorf("element %q is not key=value", clip(part))
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return s, fmt.Errorf("t=%q is not a unix timestamp", clip(v))
			}
			s.Timestamp, seenT = n, true
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != 32 {
				return s, fmt.Errorf("v1 is not a 64-character hex HMAC-SHA256")
			}
			s.V1 = append(s.V1, b)
		case "v0":
			s.HasV0 = true
		}
	}
	if !seenT {
		return s, fmt.Errorf("no t= timestamp")
	}
	if len(s.V1) == 0 {
		if s.HasV0 {
			return s, fmt.Errorf("only a v0 signature (Stripe's test scheme); live endpoints sign with v1")
		}
		return s, fmt.Errorf("no v1= signature")
	}
	return s, nil
}

// clip shows a received value in a message without ever showing a secret
// pasted into the wrong place (a signing secret typed as the header): it
// is redacted, and anything longer than 12 bytes keeps only its first six
// and its length.
func clip(s string) string {
	s = redact.String(strings.TrimSpace(s))
	if len(s) > 12 && !strings.HasPrefix(s, "[REDACTED") {
		r := []rune(s)
		if len(r) > 6 {
			return fmt.Sprintf("%s… (%d characters)", string(r[:6]), len(r))
		}
	}
	return s
}

func verifyStripe(req Request, r *Result) *Result {
	h := req.Headers.Get(StripeHeader)
	if h == "" {
		r.step("header", false, "no %s header", StripeHeader)
		return r.fail(ProblemHeader, "The Stripe-Signature header is missing: capture the request headers as received (some proxies drop unknown headers).")
	}
	sig, err := ParseStripeHeader(h)
	if err != nil {
		r.step("header", false, "%s is malformed: %v", StripeHeader, err)
		return r.fail(ProblemHeader, "The Stripe-Signature header is malformed ("+err.Error()+"): it must look like t=1700000000,v1=<64 hex>.")
	}
	r.step("header", true, "t=%d and %d v1 signature(s)", sig.Timestamp, len(sig.V1))
	secret := req.Secret
	if !strings.HasPrefix(string(secret), "whsec_") {
		r.step("secret", false, "the secret does not start with whsec_")
		msg := "The secret is not a Stripe webhook signing secret (whsec_…): copy it from the endpoint's page in the Dashboard (Developers → Webhooks), or from stripe listen for the CLI."
		if strings.HasPrefix(string(secret), "sk_") || strings.HasPrefix(string(secret), "rk_") || strings.HasPrefix(string(secret), "pk_") {
			msg = "The secret is an API key, not the webhook signing secret (whsec_…): copy the endpoint's signing secret from the Dashboard (Developers → Webhooks)."
		}
		return r.fail(ProblemSecret, msg)
	}
	ts := time.Unix(sig.Timestamp, 0)
	r.stamp(ts, req.Now)
	match := func(body []byte) bool {
		want := hmacSHA256(secret, append([]byte(strconv.FormatInt(sig.Timestamp, 10)+"."), body...))
		ok := false
		for _, v := range sig.V1 {
			// Check all, in constant time each.
			if hmac.Equal(v, want) {
				ok = true
			}
		}
		return ok
	}
	age := req.Now.Sub(ts)
	if !match(req.Payload) {
		for _, v := range variants(req.Payload) {
			if match(v.body) {
				r.step("signature", false, "matches only if %s", v.what)
				return r.fail(ProblemPayload, "The payload was altered after Stripe signed it: "+v.what+". Verify the raw request body exactly as received, before any JSON parsing.")
			}
		}
		r.step("signature", false, "no v1 signature matches HMAC-SHA256(secret, t.body)")
		msg := "The signature does not match: most likely the wrong signing secret (each endpoint, and test and live mode, have their own whsec_ secret; stripe listen has another); otherwise the payload was changed."
		if abs(age) > req.Tolerance {
			msg += fmt.Sprintf(" The timestamp is also %s old.", roundDur(age))
		}
		return r.fail(ProblemSecret, msg)
	}
	r.step("signature", true, "v1 matches")
	if abs(age) > req.Tolerance {
		r.step("timestamp", false, "signed %s ago, tolerance %s", roundDur(age), req.Tolerance)
		return r.fail(ProblemTimestamp, fmt.Sprintf("The signature is right but the timestamp is %s off (tolerance %s): a replayed or long-delayed delivery, or a wrong clock on the receiving server. Stripe's libraries reject it.", roundDur(age), req.Tolerance))
	}
	r.step("timestamp", true, "signed %s ago, within %s", roundDur(age), req.Tolerance)
	return r.pass("Valid: the Stripe signature matches and the timestamp is within tolerance.")
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func roundDur(d time.Duration) time.Duration { return abs(d).Round(time.Second) }
