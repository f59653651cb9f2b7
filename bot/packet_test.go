package bot_test

import (
	"strings"
	"testing"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
	"github.com/paybot/paybot/incidents"
)

const deskPolicyYAML = `
team:
  - id: alice
    name: Alice Internal
    role: incident_manager
    handles: {fake: alice}
providers:
  paypal:
    name: PayPal
    merchant_id: MID-4711
    account_id: ACC-99
    support: {phone: "+1 888 221 1161", portal: "https://www.paypal.com/mep/dashboard"}
routing:
  - name: desk
    ladder:
      - {contact: provider:support, wait: 10m}
`

// The packet for the gateway's desk: final answers only (not a typo and
// its correction), one labelled zone, the merchant and account ids, the
// case number, no internal names or escalation; a desk with only phone and
// portal is posted in the thread for a person to file.
func TestPacketForTheDesk(t *testing.T) {
	p, probs := incidents.ParsePolicyYAML([]byte(deskPolicyYAML))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	h := bottest.New(t, bot.Config{Policy: p})
	msgs := h.Command("wallet payments failing")
	for i := 0; i < 20; i++ {
		step := bottest.Expects(msgs)
		if step == "" {
			break
		}
		a := answers[step]
		switch step {
		case "provider":
			a = "paypal"
		case "impact":
			// A wrong answer, then back and the right one: only the last counts.
			h.Say("75%")
			h.Say("back")
			msgs = h.Say("paypal")
			if bottest.Expects(msgs) != "impact" {
				t.Fatalf("back did not return to impact: %s", texts(msgs))
			}
			a = "40%"
		}
		msgs = h.Say(a)
	}
	got := texts(h.ThreadCommand("escalate"))
	if !strings.Contains(got, "+1 888 221 1161") || !strings.Contains(got, "https://www.paypal.com/mep/dashboard") || !strings.Contains(got, "Support packet PAY-1") {
		t.Fatalf("a desk with only phone and portal must be posted for a person to file:\n%s", got)
	}
	if len(h.Adapter.DMs) != 0 {
		t.Errorf("a desk was sent a direct message: %+v", h.Adapter.DMs)
	}
	h.ThreadCommand("case SR-2026-0042")
	out := texts(h.ThreadCommand("summary"))
	for _, want := range []string{"(times in UTC)", "Provider: PayPal", "Merchant ID: MID-4711", "Account ID: ACC-99", "Gateway case number: SR-2026-0042", "Impact: 40%"} {
		if !strings.Contains(out, want) {
			t.Errorf("packet lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"75%", "Paypal", "alice", "Alice Internal", "engaged", "escalation", "level 1"} {
		if strings.Contains(out, bad) {
			t.Errorf("packet has %q:\n%s", bad, out)
		}
	}
}
