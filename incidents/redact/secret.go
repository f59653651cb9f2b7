package redact

import (
	"encoding/base64"
	"strings"
)

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
	alnumPath  = newCharset("-_/")
	alnumB64   = newCharset("+/=")
	alnumURL   = newCharset("-_")
	alnumBT    = newCharset("$_")
	alnumUnder = newCharset("_")
	alnumURLDt = newCharset("-_.")
	upperDigit = func() *charset {
		var t charset
		for c := 'A'; c <= 'Z'; c++ {
			t[c] = true
		}
		for c := '0'; c <= '9'; c++ {
			t[c] = true
		}
		return &t
	}()
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
	// Incoming-webhook URLs carry their secret in the path.
	{"hooks.slack.com/services/", 20, alnumPath, "Slack incoming webhook", "[REDACTED slack webhook]"},
	{"discord.com/api/webhooks/", 20, alnumPath, "Discord webhook", "[REDACTED discord webhook]"},
	{"discordapp.com/api/webhooks/", 20, alnumPath, "Discord webhook", "[REDACTED discord webhook]"},
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
	{"xoxc-", 10, alnumDash, "Slack client token", "[REDACTED slack token]"},
	{"xoxd-", 10, alnumDash, "Slack cookie token", "[REDACTED slack token]"},
	// AWS access key ids: four-letter type prefix and 16 upper-case letters
	// or digits.
	{"AKIA", 16, upperDigit, "AWS access key id", "[REDACTED aws access key id]"},
	{"ASIA", 16, upperDigit, "AWS temporary access key id", "[REDACTED aws access key id]"},
	{"ABIA", 16, upperDigit, "AWS access key id", "[REDACTED aws access key id]"},
	{"ACCA", 16, upperDigit, "AWS access key id", "[REDACTED aws access key id]"},
	{"AGPA", 16, upperDigit, "AWS group id", "[REDACTED aws access key id]"},
	{"AIDA", 16, upperDigit, "AWS user id", "[REDACTED aws access key id]"},
	{"AROA", 16, upperDigit, "AWS role id", "[REDACTED aws access key id]"},
	{"AIPA", 16, upperDigit, "AWS instance profile id", "[REDACTED aws access key id]"},
	{"ANPA", 16, upperDigit, "AWS policy id", "[REDACTED aws access key id]"},
	{"ANVA", 16, upperDigit, "AWS policy version id", "[REDACTED aws access key id]"},
	{"AIza", 30, alnumURL, "Google API key", "[REDACTED google api key]"},
	{"ghp_", 30, alnum, "GitHub token", "[REDACTED github token]"},
	{"gho_", 30, alnum, "GitHub OAuth token", "[REDACTED github token]"},
	{"ghu_", 30, alnum, "GitHub token", "[REDACTED github token]"},
	{"ghs_", 30, alnum, "GitHub token", "[REDACTED github token]"},
	{"ghr_", 30, alnum, "GitHub refresh token", "[REDACTED github token]"},
	{"github_pat_", 22, alnumUnder, "GitHub token", "[REDACTED github token]"},
	{"glpat-", 20, alnumURL, "GitLab token", "[REDACTED gitlab token]"},
	{"sq0atp-", 20, alnumURL, "Square access token", "[REDACTED square token]"},
	{"sq0csp-", 20, alnumURL, "Square application secret", "[REDACTED square token]"},
	{"SG.", 40, alnumURLDt, "SendGrid API key", "[REDACTED sendgrid api key]"},
	{"sk-", 20, alnumURL, "API secret key", "[REDACTED secret key]"},
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
		for j < len(rest) && t.set[rest[j]] && !(rest[j] == '[' && strings.HasPrefix(rest[j:], "[REDACTED")) {
			j++ // (a value never runs into one of our masks: idempotence)
		}
		if t.set == upperDigit && j > len(t.prefix)+16 {
			j = len(t.prefix) + 16 // AWS ids are exactly 20 characters
		}
		if j-len(t.prefix) >= t.min {
			return i + j, k
		}
	}
	return 0, 0
}

// How a keyword's value is recognised.
const (
	// valStrong: a run of key characters, at least 8 bytes after ':' or
	// '=' and 16 otherwise, with a letter and a digit ("the secret sauce"
	// is prose).
	valStrong = iota
	// valPassword: any non-blank run (or a quoted string) after ':' or '=',
	// at least 3 bytes; without them it needs a letter and a digit, and a
	// keyword of four letters or fewer needs them.
	valPassword
	// valAuth: an HTTP Authorization header value of any scheme, to the end
	// of the line or the closing quote; the scheme word stays.
	valAuth
	// valBasic: "Basic <base64 of user:pass>".
	valBasic
)

