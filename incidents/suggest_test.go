package incidents

import "testing"

func TestNearest(t *testing.T) {
	gateways := []string{"stripe", "adyen", "paypal", "braintree", "checkout", "worldpay"}
	for _, tc := range []struct {
		word string
		opts []string
		want string
	}{
		{"strpe", gateways, "stripe"},
		{"stirpe", gateways, "stripe"},
		{"adyn", gateways, "adyen"},
		{"Paypall", gateways, "paypal"},
		{"braintre", gateways, "braintree"},
		{"stripe", gateways, ""},
		{"Stripe", gateways, ""},
		{"mollie", gateways, ""},
		{"klarna", gateways, ""},
		{"ayden", gateways, "adyen"},
		{"securty", []string{"declines", "timeouts", "integration", "security", "payouts", "other"}, "security"},
		{"payout", []string{"declines", "payouts"}, "payouts"},
		{"x", gateways, ""},
		{"", gateways, ""},
	} {
		if got := Nearest(tc.word, tc.opts); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"stauts", "status", 1}, {"strpe", "stripe", 1}, {"card", "case", 2}, {"", "ab", 2}, {"ca", "abc", 3}, {"é", "e", 1},
	} {
		if got := EditDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
