package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
	"github.com/paybot/paybot/incidents"
)

func incidentCount(t *testing.T, h *bottest.Harness) int {
	t.Helper()
	list, err := h.Store.ListIncidents(context.Background(), incidents.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func textOf(msgs []bot.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Text + "\n")
	}
	return b.String()
}

// TestTyposNeverOpenIncidents: a misspelt or planned command is answered
// with a suggestion, in the channel and in a thread, and never opens an
// incident; /payissue open always does.
func TestTyposNeverOpenIncidents(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	for _, tc := range []struct{ text, want string }{
		{"stauts", "Did you mean /payissue status?"},
		{"esclate", "Did you mean /payissue escalate?"},
		{"esclate the gateway is down", "Did you mean /payissue escalate?"},
		{"/payissue stauts", "Did you mean /payissue status?"},
		{"acknowlege", "Did you mean /payissue ack?"},
		{"outage", `"outage" is not a command`},
	} {
		msgs := h.Command(tc.text)
		if n := incidentCount(t, h); n != 0 {
			t.Fatalf("%q opened an incident", tc.text)
		}
		if len(msgs) != 1 || msgs[0].Kind != bot.KindNotice || msgs[0].To == nil || !strings.Contains(msgs[0].Text, tc.want) {
			t.Errorf("%q: got %+v, want one private notice with %q", tc.text, msgs, tc.want)
		}
		if !strings.Contains(msgs[0].Text, "/payissue open <summary>") {
			t.Errorf("%q: the answer does not say how to open an incident: %q", tc.text, msgs[0].Text)
		}
	}

	// update and case are commands: outside a thread they ask which incident.
	for _, text := range []string{"update the card is still failing", "case 5551234 filed with stripe"} {
		if msgs := h.Command(text); incidentCount(t, h) != 0 || !strings.Contains(textOf(msgs), "Which incident?") {
			t.Errorf("%q in the channel: %s", text, textOf(msgs))
		}
	}

	msgs := h.Command("card payments failing at checkout")
	if incidentCount(t, h) != 1 || msgs[0].Kind != bot.KindCard {
		t.Fatalf("a plain summary did not open an incident: %s", textOf(msgs))
	}
	// Inside PAY-1's thread: typos, unknown words and a summary-looking
	// text never open PAY-2, as a command or as a /payissue message.
	for _, tc := range []struct{ text, want string }{
		{"stauts", "Did you mean /payissue status?"},
		{"esclate", "Did you mean /payissue escalate?"},
		{"something odd is happening", "not a command"},
	} {
		for _, send := range []func(string) []bot.Message{h.ThreadCommand, func(s string) []bot.Message { return h.Say("/payissue " + s) }} {
			msgs := send(tc.text)
			if n := incidentCount(t, h); n != 1 {
				t.Fatalf("%q in PAY-1's thread opened an incident", tc.text)
			}
			if !strings.Contains(textOf(msgs), tc.want) || !strings.Contains(textOf(msgs), "/payissue open <summary>") {
				t.Errorf("%q in the thread: %s", tc.text, textOf(msgs))
			}
		}
	}
	if inc := h.Incident(); inc.Status != incidents.StatusIntake || inc.Intake.Step != "category" {
		t.Errorf("a command typo moved the intake: %s at %q", inc.Status, inc.Intake.Step)
	}
	// /payissue open works anywhere, a thread included.
	msgs = h.ThreadCommand("open refunds failing too")
	if incidentCount(t, h) != 2 || msgs[0].Kind != bot.KindCard || msgs[0].Card.Ref != "PAY-2" {
		t.Errorf("/payissue open in a thread: %s", textOf(msgs))
	}
}