// keywordRule is a secret recognised by the word before it.
type keywordRule struct {
	kw    string // lower case
	label string
	mask  string
	val   uint8
}

// keywordRules: within one first letter, a longer keyword comes before a
// keyword that is its prefix ("secret_key" before "secret").
var keywordRules = [...]keywordRule{
	{"client_secret", "Client secret", "[REDACTED client secret]", valStrong},
	{"client-secret", "Client secret", "[REDACTED client secret]", valStrong},
	{"clientsecret", "Client secret", "[REDACTED client secret]", valStrong},
	{"secret_access_key", "AWS secret access key", "[REDACTED aws secret key]", valStrong},
	{"secretaccesskey", "AWS secret access key", "[REDACTED aws secret key]", valStrong},
	{"secret_key", "Secret key", "[REDACTED secret key]", valStrong},
	{"secret-key", "Secret key", "[REDACTED secret key]", valStrong},
	{"secretkey", "Secret key", "[REDACTED secret key]", valStrong},
	{"secret", "Secret", "[REDACTED secret]", valStrong},
	{"session_token", "Session token", "[REDACTED token]", valStrong},
	{"sharedaccesskey", "Azure shared access key", "[REDACTED azure key]", valStrong},
	{"sharedaccesssignature", "Azure shared access signature", "[REDACTED azure key]", valPassword},
	{"accountkey", "Azure account key", "[REDACTED azure key]", valStrong},
	{"access_token", "Access token", "[REDACTED token]", valStrong},
	{"access-token", "Access token", "[REDACTED token]", valStrong},
	{"accesstoken", "Access token", "[REDACTED token]", valStrong},
	{"auth_token", "Auth token", "[REDACTED token]", valStrong},
	{"auth-token", "Auth token", "[REDACTED token]", valStrong},
	{"authtoken", "Auth token", "[REDACTED token]", valStrong},
	{"authorization", "HTTP authorization credentials", "[REDACTED credentials]", valAuth},
	{"refresh_token", "Refresh token", "[REDACTED token]", valStrong},
	{"id_token", "ID token", "[REDACTED token]", valStrong},
	{"api_token", "API token", "[REDACTED token]", valStrong},
	{"api-token", "API token", "[REDACTED token]", valStrong},
	{"apitoken", "API token", "[REDACTED token]", valStrong},
	{"token", "Token", "[REDACTED token]", valStrong},
	{"private_key", "Private key", "[REDACTED private key]", valStrong},
	{"private-key", "Private key", "[REDACTED private key]", valStrong},
	{"privatekey", "Private key", "[REDACTED private key]", valStrong},
	{"private key", "Private key", "[REDACTED private key]", valStrong},
	{"passphrase", "Password", "[REDACTED password]", valPassword},
	{"password", "Password", "[REDACTED password]", valPassword},
	{"passwd", "Password", "[REDACTED password]", valPassword},
	{"pwd", "Password", "[REDACTED password]", valPassword},
	{"pass", "Password", "[REDACTED password]", valPassword},
	{"pw", "Password", "[REDACTED password]", valPassword},
	{"set-cookie", "HTTP cookie", "[REDACTED cookie]", valStrong},
	{"cookie", "HTTP cookie", "[REDACTED cookie]", valStrong},
	{"sessionid", "Session id", "[REDACTED session]", valStrong},
	{"session_id", "Session id", "[REDACTED session]", valStrong},
	{"session", "Session id", "[REDACTED session]", valStrong},
	{"sid", "Session id", "[REDACTED session]", valStrong},
	{"api_key", "API key", "[REDACTED api key]", valStrong},
	{"api-key", "API key", "[REDACTED api key]", valStrong},
	{"apikey", "API key", "[REDACTED api key]", valStrong},
	{"api key", "API key", "[REDACTED api key]", valStrong},
	{"bearer", "Bearer token", "[REDACTED bearer token]", valStrong},
	{"basic", "HTTP basic credentials", "[REDACTED credentials]", valBasic},
}

