package redact

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// The generated-set test: deterministic positives across brands' ranges,
// lengths and formats, and hard negatives a payment team pastes.

type iinRange struct {
	lo, hi  int // inclusive prefix range
	digits  int // prefix length
	lengths []int
	brand   string
}

var (
	l16to19 = []int{16, 17, 18, 19}
	iins    = []iinRange{
		{4, 4, 1, []int{13, 16, 19}, "Visa"},
		{51, 55, 2, []int{16}, "Mastercard"},
		{2221, 2720, 4, []int{16}, "Mastercard"},
		{34, 34, 2, []int{15}, "American Express"},
		{37, 37, 2, []int{15}, "American Express"},
		{6011, 6011, 4, l16to19, "Discover"},
		{644, 649, 3, l16to19, "Discover"},
		{65, 65, 2, l16to19, "Discover"},
		{622126, 622925, 6, l16to19, "Discover"},
		{3528, 3589, 4, l16to19, "JCB"},
		{300, 305, 3, []int{14, 16, 17, 18, 19}, "Diners Club"},
		{3095, 3095, 4, []int{14, 16}, "Diners Club"},
		{36, 36, 2, []int{14, 16, 17, 18, 19}, "Diners Club"},
		{38, 39, 2, []int{14, 16, 17, 18, 19}, "Diners Club"},
		{620, 621, 3, l16to19, "UnionPay"},
		{623, 629, 3, l16to19, "UnionPay"},
		{50, 50, 2, l16to19, "Maestro"},
		{56, 58, 2, l16to19, "Maestro"},
		{6304, 6304, 4, l16to19, "Maestro"},
		{6759, 6763, 4, l16to19, "Maestro"},
		{67, 67, 2, l16to19, "Maestro"},
		{2200, 2204, 4, l16to19, "Mir"},
	}
)

// luhnComplete appends the Luhn check digit to p.
func luhnComplete(p []byte) []byte {
	for c := byte('0'); c <= '9'; c++ {
		if luhn(append(p, c)) {
			return append(p, c)
		}
	}
	panic("unreachable")
}

// number returns a Luhn-valid number of length n starting with prefix.
func number(rng *rand.Rand, prefix string, n int) string {
	b := make([]byte, 0, n)
	b = append(b, prefix...)
	for len(b) < n-1 {
		b = append(b, byte('0'+rng.Intn(10)))
	}
	return string(luhnComplete(b))
}

func randDigits(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rng.Intn(10))
	}
	return string(b)
}

// cardGroupings are the printed groupings by length (first group of four).
var cardGroupings = map[int][][]int{
	13: {{4, 4, 5}, {4, 4, 4, 1}},
	14: {{4, 6, 4}, {4, 4, 4, 2}},
	15: {{4, 6, 5}, {4, 4, 4, 3}},
	16: {{4, 4, 4, 4}},
	17: {{4, 4, 4, 5}},
	18: {{4, 4, 4, 6}, {4, 4, 4, 4, 2}},
	19: {{4, 4, 4, 4, 3}, {4, 4, 4, 7}, {4, 6, 9}},
}

// separators people put between card groups (issue 9), one per number or
// mixed. A zero-width space is dropped before scanning, so it joins groups
// rather than separating them: it is used alone (the number is then plain)
// or sprinkled anywhere, not mixed with visible separators.
var separators = []string{" ", "-", "\u00a0", ".", "/", "_", "\t", "  ", "\u2013", "\u2014", " - ",
	"\u2009", "\u202f", "%20", "+", "\n", "\r\n", "\u2011", "\u3000", "\uff0d", "\u2212", ",", ":"}

// digitScripts are the zero digits of scripts whose digits stand in for
// ASCII ones (fullwidth, Arabic-Indic, Eastern Arabic-Indic, Devanagari,
// Bengali, Thai, mathematical bold).
var digitScripts = []rune{'０', '٠', '۰', '०', '০', '๐', 0x1D7CE}

