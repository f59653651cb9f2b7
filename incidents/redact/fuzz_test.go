package redact

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// leakedCards returns the maximal digit runs of s that are Luhn-valid 13–19
// digit numbers in a brand's range, leaving out what Redact leaves on
// purpose: a '+'-prefixed run of up to 15 digits (phone), a run after
// "<digit>." (decimal fraction) and runs inside a valid IBAN. It is written
// independently of the scanner, as the fuzz oracle.
func leakedCards(s string) []string {
	var leaks []string
	ibanUntil := 0
	for i := 0; i < len(s); {
		c := s[i]
		if isLetter(c) && (i == 0 || !isAlnum(s[i-1])) && i+3 < len(s) &&
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
