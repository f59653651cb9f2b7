package incidents

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paybot/paybot/incidents/redact"
)

func TestParseImpact(t *testing.T) {
	tests := []struct {
		in   string
		want Impact
	}{
		{"30%", Impact{Kind: ImpactPercent, Percent: 30}},
		{"30", Impact{Kind: ImpactPercent, Percent: 30}},
		{"30 %", Impact{Kind: ImpactPercent, Percent: 30}},
		{"30 percent", Impact{Kind: ImpactPercent, Percent: 30}},
		{"30 per cent", Impact{Kind: ImpactPercent, Percent: 30}},
		{"~30%", Impact{Kind: ImpactPercent, Percent: 30}},
		{"about 30% of payments", Impact{Kind: ImpactPercent, Percent: 30}},
		{"30% failing", Impact{Kind: ImpactPercent, Percent: 30}},
		{"0.5%", Impact{Kind: ImpactPercent, Percent: 0.5}},
		{"0,5%", Impact{Kind: ImpactPercent, Percent: 0.5}},
		{"0", Impact{Kind: ImpactPercent, Percent: 0}},
		{"20-30%", Impact{Kind: ImpactPercent, Percent: 30}},
		{"20 to 30 percent", Impact{Kind: ImpactPercent, Percent: 30}},
		{"1 in 10", Impact{Kind: ImpactPercent, Percent: 10}},
		{"3 out of 4", Impact{Kind: ImpactPercent, Percent: 75}},
		{"1 of 3", Impact{Kind: ImpactPercent, Percent: 33.33}},
		{"100%", Impact{Kind: ImpactAll}},
		{"100", Impact{Kind: ImpactAll}},
		{"ALL", Impact{Kind: ImpactAll}},
		{"all payments.", Impact{Kind: ImpactAll}},
		{"everything", Impact{Kind: ImpactAll}},
		{"some", Impact{Kind: ImpactSome}},
		{"Intermittent", Impact{Kind: ImpactSome}},
		{"unknown", Impact{Kind: ImpactUnknown}},
		{"not sure", Impact{Kind: ImpactUnknown}},
		{"?", Impact{Kind: ImpactUnknown}},
	}
	for _, tt := range tests {
		got, err := ParseImpact(tt.in)
		if err != nil {
			t.Errorf("ParseImpact(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseImpact(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	for _, in := range []string{"", "lots", "101%", "150", "-5%", "30-20%", "1 in 0", "5 of 3", "NaN", "Inf%", "1e3", "30%%", "thirty"} {
		if got, err := ParseImpact(in); err == nil {
			t.Errorf("ParseImpact(%q) = %+v, want an error", in, got)
		} else if !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseImpact(%q): error %v is not ErrInvalid", in, err)
		}
	}
}

func TestValidateTransactionID(t *testing.T) {
	for _, id := range []string{
		"ch_3NxYz", "pi_123", "8AB12345CD678901E", "123e4567-e89b-12d3-a456-426614174000",
		"txn:abc.def", "abc", strings.Repeat("a", 128), "40000000001", "PAYID-MZXY",
	} {
		if err := ValidateTransactionID(id); err != nil {
			t.Errorf("ValidateTransactionID(%q): %v", id, err)
		}
	}
	tests := []struct{ id, reason string }{
		{"4242424242424242", "card number"},
		{"4242-4242-4242-4242", "card number"},
		{"••••4242", "card number"},
		{"****4242", "card number"},
		{"ab", "too short"},
		{strings.Repeat("a", 129), "too long"},
		{"ch 123", "does not look like"},
		{"ch_12$", "does not look like"},
		{"...", "does not look like"},
		{"---", "does not look like"},
	}
	for _, tt := range tests {
		err := ValidateTransactionID(tt.id)
		if err == nil || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("ValidateTransactionID(%q) = %v, want %q", tt.id, err, tt.reason)
		}
	}
}

func stepOf(t testing.TB, id string) Step {
	t.Helper()
	s := DefaultFlow().Step(id)
	if s == nil {
		t.Fatalf("no default step %q", id)
	}
	return *s
}

