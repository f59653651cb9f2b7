package paycode

import (
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	groups := []struct {
		want  string
		forms []string
	}{
		{"e54", []string{"E0054", "e0054", "e-0054", "E_0054", "e 0054", "E.0054", "E54", "`E0054`", "(E-0054)"}},
		{"05", []string{"05", "5", "005", "0005", "\"05\""}},
		{"51", []string{"51", "051"}},
		{"00", []string{"00", "0", "000"}},
		{"r01", []string{"R01", "r01", "r1", "R-01", "r 01", "R_01", "R-1"}},
		{"c05", []string{"C05", "c5", "C-05"}},
		{"do_not_honor", []string{"do_not_honor", "do-not-honor", "do not honor", "DO_NOT_HONOR", "Do Not Honour", "do__not--honor"}},
		{"instrument_declined", []string{"INSTRUMENT_DECLINED", "instrument_declined", "instrument declined", "Instrument-Declined"}},
		{"2046", []string{"2046", "02046"}},
		{"20051", []string{"20051"}},
		{"429", []string{"429", "0429"}},
		{"502", []string{"502"}},
		{"de39", []string{"DE39", "de-39", "de_39"}},
		{"3ds", []string{"3DS", "3ds"}},
	}
	for _, g := range groups {
		for _, f := range g.forms {
			if got := Canonical(f); got != g.want {
				t.Errorf("Canonical(%q) = %q, want %q", f, got, g.want)
			}
		}
	}
	for _, bad := range []string{"", " ", "___", "--", "4111111111111111", "1234567", "a/b", "é", "100%", strings.Repeat("a", 81)} {
		if got := Canonical(bad); got != "" {
			t.Errorf("Canonical(%q) = %q, want no code", bad, got)
		}
	}
}

func TestDisplay(t *testing.T) {
	for _, tc := range []struct{ sys, in, want string }{
		{ISO8583, "5", "05"},
		{ISO8583, "05", "05"},
		{NACHA, "r1", "R01"},
		{NACHA, "R-01", "R01"},
		{Gateway, "e-0054", "E0054"},
		{Gateway, "E_0054", "E0054"},
		{Gateway, "instrument declined", "INSTRUMENT_DECLINED"},
		{Stripe, "Do Not Honor", "do_not_honor"},
		{HTTP, "429", "429"},
		{HTTP, "x y/z", ""},
	} {
		if got := Display(tc.sys, tc.in); got != tc.want {
			t.Errorf("Display(%s, %q) = %q, want %q", tc.sys, tc.in, got, tc.want)
		}
	}
	// Display and Canonical agree: the key of what is shown is the key.
	if Canonical(Display(NACHA, "r1")) != Canonical("r1") {
		t.Error("Display changes the key")
	}
}

func TestEqual(t *testing.T) {
	if !Equal("E0054", "e 0054") || !Equal("5", "05") || Equal("R01", "R10") || Equal("", "") {
		t.Error("Equal is wrong")
	}
}

// FuzzCanonical: Canonical never panics, is idempotent, and yields only
// lower-case letters, digits and inner underscores.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"E0054", "e-0054", "r 01", "do not honour", "INSTRUMENT_DECLINED", "05", "", "_", "a_", "💳", "0000000", "ab-12-cd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Canonical(s)
		if c == "" {
			return
		}
		if again := Canonical(c); again != c {
			t.Fatalf("Canonical(%q) = %q, but Canonical(%q) = %q", s, c, c, again)
		}
		if strings.HasPrefix(c, "_") || strings.HasSuffix(c, "_") {
			t.Fatalf("Canonical(%q) = %q has an outer separator", s, c)
		}
		for i := 0; i < len(c); i++ {
			ch := c[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_') {
				t.Fatalf("Canonical(%q) = %q has %q", s, c, ch)
			}
		}
	})
}

func TestFamilyOf(t *testing.T) {
	for sys, want := range map[string]string{
		"ach-return":                      "nacha-return",
		"ACH-Return":                      "nacha-return",
		"ach-noc_change":                  "nacha-noc",
		"iso8583_1987_field39":            "card-network",
		"iso8583_1993_action_code":        "iso8583-action",
		"3ds-transStatusReason":           "3ds-transstatusreason",
		"paypal-issue:checkout_orders_v2": "paypal-orders",
		"square-error":                    "square-error",
		"paypal-issue:invoicing_v2":       "",
		"paypal-issue":                    "",
		"":                                "",
		"something-else":                  "",
	} {
		f, ok := FamilyOf(sys)
		if f.Key != want || ok != (want != "") {
			t.Errorf("FamilyOf(%q) = %q, %v; want %q", sys, f.Key, ok, want)
		}
	}
	seen := map[string]bool{}
	for _, f := range Families() {
		if f.Key == "" || f.Name == "" || !strings.HasPrefix(f.URL, "https://") || strings.Contains(f.URL, "#") || len(f.Systems) == 0 {
			t.Errorf("incomplete family %+v", f)
		}
		if seen[f.Key] {
			t.Errorf("family %q twice", f.Key)
		}
		seen[f.Key] = true
	}
}
