package redact

import "strings"

// Finding is one masked secret.
type Finding struct {
	Kind  string // "card", "cvv", "secret"
	Label string // e.g. "Visa card ending 4242", "Stripe live secret key", "CVV"
}

// Finding kinds.
const (
	KindCard   = "card"
	KindCVV    = "cvv"
	KindSecret = "secret"
)

const (
	cardMaskPrefix = "•••• •••• •••• " // followed by the last four digits
	cvvMask        = "•••"
)

// Redact masks card numbers, CVV/CVC values and API secrets in s. It returns
// s unchanged (same string, no allocation) when nothing is found.
//
// It scans a normalised view of s (Unicode digits, zero-width characters,
// URL escapes; see normalize.go) and masks the original spans, so a card
// written in fullwidth digits or with zero-width spaces comes out masked
// with its last four in ASCII digits.
func Redact(s string) (string, []Finding) {
	out, findings := redactOnce(s)
	// Masking one thing can reveal another (a card beside a secret reads
	// differently once the secret is a placeholder): scan what was masked
	// again until nothing new turns up, so Redact is idempotent by
	// construction. Clean text costs one pass; a third is rare.
	for pass := 0; findings != nil && pass < 3; pass++ {
		again, more := redactOnce(out)
		if more == nil {
			break
		}
		out, findings = again, append(findings, more...)
	}
	return out, findings
}

// redactOnce is one scan of s.
func redactOnce(s string) (string, []Finding) {
	r := redactor{s: s}
	var offs []int
	if needsView(s) {
		r.s, offs = view(s)
	}
	r.scan()
	if r.findings == nil {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s) + 32*len(r.edits))
	last := 0
	for _, e := range r.edits {
		a, z := e.a, e.b
		if offs != nil {
			a, z = offs[a], offs[z]
		}
		b.WriteString(s[last:a])
		b.WriteString(e.repl)
		b.WriteString(e.tail)
		last = z
	}
	b.WriteString(s[last:])
	return b.String(), r.findings
}

// String is Redact without the findings.
func String(s string) string {
	out, _ := Redact(s)
	return out
}

// redactor is the state of one scan over s (the normalised view). Nothing
// before last is scanned again.
type redactor struct {
	s        string
	last     int
	valueEnd int // end of the last secret value rejected by keywordSecret
	ibanEnd  int // end of the last IBAN skipped
	edits    []edit
	findings []Finding
}

// edit replaces s[a:b] (view offsets) with repl+tail.
type edit struct {
	a, b       int
	repl, tail string
}

// emit replaces s[start:end] with repl+tail and records a finding.
func (r *redactor) emit(start, end int, kind, label, repl string, tail []byte) {
	r.edits = append(r.edits, edit{start, end, repl, string(tail)})
	r.last = end
	r.findings = append(r.findings, Finding{Kind: kind, Label: label})
}

// character classes
const (
	cOther = iota
	cDigit
	cLetter
)

var class = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = cDigit
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = cLetter
		t[c-'a'+'A'] = cLetter
	}
	return t
}()

func isDigit(c byte) bool  { return class[c] == cDigit }
func isLetter(c byte) bool { return class[c] == cLetter }
func isAlnum(c byte) bool  { return class[c] != cOther }

func (r *redactor) scan() {
	s := r.s
	for i := 0; i < len(s); {
		if i < r.last {
			i = r.last // never inside what is masked (a card's expiry and CVC after it)
			continue
		}
		switch class[s[i]] {
		case cDigit:
			i = r.digits(i)
		case cLetter:
			if i > r.last && isAlnum(s[i-1]) && !afterMaskTail(s, i) {
				i++
				continue
			}
			i = r.word(i)
		default:
			switch s[i] {
			case '?', '&', ';', ':', '-':
				if e := r.punct(i); e > i {
					i = e
					continue
				}
			}
			i++
		}
	}
}

// word handles a word starting at i (s[i] is a letter, s[i-1] is not alnum)
// and returns where scanning resumes.
func (r *redactor) word(i int) int {
	s := r.s
	if i+3 < len(s) && isLetter(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
		if e := ibanEnd(s, i); e > 0 {
			r.ibanEnd = e
			return e // an IBAN is not a card; skip it whole
		}
	}
	var bits uint8
	if i+1 < len(s) && s[i+1] < 0x80 {
		bits = firstTwo[int(s[i]&0x7f)<<7|int(s[i+1])]
	}
	if bits&ruleToken != 0 {
		if e, k := matchToken(s, i); e > 0 {
			t := &tokenRules[k]
			r.emit(i, e, KindSecret, t.label, t.mask, nil)
			return e
		}
	}
	if bits&ruleCVV != 0 {
		if e := r.cvv(i); e > 0 {
			return e
		}
	}
	if bits&ruleKeyword != 0 {
		if e := r.keywordSecret(i); e > 0 {
			return e
		}
	}
	j := i + 1
	for j < len(s) && isLetter(s[j]) {
		j++
	}
	return j
}

// Rule families, as bits of firstTwo.
const (
	ruleToken   = 1 << iota // case-sensitive token prefixes
	ruleCVV                 // CVV words, any case
	ruleKeyword             // secret keywords, any case
)

// firstTwo maps the first two bytes of a word to the rule families that can
// start with them, so most words cost one table look-up.
var firstTwo = func() (t [128 * 128]uint8) {
	for _, r := range tokenRules {
		t[int(r.prefix[0])<<7|int(r.prefix[1])] |= ruleToken
	}
	fold := func(w string, bit uint8) {
		for _, a := range []byte{w[0], w[0] - 'a' + 'A'} {
			for _, b := range []byte{w[1], w[1] - 'a' + 'A'} {
				t[int(a)<<7|int(b)] |= bit
			}
		}
	}
	for _, w := range cvvWords {
		fold(w, ruleCVV)
	}
	for _, r := range keywordRules {
		fold(r.kw, ruleKeyword)
	}
	return t
}()

// hasPrefixFold reports whether s starts with prefix, ASCII case-insensitively.
// prefix must be lower case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// afterMaskTail reports whether s[i] follows a card mask and its last four
// ("•••• •••• •••• 4242|"): a word starts there in a second pass exactly as
// it did after the finding in the first (Redact is idempotent).
func afterMaskTail(s string, i int) bool {
	const n = len(cardMaskPrefix) + 4
	return i >= n && s[i-n:i-4] == cardMaskPrefix &&
		isDigit(s[i-4]) && isDigit(s[i-3]) && isDigit(s[i-2]) && isDigit(s[i-1])
}