func TestStepParse(t *testing.T) {
	tests := []struct {
		step    string
		in      string
		values  []string
		display string
	}{
		{StepCategory, "1", []string{CategoryDeclines}, "Failed transactions / declines"},
		{StepCategory, " declines ", []string{CategoryDeclines}, ""},
		{StepCategory, "DECLINED", []string{CategoryDeclines}, ""},
		{StepCategory, "failed transactions / declines", []string{CategoryDeclines}, ""},
		{StepCategory, "slow processing / timeouts", []string{CategoryTimeouts}, ""},
		{StepCategory, "API errors", []string{CategoryIntegration}, ""},
		{StepCategory, "4.", []string{CategorySecurity}, ""},
		{StepCategory, "sec", []string{CategorySecurity}, ""}, // unique prefix
		{StepCategory, "payouts", []string{CategoryPayouts}, ""},
		{StepCategory, "6", []string{CategoryOther}, "Other"},
		{StepProvider, "stripe", []string{"stripe"}, "Stripe"},
		{StepProvider, "2", []string{"adyen"}, "Adyen"},
		{StepProvider, "checkout", []string{"checkout"}, "Checkout.com"},
		{StepProvider, "Checkout.com", []string{"checkout"}, "Checkout.com"},
		{StepProvider, "authnet", []string{"authorizenet"}, "Authorize.Net"},
		{StepProvider, "authorize.net", []string{"authorizenet"}, "Authorize.Net"},
		{StepProvider, "AUTHORIZE NET", []string{"authorizenet"}, "Authorize.Net"},
		{StepProvider, "paypal", []string{"paypal"}, "PayPal"},
		{StepProvider, "  Mollie   Payments ", []string{"Mollie Payments"}, "Mollie Payments"},
		{StepEnvironment, "prod", []string{EnvProduction}, "Production"},
		{StepEnvironment, "LIVE", []string{EnvProduction}, ""},
		{StepEnvironment, "1", []string{EnvProduction}, ""},
		{StepEnvironment, "staging", []string{EnvSandbox}, ""},
		{StepEnvironment, "test", []string{EnvSandbox}, ""},
		{StepEnvironment, "sandbox", []string{EnvSandbox}, "Sandbox / test"},
		{StepTransactionIDs, "ch_3NxYz, pi_123", []string{"ch_3NxYz", "pi_123"}, "ch_3NxYz, pi_123"},
		{StepTransactionIDs, "ch_1 ch_2\nch_3; ch_1", []string{"ch_1", "ch_2", "ch_3"}, ""},
		{StepTransactionIDs, "8AB12345CD678901E", []string{"8AB12345CD678901E"}, ""},
		{StepTransactionIDs, "`pi_123`", []string{"pi_123"}, ""},
		{StepPaymentMethods, "1,3", []string{"visa", "amex"}, "Visa, Amex"},
		{StepPaymentMethods, "1 3", []string{"visa", "amex"}, ""},
		{StepPaymentMethods, "visa, apple pay", []string{"visa", "apple_pay"}, "Visa, Apple Pay"},
		{StepPaymentMethods, "Visa Mastercard Apple Pay", []string{"visa", "mastercard", "apple_pay"}, ""},
		{StepPaymentMethods, "visa and mc", []string{"visa", "mastercard"}, ""},
		{StepPaymentMethods, "SEPA / ACH", []string{"sepa", "ach"}, ""},
		{StepPaymentMethods, "visa, visa, 1", []string{"visa"}, ""},
		{StepPaymentMethods, "google pay", []string{"google_pay"}, ""},
		{StepPaymentMethods, "all", []string{"visa", "mastercard", "amex", "discover", "jcb", "unionpay", "ach", "sepa", "apple_pay", "google_pay", "paypal"}, ""},
		{StepConfirm, "yes", []string{"yes"}, ""},
		{StepConfirm, "Y", []string{"yes"}, ""},
		{StepConfirm, "confirm", []string{"yes"}, ""},
		{StepConfirm, "edit", []string{"edit"}, ""},
		{StepConfirm, "edit provider", []string{"edit", "provider"}, ""},
		{StepConfirm, "change  the impact", []string{"edit", "the impact"}, ""},
	}
	for _, tt := range tests {
		s := stepOf(t, tt.step)
		a, err := s.Parse(tt.in, testNow, testLoc)
		if err != nil {
			t.Errorf("%s.Parse(%q): %v", tt.step, tt.in, err)
			continue
		}
		if a.Step != tt.step {
			t.Errorf("%s.Parse(%q).Step = %q", tt.step, tt.in, a.Step)
		}
		if !reflect.DeepEqual(a.Values, tt.values) {
			t.Errorf("%s.Parse(%q).Values = %q, want %q", tt.step, tt.in, a.Values, tt.values)
		}
		if tt.display != "" && a.Display != tt.display {
			t.Errorf("%s.Parse(%q).Display = %q, want %q", tt.step, tt.in, a.Display, tt.display)
		}
	}
}