func toScript(num string, zero rune) string {
	var b strings.Builder
	for _, c := range num {
		if c >= '0' && c <= '9' {
			b.WriteRune(zero + c - '0')
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// groupMixed groups num by sizes with a separator drawn for each gap.
func groupMixed(rng *rand.Rand, num string, sizes []int) string {
	var b strings.Builder
	p := 0
	for i, n := range sizes {
		if i > 0 {
			b.WriteString(separators[rng.Intn(len(separators))])
		}
		b.WriteString(num[p : p+n])
		p += n
	}
	return b.String()
}

func group(num string, sizes []int, sep string) string {
	var b strings.Builder
	p := 0
	for i, n := range sizes {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(num[p : p+n])
		p += n
	}
	return b.String()
}

var positiveTemplates = []string{
	"%s",
	"Customer paid with %s and got do_not_honor",
	"card: %s",
	"Card number: %s\nExp: 04/28",
	"PAN=%s",
	"cc#%s declined twice",
	"tried %s exp 12/27 cvv 123, still 05",
	"(%s)",
	`{"number":"%s","exp_month":12}`,
	"refund to %s please",
	"declined: %s.",
	"the test card %s, 3DS frictionless",
	"ref:%s",
	"%s 12/27",
	"- %s\n- next",
	"user pasted '%s' in the form",
	"2024-05-12 14:03:22 INFO charge failed pan=%s rc=51",
	"Kunde zahlte mit %s, Ablehnung 05",
}

func positive(rng *rand.Rand) (text, formatted, last4 string) {
	r := iins[rng.Intn(len(iins))]
	prefix := fmt.Sprintf("%0*d", r.digits, r.lo+rng.Intn(r.hi-r.lo+1))
	n := r.lengths[rng.Intn(len(r.lengths))]
	num := number(rng, prefix, n)
	formatted = num
	gs := cardGroupings[n]
	switch f := rng.Intn(20); {
	case f < 5: // plain
	case f < 8:
		formatted = group(num, gs[rng.Intn(len(gs))], " ")
	case f < 10:
		formatted = group(num, gs[rng.Intn(len(gs))], "-")
	case f < 14: // one separator of any kind
		sep := separators[rng.Intn(len(separators))]
		if rng.Intn(8) == 0 {
			sep = "\u200b"
		}
		formatted = group(num, gs[rng.Intn(len(gs))], sep)
	case f < 16: // mixed separators
		formatted = groupMixed(rng, num, gs[rng.Intn(len(gs))])
	case f < 17: // split over a line break anywhere
		k := 1 + rng.Intn(n-1)
		formatted = num[:k] + []string{"\n", "\r\n", " \n", "\n "}[rng.Intn(4)] + num[k:]
	case f < 18: // zero-width characters anywhere
		var b strings.Builder
		for i := range num {
			b.WriteByte(num[i])
			if rng.Intn(3) == 0 && i < n-1 {
				b.WriteString([]string{"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}[rng.Intn(6)])
			}
		}
		formatted = b.String()
	default: // another script's digits, plain or grouped
		sep := ""
		if rng.Intn(2) == 0 {
			sep = separators[rng.Intn(len(separators))]
		}
		zero := digitScripts[rng.Intn(len(digitScripts))]
		var b strings.Builder
		p := 0
		for i, k := range gs[rng.Intn(len(gs))] {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(toScript(num[p:p+k], zero))
			p += k
		}
		formatted = b.String()
	}
	tmpl := positiveTemplates[rng.Intn(len(positiveTemplates))]
	return fmt.Sprintf(tmpl, formatted), formatted, num[len(num)-4:]
}

// luhnValid returns a Luhn-valid number of length n whose first digits are
// drawn by pick until brand() rejects it.
func luhnValidOutside(rng *rand.Rand) string {
	for {
		var prefix string
		n := 13 + rng.Intn(7)
		switch rng.Intn(8) {
		case 0:
			prefix = string(byte('0' + []int{0, 1, 7, 8, 9}[rng.Intn(5)]))
		case 1:
			prefix = fmt.Sprint(2000 + rng.Intn(1000))
		case 2:
			prefix = fmt.Sprint([]int{31, 32, 33, 59}[rng.Intn(4)])
		case 3:
			prefix = fmt.Sprint(3500 + rng.Intn(28))
		case 4: // a brand prefix, wrong length
			n = []int{14, 15, 17, 18}[rng.Intn(4)]
			prefix = "4"
		case 5:
			n = []int{13, 14, 15, 17, 18, 19}[rng.Intn(6)]
			prefix = fmt.Sprint(51 + rng.Intn(5))
		case 6:
			n = []int{13, 14, 16, 17, 18, 19}[rng.Intn(6)]
			prefix = []string{"34", "37"}[rng.Intn(2)]
		case 7:
			n = []int{12, 20, 21, 22, 23}[rng.Intn(5)]
			prefix = fmt.Sprint(3 + rng.Intn(4))
		}
		num := number(rng, prefix, n)
		if n >= 13 && n <= 19 && brand([]byte(num)) != "" {
			continue
		}
		switch rng.Intn(4) {
		case 0: // grouped in threes, as a reference number is
			var b strings.Builder
			for i := 0; i < len(num); i += 3 {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(num[i:min(i+3, len(num))])
			}
			return b.String()
		case 1:
			if gs, ok := cardGroupings[n]; ok && n != 18 && n != 19 {
				return group(num, gs[0], " ")
			}
		}
		return num
	}
}

func iban(rng *rand.Rand) string {
	type c struct {
		cc   string
		bban string // pattern: n digit, a upper letter, c alnum
	}
	cs := []c{
		{"DE", "nnnnnnnnnnnnnnnnnn"}, {"FR", "nnnnnnnnnncccccccccccnn"}, {"GB", "aaaannnnnnnnnnnnnn"},
		{"BE", "nnnnnnnnnnnn"}, {"NL", "aaaannnnnnnnnn"}, {"AT", "nnnnnnnnnnnnnnnn"},
		{"DK", "nnnnnnnnnnnnnn"}, {"ES", "nnnnnnnnnnnnnnnnnnnn"}, {"IT", "annnnnnnnnncccccccccccc"},
		{"CH", "nnnnnnnnnnnnnnnnn"}, {"PL", "nnnnnnnnnnnnnnnnnnnnnnnn"}, {"SE", "nnnnnnnnnnnnnnnnnnnn"},
		{"NO", "nnnnnnnnnnn"}, {"FI", "nnnnnnnnnnnnnn"}, {"IE", "aaaannnnnnnnnnnnnn"}, {"LU", "nnnnnnnnnnnnnnnn"},
	}
	k := cs[rng.Intn(len(cs))]
	b := make([]byte, len(k.bban))
	for i, p := range []byte(k.bban) {
		switch {
		case p == 'n' || p == 'c' && rng.Intn(3) > 0:
			b[i] = byte('0' + rng.Intn(10))
		default:
			b[i] = byte('A' + rng.Intn(26))
		}
	}
	// check digits: 98 - mod97(bban + cc + "00")
	rem := 0
	for _, ch := range string(b) + k.cc + "00" {
		if ch >= '0' && ch <= '9' {
			rem = (rem*10 + int(ch-'0')) % 97
		} else {
			rem = (rem*100 + int(ch-'A') + 10) % 97
		}
	}
	s := fmt.Sprintf("%s%02d%s", k.cc, 98-rem, b)
	if ibanEnd(s, 0) != len(s) {
		panic("generator made an invalid IBAN: " + s)
	}
	if rng.Intn(2) == 0 {
		return s
	}
	var g strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			g.WriteByte(' ')
		}
		g.WriteString(s[i:min(i+4, len(s))])
	}
	return g.String()
}

func uuid(rng *rand.Rand) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 36)
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		case 14:
			b[i] = '4'
		case 19:
			b[i] = "89ab"[rng.Intn(4)]
		default:
			b[i] = hex[rng.Intn(16)]
		}
	}
	if rng.Intn(3) == 0 {
		return strings.ToUpper(string(b))
	}
	return string(b)
}

