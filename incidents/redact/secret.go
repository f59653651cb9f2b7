package redact

import "strings"

// charset is a set of bytes.
type charset [256]bool

func newCharset(extra string) *charset {
	var t charset
	for c := 0; c < 256; c++ {
		t[c] = class[c] != cOther
	}
	for i := 0; i < len(extra); i++ {
		t[extra[i]] = true
	}
	return &t
}

var (
	alnum      = newCharset("")
	alnumDash  = newCharset("-")
	alnumB64   = newCharset("+/=")
	alnumURL   = newCharset("-_")
	alnumBT    = newCharset("$_")
	valueChars = newCharset("-_+/=.$~")
	adyenChars = func() *charset {
		var t charset
		for c := '!'; c <= '~'; c++ {
			t[c] = true
		}
		for _, c := range "\"'`,;\\" {
			t[c] = false
		}
		return &t
	}()
)

// tokenRule is a secret recognised by its own prefix (case-sensitive).
type tokenRule struct {
	prefix string
	min    int // bytes of set required after the prefix
	set    *charset
	label  string
	mask   string
}

var tokenRules = [...]tokenRule{
	{"sk_live_", 10, alnum, "Stripe live secret key", "[REDACTED stripe secret key]"},
	{"sk_test_", 10, alnum, "Stripe test secret key", "[REDACTED stripe secret key]"},
	{"rk_live_", 10, alnum, "Stripe live restricted key", "[REDACTED stripe restricted key]"},
	{"rk_test_", 10, alnum, "Stripe test restricted key", "[REDACTED stripe restricted key]"},
	{"whsec_", 16, alnumB64, "Stripe webhook signing secret", "[REDACTED stripe webhook secret]"},
	{"xoxb-", 10, alnumDash, "Slack bot token", "[REDACTED slack token]"},
	{"xoxp-", 10, alnumDash, "Slack user token", "[REDACTED slack token]"},
	{"xoxa-", 10, alnumDash, "Slack workspace token", "[REDACTED slack token]"},
	{"xoxr-", 10, alnumDash, "Slack refresh token", "[REDACTED slack token]"},
	{"xoxs-", 10, alnumDash, "Slack session token", "[REDACTED slack token]"},
	{"xoxe-", 10, alnumDash, "Slack refresh token", "[REDACTED slack token]"},
	{"xapp-", 10, alnumDash, "Slack app-level token", "[REDACTED slack token]"},
	{"access_token$production$", 8, alnumBT, "PayPal/Braintree production access token", "[REDACTED braintree access token]"},
	{"access_token$sandbox$", 8, alnumBT, "PayPal/Braintree sandbox access token", "[REDACTED braintree access token]"},
	{"access_token$development$", 8, alnumBT, "PayPal/Braintree access token", "[REDACTED braintree access token]"},
	{"A21AA", 20, alnumURL, "PayPal access token", "[REDACTED paypal access token]"},
	{"AQE", 30, adyenChars, "Adyen API key", "[REDACTED adyen api key]"},
}

// matchToken returns the end of the token secret starting at s[i] and the
// index of its rule, or 0 when none starts there.
func matchToken(s string, i int) (end, rule int) {
	rest := s[i:]
	for k := range tokenRules {
		t := &tokenRules[k]
		if rest[0] != t.prefix[0] || len(rest) < len(t.prefix) || rest[:len(t.prefix)] != t.prefix {
			continue
		}
		j := len(t.prefix)
		for j < len(rest) && t.set[rest[j]] {
			j++
		}
		if j-len(t.prefix) >= t.min {
			return i + j, k
		}
	}
	return 0, 0
}

// keywordRule is a secret recognised by the word before it.
type keywordRule struct {
	kw    string // lower case
	label string
	mask  string
}

var keywordRules = [...]keywordRule{
	{"client_secret", "Client secret", "[REDACTED client secret]"},
	{"client-secret", "Client secret", "[REDACTED client secret]"},
	{"clientsecret", "Client secret", "[REDACTED client secret]"},
	{"secret_key", "Secret key", "[REDACTED secret key]"},
	{"secret-key", "Secret key", "[REDACTED secret key]"},
	{"secretkey", "Secret key", "[REDACTED secret key]"},
	{"secret", "Secret", "[REDACTED secret]"},
	{"private_key", "Private key", "[REDACTED private key]"},
	{"private-key", "Private key", "[REDACTED private key]"},
	{"privatekey", "Private key", "[REDACTED private key]"},
	{"private key", "Private key", "[REDACTED private key]"},
	{"api_key", "API key", "[REDACTED api key]"},
	{"api-key", "API key", "[REDACTED api key]"},
	{"apikey", "API key", "[REDACTED api key]"},
	{"api key", "API key", "[REDACTED api key]"},
	{"bearer", "Bearer token", "[REDACTED bearer token]"},
}

