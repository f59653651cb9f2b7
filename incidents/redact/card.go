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

// IsCardNumber reports whether s is one card number: Luhn-valid, in a card
// brand's range and length, written plain or in groups with any separators
// Redact knows (spaces, tabs, dashes, dots, slashes, underscores, '+', line
// breaks), in any script's digits. Used by the intake to refuse a card
// number typed as a transaction id.
func IsCardNumber(s string) bool {
	v := View(s)
	var buf [19]byte
	n := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case isDigit(c):
			if n == len(buf) {
				return false
			}
			buf[n] = c
			n++
		case isSep(c):
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
// extinct and 13-digit ids starting 5 or 6 are common.
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

// isSep reports whether c may separate the groups of a card number in the
// view: what people type between groups (space, tab, dash, dot, slash,
// underscore, comma, colon, '+' from a form-encoded URL, brackets and
// quotes: "(4111)(1111)(1111)(1111)", ["4111","1111",…]) and a line break.
func isSep(c byte) bool {
	switch c {
	case ' ', '\t', '-', '.', '/', '_', '+', ',', ':', '\n', '\r',
		'|', ';', '~', '*', '\'', '\\', '(', ')', '[', ']', '{', '}', '"':
		return true
	}
	return false
}

// maxSep is the longest separator run between two groups ("  ", " - ",
// "\r\n", " \n ").
const maxSep = 3

// sepAt returns the byte length of the separator run at s[k] (0 for none)
// and whether it holds a line break.
func sepAt(s string, k int) (n int, nl bool) {
	for n < maxSep && k+n < len(s) && isSep(s[k+n]) {
		if s[k+n] == '\n' || s[k+n] == '\r' {
			nl = true
		}
		n++
	}
	if k+n < len(s) && isSep(s[k+n]) {
		return 0, false // a longer run separates, it does not join
	}
	return n, nl
}

// digits handles the maximal digit run starting at i and returns where
// scanning resumes.
func (r *redactor) digits(i int) int {
	s := r.s
	j := i + 1
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	n := j - i
	if j == len(s) || (!isSep(s[j]) && n < 13) {
		// No separator after: only an unbroken run can be a card.
		if n >= 13 && n <= 19 {
			r.plainCard(i, j)
		}
		return j
	}
	if n < 19 {
		// A number cut by a line break first: its first line may happen
		// to be a valid card too, and masking that would leave the rest.
		if e := r.wrappedCard(i, j); e > 0 {
			return e
		}
	}
	if n >= 13 && n <= 19 && r.plainCard(i, j) {
		return j
	}
	if n == 4 {
		if e := r.groupedCard(i, j); e > 0 {
			return e
		}
	}
	if n < 13 {
		if e := r.chainCard(i, j); e > 0 {
			return e
		}
	}
	return j
}

// chainCard catches a card written in groups of any other shape (8-8,
// 12-4, 4-12, 8-4-4, 4-4-8, one digit at a time): a whole chain of digit
// runs that starts at s[i:j] and whose runs are joined by separator runs,
// 13–19 digits in all, Luhn-valid and in a brand's range and length. The
// chain must be whole: nothing digit-like joins it on either side, so the
// middle of a longer number is never taken for a card. It returns the end
// of the masked card, or 0.
func (r *redactor) chainCard(i, j int) int {
	s := r.s
	if r.afterMask(i) || i > r.last && isLetter(s[i-1]) {
		return 0
	}
	// A '+' starts an E.164 phone number.
	if i > 0 && s[i-1] == '+' {
		return 0
	}
	// A chain starts here only if no digit run ends just before it.
	k := i
	for n := 0; n < maxSep && k > 0 && isSep(s[k-1]); n++ {
		k--
	}
	if k > 0 && k > r.last && isDigit(s[k-1]) || r.afterMask(k) {
		return 0
	}
	var buf [19]byte
	n := copy(buf[:], s[i:j])
	end := j
	shape, groups := [3]int{j - i}, 1 // the first groups' digit counts, and how many
	for {
		l, _ := sepAt(s, end)
		if l == 0 || end+l >= len(s) || !isDigit(s[end+l]) {
			break
		}
		a := end + l
		b := a
		for b < len(s) && isDigit(s[b]) {
			b++
		}
		if n+(b-a) > len(buf) {
			return 0 // longer than any card: an id, not a card
		}
		n += copy(buf[n:], s[a:b])
		if groups < len(shape) {
			shape[groups] = b - a
		}
		groups++
		end = b
	}
	// Amazon's order numbers are grouped 3-7-7, which no card issuer
	// prints; a card typed in threes (411 111 111 111 1111) is still one.
	if groups == 3 && shape == [3]int{3, 7, 7} {
		return 0
	}
	if n < 13 || end == j || end < len(s) && isLetter(s[end]) {
		return 0
	}
	// A chain that runs on into a mask was longer before it was masked:
	// judging it again now would make a second pass differ from the first.
	if l, _ := sepAt(s, end); l > 0 && strings.HasPrefix(s[end+l:], "•") {
		return 0
	}
	d := buf[:n]
	if !luhn(d) {
		return 0
	}
	name := brand(d)
	if name == "" {
		return 0
	}
	r.emitCard(i, end, name, d)
	return end
}

// plainCard checks the unbroken 13–19 digit run s[i:j] and reports whether
// it masked it.
func (r *redactor) plainCard(i, j int) bool {
	s := r.s
	var buf [19]byte
	d := buf[:copy(buf[:], s[i:j])]
	if !luhn(d) {
		return false
	}
	name := brand(d)
	if name == "" {
		return false
	}
	// A '+'-prefixed run of up to 15 digits is an E.164 phone number; a run
	// after "<digit>." is a decimal fraction (unless that digit was masked).
	if i > 0 && ((s[i-1] == '+' && j-i <= 15) || (s[i-1] == '.' && i-2 >= r.last && isDigit(s[i-2]))) {
		return false
	}
	r.emitCard(i, j, name, d)
	return true
}

// wrappedCard catches a number cut in two by a line break ("4242424242\n
// 424242"): two runs joined by a separator with a line break, 13–19 digits
// in all, Luhn-valid and in a brand's range.
func (r *redactor) wrappedCard(i, j int) int {
	s := r.s
	l, nl := sepAt(s, j)
	if !nl || r.afterMask(i) || i > r.last && isLetter(s[i-1]) {
		return 0
	}
	a := j + l
	b := a
	for b < len(s) && isDigit(s[b]) {
		b++
	}
	if b == a || b-i-l < 13 || (j-i)+(b-a) > 19 || b < len(s) && isLetter(s[b]) {
		return 0
	}
	var buf [19]byte
	n := copy(buf[:], s[i:j])
	n += copy(buf[n:], s[a:b])
	d := buf[:n]
	if n < 13 || !luhn(d) {
		return 0
	}
	name := brand(d)
	if name == "" {
		return 0
	}
	r.emitCard(i, b, name, d)
	return b
}

// afterMask reports whether s[i] follows the mask prefix we write: the last
// four of a mask never start a new card, or a second pass could join them
// with the digits after (Redact is idempotent).
func (r *redactor) afterMask(i int) bool {
	return i >= len(cardMaskPrefix) && r.s[i-len(cardMaskPrefix):i] == cardMaskPrefix
}

func (r *redactor) emitCard(i, j int, name string, d []byte) {
	last4 := d[len(d)-4:]
	label := "Card ending " + string(last4)
	if name != "" {
		label = name + " card ending " + string(last4)
	}
	r.emit(i, j, KindCard, label, cardMaskPrefix, last4)
	r.cardTail(j)
}

// expiryMask replaces an expiry date typed after a card number.
const expiryMask = "••/••"

// cardTail masks what people type right after a card number without a
// label, or with a short one: its expiry date (MM/YY, MM/YYYY, MM-YY,
// MM YY, MMYY; after "exp", "expiry" or "expires" too) and then a three-
// or four-digit security code ("4111 1111 1111 1111 12/27 123",
// "…1111, 12/2027, 123", "…1111 1227 123"). A security code may never be
// stored (PCI DSS 4.0 req. 3.3.1), and an expiry beside the last four is
// card data too. A group that runs on into more digits ("… 1111 2222
// 3333") is a longer number, not a code, and is left.
func (r *redactor) cardTail(end int) {
	s := r.s
	k := end
	// skip separators and one label word
	skip := func(k int) int {
		for n := 0; n < 3 && k < len(s) && (isSep(s[k]) && s[k] != '\n' && s[k] != '\r'); n++ {
			k++
		}
		return k
	}
	run := func(k int) int { // end of the digit run at k
		e := k
		for e < len(s) && isDigit(s[e]) {
			e++
		}
		return e
	}
	month := func(a string) bool { return len(a) == 2 && (a[0] == '0' && a[1] >= '1' || a[0] == '1' && a[1] <= '2') }
	// clean: the run a..e is a field of its own: nothing word-like after
	// it, no further group on its line, and no card starting at it ("1234"
	// before "\n5678…" may be the first group of the next card, which must
	// stay whole to be found)
	clean := func(a, e int) bool {
		if e < len(s) && isAlnum(s[e]) || r.cardAt(a) {
			return false
		}
		n := skip(e)
		return n == e || n >= len(s) || !isDigit(s[n])
	}
	// cvcAfter: a three- or four-digit code that ends the number at k
	cvcAfter := func(k int) bool {
		if k >= len(s) || !isDigit(s[k]) {
			return false
		}
		e := run(k)
		return (e-k == 3 || e-k == 4) && clean(k, e)
	}
	a := skip(k)
	if a == k && a < len(s) && s[a] != ' ' {
		return // glued to what follows: not a separate field
	}
	for _, w := range []string{"exp.", "exp:", "exp", "expiry", "expires", "expiration"} {
		if len(s)-a > len(w) && strings.EqualFold(s[a:a+len(w)], w) && !isLetter(s[a+len(w)]) {
			a = skip(a + len(w))
			break
		}
	}
	if a >= len(s) || !isDigit(s[a]) {
		return
	}
	b := run(a)
	expEnd := -1
	switch {
	case b-a == 2 && month(s[a:b]):
		if m := skip(b); m > b && m-b == 1 && m < len(s) && isDigit(s[m]) {
			if e := run(m); (e-m == 2 || e-m == 4) && (clean(a, e) || cvcAfter(skip(e))) {
				expEnd = e
			}
		}
	case b-a == 4 && month(s[a:a+2]) && (clean(a, b) || cvcAfter(skip(b))):
		expEnd = b
	}
	if expEnd > 0 {
		r.emit(a, expEnd, KindCard, "Expiry date", expiryMask, nil)
		a = skip(expEnd)
		if a == expEnd || a >= len(s) || !isDigit(s[a]) {
			return
		}
		b = run(a)
	}
	if (b-a == 3 || b-a == 4) && clean(a, b) {
		r.emit(a, b, KindCVV, "CVV", cvvMask, nil)
	}
}

type span struct{ a, b int }

// groupedCard looks for a card written in groups that starts with the four
// digits s[i:j]: a first group of four, then groups of 4–6 and a last group
// of 1–9 digits (4-4-4-4, 4-6-5, 4-6-9, 4-4-4-4-3, …), each pair joined by a
// run of up to three separators of any kind, mixed. It returns the end of
// what it consumed, or 0 when scanning should simply go on after s[i:j].
func (r *redactor) groupedCard(i, j int) int {
	s := r.s
	if j-i != 4 || r.afterMask(i) {
		return 0
	}
	if l, _ := sepAt(s, j); l == 0 || i > r.last && isLetter(s[i-1]) {
		return 0 // grouped cards are written with clean edges (not "d32b3892-7008-…")
	}
	// The tail of a longer grouped number ("ref 7860 4148 2254 09179") is
	// not a card: a group that follows a clean group of four is not a
	// start, unless a card starts there ("3445 3528-2873 4813 5179": a
	// stray group, or the last line of another number, before a card).
	if r.prevGroupOfFour(i) && !r.cardAt(i) {
		return 0
	}
	var groups [6]span
	groups[0] = span{i, j}
	ng := 1
	k := j
	for ng < len(groups) {
		l, _ := sepAt(s, k)
		if l == 0 || k+l >= len(s) || !isDigit(s[k+l]) {
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
	if ng < 2 {
		return 0
	}
	// Five or more groups of four joined by one and the same separator are
	// a run longer than any card: a reference number, or cards and other
	// four-digit groups written one after another ("4111 1111 1111 1111
	// 4242 4242 4242 4242", a card then "0129 7373" for expiry and CVC,
	// "since 2024 4111 1111 1111 1111"). Every four consecutive groups that
	// make a card (Luhn, a brand's range) are masked, left to right, so no
	// card survives whatever stands beside it, with or without a context
	// word. The rest of the run stays as it is.
	if ng >= 5 && r.sameSepFours(groups[:5]) {
		sep := s[groups[0].b:groups[1].a]
		fours := append([]span(nil), groups[:5]...)
		k = groups[4].b
		for {
			l := len(sep)
			if k+l+4 > len(s) || s[k:k+l] != sep || !isDigit(s[k+l]) {
				break
			}
			e := k + l
			for e < len(s) && isDigit(s[e]) {
				e++
			}
			if e-k-l != 4 {
				break
			}
			fours = append(fours, span{k + l, e})
			k = e
		}
		glued := k < len(s) && isLetter(s[k])
		masked := 0 // end of the last card masked, or 0
		for w := 0; w+4 <= len(fours); {
			// the run's last group glued to letters ("…1111abc") is no
			// clean end for a card
			if glued && w+4 == len(fours) {
				break
			}
			if e := r.cardOfGroups(fours[w : w+4]); e > 0 {
				masked = e
				w += 4
				continue
			}
			if w > 0 && r.cardAt(fours[w].a) {
				// a card of another shape starts here (4-4-4-4-3 after a
				// stray group): scan on from its first group
				return fours[w].a
			}
			w++
		}
		if masked == k {
			return k
		}
		// Scanning resumes at the last group: it may be the first line of
		// a number cut by a line break.
		last := fours[len(fours)-1].a
		if masked > last {
			return masked
		}
		return last
	}
	// The groups may make a card at more than one length: take the longest
	// (a 19-digit card is not a 16-digit one and its last three), unless a
	// shorter one leaves the next groups starting a card of their own (a
	// 14-digit card followed by a 16-digit one: the first group of the
	// second must not be swallowed into a longer first card).
	var valid []int
	for e := ng - 1; e >= 1; e-- {
		if r.groupsCard(groups[:e+1]) != "" {
			valid = append(valid, e)
		}
	}
	if len(valid) == 0 {
		return 0
	}
	e := valid[0]
	for _, short := range valid[1:] {
		if r.cardAt(groups[short+1].a) {
			e = short
			break
		}
	}
	var buf [19]byte
	n := 0
	for g := 0; g <= e; g++ {
		n += copy(buf[n:], s[groups[g].a:groups[g].b])
	}
	r.emitCard(i, groups[e].b, brand(buf[:n]), buf[:n])
	return groups[e].b
}

// groupsCard returns the brand when the groups g (a first group of four,
// then groups of 4–6 and a last group of 1–9) make a card, else "".
func (r *redactor) groupsCard(g []span) string {
	s := r.s
	total := 0
	for k, sp := range g {
		l := sp.b - sp.a
		if k > 0 && k < len(g)-1 && (l < 4 || l > 6) || k == len(g)-1 && l > 9 {
			return ""
		}
		total += l
	}
	if total < 13 || total > 19 || g[len(g)-1].b < len(s) && isLetter(s[g[len(g)-1].b]) {
		return ""
	}
	var buf [19]byte
	n := 0
	for _, sp := range g {
		n += copy(buf[n:], s[sp.a:sp.b])
	}
	if !luhn(buf[:n]) {
		return ""
	}
	return brand(buf[:n])
}

// cardAt reports whether a card starts at s[k]: an unbroken run of 13–19
// digits, or groups joined by separators (see groupedCard) that make one.
func (r *redactor) cardAt(k int) bool {
	s := r.s
	var groups [6]span
	ng := 0
	for ng < len(groups) && k < len(s) && isDigit(s[k]) {
		b := k
		for b < len(s) && isDigit(s[b]) {
			b++
		}
		groups[ng] = span{k, b}
		ng++
		l, _ := sepAt(s, b)
		if l == 0 {
			break
		}
		k = b + l
	}
	if ng == 0 {
		return false
	}
	// an unbroken run, or two runs (a number cut by a line break)
	for k := 1; k <= min(ng, 2); k++ {
		var buf [19]byte
		n := 0
		for _, sp := range groups[:k] {
			if n+sp.b-sp.a > len(buf) {
				n = 0
				break
			}
			n += copy(buf[n:], s[sp.a:sp.b])
		}
		if n >= 13 && luhn(buf[:n]) && brand(buf[:n]) != "" {
			return true
		}
	}
	for e := ng - 1; e >= 1; e-- {
		if r.groupsCard(groups[:e+1]) != "" {
			return true
		}
	}
	return false
}

// prevGroupOfFour reports whether s[i] follows a group of exactly four
// digits and a separator run, that group not glued to letters, not inside an
// earlier finding and not the last four of our mask.
func (r *redactor) prevGroupOfFour(i int) bool {
	s := r.s
	k := i
	for n := 0; n < maxSep && k > 0 && isSep(s[k-1]); n++ {
		k--
	}
	if k == i || k < 4 {
		return false
	}
	if l, nl := sepAt(s, k); l != i-k || nl {
		return false // a line break ends a number: the next line starts afresh
	}
	a := k - 4
	if a < r.last || a < r.ibanEnd || !isDigit(s[a]) || !isDigit(s[a+1]) || !isDigit(s[a+2]) || !isDigit(s[a+3]) {
		return false
	}
	return (a == 0 || !isAlnum(s[a-1])) && !r.afterMask(a)
}

// cardOfGroups masks the groups g as one card when their digits are one
// (Luhn and a brand's range and length) and returns the end, else 0.
func (r *redactor) cardOfGroups(g []span) int {
	var buf [19]byte
	n := 0
	for _, sp := range g {
		if n+sp.b-sp.a > len(buf) {
			return 0
		}
		n += copy(buf[n:], r.s[sp.a:sp.b])
	}
	d := buf[:n]
	if n < 13 || !luhn(d) {
		return 0
	}
	name := brand(d)
	if name == "" {
		return 0
	}
	end := g[len(g)-1].b
	r.emitCard(g[0].a, end, name, d)
	return end
}

// sameSepFours reports whether the groups after the first are all four
// digits long and all joined by the same separator string.
func (r *redactor) sameSepFours(g []span) bool {
	sep := r.s[g[0].b:g[1].a]
	for k := 1; k < len(g); k++ {
		if g[k].b-g[k].a != 4 || r.s[g[k-1].b:g[k].a] != sep {
			return false
		}
	}
	return true
}
