package kb

import (
	"slices"
	"testing"
)

// TestNumbersThatAreNoCodes: amounts (with a currency sign before or after
// them), percentages, levels after a rate word and the other end of such a
// range are quantities; codes beside them stay codes.
func TestNumbersThatAreNoCodes(t *testing.T) {
	for q, want := range map[string][]string{
		"hundreds of tiny $1 declined payments":                        {"1"},
		"chargebak on a $900 order":                                    {"900"},
		"paid 51€ and got declined":                                    {"51"},
		"our auth rate dropped from 92% to like 70 since this morning": {"92", "70"},
		"approval rate 85 now 60":                                      {"85", "60"},
		"response code 51 for a $20 order":                             {"20"},
		"decline rate for code 05 went up":                             nil,
		"declines went from 2 to 30 percent":                           {"2", "30"},
	} {
		raw := questionTokens(q)
		var got []string
		for i, isQ := range numberQuantities(q, raw) {
			if isQ {
				got = append(got, raw[i])
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q: quantities %v, want %v", q, got, want)
		}
	}
}

// TestGluedAndACHCodes: "rc05" is rc and 05; in a question that names ACH,
// a number after a return word is an R code (not when only "returned" says
// so: "acquirer returns 03" is the issuer's 03).
func TestGluedAndACHCodes(t *testing.T) {
	for q, want := range map[string][]string{
		"rc05 declines":                        {"rc", "05", "declines"},
		"RC51":                                 {"RC", "51"},
		"ach return code 1 can we retry":       {"ach", "return", "code", "R01", "can", "we", "retry"},
		"echeck returned with code 29":         {"echeck", "returned", "with", "code", "R29"},
		"acquirer returns 03 invalid merchant": {"acquirer", "returns", "03", "invalid", "merchant"},
	} {
		if got := questionTokens(q); !slices.Equal(got, want) {
			t.Errorf("questionTokens(%q) = %v, want %v", q, got, want)
		}
	}
}
