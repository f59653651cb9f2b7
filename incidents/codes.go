package incidents

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paybot/paybot/incidents/paycode"
)

// Code systems (paycode's).
const (
	CodeISO8583  = paycode.ISO8583
	CodeStripe   = paycode.Stripe
	CodeNACHA    = paycode.NACHA
	CodeHTTP     = paycode.HTTP
	CodeGateway  = paycode.Gateway  // UPPER_SNAKE names and prefixed codes such as E0054
	CodeNumbered = paycode.Numbered // Braintree, Adyen, Checkout.com numbers: 2046, 20051
)

// Key is the code's key in the one vocabulary shared with the knowledge
// base (paycode.Canonical): "05", "r01", "e54", "do_not_honor".
func (c Code) Key() string { return paycode.Canonical(c.Value) }

// SameCode reports whether a and b are spellings of one code.
func SameCode(a, b string) bool { return paycode.Equal(a, b) }

// stripeCodes are Stripe's documented decline codes and the card-related
// error codes people paste next to them. The value says whether the code
// may also be matched written with spaces ("do not honor"); codes that read
// like ordinary English ("try again later") are matched only in snake case.
var stripeCodes = map[string]bool{
	// decline codes
	"approve_with_id": false, "call_issuer": true, "card_not_supported": true,
	"card_velocity_exceeded": true, "currency_not_supported": true, "do_not_honor": true,
	"do_not_try_again": true, "duplicate_transaction": true, "expired_card": true,
	"fraudulent": false, "generic_decline": true, "incorrect_number": true,
	"incorrect_cvc": true, "incorrect_pin": true, "incorrect_zip": true,
	"insufficient_funds": true, "invalid_account": false, "invalid_amount": false,
	"invalid_cvc": true, "invalid_expiry_month": true, "invalid_expiry_year": true,
	"invalid_number": false, "invalid_pin": true, "issuer_not_available": true,
	"lost_card": true, "merchant_blacklist": true, "new_account_information_available": true,
	"no_action_taken": false, "not_permitted": false, "offline_pin_required": true,
	"online_or_offline_pin_required": true, "pickup_card": true, "pin_try_exceeded": true,
	"processing_error": true, "reenter_transaction": false, "restricted_card": true,
	"revocation_of_all_authorizations": true, "revocation_of_authorization": true,
	"security_violation": true, "service_not_allowed": false, "stolen_card": true,
	"stop_payment_order": true, "testmode_decline": true, "transaction_not_allowed": true,
	"try_again_later": false, "withdrawal_count_limit_exceeded": true,
	// error codes
	"card_declined": true, "authentication_required": true, "approve_with_id_required": false,
	"payment_intent_authentication_failure": true, "setup_intent_authentication_failure": true,
	"card_decline_rate_limit_exceeded": true, "rate_limit": false, "api_key_expired": false,
	"balance_insufficient": false, "amount_too_small": false, "amount_too_large": false,
	"payment_method_unactivated": false, "idempotency_key_in_use": false, "lock_timeout": false,
	"resource_missing": false, "parameter_missing": false, "parameter_invalid_integer": false,
	"account_closed": false, "testmode_charges_only": false, "payment_intent_unexpected_state": false,
	"payment_method_provider_decline": true, "charge_already_refunded": false,
	"insufficient_funds_in_account": false,
}

