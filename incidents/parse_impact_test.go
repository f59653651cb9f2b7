package incidents

import (
	"errors"
	"testing"
)

// TestParseImpactAsPeopleSayIt: hedges, tails that say of what, ratios,
// fractions and number words with a unit.
func TestParseImpactAsPeopleSayIt(t *testing.T) {
	pct := func(p float64) Impact { return Impact{Kind: ImpactPercent, Percent: p} }
	for _, tc := range []struct {
		in   string
		want Impact
	}{
		{"about 60% of card payments", pct(60)},
		{"About 60 % of our card payments are failing", pct(60)},
		{"~60 %", pct(60)},
		{"~ 60%", pct(60)},
		{"≈60%", pct(60)},
		{"60 percent", pct(60)},
		{"60 per cent of transactions", pct(60)},
		{"roughly 60% failing", pct(60)},
		{"sixty percent", pct(60)},
		{"about sixty percent of card payments", pct(60)},
		{"twenty-five percent", pct(25)},
		{"twenty five %", pct(25)},
		{"one hundred percent", Impact{Kind: ImpactAll}},
		{"3 in 5", pct(60)},
		{"3 in 5 payments fail", pct(60)},
		{"about 1 in 10 of checkouts", pct(10)},
		{"one in ten", pct(10)},
		{"three out of five", pct(60)},
		{"1/4", pct(25)},
		{"half", pct(50)},
		{"about half of them", pct(50)},
		{"half of card payments are failing", pct(50)},
		{"a third", pct(33.33)},
		{"two thirds of payments", pct(66.67)},
		{"three quarters", pct(75)},
		{"nearly 90% declined", pct(90)},
		{"40% in production", pct(40)},
	} {
		got, err := ParseImpact(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseImpact(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"thirty",                   // a number word needs its unit
		"one of our merchants",     // not a share
		"60% of 3 gateways",        // a second number: ambiguous
		"3 in 5 or 4 in 5",         // two readings
		"6 in 5",                   // more than all
		"half or a third",          // two readings
		"about",                    // nothing
		"sixty seven hundred",      // not 0-100
		"lots of card payments",    // no number
		"60% and rising fast 100%", // two numbers
	} {
		if got, err := ParseImpact(in); err == nil {
			t.Errorf("ParseImpact(%q) = %+v, want an error", in, got)
		} else if !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseImpact(%q): %v is not ErrInvalid", in, err)
		}
	}
}
