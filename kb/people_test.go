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
		for _, line := range append(strings.Split(a.Body, "\n"), a.Title) {
			if line = strings.TrimLeft(line, "-# "); line != "" && (namesSomeone(line) || pointsToSomeone(line)) {
				t.Errorf("%s: %q reads as naming someone", a.ID, line)
			}
		}
	}
}

// pointsToSomeone is every check of people, contacts and names that
// CheckAnswer and CheckQuestion make, without the card-data ones (which
// starter articles about card data rightly trip when read alone): a
// mention, an email address, a phone number or extension, a contact
// request, a named person, a handle, and the question's rule that names
// nobody (a starter sentence that could be a question names nobody
// either).
func pointsToSomeone(text string) bool {
	low := strings.ToLower(text)
	return reMention.MatchString(text) || reEmail.MatchString(text) || rePhone.MatchString(text) || reExtension.MatchString(text) ||
		asksToContact(low) || namesAPerson(text) || namesSomeone(text) || reachesHandle(text) || namesAnyone(text)
}

// TestPeopleInOtherShapes: a person reached by a handle with dots,
// through a chat app used as a verb, mentioned in a #channel, escalated or
// handed over to by name, named after their job, named in full (also as
// the whole answer or a clause of it), or by an extension number is
// refused like "Ask Ana."; the roles, teams, desks, products and
// documents that answers rightly send readers to are not.
func TestPeopleInOtherShapes(t *testing.T) {
	bad := []struct{ kind, text string }{
		{"chat verb", "Ping ana"}, {"chat verb", "slack ana"}, {"chat verb", "Slack Ana"}, {"chat verb", "teams ana"},
		{"chat verb", "discord bob"}, {"chat verb", "Page ana"}, {"chat verb", "nudge bob"},
		{"handle", "Ping ana.gomez"}, {"handle", "ask j.smith"}, {"handle", "dm j.smith"}, {"handle", "email ana_gomez"},
		{"handle", "Loop in j.smith before retrying"},
		{"private", "email ana at work"},
		{"#channel", "Mention ana in #payments"}, {"#channel", "Mention Kofi in #payments"}, {"#channel", "tag bob in #fraud"},
		{"full name", "Talk to Priya Sharma from the risk team"}, {"full name", "see John Smith"}, {"full name", "Ana Gomez"},
		{"full name", "Ana Gomez."}, {"full name", "For R02: Ana Gomez."}, {"full name", "Reach out to Ana Gomez"},
		{"full name", "Ana Gomez knows the retry rules"}, {"full name", "Retry once; Priya Sharma approves the rest."},
		{"first name", "See Ana"}, {"first name", "Ana"}, {"first name", "Ana fixed this last time, ask her."},
		{"first name", "Ana from payments ops can help"}, {"first name", "bob in finance knows"},
		{"escalate", "Escalate to Ana from Payments Ops"}, {"escalate", "Escalate to Kwame from Payments Ops"},
		{"escalate", "escalate to ana"}, {"escalate", "escalate it to ana"}, {"escalate", "hand it over to Priya"},
		{"escalate", "Forward the ticket to bob"}, {"escalate", "defer to Maria"}, {"escalate", "Forward to Ngozi"},
		{"escalate", "Escalate to Ngozi"}, {"escalate", "Escalate to ana gomez"},
		{"job and name", "Ask the on-call engineer Ana"}, {"job and name", "Ask our account manager Tom"},
		{"job and name", "Contact the risk analyst Kwame."}, {"job and name", "Escalate to the on-call engineer, Ana."},
		{"extension", "reach out to ext. 4411"}, {"extension", "call extension 4411"}, {"extension", "dial 4411"},
		{"extension", "reach out on x4411"},
	}
	for _, c := range bad {
		if err := CheckAnswer(c.text); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %q was accepted", c.kind, c.text)
		}
	}
	for _, a := range []string{
		"Contact Stripe support directly.", "Ask the acquirer's risk desk", "Escalate to the on-call.",
		"Escalate to the security team", "Mention the order ID in the ticket", "See the dashboard's payout page",
		"Escalate to Tier 2 support.", "Escalate to Incident Command.", "Escalate to Trust & Safety.",
		"Forward the dispute to Visa.", "Pass the token to Elements.", "Send the logs to the provider.",
		"Route EU cards to Adyen.", "Hand over to the next on-call.", "See Radar Rules.", "See Section 4.2 of the runbook.",
		"See Stripe Docs on Radar.", "Slack Connect channels need admin approval.", "Page the on-call.", "Notify finance.",
		"Inform the acquirer.", "Inform acquirers of the outage.", "Notify customers by email.", "Mention refunds in #payments.",
		"Ask checkout.com support.", "Call refunds.create() again with the same idempotency key.", "Send receipts to customers.",
		"Forward webhooks to the staging endpoint.", "Use Apple Pay or Google Pay.", "Escalate to engineering.",
		"Escalate to management.", "Escalate to SRE.", "Contact the issuer's fraud team.", "Ask the on-call engineer.",
		"Ask the on-call engineer to check the logs.", "Ask your account manager at Stripe.",
		"Escalate to the acquirer, then retry.", "Route traffic to the backup gateway.", "Send it to ops.",
		"Charge again on Monday after 9am.", "Dial back retries to one per minute.", "Call 3DS again with the challenge flag.",
		"Sign in to the Adyen Customer Area and check the Risk settings.", "Contact Charles Schwab support.",
		"Resolution 1920x1080 screenshots are fine.", "Retry 2 x 1000 ms.", "Forward to Finance.", "Send to Stripe.",
		"Route to Fallback Gateway.", "Refer to Section 4 of the runbook.", "Hand off to Payments Ops.", "Send to Adyen support.",
	} {
		if err := CheckAnswer(a); err != nil {
			t.Errorf("%q was refused: %v", a, err)
		}
	}
}

// FuzzCheckAnswer: any text gets an answer (nil or a refusal), never a
// panic, from CheckAnswer and CheckQuestion; "Ask Ana." once indexed past
// the end of the words.
func FuzzCheckAnswer(f *testing.F) {
	for _, s := range []string{"Ask Ana.", "ask", "Give", "give x a", "DM <@U1>", "call +1 415 555 0100", "Contact Stripe support directly.",
		"send me your card number", "John Smith knows", "ping bob on", "reach out to",
		"escalate to", "escalate it to", "hand over to Ana", "ping a.", "ask j.smith", "mention ana in #", "Ana", "ana.",
		"ext. 4411", "x4411", "the on-call engineer", "get the", "write down", "confirm the full", "card #", "CC#",
		"the numbers on the", "the code on the back", "\"enter the card number\"", "ask the customer to", "San Ana?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := CheckAnswer(s); err != nil && !errors.Is(err, ErrRefused) {
			t.Fatalf("CheckAnswer(%q) = %v, not a refusal", s, err)
		}
		if err := CheckQuestion(s); err != nil && (!errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "the question")) {
			t.Fatalf("CheckQuestion(%q) = %v, not a refusal of the question", s, err)
		}
	})
}
