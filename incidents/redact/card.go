package redact

import "strings"

// Luhn reports whether the digit string passes the Luhn check. It is false
// for an empty string or one with anything but ASCII digits.
func Luhn(digits string) bool {
	if digits == "" {
		return false
	}
	sum, dbl := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		v := int(c - '0')
		if dbl {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		dbl = !dbl
	}
	return sum%10 == 0
}

// luhn is Luhn for a slice known to hold only digits.
func luhn(d []byte) bool {
	sum, dbl := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if dbl {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		dbl = !dbl
	}
	return sum%10 == 0
}

// IsCardNumber reports whether s (digits, optionally with spaces or dashes) is
// a Luhn-valid number in a card brand's range and length. Used by the intake
// to refuse a card number typed as a transaction id.
func IsCardNumber(s string) bool {
	var buf [19]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			if n == len(buf) {
				return false
			}
			buf[n] = c
			n++
		case c == ' ' || c == '-' || c == '\t':
		default:
			return false
		}
	}
	if n < 13 {
		return false
	}
	d := buf[:n]
	return luhn(d) && brand(d) != ""
}

// brand names the card brand whose IIN range and lengths contain the 13–19
// digit number d, or returns "".
//
//	Visa 4 (13, 16, 19); Mastercard 51–55, 2221–2720 (16); Mir 2200–2204
//	(16–19); American Express 34, 37 (15); JCB 3528–3589 (16–19); Diners Club
//	300–305, 3095, 36, 38, 39 (14, 16–19); Discover 6011, 644–649, 65,
//	622126–622925 (16–19); UnionPay 62 (16–19); Maestro 50, 56–58 and the
//	rest of 6 (16–19).
//
// Maestro's 12–15 digit lengths are left out on purpose: they are all but
// extinct and 13-digit ids starting 5 or 6 are common. A context word still
// catches them.
func brand(d []byte) string {
	n := len(d)
	if n < 13 || n > 19 {
		return ""
	}
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p3 := p2*10 + int(d[2]-'0')
	p4 := p3*10 + int(d[3]-'0')
	p6 := p4*100 + int(d[4]-'0')*10 + int(d[5]-'0')
	switch d[0] {
	case '4':
		if n == 13 || n == 16 || n == 19 {
			return "Visa"
		}
	case '5':
		switch {
		case p2 >= 51 && p2 <= 55:
			if n == 16 {
				return "Mastercard"
			}
		case p2 == 50 || (p2 >= 56 && p2 <= 58):
			if n >= 16 {
				return "Maestro"
			}
		}
	case '2':
		switch {
		case p4 >= 2221 && p4 <= 2720:
			if n == 16 {
				return "Mastercard"
			}
		case p4 >= 2200 && p4 <= 2204:
			if n >= 16 {
				return "Mir"
			}
		}
	case '3':
		switch {
		case p2 == 34 || p2 == 37:
			if n == 15 {
				return "American Express"
			}
		case p4 >= 3528 && p4 <= 3589:
			if n >= 16 {
				return "JCB"
			}
		case (p3 >= 300 && p3 <= 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39:
			if n == 14 || n >= 16 {
				return "Diners Club"
			}
		}
	case '6':
		if n < 16 {
			return ""
		}
		switch {
		case p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925):
			return "Discover"
		case p2 == 62:
			return "UnionPay"
		default:
			return "Maestro"
		}
	}
	return ""
}

// sepAt returns the kind and byte length of a card group separator at s[k]:
// a space, a dash or a no-break space (U+00A0). Length 0 means none.
func sepAt(s string, k int) (kind byte, n int) {
	if k >= len(s) {
		return 0, 0
	}
	switch s[k] {
	case ' ', '-':
		return s[k], 1
	case 0xC2:
		if k+1 < len(s) && s[k+1] == 0xA0 {
			return 0xA0, 2
		}
	}
	return 0, 0
}

// digits handles the maximal digit run starting at i and returns where
// scanning resumes.
func (r *redactor) digits(i int) int {
	s := r.s
	j := i + 1
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	switch n := j - i; {
	case n >= 13 && n <= 19:
		r.plainCard(i, j)
	case n == 4:
		if e := r.groupedCard(i, j); e > 0 {
			return e
		}
	}
	return j
}

// plainCard checks the unbroken 13–19 digit run s[i:j].
func (r *redactor) plainCard(i, j int) {
	s := r.s
	var buf [19]byte
	d := buf[:copy(buf[:], s[i:j])]
	if !luhn(d) {
		return
	}
	name := brand(d)
	// A '+'-prefixed run of up to 15 digits is an E.164 phone number; a run
	// after "<digit>." is a decimal fraction (unless that digit was masked).
	exempt := i > 0 && ((s[i-1] == '+' && j-i <= 15) ||
		(s[i-1] == '.' && i-2 >= r.last && isDigit(s[i-2])))
	if name == "" || exempt {
		if !r.hasContext(i) {
			return
		}
	}
	r.emitCard(i, j, name, d)
}

func (r *redactor) emitCard(i, j int, name string, d []byte) {
	last4 := d[len(d)-4:]
	label := "Card ending " + string(last4)
	if name != "" {
		label = name + " card ending " + string(last4)
	}
	r.emit(i, j, KindCard, label, cardMaskPrefix, last4)
}

type span struct{ a, b int }

