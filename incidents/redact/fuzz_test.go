package redact

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// leakedCards returns the card numbers left in s, as Redact sees text: in
// the normalised view (Unicode digits, zero-width characters and URL
// escapes undone; see View). It reports maximal digit runs that are
// Luhn-valid 13–19 digit numbers in a brand's range, grouped numbers (a
// first group of four, groups of 4–6, a last group of 1–9, joined by up to
// three separators of any kind) and numbers cut in two by a line break. It
// leaves out what Redact leaves on purpose: a '+'-prefixed run of up to 15
// digits (phone), a run after "<digit>." (decimal fraction), runs inside a
// valid IBAN, groups of a chain of six or more fours that make no card, a
// grouped number glued to letters and the four digits of our own mask. It
// is written independently of the scanner (brute force over group chains),
// as the fuzz oracle.
func leakedCards(s string) []string {
	s = View(s)
	var leaks []string
	ibanUntil := 0
	type grp struct{ a, b int }
	var runs []grp
	for i := 0; i < len(s); {
		c := s[i]
		if isLetter(c) && (i == 0 || !isAlnum(s[i-1]) || afterMaskTail(s, i)) && i+3 < len(s) &&
			isLetter(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			if e := ibanEnd(s, i); e > 0 {
				ibanUntil = e
			}
		}
		if !isDigit(c) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if i >= ibanUntil {
			runs = append(runs, grp{i, j})
		}
		run := s[i:j]
		switch {
		case len(run) < 13 || len(run) > 19 || i < ibanUntil:
		case i > 0 && s[i-1] == '+' && len(run) <= 15:
		case i > 1 && s[i-1] == '.' && isDigit(s[i-2]):
		case Luhn(run) && brand([]byte(run)) != "":
			leaks = append(leaks, run)
		}
		i = j
	}
	// joined reports whether runs x and x+1 are joined by 1–3 separators.
	joined := func(x int) (ok, nl bool) {
		if x+1 >= len(runs) {
			return false, false
		}
		gap := s[runs[x].b:runs[x+1].a]
		if len(gap) == 0 || len(gap) > maxSep {
			return false, false
		}
		for k := 0; k < len(gap); k++ {
			if !isSep(gap[k]) {
				return false, false
			}
			if gap[k] == '\n' || gap[k] == '\r' {
				nl = true
			}
		}
		return true, nl
	}
	check := func(a, b int) {
		var d []byte
		for x := a; x <= b; x++ {
			d = append(d, s[runs[x].a:runs[x].b]...)
		}
		if len(d) >= 13 && len(d) <= 19 && luhn(d) && brand(d) != "" {
			leaks = append(leaks, s[runs[a].a:runs[b].b])
		}
	}
	foursUntil := 0
	for x := range runs {
		g := runs[x]
		leftClean := g.a == 0 || !isLetter(s[g.a-1])
		afterMask := strings.HasSuffix(s[:g.a], cardMaskPrefix)
		if x < foursUntil {
			continue
		}
		if ok, nl := joined(x); ok && nl && leftClean && !afterMask &&
			(runs[x+1].b == len(s) || !isLetter(s[runs[x+1].b])) {
			check(x, x+1)
		}
		if g.b-g.a != 4 || !leftClean || afterMask {
			continue
		}
		if x > 0 && runs[x-1].b-runs[x-1].a == 4 && (runs[x-1].a == 0 || !isAlnum(s[runs[x-1].a-1])) &&
			!strings.HasSuffix(s[:runs[x-1].a], cardMaskPrefix) {
			if ok, nl := joined(x - 1); ok && !nl {
				continue // the tail of a longer grouped number
			}
		}
		end := x
		for end-x < 5 {
			if ok, _ := joined(end); !ok {
				break
			}
			end++
		}
		// five groups of four with one separator: exempt, and so are the
		// further fours joined by that separator
		sep := ""
		if end > x {
			sep = s[g.b:runs[x+1].a]
		}
		fours := end-x >= 4
		for k := 1; k <= 4 && x+k <= end; k++ {
			fours = fours && runs[x+k].b-runs[x+k].a == 4 && s[runs[x+k-1].b:runs[x+k].a] == sep
		}
		if fours {
			until := x + 5
			for until < len(runs) && runs[until].b-runs[until].a == 4 &&
				s[runs[until-1].b:runs[until].a] == sep {
				until++
			}
			if until-x >= 6 {
				// six or more groups of four: any four consecutive ones
				// that make a card are a leak (the last four only when
				// the run does not run on into letters); its last group
				// may also start a number cut by a line break
				glued := runs[until-1].b < len(s) && isLetter(s[runs[until-1].b])
				for w := x; w+3 < until; w++ {
					if glued && w+3 == until-1 {
						break
					}
					check(w, w+3)
				}
				foursUntil = until - 1
				continue
			}
			// exactly five: its first four groups are checked below
		}
		for e := x + 1; e <= end; e++ {
			ok := true
			for k := x + 1; k < e; k++ {
				if l := runs[k].b - runs[k].a; l < 4 || l > 6 {
					ok = false
				}
			}
			if l := runs[e].b - runs[e].a; l > 9 || runs[e].b < len(s) && isLetter(s[runs[e].b]) {
				ok = false
			}
			if ok {
				check(x, e)
			}
		}
	}
	return leaks
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"", "4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242", "3782 822463 10005",
		"6212 3456 7890 1234 569", "4242\u00a04242\u00a04242\u00a04242", "card 9792123412341235",
		"cvv 123", "CVC: 1234", "security code is 321", "sk_live_51HxYz2eZvKYlo2C0abcdef123",
		"xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp", "client_secret=EO422dn3gQLgDbuwqTjzrFgFtaRLRR5BdHEESmha49TM",
		"Bearer A21AAFEpH4PsADK7qSS7pSRsgzfENtu-Q1ysgEDVDESseMHBYXVJYE8ovjj68elIDy8nF26Aw",
		"access_token$production$abc123xyz$0123456789abcdef", "AQEyhmfxK4/JahBBw0m/n3Q5qf3VaY9UCJ14XWZE03G/k2NFikzVGEiYj+4=-x",
		"IBAN DE89 3704 0044 0532 0130 00", "+4915123456789", "0.4242424242424242",
		"4242424242424242.4242424242424242", "•••• •••• •••• 4242 4242 4242 4242",
		"4242424242424242 4242 4242 4242", "ref 4242 4242 4242 4242 4242", "card 4242 4242 4242 4242 1234",
		"cvv 4242 4242 4242 4242", "secret: sk_live_51HxYz2eZvKYlo2C0abcdef123", "2024-05-12 4242 4242 4242 4242",
		"4111.1111.1111.1111", "4111\u20131111\u20131111\u20131111", "4111\u200b1111\u200b1111\u200b1111",
		"４１１１１１１１１１１１１１１１", "٤١١١١١١١١١١١١١١١", "4111%201111%201111%201111", "4111 1111\n1111 1111",
		"6212 345678 901234569", "the 3 digits on the back are 123", "Authorization: Basic dXNlcjpwYXNzd29yZA==",
		"AKIAIOSFODNN7EXAMPLE", `"password": "hunter2"`, "https://u:p4ss@h/x?token=abcdef12", "curl -u a:b https://x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, fs := Redact(in)
		if len(fs) == 0 && out != in {
			t.Fatalf("no findings but output changed: %q -> %q", in, out)
		}
		if len(fs) > 0 && out == in {
			t.Fatalf("findings %v but output unchanged: %q", fs, in)
		}
		if leaks := leakedCards(out); len(leaks) > 0 {
			t.Fatalf("card number left in output: %q -> %q (%v)", in, out, leaks)
		}
		if again, fs2 := Redact(out); again != out || len(fs2) != 0 {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, out, again, fs2)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of valid UTF-8 in: %q -> %q", in, out)
		}
		for _, f := range fs {
			if f.Kind != KindCard && f.Kind != KindCVV && f.Kind != KindSecret || f.Label == "" {
				t.Fatalf("bad finding %+v", f)
			}
		}
		if strings.Trim(in, "0123456789") == "" && IsCardNumber(in) && out == in {
			t.Fatalf("IsCardNumber(%q) but Redact left it", in)
		}
	})
}