func TestStepParseTimeImpactText(t *testing.T) {
	a, err := stepOf(t, StepStartedAt).Parse("10 min ago", testNow, testLoc)
	if err != nil || a.Time == nil || !a.Time.Equal(testNow.Add(-10*60e9)) || !strings.Contains(a.Display, "10 min ago") {
		t.Fatalf("started_at: %+v, %v", a, err)
	}
	a, err = stepOf(t, StepImpact).Parse("30%", testNow, testLoc)
	if err != nil || a.Impact == nil || *a.Impact != (Impact{Kind: ImpactPercent, Percent: 30}) || a.Display != "30% failing" {
		t.Fatalf("impact: %+v, %v", a, err)
	}
	a, err = stepOf(t, StepErrorMessages).Parse("  Stripe says card_declined / do not honor, issuer response code 05  ", testNow, testLoc)
	want := []Code{{CodeStripe, "card_declined"}, {CodeStripe, "do_not_honor"}, {CodeISO8583, "05"}}
	if err != nil || !reflect.DeepEqual(a.Codes, want) || strings.HasPrefix(a.Display, " ") {
		t.Fatalf("error_messages: %+v, %v", a, err)
	}
	a, err = stepOf(t, StepStepsTaken).Parse("restarted the workers", testNow, testLoc)
	if err != nil || a.Display != "restarted the workers" || a.Codes != nil {
		t.Fatalf("steps_taken: %+v, %v", a, err)
	}
}

func TestStepParseErrors(t *testing.T) {
	tests := []struct {
		step, in, reason string
	}{
		{StepCategory, "", "Please type"},
		{StepCategory, "   ", "Please type"},
		{StepCategory, "7", "not one of the options"},
		{StepCategory, "0", "not one of the options"},
		{StepCategory, "banana", "not one of the options"},
		{StepCategory, "o", "not one of the options"},
		{StepProvider, "9", "no option 9"},
		{StepProvider, strings.Repeat("x", 81), "too long"},
		{StepEnvironment, "moon", "1. Production"},
		{StepStartedAt, "tomorrow", "could not read"},
		{StepStartedAt, "2026-12-01 10:00", "future"},
		{StepImpact, "lots", "could not read"},
		{StepImpact, "120%", "0 to 100"},
		{StepErrorMessages, strings.Repeat("x", MaxTextLen+1), "too long"},
		{StepTransactionIDs, "4242 4242 4242 4242", "card number"},
		{StepTransactionIDs, "ch_123, 4242-4242-4242-4242", "card number"},
		{StepTransactionIDs, "ch_123 4242424242424242", "card number"},
		{StepTransactionIDs, "ch_123, ••••4242", "card number"},
		{StepTransactionIDs, "ch_123, a", "too short"},
		{StepTransactionIDs, "ch_123 [REDACTED stripe secret key]", "secret"},
		{StepTransactionIDs, "ch_123, x$y", "does not look like"},
		{StepTransactionIDs, ",,,", "at least one"},
		{StepPaymentMethods, "visa, pay with a bank transfer from abroad", `I don't know "pay with a bank transfer`},
		{StepPaymentMethods, "13", `"13"`},
		{StepPaymentMethods, ", ,", "at least one"},
		{StepConfirm, "maybe", "Reply yes"},
	}
	for _, tt := range tests {
		s := stepOf(t, tt.step)
		_, err := s.Parse(tt.in, testNow, testLoc)
		var ae *AnswerError
		if !errors.As(err, &ae) {
			t.Errorf("%s.Parse(%q) = %v, want *AnswerError", tt.step, tt.in, err)
			continue
		}
		if ae.Step != tt.step || ae.Example == "" || !strings.Contains(ae.Error(), tt.reason) {
			t.Errorf("%s.Parse(%q) = %+v, want step, example and %q", tt.step, tt.in, ae, tt.reason)
		}
	}
}

