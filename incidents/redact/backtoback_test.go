package redact

import (
	"math/rand"
	"strings"
	"testing"
)

// TestCardsBackToBack: two cards in a row, in the shapes people paste them
// (plain, grouped with any separator, with zero-width characters, in other
// scripts' digits, cut by a line break), sometimes with an expiry and a
// code between them, are both masked whole: the digits between a card's
// first and last four never survive. (A code rule once took the first
// group of the second card for the first card's code, and the rest of the
// second card was no longer found.)
func TestCardsBackToBack(t *testing.T) {
	brands := []struct {
		p string
		n int
	}{{"4", 16}, {"4", 13}, {"4", 19}, {"51", 16}, {"34", 15}, {"6011", 16}, {"36", 14}, {"62", 19}, {"6759", 16}, {"50", 18}}
	seps := []string{" ", "-", ".", "/", "_", "\t", "  ", "\u2013", " - ", "\u00a0", "%20", "+", "\n", "\u3000"}
	groupings := map[int][][]int{13: {{4, 4, 5}}, 14: {{4, 6, 4}}, 15: {{4, 6, 5}}, 16: {{4, 4, 4, 4}}, 18: {{4, 4, 4, 6}}, 19: {{4, 4, 4, 4, 3}, {4, 6, 9}, {4, 4, 4, 7}}}
	r := rand.New(rand.NewSource(1))
	var sent []string
	card := func() string {
		b := brands[r.Intn(len(brands))]
		d := []byte(b.p)
		for len(d) < b.n-1 {
			d = append(d, byte('0'+r.Intn(10)))
		}
		for c := byte('0'); c <= '9'; c++ {
			if Luhn(string(append(d, c))) {
				d = append(d, c)
				break
			}
		}
		num := string(d)
		sent = append(sent, num)
		gs := groupings[len(num)]
		switch r.Intn(7) {
		case 0:
			return num
		case 1: // zero-width
			var out strings.Builder
			for i := range num {
				out.WriteByte(num[i])
				if i%3 == 1 && i < len(num)-1 {
					out.WriteString([]string{"\u200b", "\u200d", "\u2060", "\ufeff"}[r.Intn(4)])
				}
			}
			return out.String()
		case 2: // fullwidth
			zero := []rune{'０', '٠', '۰', '०'}[r.Intn(4)]
			var out strings.Builder
			for _, c := range num {
				out.WriteRune(zero + c - '0')
			}
			return out.String()
		case 3:
			k := 4 + r.Intn(len(num)-8)
			return num[:k] + "\n" + num[k:]
		}
		if gs == nil {
			return num
		}
		g := gs[r.Intn(len(gs))]
		sep := seps[r.Intn(len(seps))]
		var out strings.Builder
		p := 0
		for i, k := range g {
			if i > 0 {
				out.WriteString(sep)
			}
			out.WriteString(num[p : p+k])
			p += k
		}
		return out.String()
	}
	digitsOf := func(s string) string {
		v := View(s)
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if isDigit(v[i]) {
				b.WriteByte(v[i])
			}
		}
		return b.String()
	}
	bad := 0
	for i := 0; i < 20000 && bad < 10; i++ {
		sent = sent[:0]
		in := card() + " " + card() + " both declined"
		switch r.Intn(4) {
		case 0:
			in = card() + " 11/29 123\n" + card() + " declined"
		case 1: // a stray group of four before the card
			in = "3445 " + card() + " both declined"
		}
		out := String(in)
		ds := digitsOf(out)
		for _, c := range sent {
			if mid := c[4 : len(c)-4]; strings.Contains(ds, mid) {
				bad++
				t.Errorf("card %s left in %q -> %q", c, in, out)
			}
		}
	}
}