// groupedCard looks for a card written in groups (first group of four, then
// groups of 4–6 and a last group of 1–7 digits, one kind of separator) that
// starts with the four digits s[i:j]. It returns the end of what it consumed,
// or 0 when scanning should simply go on after s[i:j].
func (r *redactor) groupedCard(i, j int) int {
	s := r.s
	// The last four of a mask we wrote never start a new card, or a second
	// pass could join them with the digits after (Redact is idempotent).
	if i >= len(cardMaskPrefix) && s[i-len(cardMaskPrefix):i] == cardMaskPrefix {
		return 0
	}
	sep, _ := sepAt(s, j)
	if sep == 0 || i > 0 && isLetter(s[i-1]) {
		return 0 // grouped cards are written with clean edges (not "d32b3892-7008-…")
	}
	// A card starts a chain of groups or follows a short one ("#2 4242 …",
	// "2024-05-12 4242 …"); the tail of a longer grouped number is not one.
	if p := prevGroupLen(s, i, sep, r.last); p >= 4 && p <= 6 {
		return 0
	}
	var groups [6]span
	groups[0] = span{i, j}
	ng := 1
	k := j
	for ng < len(groups) {
		kind, l := sepAt(s, k)
		if kind != sep || k+l >= len(s) || !isDigit(s[k+l]) {
			break
		}
		a := k + l
		b := a + 1
		for b < len(s) && isDigit(s[b]) {
			b++
		}
		groups[ng] = span{a, b}
		ng++
		k = b
	}
	if ng < 3 {
		return 0
	}
	// Five or more groups of four make a 20+ digit number, not a card: skip
	// its groups of four, unless a context word says it is a card. A group of
	// another length is scanned on its own.
	if ng >= 5 && groups[1].b-groups[1].a == 4 && groups[2].b-groups[2].a == 4 &&
		groups[3].b-groups[3].a == 4 && groups[4].b-groups[4].a == 4 && !r.hasContext(i) {
		k = groups[4].b
		for {
			kind, l := sepAt(s, k)
			if kind != sep || k+l+4 > len(s) || !isDigit(s[k+l]) {
				return k
			}
			e := k + l
			for e < len(s) && isDigit(s[e]) {
				e++
			}
			if e-k-l != 4 {
				return k
			}
			k = e
		}
	}
	ctx := -1 // unknown
	for e := ng - 1; e >= 2; e-- {
		total := 4
		ok := true
		for g := 1; g <= e; g++ {
			l := groups[g].b - groups[g].a
			if g < e && (l < 4 || l > 6) || g == e && l > 7 {
				ok = false
				break
			}
			total += l
		}
		if !ok || total < 13 || total > 19 || groups[e].b < len(s) && isLetter(s[groups[e].b]) {
			continue
		}
		var buf [19]byte
		n := 0
		for g := 0; g <= e; g++ {
			n += copy(buf[n:], s[groups[g].a:groups[g].b])
		}
		d := buf[:n]
		if !luhn(d) {
			continue
		}
		name := brand(d)
		if name == "" {
			if ctx < 0 {
				ctx = 0
				if r.hasContext(i) {
					ctx = 1
				}
			}
			if ctx == 0 {
				continue
			}
		}
		r.emitCard(i, groups[e].b, name, d)
		return groups[e].b
	}
	return 0
}

// prevGroupLen returns the length of the digit run that ends one separator
// of kind sep before i, or 0. Digits inside an earlier finding (before last)
// do not count: a second pass sees a mask there.
func prevGroupLen(s string, i int, sep byte, last int) int {
	l := 1
	if sep == 0xA0 {
		l = 2
	}
	k := i - l
	if k < 1 {
		return 0
	}
	if kind, _ := sepAt(s, k); kind != sep {
		return 0
	}
	e := k
	for k > 0 && isDigit(s[k-1]) {
		k--
	}
	if k < last {
		return 0
	}
	return e - k
}

// hasContext reports whether a card context word ("card", "pan", "cc", a
// brand name, ...) appears in the 48 bytes before i. The look-back stops at
// the previous finding and at mask characters ('•', ']'), so that a second
// pass over the output sees the same context (idempotence).
func (r *redactor) hasContext(i int) bool {
	s := r.s
	lo := i - 48
	if lo < r.last {
		lo = r.last
	}
	if lo < 0 {
		lo = 0
	}
	found := false
	for p := lo; p < i; {
		c := s[p]
		switch {
		case c == ']' || (c == 0xE2 && strings.HasPrefix(s[p:], "•")):
			found = false
			p++
		case isLetter(c):
			q := p + 1
			for q < i && isLetter(s[q]) {
				q++
			}
			if (p == 0 || !isLetter(s[p-1])) && isContextWord(s[p:q]) {
				found = true
			}
			p = q
		default:
			p++
		}
	}
	return found
}

var contextWords = [...]string{
	"pan", "cc", "ccn", "ccnum", "credit", "debit", "visa", "mastercard", "amex",
	"maestro", "discover", "jcb", "unionpay", "diners", "mir", "rupay", "troy",
	"uatp", "humo", "uzcard",
}

func isContextWord(w string) bool {
	if hasPrefixFold(w, "card") {
		return true
	}
	for _, c := range contextWords {
		if len(w) == len(c) && hasPrefixFold(w, c) {
			return true
		}
	}
	return false
}
