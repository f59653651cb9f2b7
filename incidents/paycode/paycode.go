package paycode

import "strings"

// MaxDigits is the longest number that is still a code (Checkout.com's
// 5-digit codes, Adyen's and Braintree's 4-digit ones). Longer numbers are
// ids, amounts or card numbers.
const MaxDigits = 6

// maxPrefix is the longest letter prefix of a letters+number code (R01,
// E0054, AUTH_0012): longer words before a number are words, not prefixes.
const maxPrefix = 5

// Canonical returns the key of one code written in any spelling, or "" when
// s cannot be a code (empty, too long, punctuation inside, no letter and no
// digit, a number longer than MaxDigits).
//
// Surrounding quotes, brackets and sentence punctuation are ignored.
// Separators '-', '_', '.', ' ' between parts become '_', except between a
// short letter prefix and its number, which are joined (R-01 -> r01).
func Canonical(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.Trim(s, "`'\"()[]{}.,;:!?")
	if s == "" || len(s) > 80 {
		return ""
	}
	if isDigits(s) {
		return number(s)
	}
	if p, n, ok := splitPrefixed(s); ok {
		return prefixed(p, n)
	}
	var b strings.Builder
	b.Grow(len(s))
	lastSep := true
	letters := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			letters++
			b.WriteByte(c)
			lastSep = false
		case c >= '0' && c <= '9':
			b.WriteByte(c)
			lastSep = false
		case c == '_' || c == '-' || c == ' ' || c == '.' || c == '\t':
			if !lastSep {
				b.WriteByte('_')
			}
			lastSep = true
		default:
			return ""
		}
	}
	if letters == 0 {
		return ""
	}
	out := strings.TrimSuffix(b.String(), "_")
	// British spelling of Stripe's do_not_honor.
	if strings.Contains(out, "honour") {
		out = strings.ReplaceAll(out, "honour", "honor")
	}
	// "r  01" collapses to "r_01": still a prefixed code.
	if p, n, ok := splitPrefixed(out); ok {
		return prefixed(p, n)
	}
	return out
}

func prefixed(p, n string) string {
	if m := number(n); m != "" {
		return p + m
	}
	return ""
}

// number drops leading zeros and pads to two digits ("5", "005" -> "05";
// "051" -> "51"); "" when the number is too long to be a code.
func number(s string) string {
	t := strings.TrimLeft(s, "0")
	if len(t) > MaxDigits {
		return ""
	}
	for len(t) < 2 {
		t = "0" + t
	}
	return t
}

// splitPrefixed splits a lower-case "letters[sep]digits" code (r01, r-1,
// e_0054, e 0054, ab12) into its prefix and number.
func splitPrefixed(s string) (prefix, num string, ok bool) {
	i := 0
	for i < len(s) && s[i] >= 'a' && s[i] <= 'z' {
		i++
	}
	if i == 0 || i > maxPrefix || i == len(s) {
		return "", "", false
	}
	j := i
	if s[j] == '-' || s[j] == '_' || s[j] == ' ' || s[j] == '.' {
		j++
	}
	if j == len(s) || !isDigits(s[j:]) || len(s)-j > MaxDigits+2 {
		return "", "", false
	}
	return s[:i], s[j:], true
}

// IsPrefixed reports whether s is a letters+number code such as R01, R-1,
// E0054 or e_0054 (a letter prefix of at most five letters).
func IsPrefixed(s string) bool {
	_, _, ok := splitPrefixed(strings.ToLower(s))
	return ok
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Equal reports whether a and b are spellings of one code.
func Equal(a, b string) bool {
	ca := Canonical(a)
	return ca != "" && ca == Canonical(b)
}

// Systems of codes. Display and the intake use them; the key does not
// depend on the system.
const (
	ISO8583  = "iso8583"
	Stripe   = "stripe"
	NACHA    = "nacha"
	HTTP     = "http"
	Gateway  = "gateway" // UPPER_SNAKE names: PayPal, Square, Adyen
	Numbered = "numbered"
)

// Display returns the conventional way to show a code of a system: ISO
// 8583 codes with two digits ("05"), NACHA codes upper case ("R01"),
// gateway names in UPPER_SNAKE ("INSTRUMENT_DECLINED"), Stripe codes in
// snake case, numbers as they are. It returns "" when raw is not a code.
func Display(system, raw string) string {
	k := Canonical(raw)
	if k == "" {
		return ""
	}
	// Letters + number keep the zero padding they were written with, at
	// least two digits: r1 -> R01, e-0054 -> E0054.
	if p, n, ok := splitPrefixed(strings.ToLower(strings.Trim(strings.TrimSpace(raw), "`'\"()[]{}.,;:!?"))); ok && prefixed(p, n) == k {
		for len(n) < 2 {
			n = "0" + n
		}
		if system == Stripe {
			return p + n
		}
		return strings.ToUpper(p) + n
	}
	switch system {
	case NACHA, Gateway:
		return strings.ToUpper(k)
	case HTTP:
		return strings.TrimLeft(k, "0")
	}
	return k
}
