package kb

import (
	"errors"
	"strings"
	"testing"
)

// TestAnswersNamingSomeoneAreRefused: an answer that sends readers to a
// person by first name alone (no title, no mention, no private channel)
// is refused; roles, teams, companies, API calls and the starter
// articles' own sentences are not.
func TestAnswersNamingSomeoneAreRefused(t *testing.T) {
	for _, a := range []string{
		"Ask Ana.", "ask ana", "email ana about it", "message ana", "Ask John Smith", "John Smith knows how to fix this",
		"reach out to bob", "Ping Bob", "Give Sarah a call", "Ask Ana from the payments team", "speak with Carlos",
		"Ask Priya", "Priya can help with this", "check with Maria before retrying", "loop in Dave", "give ana a ring",
		"Retry twice, then ping bob.", "Don't retry. Talk to Mateo first!",
	} {
		if err := CheckAnswer(a); !errors.Is(err, ErrRefused) {
			t.Errorf("%q was accepted", a)
		}
	}
	for _, a := range []string{
		"Contact Nexi support", "ask for the auth code", "email receipts to customers", "Ask", "ping", "dm",
		"Retry is safe after an hour.", "Call capture after the goods ship.", "Contact Worldline about the file.",
		"Ask Stripe's support team.", "Email PayPal Merchant Technical Support.", "Talk to Adyen.", "Ask your acquirer.",
		"Contact Visa Account Updater support", "Check with the issuer.", "Ping the gateway status page first.", "Call Amex.",
		"Reach out to Checkout.com support.", "Message Braintree support with the transaction id.", "Ask Klarna.",
		"Text the customer a payment link.", "Ask for a screenshot of the decline message shown after the card was entered.",
		"Signals: email age, IP country, device or email domain.", "You can retry on Monday.",
	} {
		if err := CheckAnswer(a); err != nil {
			t.Errorf("%q was refused: %v", a, err)
		}
	}
	arts, err := StarterArticles()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		for _, line := range strings.Split(a.Body, "\n") {
			if line = strings.TrimLeft(line, "-# "); line != "" && namesSomeone(line) {
				t.Errorf("%s: %q reads as naming someone", a.ID, line)
			}
		}
	}
}

// FuzzCheckAnswer: any text gets an answer (nil or a refusal), never a
// panic; "Ask Ana." once indexed past the end of the words.
func FuzzCheckAnswer(f *testing.F) {
	for _, s := range []string{"Ask Ana.", "ask", "Give", "give x a", "DM <@U1>", "call +1 415 555 0100", "Contact Stripe support directly.",
		"send me your card number", "John Smith knows", "ping bob on", "reach out to"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := CheckAnswer(s); err != nil && !errors.Is(err, ErrRefused) {
			t.Fatalf("CheckAnswer(%q) = %v, not a refusal", s, err)
		}
	})
}