// keywordSecret masks the value after a secret keyword at s[i]
// ("client_secret: …", "PRIVATE_KEY=…", "Bearer …", "password: …",
// "Authorization: Digest …"). The keyword itself stays.
func (r *redactor) keywordSecret(i int) int {
	s := r.s
	for _, k := range keywordsByTwo[twoIndex(s, i)] {
		kr := &keywordRules[k]
		if !hasPrefixFold(s[i:], kr.kw) {
			continue
		}
		p := i + len(kr.kw)
		if p < len(s) && isAlnum(s[p]) {
			continue // "secretary", "passwords"
		}
		switch kr.val {
		case valAuth:
			return r.authValue(kr, p)
		case valBasic:
			return r.basicValue(kr, p)
		}
		a, assign, quote := skipSecretFiller(s, p)
		if a == p || a < r.valueEnd {
			// A value starting inside one already rejected ends at the same
			// place with a subset of its bytes: rejected too. This keeps
			// "secret=secret=secret=…" linear.
			return 0
		}
		if kr.val == valPassword {
			return r.passwordValue(kr, a, assign, quote)
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
		min := 16
		if assign {
			min = 8
		}
		if b-a < min || !letter || !digit {
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

// passwordValue masks a password-like value starting at a: the quoted
// string when quote is set, else the run up to a blank, a quote or a
// separator of fields (',', ';', '&').
func (r *redactor) passwordValue(kr *keywordRule, a int, assign bool, quote byte) int {
	s := r.s
	if strings.HasPrefix(s[a:], "[REDACTED") {
		return 0 // our own mask (idempotence)
	}
	b := a
	letter, digit := false, false
	for b < len(s) && b-a < 512 && !maskAt(s, b) {
		c := s[b]
		if quote != 0 {
			if c == quote || c == '\n' {
				break
			}
		} else if c <= ' ' || c == '"' || c == '\'' || c == '`' || c == ',' || c == ';' || c == '&' || c == '<' || c == '>' || c == '\\' {
			// A backslash ends a value too: in JSON-encoded text it starts
			// the escape of the closing quote, which must survive masking.
			break
		}
		switch class[c] {
		case cLetter:
			letter = true
		case cDigit:
			digit = true
		}
		b++
	}
	if quote == 0 {
		for b > a && (s[b-1] == '.' || s[b-1] == ')') {
			b--
		}
	}
	// Without ':' or '=' a value needs a letter and a digit ("password is
	// hunter2"), and a short keyword (pass, pw, pwd) is a word of prose
	// ("we pass PAY-12 to tier 2"): only an assignment follows it.
	if b-a < 3 || !assign && (!(letter && digit) || len(kr.kw) <= 4) {
		r.valueEnd = b
		return 0
	}
	if e, _ := matchToken(s, a); e > 0 {
		return 0
	}
	r.emit(a, b, KindSecret, kr.label, kr.mask, nil)
	return b
}

// authValue masks an Authorization header's credentials: "Authorization:
// Basic dXNlcjpwYXNz", "authorization=Digest username=…, response=…",
// `"Authorization": "token ghp_…"`. A ':' or '=' must follow the keyword
// ("authorization failed" is prose). The scheme word stays.
func (r *redactor) authValue(kr *keywordRule, p int) int {
	s := r.s
	a, assign, quote := p, false, byte(0)
	for a < len(s) && a-p < 8 {
		c := s[a]
		if c == ':' || c == '=' {
			if assign {
				break
			}
			assign = true
			quote = 0
		} else if c == '"' || c == '\'' || c == '`' {
			quote = c
		} else if c != ' ' && c != '\t' {
			break
		}
		a++
	}
	if !assign {
		return 0
	}
	// Keep a scheme word ("Basic ", "Bearer ", "Digest ", "token ", any
	// custom one) when credentials follow it.
	q, nd := a, 0
	for q < len(s) && q-a <= 24 && (isAlnum(s[q]) || s[q] == '-' || s[q] == '_') {
		if isDigit(s[q]) {
			nd++
		}
		q++
	}
	if nd > 4 {
		q = a // not a scheme name ("AWS4-HMAC-SHA256" is; a glued number is not)
	}
	if q > a && isLetter(s[a]) && q < len(s) && s[q] == ' ' && q+1 < len(s) && s[q+1] > ' ' && s[q+1] != quote {
		a = q + 1
	}
	if strings.HasPrefix(s[a:], "[REDACTED") {
		// Our own mask: skip the scheme and it, as the first pass did.
		if e := strings.IndexByte(s[a:], ']'); e > 0 {
			return a + e + 1
		}
		return 0
	}
	b := a
	for b < len(s) && s[b] != '\n' && s[b] != '\r' && (quote == 0 || s[b] != quote) && !maskAt(s, b) {
		b++
	}
	for b > a && (s[b-1] == ' ' || s[b-1] == '\t') {
		b--
	}
	if b-a < 4 {
		return 0
	}
	if e, _ := matchToken(s, a); e > 0 && e >= b {
		return 0 // a known token alone: its own rule labels it
	}
	r.emit(a, b, KindSecret, kr.label, kr.mask, nil)
	return b
}

// basicValue masks "Basic <base64>" when the base64 decodes to "user:pass".
func (r *redactor) basicValue(kr *keywordRule, p int) int {
	s := r.s
	if p >= len(s) || s[p] != ' ' {
		return 0
	}
	a := p + 1
	b := a
	for b < len(s) && (isAlnum(s[b]) || s[b] == '+' || s[b] == '/') && b-a < 1024 {
		b++
	}
	for k := 0; k < 2 && b < len(s) && s[b] == '='; k++ {
		b++
	}
	// Glued to more text, or to a mask a first pass wrote there, it is not
	// a credential on its own (and a second pass must agree).
	if b-a < 8 || b < len(s) && (alnumB64[s[b]] || maskAt(s, b)) {
		return 0
	}
	raw := strings.TrimRight(s[a:b], "=")
	dec, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || !strings.Contains(string(dec), ":") {
		return 0
	}
	for _, c := range dec {
		if c < ' ' || c >= 0x7f {
			return 0
		}
	}
	r.emit(a, b, KindSecret, kr.label, kr.mask, nil)
	return b
}

// skipSecretFiller skips what sits between a secret keyword and its value:
// spaces, ':', '=', quotes, "=>" and the words "is", "key", "token", "was".
// assign tells whether a ':' or '=' was among them (key: value, key=value,
// JSON, YAML, headers); quote is the quote that opens the value, if any.
func skipSecretFiller(s string, p int) (end int, assign bool, quote byte) {
	lim := p + 16
	for p < len(s) && p < lim {
		switch c := s[p]; {
		case c == ':' || c == '=':
			assign = true
			quote = 0
			p++
		case c == '"' || c == '\'' || c == '`':
			quote = c
			p++
		case c == ' ' || c == '\t' || c == '>':
			p++
		case isLetter(c):
			q := p
			for q < len(s) && isLetter(s[q]) {
				q++
			}
			if q < len(s) && isAlnum(s[q]) {
				return p, assign, quote
			}
			w := s[p:q]
			if !(len(w) == 2 && hasPrefixFold(w, "is") || len(w) == 3 && (hasPrefixFold(w, "key") || hasPrefixFold(w, "was")) || len(w) == 5 && hasPrefixFold(w, "token")) {
				return p, assign, quote
			}
			if q >= len(s) || (s[q] != ' ' && s[q] != ':' && s[q] != '=') {
				return p, assign, quote
			}
			quote = 0
			p = q
		default:
			return p, assign, quote
		}
	}
	return p, assign, quote
}

var cvvWords = [...]string{
	"security_code", "security code", "securitycode",
	"card verification value", "card verification code", "card security code",
	"verification value", "verification code",
	"cvv2", "cvc2", "cvn2", "cav2", "cvv", "cvc", "ccv", "cvd", "cid", "csc", "cvn",
	"c.v.v.", "c.v.c.", "c.v.v", "c.v.c",
	// In words: "the 3 digits on the back are 123", "three-digit code: 123".
	"back", "digits", "digit",
}

// cvv masks a 3–4 digit value after a CVV word at s[i] ("cvv 123",
// "CVC: 1234", "cvv=123", "security code is 123", "the 3 digits on the back
// are 123").
func (r *redactor) cvv(i int) int {
	s := r.s
	for _, k := range cvvByTwo[twoIndex(s, i)] {
		w := cvvWords[k]
		if !hasPrefixFold(s[i:], w) {
			continue
		}
		p := i + len(w)
		if p < len(s) && isLetter(s[p]) {
			if w != "digit" || s[p] != 's' && s[p] != 'S' {
				continue
			}
			p++
		}
		switch w {
		case "back":
			if !r.lookBack(i, 40, "digit", "code", "number", "cvv", "cvc") {
				return 0
			}
		case "digits", "digit":
			if !r.precededByCount(i) {
				return 0
			}
		}
		a := skipCVVFiller(s, p)
		b := a
		for b < len(s) && isDigit(s[b]) {
			b++
		}
		if b-a == 1 || b == a {
			// "cvv 4 5 6", "cvv: one two three": the digits one at a time.
			if e := spelledCVV(s, a); e > 0 {
				r.emit(a, e, KindCVV, "CVV", cvvMask, nil)
				return e
			}
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
			if l, nl := sepAt(s, b); l > 0 && !nl && digitOrMask(s, b+l) {
				return 0 // (a line break ends the value: the next line is another number)
			}
		}
		r.emit(a, b, KindCVV, "CVV", cvvMask, nil)
		return b
	}
	return 0
}

// precededByCount reports whether the word at i follows "3 ", "4-",
// "three ", "four-" and the like ("the 3 digits on the back"). Right after
// a finding counts as the start of a word, as it does in a second pass.
func (r *redactor) precededByCount(i int) bool {
	s := r.s
	if i < 2 || (s[i-1] != ' ' && s[i-1] != '-') {
		return false
	}
	k := i - 1
	start := func(p int) bool { return p == 0 || p <= r.last || !isAlnum(s[p-1]) || afterMaskTail(s, p) }
	if (s[k-1] == '3' || s[k-1] == '4') && start(k-1) {
		return true
	}
	for _, w := range [...]string{"three", "four"} {
		if k >= len(w) && hasPrefixFold(s[k-len(w):k], w) && start(k-len(w)) {
			return true
		}
	}
	return false
}

// lookBack reports whether one of words (lower case) occurs in the n bytes
// before i, not reaching back before the last finding.
func (r *redactor) lookBack(i, n int, words ...string) bool {
	lo := max(i-n, r.last, 0)
	w := r.s[lo:i]
	// Not past a mask either: a second pass must see what the first saw.
	if k := strings.LastIndexAny(w, "]•"); k >= 0 {
		w = w[k+1:]
	}
	for k := 0; k < len(w); k++ {
		for _, x := range words {
			if hasPrefixFold(w[k:], x) {
				return true
			}
		}
	}
	return false
}

// digitWords are the digits in words, for CVVs spelled out.
var digitWords = [...]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "oh"}

// spelledCVV returns the end of three or four digits written one at a time
// at s[a] ("4 5 6", "4-5-6", "one two three"), or 0.
func spelledCVV(s string, a int) int {
	n, p, end := 0, a, 0
	for n < 5 && p < len(s) {
		q := p
		switch {
		case isDigit(s[p]):
			q = p + 1
			if q < len(s) && isDigit(s[q]) {
				return 0
			}
		case isLetter(s[p]):
			for q < len(s) && isLetter(s[q]) {
				q++
			}
			found := false
			for _, w := range digitWords {
				if q-p == len(w) && hasPrefixFold(s[p:q], w) {
					found = true
					break
				}
			}
			if !found {
				q = p
			}
		}
		if q == p {
			break
		}
		n++
		end = q
		p = q
		for p < len(s) && p-end < 2 && (s[p] == ' ' || s[p] == '-' || s[p] == ',') {
			p++
		}
	}
	if n < 3 || n > 4 {
		return 0
	}
	return end
}

func digitOrMask(s string, k int) bool {
	return k < len(s) && (isDigit(s[k]) || strings.HasPrefix(s[k:], "•"))
}

func skipCVVFiller(s string, p int) int {
	lim := p + 48
	for p < len(s) && p < lim {
		switch c := s[p]; {
		case c == ' ' || c == '\t' || c == ':' || c == '=' || c == '#' || c == '/' || c == '-' ||
			c == '"' || c == '\'' || c == '(' || c == ')' || c == '*' || c == '\n' || c == '>':
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

var cvvFillerWords = [...]string{
	"is", "are", "was", "code", "cvc", "cvv", "cvc2", "cvv2", "cid", "number", "no", "of", "the",
	"on", "back", "card", "digits", "digit", "value", "it", "s", "my", "printed", "reads", "says",
}

func isCVVFillerWord(w string) bool {
	for _, f := range cvvFillerWords {
		if len(w) == len(f) && hasPrefixFold(w, f) {
			return true
		}
	}
	return false
}

// twoIndex folds the first two letters of the word at s[i] into an index of
// the by-two tables (0 when they are not two ASCII letters).
func twoIndex(s string, i int) int {
	if i+1 >= len(s) || !isLetter(s[i]) || !isLetter(s[i+1]) {
		return 0
	}
	return int(s[i]|0x20-'a')*26 + int(s[i+1]|0x20-'a') + 1
}

// keywordsByTwo and cvvByTwo list, in table order, the rules whose word
// starts with a given pair of letters, so a common word ("to", "pay")
// costs a look-up, not a pass over every rule.
var keywordsByTwo, cvvByTwo = func() (kw, cv [26*26 + 1][]uint8) {
	for k, r := range keywordRules {
		j := twoIndex(r.kw, 0)
		kw[j] = append(kw[j], uint8(k))
	}
	for k, w := range cvvWords {
		j := twoIndex(w, 0)
		cv[j] = append(cv[j], uint8(k))
	}
	return
}()
