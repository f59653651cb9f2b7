package redact

import (
	"strings"
	"testing"
)

// TestRedactAnyGrouping: a card is a card whatever its grouping (8-8,
// 12-4, 4-12, 8-4-4, 4-4-8, one digit at a time) and whatever invisible
// characters sit between its groups; the digits never survive.
func TestRedactAnyGrouping(t *testing.T) {
	for _, in := range []string{
		"G 41111111 11111111",
		"411111111111 1111",
		"4111 111111111111",
		"41111111 1111 1111",
		"4111 1111 11111111",
		"5555 55555555 4444",
		"card 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 ok",
		"3714-496353-98431",
		"4111\u202e1111\u202c1111 1111",
		"4111\ufe0f1111\ufe0f1111\ufe0f1111",
		"4111\u034f1111\u034f1111\u034f1111",
		"37 1449 6353 98431",
		"card 4111|1111|1111|1111",
		"card 4111;1111;1111;1111",
		"card 4111~1111~1111~1111",
		"card 4111*1111*1111*1111",
		"card 4111'1111'1111'1111",
		"card 4111\\1111\\1111\\1111",
		"card 4111&nbsp;1111&nbsp;1111&nbsp;1111",
		"card &#52;111111111111111",
		"card &#x34;&#x31;11 1111 1111 1111",
		// Grouped in threes: only Amazon's 3-7-7 order numbers are let go.
		"card 411 111 111 111 1111",
		"411-111-111-111-1111",
		"555 555 555 555 444 4",
		"378 282 246 310 005",
	} {
		out, _ := Redact(in)
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, View(out))
		if strings.Contains(digits, "11111111") || strings.Contains(digits, "55555555") || strings.Contains(digits, "49635398") || strings.Contains(digits, "14496353") {
			t.Errorf("Redact(%q) = %q: card digits left", in, out)
		}
	}
	// Not cards: too long a chain, a millisecond timestamp, dates, amounts.
	for _, in := range []string{
		"card_declined 1764489612341",
		"2026 11 30 14 05 22",
		"amounts 12 50 and 99 99",
	} {
		if out, f := Redact(in); len(f) > 0 && f[0].Kind == KindCard {
			t.Errorf("Redact(%q) = %q: masked a number that is no card", in, out)
		}
	}
}

// TestRedactCVVForms: a CVV after its word is masked however it is typed.
func TestRedactCVVForms(t *testing.T) {
	for in, secret := range map[string]string{
		"cvv 4 5 6":           "4 5 6",
		"cvv was 3 5 7":       "3 5 7",
		"cvv: one two three":  "one two three",
		"c.v.v 789":           "789",
		"cvv-> 159":           "159",
		"CVC: 4-5-6-7 thanks": "4-5-6-7",
	} {
		if out := String(in); strings.Contains(out, secret) {
			t.Errorf("String(%q) = %q", in, out)
		}
	}
	for _, in := range []string{"cvv check failed on 2 of 3 tries", "the cvc was fine, one two problems"} {
		if out := String(in); out != in {
			t.Errorf("String(%q) = %q: masked what is no CVV", in, out)
		}
	}
}