type negClass struct {
	name string
	gen  func(*rand.Rand) string
}

var negClasses = []negClass{
	{"order number", func(r *rand.Rand) string {
		switch r.Intn(9) {
		case 0:
			return fmt.Sprintf("ORD-%d-%06d", 2020+r.Intn(6), r.Intn(1e6))
		case 1:
			return fmt.Sprintf("order #%d is stuck", 1000+r.Intn(1e6))
		case 2:
			return fmt.Sprintf("order %s", randDigits(r, 9+r.Intn(3)))
		case 3:
			return fmt.Sprintf("Amazon order %03d-%s-%s", 100+r.Intn(900), randDigits(r, 7), randDigits(r, 7))
		case 4:
			return fmt.Sprintf("PO 45%s", randDigits(r, 8))
		case 5:
			return fmt.Sprintf("pspReference %s%s", []string{"88", "85", "17"}[r.Intn(3)], randDigits(r, 14))
		case 6:
			return fmt.Sprintf("Shopify order id %d%s", 5+r.Intn(2), randDigits(r, 12))
		case 7:
			return fmt.Sprintf("Cybersource request id %s, ARN %s", randDigits(r, 22), randDigits(r, 23))
		default:
			return fmt.Sprintf("INV-%d-%02d-%05d", 2020+r.Intn(6), 1+r.Intn(12), r.Intn(1e5))
		}
	}},
	{"unix timestamp", func(r *rand.Rand) string {
		ms := 1500000000000 + r.Int63n(400000000000)
		switch r.Intn(3) {
		case 0:
			return fmt.Sprintf("created=%d", ms)
		case 1:
			return fmt.Sprintf("ts %d%03d us", ms, r.Intn(1000))
		default:
			return fmt.Sprintf(`{"t":%d%06d}`, ms, r.Intn(1e6))
		}
	}},
	{"phone", func(r *rand.Rand) string {
		switch r.Intn(10) {
		case 0:
			return fmt.Sprintf("call +44 7%s %s", randDigits(r, 3), randDigits(r, 6))
		case 1:
			return fmt.Sprintf("+1 (%s) %s-%s", randDigits(r, 3), randDigits(r, 3), randDigits(r, 4))
		case 2:
			return fmt.Sprintf("+1-%s-%s-%s", randDigits(r, 3), randDigits(r, 3), randDigits(r, 4))
		case 3:
			return fmt.Sprintf("+49 %s %s", randDigits(r, 3), randDigits(r, 8))
		case 4: // compact E.164, up to 15 digits
			return fmt.Sprintf("sms to +%d%s", 1+r.Intn(99), randDigits(r, 9+r.Intn(4)))
		case 5:
			return fmt.Sprintf("0049 %s %s", randDigits(r, 3), randDigits(r, 8))
		case 6:
			return fmt.Sprintf("+33 6 %s %s %s %s", randDigits(r, 2), randDigits(r, 2), randDigits(r, 2), randDigits(r, 2))
		case 7:
			return fmt.Sprintf("+86 1%s %s %s", randDigits(r, 2), randDigits(r, 4), randDigits(r, 4))
		case 8:
			return fmt.Sprintf("+7 (9%s) %s-%s-%s", randDigits(r, 2), randDigits(r, 3), randDigits(r, 2), randDigits(r, 2))
		default:
			return fmt.Sprintf("+61 4 %s %s", randDigits(r, 4), randDigits(r, 4))
		}
	}},
	{"date", func(r *rand.Rand) string {
		y, mo, d, h, mi, s := 2019+r.Intn(8), 1+r.Intn(12), 1+r.Intn(28), r.Intn(24), r.Intn(60), r.Intn(60)
		switch r.Intn(6) {
		case 0:
			return fmt.Sprintf("since %04d-%02d-%02d", y, mo, d)
		case 1:
			return fmt.Sprintf("on %02d/%02d/%04d", d, mo, y)
		case 2:
			return fmt.Sprintf("%04d%02d%02d%02d%02d%02d%03d", y, mo, d, h, mi, s, r.Intn(1000))
		case 3:
			return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", y, mo, d, h, mi, s, r.Intn(1e6))
		case 4:
			return fmt.Sprintf("%02d.%02d.%04d %02d:%02d", d, mo, y, h, mi)
		default:
			return fmt.Sprintf("%04d-%02d-%02d %04d-%02d-%02d", y, mo, d, y, mo, d)
		}
	}},
	{"luhn-valid outside ranges or wrong length", func(r *rand.Rand) string {
		return "ref " + luhnValidOutside(r)
	}},
	{"uuid", func(r *rand.Rand) string { return "request id " + uuid(r) }},
	{"iban", func(r *rand.Rand) string { return "payout to IBAN " + iban(r) + " bounced" }},
	{"iso8583", func(r *rand.Rand) string {
		codes := []string{"00", "05", "14", "51", "54", "57", "61", "65", "91", "96", "N7", "R1"}
		switch r.Intn(4) {
		case 0:
			return fmt.Sprintf("DE39=%s", codes[r.Intn(len(codes))])
		case 1:
			return fmt.Sprintf("MTI 0110 RC %s STAN %06d RRN %s", codes[r.Intn(len(codes))], r.Intn(1e6), randDigits(r, 12))
		case 2:
			return fmt.Sprintf("response code %s, auth code %06d, processing code 00%d000", codes[r.Intn(len(codes))], r.Intn(1e6), r.Intn(4))
		default:
			return fmt.Sprintf("bitmap %X, DE38=%06d", r.Uint64(), r.Intn(1e6))
		}
	}},
	{"amount", func(r *rand.Rand) string {
		switch r.Intn(5) {
		case 0:
			return fmt.Sprintf("$%d,%03d.%02d", r.Intn(1000), r.Intn(1000), r.Intn(100))
		case 1:
			return fmt.Sprintf("EUR %d.%03d,%02d", r.Intn(1000), r.Intn(1000), r.Intn(100))
		case 2:
			return fmt.Sprintf("amount=%d (minor units)", r.Int63n(1e11))
		case 3:
			return fmt.Sprintf("%d %03d %03d,%02d €", 1+r.Intn(999), r.Intn(1000), r.Intn(1000), r.Intn(100))
		default:
			return fmt.Sprintf("fx rate %d.%s", r.Intn(3), randDigits(r, 16))
		}
	}},
}

