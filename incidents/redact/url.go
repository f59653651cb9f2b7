package redact

import "strings"

// Secrets that start at punctuation: URL query parameters, credentials in
// a URL, curl's -u and PEM private keys.

// punct handles s[i] when it is neither a letter nor a digit and returns
// where scanning resumes (i when nothing matched).
func (r *redactor) punct(i int) int {
	s := r.s
	switch s[i] {
	case '?', '&', ';':
		return r.queryParam(i)
	case ':':
		if strings.HasPrefix(s[i:], "://") {
			return r.urlUserinfo(i + 3)
		}
	case '-':
		if i == 0 || s[i-1] == ' ' || s[i-1] == '\n' || s[i-1] == '\t' {
			if strings.HasPrefix(s[i:], "-----BEGIN ") {
				return r.pem(i)
			}
			return r.curlUser(i)
		}
	}
	return i
}

// queryParams are the URL query parameters whose value is a credential
// (lower case): "?token=…", "&sig=…", "&X-Amz-Signature=…".
var queryParams = [...]string{
	"token", "key", "access_token", "sig", "signature", "secret", "password", "pwd", "pass",
	"api_key", "apikey", "api-key", "auth", "client_secret", "refresh_token", "id_token",
	"x-amz-signature", "x-amz-credential", "x-amz-security-token", "x-goog-signature",
	"x-goog-credential", "private_token", "session", "sessionid", "code_verifier",
}

// queryParam masks the value of a credential parameter after '?', '&' or
// ';' at i ("https://x/cb?token=abc123&x=1" keeps "x=1").
func (r *redactor) queryParam(i int) int {
	s := r.s
	p := i + 1
	q := p
	for q < len(s) && q-p <= 24 && (isAlnum(s[q]) || s[q] == '_' || s[q] == '-') {
		q++
	}
	if q == p || q >= len(s) || s[q] != '=' {
		return i
	}
	name := s[p:q]
	known := false
	for _, n := range queryParams {
		if len(n) == len(name) && hasPrefixFold(name, n) {
			known = true
			break
		}
	}
	if !known {
		return i
	}
	a := q + 1
	b := a
	for b < len(s) && s[b] > ' ' && s[b] != '&' && s[b] != '#' && s[b] != '"' && s[b] != '\'' && s[b] != '\\' &&
		s[b] != '<' && s[b] != '>' && s[b] != '`' && s[b] != ')' && s[b] != ']' && !maskAt(s, b) {
		b++
	}
	if b-a < 4 || strings.HasPrefix(s[a:], "[REDACTED") || strings.TrimRight(s[a:b], ".,;:!?") == "REDACTED" {
		return i
	}
	if e, _ := matchToken(s, a); e > 0 {
		return i // a known token: its own rule labels it
	}
	r.emit(a, b, KindSecret, "Credential in a URL", "[REDACTED url credential]", nil)
	return b
}

// urlUserinfo masks the password of "scheme://user:password@host"; a is
// just after "://".
func (r *redactor) urlUserinfo(a int) int {
	s := r.s
	colon := -1
	b := a
	for b < len(s) && b-a < 512 {
		c := s[b]
		if c == '@' {
			break
		}
		if maskAt(s, b) {
			return a
		}
		if c <= ' ' || c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == '<' || c == '>' {
			return a
		}
		if c == ':' && colon < 0 {
			colon = b
		}
		b++
	}
	if b >= len(s) || s[b] != '@' || colon < 0 || b-colon < 2 || strings.HasPrefix(s[colon+1:], "[REDACTED") {
		return a
	}
	r.emit(colon+1, b, KindSecret, "Password in a URL", "[REDACTED password]", nil)
	return b
}

// curlUser masks the password of curl's "-u user:password" and
// "--user user:password" (also "-uuser:password" and "--user=…").
func (r *redactor) curlUser(i int) int {
	s := r.s
	var p int
	switch {
	case strings.HasPrefix(s[i:], "--user") && i+6 < len(s) && (s[i+6] == ' ' || s[i+6] == '='):
		p = i + 7
	case strings.HasPrefix(s[i:], "-u"):
		p = i + 2
		if p < len(s) && s[p] == ' ' {
			p++
		}
	default:
		return i
	}
	var quote byte
	if p < len(s) && (s[p] == '"' || s[p] == '\'') {
		quote = s[p]
		p++
	}
	colon := -1
	b := p
	for b < len(s) && b-p < 512 {
		c := s[b]
		if quote != 0 && c == quote || quote == 0 && c <= ' ' || c == '\n' || maskAt(s, b) {
			break
		}
		if c == ':' && colon < 0 {
			colon = b
		}
		b++
	}
	if colon <= p || b-colon < 2 || strings.HasPrefix(s[colon+1:], "[REDACTED") {
		return i
	}
	if e, _ := matchToken(s, p); e > 0 {
		return i // "-u sk_live_…:" is a key: its own rule labels it
	}
	r.emit(colon+1, b, KindSecret, "Password in a curl command", "[REDACTED password]", nil)
	return b
}

// pem masks the body of a PEM private key block ("-----BEGIN RSA PRIVATE
// KEY-----" … "-----END …-----"); without an END line, to the end of s.
func (r *redactor) pem(i int) int {
	s := r.s
	hdrEnd := strings.Index(s[i+11:min(len(s), i+11+48)], "-----")
	if hdrEnd < 0 {
		return i
	}
	hdr := s[i+11 : i+11+hdrEnd]
	if !strings.HasSuffix(hdr, "PRIVATE KEY") {
		return i
	}
	a := i + 11 + hdrEnd + 5
	b := len(s)
	if e := strings.Index(s[a:], "-----END"); e >= 0 {
		b = a + e
	}
	if b-a < 8 || strings.Contains(s[a:b], "[REDACTED") {
		return i
	}
	r.emit(a, b, KindSecret, "Private key", "\n[REDACTED private key]\n", nil)
	return b
}

// maskAt reports whether one of our masks ('•' or "[REDACTED") starts at
// s[k]: a value ends there, so a second pass sees what the first saw.
func maskAt(s string, k int) bool {
	return strings.HasPrefix(s[k:], "•") || strings.HasPrefix(s[k:], "[REDACTED")
}
