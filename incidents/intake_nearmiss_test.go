package incidents

import (
	"strings"
	"testing"
)

func TestGatewaySpelling(t *testing.T) {
	for in, want := range map[string]string{
		"paypal": "PayPal", "PAYPAL": "PayPal", "checkout": "Checkout.com", "checkout.com": "Checkout.com",
		"adyen": "Adyen", "braintree": "Braintree", "gocardless": "GoCardless", "Go Cardless": "GoCardless",
		"worldpay": "Worldpay", "authorizenet": "Authorize.Net", "Acme Pay": "Acme Pay", "": "",
	} {
		if got := GatewayName(in); got != want {
			t.Errorf("GatewayName(%q) = %q, want %q", in, got, want)
		}
	}
	p := DefaultPolicy()
	if got := p.providerName("paypal"); got != "PayPal" {
		t.Errorf("providerName(paypal) = %q, want PayPal", got)
	}
	s, _ := DefaultStep(StepProvider)
	for in, want := range map[string][2]string{
		"PayPal": {"paypal", "PayPal"}, "paypal": {"paypal", "PayPal"}, "GoCardless": {"gocardless", "GoCardless"},
		"gocardless": {"gocardless", "GoCardless"}, "checkout.com": {"checkout", "Checkout.com"}, "Acme Pay": {"Acme Pay", "Acme Pay"},
	} {
		a, err := s.Parse(in, testNow, testLoc)
		if err != nil || a.Values[0] != want[0] || a.Display != want[1] {
			t.Errorf("provider %q = %+v, %v; want %v", in, a, err, want)
		}
	}
}

// TestIntakeGatewayNearMiss: a near miss of a known gateway is not stored
// as typed: Paybot asks, and yes, no, the same text again or a new answer
// settle it.
func TestIntakeGatewayNearMiss(t *testing.T) {
	for _, tc := range []struct {
		typed, reply string
		want         string // Details.Provider
		display      string // in the summary
	}{
		{"strpe", "yes", "stripe", "Stripe"},
		{"stirpe", "y", "stripe", "Stripe"},
		{"adyn", "yes", "adyen", "Adyen"},
		{"Paypall", "yes", "paypal", "PayPal"},
		{"brainrtee", "yes", "braintree", "Braintree"},
		{"gocardles", "yes", "gocardless", "GoCardless"},
		{"strpe", "no", "strpe", "strpe"},
		{"strpe", "strpe", "strpe", "strpe"},
		{"adyn", "Adyen", "adyen", "Adyen"},
		{"adyn", "2", "adyen", "Adyen"},
	} {
		w := newWalker(t)
		w.say("declines", Asked, StepProvider)
		r := w.say(tc.typed, Reasked, StepProvider)
		if !strings.Contains(r.Err.Reason, "did you mean") || w.inc.Details.Provider != "" {
			t.Errorf("%q: %v, provider %q", tc.typed, r.Err, w.inc.Details.Provider)
		}
		w.say(tc.reply, Asked, StepEnvironment)
		if w.inc.Details.Provider != tc.want || w.inc.Intake.Pending != nil {
			t.Errorf("%q then %q: provider %q (pending %+v), want %q", tc.typed, tc.reply, w.inc.Details.Provider, w.inc.Intake.Pending, tc.want)
		}
		if sum := w.f.Summary(w.inc) + "\n"; !strings.Contains(sum, "Provider: "+tc.display+"\n") {
			t.Errorf("%q then %q: summary\n%s", tc.typed, tc.reply, sum)
		}
	}

	// A question lasts one reply: back, then yes at the provider again,
	// is not a confirmation of the old suggestion.
	w := newWalker(t)
	w.say("declines", Asked, StepProvider)
	w.say("strpe", Reasked, StepProvider)
	w.say("back", Asked, StepCategory)
	w.say("declines", Asked, StepProvider)
	if w.inc.Intake.Pending != nil {
		t.Errorf("pending survived back: %+v", w.inc.Intake.Pending)
	}
	// Names that are no near miss are kept without a question.
	w.say("Acme Payments", Asked, StepEnvironment)
	if w.inc.Details.Provider != "Acme Payments" {
		t.Errorf("provider = %q", w.inc.Details.Provider)
	}
}

func TestPaymentMethodsOther(t *testing.T) {
	s, _ := DefaultStep(StepPaymentMethods)
	for _, tc := range []struct {
		in      string
		values  []string
		display string
	}{
		{"visa, klarna", []string{"visa", "klarna"}, "Visa, Other (klarna)"},
		{"Visa Klarna", []string{"visa", "Klarna"}, "Visa, Other (Klarna)"},
		{"iDEAL, Bancontact", []string{"iDEAL", "Bancontact"}, "Other (iDEAL), Other (Bancontact)"},
		{"apple cash and visa", []string{"visa", "apple cash"}, "Visa, Other (apple cash)"},
		{"mastercad", []string{"mastercard"}, "Mastercard"},
		{"visa, others", []string{"visa", "other"}, "Visa, Other"},
		{"other", []string{"other"}, "Other"},
	} {
		a, err := s.Parse(tc.in, testNow, testLoc)
		if err != nil || strings.Join(a.Values, "|") != strings.Join(tc.values, "|") || a.Display != tc.display {
			t.Errorf("%q = %v %q, %v; want %v %q", tc.in, a.Values, a.Display, err, tc.values, tc.display)
		}
	}
	// The summary keeps the name under Other.
	f := DefaultFlow()
	inc := New("x", reporter, Conversation{}, testNow)
	a, _ := s.Parse("visa, Klarna", testNow, testLoc)
	inc.Details.Apply(a)
	inc.Intake.History = []string{StepPaymentMethods}
	if sum := f.Summary(inc); !strings.Contains(sum, "Payment methods: Visa, Other (Klarna)") {
		t.Errorf("summary:\n%s", sum)
	}
}