func TestStepParsePattern(t *testing.T) {
	s := Step{ID: "ticket", Kind: KindText, Prompt: "Ticket?", Pattern: `^[A-Z]+-\d+$`, Example: "OPS-12"}
	if _, err := s.Parse("OPS-12", testNow, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Parse("ops 12", testNow, nil); err == nil || !strings.Contains(err.Error(), "OPS-12") {
		t.Fatalf("pattern not enforced: %v", err)
	}
	l := Step{ID: "orders", Kind: KindList, Prompt: "Orders?", Pattern: `^ord_\d+$`}
	if a, err := l.Parse("ord_1, ord_2", testNow, nil); err != nil || len(a.Values) != 2 {
		t.Fatal(a, err)
	}
	if _, err := l.Parse("ord_1, x", testNow, nil); err == nil {
		t.Fatal("list pattern not enforced")
	}
	if _, err := l.Parse("ord_1 4242 4242 4242 4242", testNow, nil); err == nil || !strings.Contains(err.Error(), "card") {
		t.Fatalf("card number in a custom list: %v", err)
	}
	bad := Step{ID: "x", Kind: KindText, Pattern: `(`}
	if _, err := bad.Parse("a", testNow, nil); err == nil {
		t.Fatal("broken pattern accepted")
	}
	unk := Step{ID: "x", Kind: "weird"}
	if _, err := unk.Parse("a", testNow, nil); err == nil {
		t.Fatal("unknown kind accepted")
	}
}

func FuzzParseImpact(f *testing.F) {
	for _, s := range []string{"30%", "30", "30 percent", "0.5%", "all", "100%", "some", "unknown", "20-30%", "1 in 10", "", "101"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		im, err := ParseImpact(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseImpact(%q): error %v is not ErrInvalid", s, err)
			}
			return
		}
		switch im.Kind {
		case ImpactPercent:
			if !(im.Percent >= 0 && im.Percent < 100) {
				t.Fatalf("ParseImpact(%q) = %v out of range", s, im.Percent)
			}
		case ImpactAll, ImpactSome, ImpactUnknown:
			if im.Percent != 0 {
				t.Fatalf("ParseImpact(%q) = %+v has a percent", s, im)
			}
		default:
			t.Fatalf("ParseImpact(%q) kind %q", s, im.Kind)
		}
	})
}

func FuzzParseAnswer(f *testing.F) {
	steps := DefaultFlow().Steps
	seeds := []string{"1", "declines", "stripe", "checkout", "prod", "10 min ago", "30%", "code 05 do_not_honor",
		"ch_1, pi_2", "4242 4242 4242 4242", "visa, apple pay", "yes", "edit provider", "", "all"}
	for i := range steps {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, idx uint8, text string) {
		s := steps[int(idx)%len(steps)]
		a, err := s.Parse(text, testNow, testLoc)
		if err != nil {
			var ae *AnswerError
			if !errors.As(err, &ae) || ae.Step != s.ID || ae.Reason == "" || !utf8.ValidString(ae.Error()) {
				t.Fatalf("%s.Parse(%q): bad error %#v", s.ID, text, err)
			}
			return
		}
		if a.Step != s.ID {
			t.Fatalf("%s.Parse(%q).Step = %q", s.ID, text, a.Step)
		}
		if !utf8.ValidString(a.Display) {
			t.Fatalf("%s.Parse(%q): invalid UTF-8 display", s.ID, text)
		}
		switch s.Kind {
		case KindChoice, KindMulti, KindList, KindConfirm:
			if len(a.Values) == 0 {
				t.Fatalf("%s.Parse(%q): no values", s.ID, text)
			}
		case KindTime:
			if a.Time == nil {
				t.Fatalf("%s.Parse(%q): no time", s.ID, text)
			}
		case KindPercent:
			if a.Impact == nil {
				t.Fatalf("%s.Parse(%q): no impact", s.ID, text)
			}
		}
		if s.ID == StepTransactionIDs {
			for _, v := range a.Values {
				if redact.IsCardNumber(v) || strings.Contains(v, "•") {
					t.Fatalf("card number accepted as a transaction id: %q", v)
				}
				if err := ValidateTransactionID(v); err != nil {
					t.Fatalf("invalid id %q accepted: %v", v, err)
				}
			}
		}
	})
}

// In production the engine redacts a reply before the intake parses it; a
// masked card or secret must still be refused, with the card reason.
func TestTransactionIDsAfterRedaction(t *testing.T) {
	s := stepOf(t, StepTransactionIDs)
	for _, raw := range []string{"ch_123, 4242 4242 4242 4242", "4000-0566-5566-5556", "pi_1 sk_live_abcdefghijklmnop1234"} {
		red, _ := redact.Redact(raw)
		_, err := s.Parse(red, testNow, testLoc)
		if err == nil {
			t.Errorf("%q (redacted %q) accepted", raw, red)
			continue
		}
		if !strings.Contains(err.Error(), "card number") && !strings.Contains(err.Error(), "secret") {
			t.Errorf("%q (redacted %q): %v", raw, red, err)
		}
	}
}