// keywordSecret masks the value after a secret keyword at s[i]
// ("client_secret: …", "PRIVATE_KEY=…", "Bearer …"). The value must be at
// least 16 bytes with a letter and a digit, so prose ("the secret sauce") is
// left alone. The keyword itself stays.
func (r *redactor) keywordSecret(i int) int {
	s := r.s
	for k := range keywordRules {
		kr := &keywordRules[k]
		if !hasPrefixFold(s[i:], kr.kw) {
			continue
		}
		p := i + len(kr.kw)
		if p < len(s) && isAlnum(s[p]) {
			continue // "secretary", "secret_key" handled by its own rule
		}
		a := skipSecretFiller(s, p)
		if a == p || a < r.valueEnd {
			// A value starting inside one already rejected ends at the same
			// place with a subset of its bytes: rejected too. This keeps
			// "secret=secret=secret=…" linear.
			return 0
		}
		b := a
		letter, digit := false, false
		for b < len(s) && valueChars[s[b]] {
			switch class[s[b]] {
			case cLetter:
				letter = true
			case cDigit:
				digit = true
			}
			b++
		}
		for b > a && s[b-1] == '.' {
			b--
		}
		if b-a < 16 || !letter || !digit {
			r.valueEnd = b
			return 0
		}
		if e, _ := matchToken(s, a); e > 0 {
			return 0 // a known token: its own rule labels it when the scan gets there
		}
		r.emit(a, b, KindSecret, kr.label, kr.mask, nil)
		return b
	}
	return 0
}

// skipSecretFiller skips what sits between a secret keyword and its value:
// spaces, ':', '=', quotes, "=>" and the words "is", "key", "token", "was".
func skipSecretFiller(s string, p int) int {
	lim := p + 16
	for p < len(s) && p < lim {
		switch c := s[p]; {
		case c == ' ' || c == '\t' || c == ':' || c == '=' || c == '"' || c == '\'' || c == '`' || c == '>':
			p++
		case isLetter(c):
			q := p
			for q < len(s) && isLetter(s[q]) {
				q++
			}
			if q < len(s) && isAlnum(s[q]) {
				return p
			}
			w := s[p:q]
			if !(len(w) == 2 && hasPrefixFold(w, "is") || len(w) == 3 && (hasPrefixFold(w, "key") || hasPrefixFold(w, "was")) || len(w) == 5 && hasPrefixFold(w, "token")) {
				return p
			}
			if q >= len(s) || (s[q] != ' ' && s[q] != ':' && s[q] != '=') {
				return p
			}
			p = q
		default:
			return p
		}
	}
	return p
}

var cvvWords = [...]string{
	"security_code", "security code", "securitycode",
	"cvv2", "cvc2", "cvv", "cvc", "cid", "csc", "cvn",
}

// cvv masks a 3–4 digit value after a CVV word at s[i] ("cvv 123",
// "CVC: 1234", "cvv=123", "security code is 123").
func (r *redactor) cvv(i int) int {
	s := r.s
	for _, w := range cvvWords {
		if !hasPrefixFold(s[i:], w) {
			continue
		}
		p := i + len(w)
		if p < len(s) && isLetter(s[p]) {
			return 0
		}
		a := skipCVVFiller(s, p)
		b := a
		for b < len(s) && isDigit(s[b]) {
			b++
		}
		if n := b - a; n < 3 || n > 4 {
			return 0
		}
		if b < len(s) {
			c := s[b]
			if isAlnum(c) {
				return 0 // "cvv 123abc": the mask must not glue to letters
			}
			// "123.45" is a number and "123 4567…" the start of a longer
			// one; the digits after may be a card we mask, so a mask
			// there counts as digits (idempotence).
			if (c == '.' || c == ',') && digitOrMask(s, b+1) {
				return 0
			}
			if _, l := sepAt(s, b); l > 0 && digitOrMask(s, b+l) {
				return 0
			}
		}
		r.emit(a, b, KindCVV, "CVV", cvvMask, nil)
		return b
	}
	return 0
}

func digitOrMask(s string, k int) bool {
	return k < len(s) && (isDigit(s[k]) || strings.HasPrefix(s[k:], "•"))
}

func skipCVVFiller(s string, p int) int {
	lim := p + 24
	for p < len(s) && p < lim {
		switch c := s[p]; {
		case c == ' ' || c == '\t' || c == ':' || c == '=' || c == '#' || c == '/' || c == '-' ||
			c == '"' || c == '\'' || c == '(' || c == ')' || c == '*':
			p++
		case isLetter(c):
			q := p
			for q < len(s) && isAlnum(s[q]) {
				q++
			}
			if !isCVVFillerWord(s[p:q]) {
				return p
			}
			p = q
		default:
			return p
		}
	}
	return p
}

var cvvFillerWords = [...]string{"is", "code", "cvc", "cvv", "cvc2", "cvv2", "cid", "number", "no", "was", "of"}

func isCVVFillerWord(w string) bool {
	for _, f := range cvvFillerWords {
		if len(w) == len(f) && hasPrefixFold(w, f) {
			return true
		}
	}
	return false
}
