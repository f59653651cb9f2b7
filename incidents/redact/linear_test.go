package redact

import (
	"strings"
	"testing"
	"time"
)

// TestRedactLinear guards against quadratic rescans on hostile input: each
// ~150 KB message must take well under a second (a quadratic path took
// 1.4 s for "secret=" repeated).
func TestRedactLinear(t *testing.T) {
	for name, s := range map[string]string{
		"secret=":     strings.Repeat("secret=", 20000),
		"bearer":      strings.Repeat("Bearer ", 20000),
		"cvv/":        strings.Repeat("cvv/", 30000),
		"fours":       strings.Repeat("1234 ", 30000),
		"4-5 groups":  strings.Repeat("1234 12345 ", 15000),
		"iban starts": strings.Repeat("DE89 ", 30000),
		"context":     strings.Repeat("card 4242 ", 15000),
		"digits":      strings.Repeat("4", 150000),
		"adyen":       strings.Repeat("AQE,", 40000),
		"stripe":      strings.Repeat("sk_live_-", 20000),
		"password=":   strings.Repeat("password=", 20000),
		"auth":        strings.Repeat("Authorization: ", 10000),
		"query":       strings.Repeat("?token=&key=", 15000),
		"url creds":   strings.Repeat("https://a:b", 15000),
		"curl -u":     strings.Repeat(" -u a:", 25000),
		"basic":       strings.Repeat("Basic QUFBQUFBQUFB", 8000),
		"zero-width":  strings.Repeat("4\u200b", 40000),
		"fullwidth":   strings.Repeat("４ ", 40000),
		"url escapes": strings.Repeat("4%20", 40000),
		"wrapped":     strings.Repeat("4242\n", 30000),
		"back":        strings.Repeat("digits on the back ", 8000),
		"pem":         strings.Repeat("-----BEGIN X KEY----- ", 7000),
	} {
		start := time.Now()
		Redact(s)
		if d := time.Since(start); d > 300*time.Millisecond {
			t.Errorf("%s: %d bytes took %v", name, len(s), d)
		}
	}
}
