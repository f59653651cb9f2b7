package bot_test

import (
	"strings"
	"testing"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
	"github.com/paybot/paybot/incidents"
)

// TestIntakeAPersonDoesNotFight: a payout problem is not asked about
// failing payments, a typo of a gateway is asked about rather than stored,
// "about 60% of card payments" is 60%, an unknown payment method is kept
// under Other, and PayPal is spelt PayPal.
func TestIntakeAPersonDoesNotFight(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	h.Command("payouts to our bank are two days late")
	msgs := h.Say("payouts")
	if bottest.Expects(msgs) != "provider" || !strings.Contains(textOf(msgs), "(2/8)") {
		t.Fatalf("payouts: want the provider question as 2 of 8: %s", textOf(msgs))
	}
	msgs = h.Say("strpe")
	if bottest.Expects(msgs) != "provider" || !strings.Contains(textOf(msgs), "did you mean Stripe?") {
		t.Fatalf("strpe: %s", textOf(msgs))
	}
	if p := h.Incident().Details.Provider; p != "" {
		t.Fatalf("the typo was stored: %q", p)
	}
	h.Say("yes")
	h.Say("production")
	msgs = h.Say("this morning")
	if bottest.Expects(msgs) == "started_at" {
		msgs = h.Say("2 hours ago")
	}
	for _, m := range msgs {
		if strings.Contains(m.Text, "share of payments") {
			t.Errorf("a payout problem was asked about failing payments: %q", m.Text)
		}
	}
	for bottest.Expects(msgs) != "confirm" && bottest.Expects(msgs) != "" {
		if bottest.Expects(msgs) == "impact" || bottest.Expects(msgs) == "payment_methods" {
			t.Fatalf("payouts asked %s", bottest.Expects(msgs))
		}
		msgs = h.Say("skip")
	}
	if inc := h.Incident(); inc.Details.Provider != "stripe" {
		t.Errorf("provider = %q, want stripe", inc.Details.Provider)
	}

	// A card problem on PayPal: the share as people say it, a method the
	// list lacks.
	h2 := bottest.New(t, bot.Config{})
	h2.Command("card payments failing on paypal")
	h2.Say("declines")
	msgs = h2.Say("paypal")
	h2.Say("production")
	h2.Say("10 min ago")
	msgs = h2.Say("about 60% of card payments")
	if bottest.Expects(msgs) != "error_messages" {
		t.Fatalf("about 60%% of card payments not read: %s", textOf(msgs))
	}
	h2.Say("skip")
	h2.Say("skip")
	msgs = h2.Say("visa, klarna")
	if bottest.Expects(msgs) != "steps_taken" {
		t.Fatalf("visa, klarna not taken: %s", textOf(msgs))
	}
	msgs = h2.Say("skip")
	sum := textOf(msgs)
	for _, want := range []string{"Provider: PayPal", "Impact: 60% failing", "Payment methods: Visa, Other (klarna)"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	h2.Say("yes")
	inc := h2.Incident()
	if inc.Status != incidents.StatusOpen || inc.Severity != incidents.Sev1 {
		t.Errorf("opened as %s %s, want open SEV1 (60%% of production payments)", inc.Status, inc.Severity)
	}
	if c := h2.Adapter.Updates[len(h2.Adapter.Updates)-1].Card; c == nil || c.Provider != "PayPal" {
		t.Errorf("card provider: %+v", c)
	}
}