var (
	reSnake      = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b`)
	reStripeWord *regexp.Regexp // spaced forms, built in init
	reNACHA      = regexp.MustCompile(`(?i)\bR-?(\d{1,2})\b`)
	reTwoDigit   = regexp.MustCompile(`\b\d{1,2}\b`)
	reFraudulent = regexp.MustCompile(`(?i)\bfraudulent\b`)
	reHTTP       = regexp.MustCompile(`\b([45]\d\d)(?:s)?\b`)
	// a short letter prefix and a zero-padded number: E0054, e-0054, E_0054
	rePrefixed = regexp.MustCompile(`(?i)\b([a-z]{1,3})[-_]?(0\d{2,5})\b`)
	reLong     = regexp.MustCompile(`\b[1-9]\d{3,4}\b`)
)

// Words shortly before a 4- or 5-digit number that say it is a gateway's
// numbered code (Braintree 2046, Checkout.com 20051, Adyen refusal codes).
var numberedBefore = map[string]bool{
	"braintree": true, "checkout": true, "checkoutcom": true, "cko": true, "adyen": true,
	"processor": true, "response": true, "code": true, "codes": true, "refusal": true, "decline": true,
	"declined": true, "error": true, "reason": true, "rc": true,
}

func init() {
	var alts []string
	for c, spaced := range stripeCodes {
		if spaced && strings.Contains(c, "_") {
			w := strings.Split(c, "_")
			for i := range w {
				if w[i] == "honor" {
					w[i] = "honou?r"
				}
			}
			alts = append(alts, strings.Join(w, `[\s_-]+`))
		}
	}
	// Longest first, so that "do not try again" wins over shorter codes.
	sort.Slice(alts, func(i, j int) bool {
		if len(alts[i]) != len(alts[j]) {
			return len(alts[i]) > len(alts[j])
		}
		return alts[i] < alts[j]
	})
	reStripeWord = regexp.MustCompile(`(?i)\b(?:` + strings.Join(alts, "|") + `)\b`)
}

// Words that, shortly before a one- or two-digit number, say it is an ISO
// 8583 response code (field 39).
var isoKeywords = map[string]bool{
	"response": true, "resp": true, "code": true, "codes": true, "rc": true, "de39": true,
	"iso": true, "iso8583": true, "issuer": true, "declined": true, "decline": true,
	"declines": true, "reason": true, "error": true, "result": true, "field39": true,
	"f39": true, "action": true, "respcode": true, "responsecode": true,
}

// Words right after a number that say it is not a code.
var notCodeAfter = map[string]bool{
	"%": true, "percent": true, "pct": true, "min": true, "mins": true, "minute": true,
	"minutes": true, "h": true, "hr": true, "hrs": true, "hour": true, "hours": true,
	"s": true, "sec": true, "secs": true, "second": true, "seconds": true, "ms": true,
	"times": true, "x": true, "transactions": true, "transaction": true, "payments": true,
	"payment": true, "orders": true, "order": true, "customers": true, "users": true,
	"people": true, "merchants": true, "cards": true, "charges": true, "am": true, "pm": true,
	"days": true, "day": true, "of": true, "out": true, "in": true, "requests": true,
	"k": true, "usd": true, "eur": true, "gbp": true, "dollars": true, "euros": true,
	"attempts": true, "retries": true, "ago": true, "per": true,
}

// Words around a 4xx/5xx number that say it is an HTTP status.
var httpBefore = map[string]bool{
	"http": true, "https": true, "status": true, "returned": true, "returns": true,
	"returning": true, "return": true, "error": true, "errors": true, "got": true, "getting": true,
	"response": true, "responded": true, "responds": true, "code": true, "statuscode": true,
	"with": true, "throws": true, "threw": true, "throwing": true, "receive": true,
	"received": true, "receiving": true, "see": true, "seeing": true, "api": true,
}

var httpAfter = map[string]bool{
	"error": true, "errors": true, "bad": true, "gateway": true, "internal": true,
	"service": true, "unavailable": true, "timeout": true, "too": true, "unauthorized": true,
	"forbidden": true, "not": true, "conflict": true, "unprocessable": true, "status": true,
	"response": true, "responses": true, "from": true, "http": true, "request": true,
}

type foundCode struct {
	pos  int
	code Code
}

// ExtractCodes finds payment codes in free text, in the order they appear,
// without duplicates:
//
//   - ISO 8583 response codes ("05"), when a word such as response, code,
//     RC, DE39, ISO, issuer or declined comes shortly before the number;
//   - Stripe decline and card error codes ("do_not_honor", also written
//     "do not honor");
//   - NACHA return codes R01–R85 ("R01", also "r1" and "R-01");
//   - HTTP statuses 400–599, when near http, status, returned, error…;
//   - gateway error names in UPPER_SNAKE ("INSTRUMENT_DECLINED").
//
// A number with no such context is not a code.
func ExtractCodes(text string) []Code {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, " ")
	}
	var found []foundCode
	var claimed [][2]int
	claim := func(a, b int) { claimed = append(claimed, [2]int{a, b}) }
	isClaimed := func(a, b int) bool {
		for _, c := range claimed {
			if a < c[1] && b > c[0] {
				return true
			}
		}
		return false
	}

	for _, m := range reSnake.FindAllStringIndex(text, -1) {
		tok := text[m[0]:m[1]]
		claim(m[0], m[1])
		if tok == strings.ToUpper(tok) {
			if isGatewayName(tok) {
				found = append(found, foundCode{m[0], Code{CodeGateway, tok}})
			}
			continue
		}
		if _, ok := stripeCodes[strings.ToLower(tok)]; ok {
			found = append(found, foundCode{m[0], Code{CodeStripe, strings.ToLower(tok)}})
		}
	}
	for _, m := range reStripeWord.FindAllStringIndex(text, -1) {
		if isClaimed(m[0], m[1]) {
			continue
		}
		claim(m[0], m[1])
		words := strings.FieldsFunc(strings.ToLower(text[m[0]:m[1]]), func(r rune) bool {
			return r == '_' || r == '-' || unicode.IsSpace(r)
		})
		c := paycode.Display(paycode.Stripe, strings.Join(words, "_"))
		found = append(found, foundCode{m[0], Code{CodeStripe, c}})
	}
	// "fraudulent" alone is a decline code only next to a word saying so.
	for _, m := range reFraudulent.FindAllStringIndex(text, -1) {
		if isClaimed(m[0], m[1]) {
			continue
		}
		if hasKeyword(prevWords(text, m[0], 3), map[string]bool{"code": true, "declinecode": true, "reason": true, "decline": true, "declined": true, "as": true}) {
			claim(m[0], m[1])
			found = append(found, foundCode{m[0], Code{CodeStripe, "fraudulent"}})
		}
	}
	for _, m := range reNACHA.FindAllStringSubmatchIndex(text, -1) {
		if isClaimed(m[0], m[1]) {
			continue
		}
		n, _ := strconv.Atoi(text[m[2]:m[3]])
		if n < 1 || n > 85 || followedByNumber(text, m[1]) {
			continue
		}
		claim(m[0], m[1])
		found = append(found, foundCode{m[0], Code{CodeNACHA, paycode.Display(paycode.NACHA, fmt.Sprintf("R%02d", n))}})
	}
	for _, m := range rePrefixed.FindAllStringIndex(text, -1) {
		if isClaimed(m[0], m[1]) || followedByNumber(text, m[1]) {
			continue
		}
		if v := paycode.Display(paycode.Gateway, text[m[0]:m[1]]); v != "" {
			claim(m[0], m[1])
			found = append(found, foundCode{m[0], Code{CodeGateway, v}})
		}
	}
	for _, m := range reHTTP.FindAllStringSubmatchIndex(text, -1) {
		if isClaimed(m[0], m[1]) || !standalone(text, m[2], m[3]) {
			continue
		}
		n, _ := strconv.Atoi(text[m[2]:m[3]])
		if n < 400 || n > 599 {
			continue
		}
		next := nextWords(text, m[1], 2)
		if len(next) > 0 && notCodeAfter[next[0]] {
			continue
		}
		if hasKeyword(prevWords(text, m[0], 3), httpBefore) || (len(next) > 0 && httpAfter[next[0]]) {
			claim(m[0], m[1])
			found = append(found, foundCode{m[0], Code{CodeHTTP, text[m[2]:m[3]]}})
		}
	}
	for _, m := range reLong.FindAllStringIndex(text, -1) {
		if isClaimed(m[0], m[1]) || !standalone(text, m[0], m[1]) {
			continue
		}
		next := nextWords(text, m[1], 2)
		if len(next) > 0 && notCodeAfter[next[0]] {
			continue
		}
		if hasKeyword(prevWords(text, m[0], 3), numberedBefore) {
			claim(m[0], m[1])
			found = append(found, foundCode{m[0], Code{CodeNumbered, paycode.Display(paycode.Numbered, text[m[0]:m[1]])}})
		}
	}
	for _, m := range reTwoDigit.FindAllStringIndex(text, -1) {
		if isClaimed(m[0], m[1]) || !standalone(text, m[0], m[1]) {
			continue
		}
		next := nextWords(text, m[1], 3)
		if len(next) > 0 && notCodeAfter[next[0]] {
			continue
		}
		if !isoContext(text, m[0], m[1]-m[0] == 1) && !isoMeaningAfter(next) {
			continue
		}
		n, _ := strconv.Atoi(text[m[0]:m[1]])
		claim(m[0], m[1])
		found = append(found, foundCode{m[0], Code{CodeISO8583, paycode.Display(paycode.ISO8583, strconv.Itoa(n))}})
	}

	sort.SliceStable(found, func(i, j int) bool { return found[i].pos < found[j].pos })
	var out []Code
	seen := map[Code]bool{}
	for _, f := range found {
		if !seen[f.code] {
			seen[f.code] = true
			out = append(out, f.code)
		}
	}
	return out
}

// isGatewayName accepts UPPER_SNAKE names that read like error names and
// refuses ones that read like configuration (STRIPE_SECRET_KEY).
func isGatewayName(tok string) bool {
	if len(tok) < 5 || len(tok) > 64 {
		return false
	}
	parts := strings.Split(tok, "_")
	for _, p := range parts {
		switch p {
		case "KEY", "SECRET", "TOKEN", "PASSWORD", "PASS", "URL", "ID", "REDACTED", "ENV", "HOST", "PORT", "PATH", "DSN":
			return false
		}
	}
	// The first part must be a word, not a number or a single letter.
	first := parts[0]
	if len(first) < 2 {
		return false
	}
	for _, r := range first {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// standalone reports whether the number text[a:b] stands alone: not part
// of a decimal, a time, a date, an amount, a range or a percentage.
func standalone(text string, a, b int) bool {
	if a > 0 {
		prev, _ := utf8.DecodeLastRuneInString(text[:a])
		switch prev {
		case '$', '€', '£', '¥', '.', '/', '+', '~', '≈', '<', '>':
			return false
		case ':', '-', ',', '–':
			before := text[:a-utf8.RuneLen(prev)]
			p2, _ := utf8.DecodeLastRuneInString(before)
			if unicode.IsDigit(p2) && !(prev == ':' && strings.HasSuffix(strings.ToLower(before), "de39")) {
				return false
			}
		}
	}
	if b < len(text) {
		next, size := utf8.DecodeRuneInString(text[b:])
		switch next {
		case '%', '$', '€', '£':
			return false
		case ':', '.', '/', '-', ',', '–':
			if followedByNumber(text, b+size) {
				return false
			}
		}
	}
	return true
}

func followedByNumber(text string, i int) bool {
	if i >= len(text) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsDigit(r)
}

// isoContext walks back over at most three words (and over other codes in
// a list such as "codes 05, 51 and 91") looking for an ISO keyword. A single
// digit counts only right after code, RC or DE39.
func isoContext(text string, a int, oneDigit bool) bool {
	words := prevWords(text, a, 8)
	if oneDigit {
		if len(words) == 0 {
			return false
		}
		w := words[len(words)-1]
		return w == "code" || w == "rc" || w == "de39"
	}
	budget := 3
	for i := len(words) - 1; i >= 0 && budget > 0; i-- {
		w := words[i]
		switch {
		case isoKeywords[w]:
			return true
		case isoFiller[w] || w == "":
			continue
		case len(w) <= 2 && isDigits(w):
			continue // another code in a list
		case isoStop[w] || strings.ContainsAny(w, "0123456789"):
			return false
		}
		budget--
	}
	return false
}

var isoFiller = map[string]bool{"and": true, "or": true, "8583": true, "is": true, "was": true, "with": true, "of": true, "a": true, "the": true}

var isoStop = map[string]bool{"rate": true, "about": true, "around": true, "last": true, "first": true, "past": true,
	"over": true, "under": true, "than": true, "top": true, "every": true, "after": true, "for": true, "within": true}

// isoMeaningAfter accepts "05 do not honor", "51 insufficient funds",
// "05 declined".
func isoMeaningAfter(next []string) bool {
	if len(next) == 0 {
		return false
	}
	switch next[0] {
	case "declined", "decline", "insufficient", "response", "rc":
		return true
	case "do":
		return len(next) >= 3 && next[1] == "not" && (next[2] == "honor" || next[2] == "honour")
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// prevWords returns up to n words before index a, lower-cased, with
// punctuation removed, oldest first.
func prevWords(text string, a, n int) []string {
	start := a - 120
	if start < 0 {
		start = 0
	}
	for start > 0 && !utf8.RuneStart(text[start]) {
		start++
	}
	f := strings.Fields(text[start:a])
	if start > 0 && len(f) > 0 {
		f = f[1:] // the first may be cut
	}
	if len(f) > n {
		f = f[len(f)-n:]
	}
	for i := range f {
		f[i] = cleanWord(f[i])
	}
	return f
}

// nextWords returns up to n words after index b, cleaned as prevWords. A
// '%' directly after the number counts as a word.
func nextWords(text string, b, n int) []string {
	end := b + 120
	if end > len(text) {
		end = len(text)
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end--
	}
	rest := text[b:end]
	var out []string
	if strings.HasPrefix(strings.TrimLeft(rest, " "), "%") {
		out = append(out, "%")
	}
	for _, w := range strings.Fields(rest) {
		if len(out) >= n {
			break
		}
		if c := cleanWord(w); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func cleanWord(w string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(w) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '%' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hasKeyword(words []string, kw map[string]bool) bool {
	for _, w := range words {
		if kw[w] {
			return true
		}
		if strings.HasPrefix(w, "http") && kw["http"] {
			return true
		}
	}
	return false
}
