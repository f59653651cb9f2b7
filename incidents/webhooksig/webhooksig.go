package webhooksig

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // Braintree's documented scheme is HMAC-SHA1
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Problem says which part of a webhook is wrong.
type Problem string

const (
	OK Problem = ""
	// ProblemHeader: the signature header is missing or malformed.
	ProblemHeader Problem = "header"
	// ProblemTimestamp: the signature is right but its timestamp is outside
	// the tolerance (a replayed or long-delayed delivery, or a wrong clock).
	ProblemTimestamp Problem = "timestamp"
	// ProblemPayload: the payload was changed after signing (detected when a
	// common alteration undone makes the signature match, or when only some
	// items of a batch fail).
	ProblemPayload Problem = "payload"
	// ProblemSecret: the signature does not match: the secret is wrong (test
	// vs live, another endpoint's), or the payload changed in a way that
	// cannot be undone.
	ProblemSecret Problem = "secret"
	// ProblemUnverifiable: everything checkable offline passed, but the
	// signature itself needs what was not given (PayPal's certificate).
	ProblemUnverifiable Problem = "unverifiable"
)

// Providers are the supported providers.
var Providers = []string{"stripe", "adyen", "paypal", "braintree"}

// DefaultTolerance is how far a signed timestamp may be from now
// (Stripe's documented default).
const DefaultTolerance = 5 * time.Minute

// ErrUsage is returned for a request that cannot be checked at all
// (unknown provider, no secret).
var ErrUsage = errors.New("webhook verify: usage")

// Request is a captured webhook and what to check it with.
type Request struct {
	Provider string
	// Payload is the raw body exactly as received.
	Payload []byte
	Headers http.Header
	// Secret is the Stripe endpoint secret (whsec_…), the Adyen HMAC key
	// (hex), or the Braintree private key. PayPal uses none.
	Secret []byte
	// Tolerance for timestamps; DefaultTolerance when zero.
	Tolerance time.Duration
	Now       time.Time
	// PublicKey is the Braintree public key expected in bt_signature
	// (optional).
	PublicKey string
	// WebhookID is the PayPal webhook id the event was sent to.
	WebhookID string
	// CertPEM is PayPal's signing certificate, for offline verification.
	CertPEM []byte
	// VerifyURL, when set, is where PayPal's verify-webhook-signature call
	// is sent (https://api-m.paypal.com/v1/notifications/verify-webhook-signature),
	// with AccessToken as bearer token, through Client.
	VerifyURL   string
	AccessToken string
	Client      *http.Client
}

// Step is one check made.
type Step struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Result is the outcome. It never contains the secret.
type Result struct {
	Provider string  `json:"provider"`
	Valid    bool    `json:"valid"`
	Problem  Problem `json:"problem,omitempty"`
	// Message is one plain sentence on what is wrong and what to do.
	Message string `json:"message"`
	// Timestamp is the signed time, when the scheme has one.
	Timestamp *time.Time `json:"timestamp,omitempty"`
	// AgeSeconds is now minus Timestamp.
	AgeSeconds *float64 `json:"age_seconds,omitempty"`
	Steps      []Step   `json:"steps"`
}

func (r *Result) step(name string, ok bool, format string, args ...any) {
	r.Steps = append(r.Steps, Step{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

func (r *Result) fail(p Problem, msg string) *Result {
	r.Valid, r.Problem, r.Message = false, p, msg
	return r
}

func (r *Result) pass(msg string) *Result {
	r.Valid, r.Problem, r.Message = true, OK, msg
	return r
}

func (r *Result) stamp(t, now time.Time) {
	t = t.UTC()
	age := now.Sub(t).Seconds()
	r.Timestamp, r.AgeSeconds = &t, &age
}

// Verify checks req. It returns ErrUsage for an unknown provider or a
// missing secret; everything wrong with the webhook itself is in Result.
func Verify(ctx context.Context, req Request) (*Result, error) {
	if req.Tolerance <= 0 {
		req.Tolerance = DefaultTolerance
	}
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	if req.Headers == nil {
		req.Headers = http.Header{}
	}
	p := strings.ToLower(strings.TrimSpace(req.Provider))
	switch p {
	case "stripe", "adyen", "braintree":
		if len(req.Secret) == 0 {
			return nil, fmt.Errorf("%w: %s needs a secret from the environment", ErrUsage, p)
		}
	}
	r := &Result{Provider: p}
	switch p {
	case "stripe":
		return verifyStripe(req, r), nil
	case "adyen":
		return verifyAdyen(req, r), nil
	case "paypal":
		return verifyPayPal(ctx, req, r), nil
	case "braintree":
		return verifyBraintree(req, r), nil
	}
	return nil, fmt.Errorf("%w: unknown provider %q (known: %s)", ErrUsage, req.Provider, strings.Join(Providers, ", "))
}

// variant is a common alteration of a body between receipt and capture.
type variant struct {
	what string
	body []byte
}

// variants returns the body as it may have been before a framework or a
// copy-paste changed it.
func variants(body []byte) []variant {
	var out []variant
	add := func(what string, b []byte) {
		if !bytes.Equal(b, body) {
			for _, v := range out {
				if bytes.Equal(v.body, b) {
					return
				}
			}
			out = append(out, variant{what, b})
		}
	}
	add("a trailing newline was added", bytes.TrimRight(body, "\r\n"))
	add("a trailing newline was removed", append(append([]byte(nil), body...), '\n'))
	add("line endings were changed to CRLF", bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")))
	add("line endings were changed to LF", bytes.ReplaceAll(bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n")))
	add("surrounding whitespace was added", bytes.TrimSpace(body))
	var v any
	if json.Unmarshal(body, &v) == nil {
		// Frameworks that parse and re-serialise change spacing; the
		// original is often compact (Stripe sends pretty-printed JSON).
		var c bytes.Buffer
		if json.Compact(&c, body) == nil {
			add("the JSON was re-serialised (spacing changed)", c.Bytes())
		}
		for _, indent := range []string{"  ", "\t", "    "} {
			var b bytes.Buffer
			if json.Indent(&b, body, "", indent) == nil {
				add("the JSON was re-serialised (spacing changed)", b.Bytes())
				add("the JSON was re-serialised (spacing changed)", append(b.Bytes(), '\n'))
			}
		}
	}
	return out
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

func hmacSHA1(key, msg []byte) []byte {
	m := hmac.New(sha1.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

func sha1Sum(b []byte) []byte {
	s := sha1.Sum(b) //nolint:gosec // Braintree's documented key derivation
	return s[:]
}

func hexHMACSHA256(key, msg []byte) string { return hex.EncodeToString(hmacSHA256(key, msg)) }

func b64HMACSHA256(key, msg []byte) string {
	return base64.StdEncoding.EncodeToString(hmacSHA256(key, msg))
}
