package diagnose

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/paybot/paybot/incidents/redact"
)

// secretParams are query parameter names whose values are masked, compared
// case-insensitively after removing "-" and "_".
var secretParams = []string{"token", "accesstoken", "apikey", "key", "secret", "clientsecret", "password", "pass", "pwd",
	"signature", "sig", "auth", "authorization", "code", "session", "sessionid", "jwt", "credential", "credentials"}

func secretParam(name string) bool {
	n := strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(name))
	for _, s := range secretParams {
		if n == s || strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// MaskURL masks a URL's user information and the values of query
// parameters that carry credentials (token, key, secret, signature…),
// then applies redact.String. Masked values read REDACTED (not ***,
// which chat markup would take for emphasis). A string that is not a URL is only redacted.
// incidents/redact masks card data and known API key formats but not
// arbitrary tokens in URLs, which status pages and webhooks do carry.
func MaskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return redact.String(s)
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			k, v, has := strings.Cut(p, "=")
			if dv, err := url.QueryUnescape(v); err == nil && (strings.HasPrefix(dv, "[REDACTED") || dv == "REDACTED") {
				continue // masked already: masking is idempotent
			}
			if dk, err := url.QueryUnescape(k); err == nil {
				k2 := dk
				if has && secretParam(k2) {
					parts[i] = k + "=REDACTED"
				}
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	out := u.String()
	return redact.String(out)
}

var urlRe = regexp.MustCompile(`https?://[^\s<>"'` + "`" + `]+`)

// MaskURLsIn masks every http(s) URL inside text (see MaskURL) and redacts
// the rest. Use it on every text that is posted or printed.
func MaskURLsIn(text string) string {
	return redact.String(urlRe.ReplaceAllStringFunc(text, func(u string) string {
		trail := ""
		for len(u) > 0 && strings.ContainsRune(".,;:)]}", rune(u[len(u)-1])) {
			trail = u[len(u)-1:] + trail
			u = u[:len(u)-1]
		}
		return MaskURL(u) + trail
	}))
}