func TestGeneratedSet(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	rng := rand.New(rand.NewSource(20240512))

	missed := 0
	for i := 0; i < n; i++ {
		text, formatted, last4 := positive(rng)
		out, fs := Redact(text)
		ok := !strings.Contains(out, formatted) && strings.Contains(out, cardMaskPrefix+last4)
		found := false
		for _, f := range fs {
			if f.Kind == KindCard && strings.HasSuffix(f.Label, " ending "+last4) {
				found = true
			}
		}
		if !ok || !found {
			missed++
			if missed <= 10 {
				t.Errorf("missed card: %q -> %q %v", text, out, fs)
			}
		}
	}
	// Secrets and CVVs: 40% as many again.
	ns := n * 2 / 5
	for i := 0; i < ns; i++ {
		text, secret := secretPositive(rng)
		if out, fs := Redact(text); len(fs) == 0 || strings.Contains(out, secret) {
			missed++
			if missed <= 20 {
				t.Errorf("missed secret %q: %q -> %q %v", secret, text, out, fs)
			}
		}
	}
	n += ns
	recall := float64(n-missed) / float64(n)
	t.Logf("positives: %d, missed %d, recall %.4f%%", n, missed, 100*recall)

	fp := 0
	perClass := make([]int, len(negClasses))
	n = n * 10 / 14 // as many negatives as card positives, plus the new classes' share
	n = n / 9 * len(negClasses)
	for i := 0; i < n; i++ {
		k := i % len(negClasses)
		text := negClasses[k].gen(rng)
		if out, fs := Redact(text); len(fs) > 0 {
			fp++
			perClass[k]++
			if fp <= 20 {
				t.Logf("false positive (%s): %q -> %q %v", negClasses[k].name, text, out, fs)
			}
		}
	}
	rate := float64(fp) / float64(n)
	t.Logf("hard negatives: %d, false positives %d, rate %.4f%%", n, fp, 100*rate)
	for k, c := range negClasses {
		t.Logf("  %-42s %d/%d", c.name, perClass[k], n/len(negClasses))
	}
	if missed > 0 {
		t.Errorf("recall %.4f%%, want 100%%", 100*recall)
	}
	if rate > 0.001 {
		t.Errorf("false-positive rate %.4f%%, want <= 0.1%%", 100*rate)
	}
}
