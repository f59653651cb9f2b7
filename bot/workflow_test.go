package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
	"github.com/paybot/paybot/incidents"
)

func lastCard(t *testing.T, h *bottest.Harness) *bot.Card {
	t.Helper()
	if len(h.Adapter.Updates) == 0 || h.Adapter.Updates[len(h.Adapter.Updates)-1].Card == nil {
		t.Fatal("no card update")
	}
	return h.Adapter.Updates[len(h.Adapter.Updates)-1].Card
}

// TestUpdateShowsOnCardAndResetsReminder: /payissue update posts in the
// thread, shows on the card, goes on the timeline as an update, and pushes
// the update reminder out by a full interval (20m for SEV1 here).
func TestUpdateShowsOnCardAndResetsReminder(t *testing.T) {
	h := escalationHarness(t)
	if got := tick(t, h, 15*time.Minute); countContaining(got, "Reminder") != 0 {
		t.Fatalf("early reminder: %s", texts(got))
	}
	msgs := h.ThreadCommand("update rolled back deploy 4711, declines falling")
	if countContaining(msgs, "Update on PAY-1 from") != 1 || countContaining(msgs, "rolled back deploy 4711, declines falling") != 1 {
		t.Fatalf("update not posted: %s", texts(msgs))
	}
	if c := lastCard(t, h); !strings.Contains(c.LastUpdate, "rolled back deploy 4711, declines falling (alice,") {
		t.Errorf("card last update = %q", c.LastUpdate)
	}
	inc := h.Incident()
	if inc.Roles.LastUpdate == nil || inc.Roles.LastUpdate.By.ID != "alice" {
		t.Errorf("last update not stored: %+v", inc.Roles)
	}
	tl, _ := h.Store.Timeline(context.Background(), inc.ID)
	if tl[len(tl)-1].Kind != incidents.EventUpdate {
		t.Errorf("timeline ends with %q, want an update", tl[len(tl)-1].Kind)
	}
	// The reminder due at 20m is gone; the next one is 20m after the update.
	if got := tick(t, h, 19*time.Minute); countContaining(got, "Reminder") != 0 {
		t.Fatalf("reminder despite the update: %s", texts(got))
	}
	if got := tick(t, h, time.Minute); countContaining(got, "Reminder") != 1 {
		t.Fatalf("no reminder a full interval after the update: %s", texts(got))
	}

	// From the channel, with the ref: posted in the thread, confirmed privately.
	msgs = h.Command("update PAY-1 still watching the decline rate")
	if countContaining(msgs, "Update on PAY-1") != 1 || countContaining(msgs, "Posted your update in the thread of PAY-1") != 1 {
		t.Errorf("update from the channel: %s", texts(msgs))
	}
	// A mention in an update is echoed as a plain word, never a ping.
	msgs = h.ThreadCommand("update <!channel> fixed, thanks <@U0BOB|bob>")
	if countContaining(msgs, "@channel fixed, thanks @bob") != 1 || countContaining(msgs, "<!channel>") != 0 || strings.Contains(lastCard(t, h).LastUpdate, "<!") {
		t.Errorf("mention echoed live: %s", texts(msgs))
	}
	for _, bad := range []struct{ text, want string }{
		{"update", "Say where things stand"},
		{"updte all good", "Did you mean /payissue update?"},
	} {
		if msgs := h.ThreadCommand(bad.text); countContaining(msgs, bad.want) != 1 {
			t.Errorf("%q: %s", bad.text, texts(msgs))
		}
	}
}

// TestJoinAndLead: join records a responder (who may then post updates),
// lead names one and shows on the card.
func TestJoinAndLead(t *testing.T) {
	h := escalationHarness(t)
	if msgs := as(h, "carol", "update I can help"); countContaining(msgs, "Sorry") != 1 {
		t.Fatalf("a stranger posted an update: %s", texts(msgs))
	}
	msgs := as(h, "carol", "join")
	if countContaining(msgs, "carol joined PAY-1 as a responder") != 1 {
		t.Fatalf("join: %s", texts(msgs))
	}
	if inc := h.Incident(); !inc.Roles.IsResponder(bottest.User("carol")) {
		t.Fatalf("carol is not a responder: %+v", inc.Roles)
	}
	if msgs := as(h, "carol", "join"); countContaining(msgs, "already a responder") != 1 {
		t.Errorf("second join: %s", texts(msgs))
	}
	if msgs := as(h, "carol", "update checking the gateway logs"); countContaining(msgs, "Update on PAY-1 from") != 1 {
		t.Errorf("a responder could not post an update: %s", texts(msgs))
	}

	if msgs := h.ThreadCommand("lead"); countContaining(msgs, "has no lead yet") != 1 {
		t.Errorf("lead with nobody named: %s", texts(msgs))
	}
	msgs = h.ThreadCommand("lead @carol")
	if countContaining(msgs, "is now the lead of PAY-1") != 1 {
		t.Fatalf("lead @carol: %s", texts(msgs))
	}
	if c := lastCard(t, h); c.Lead == nil || c.Lead.ID != "carol" {
		t.Errorf("card lead = %+v", c.Lead)
	}
	// A team member by id resolves to their handle on this platform.
	// Once there is a lead, only the lead (or a manager) names another.
	if msgs := h.ThreadCommand("lead me"); countContaining(msgs, "Sorry, only the lead or incident managers can name the lead of PAY-1.") != 1 {
		t.Errorf("the reporter replaced the lead: %s", texts(msgs))
	}
	msgs = as(h, "carol", "lead bob")
	if countContaining(msgs, "is now the lead of PAY-1 (was carol)") != 1 {
		t.Errorf("lead bob: %s", texts(msgs))
	}
	if inc := h.Incident(); inc.Roles.Lead == nil || inc.Roles.Lead.ID != "bob" || inc.Roles.Lead.Name != "Bob Oncall" || !inc.Roles.IsResponder(bottest.User("carol")) {
		t.Errorf("roles = %+v", inc.Roles)
	}
	if msgs := as(h, "bob", "lead alice"); countContaining(msgs, "(was Bob Oncall)") != 1 {
		t.Errorf("lead me: %s", texts(msgs))
	}
	if msgs := h.ThreadCommand("lead"); countContaining(msgs, "The lead of PAY-1 is alice") != 1 {
		t.Errorf("lead: %s", texts(msgs))
	}
	if msgs := h.ThreadCommand("lead <!channel> and everyone"); countContaining(msgs, "Name one person") != 1 { // alice leads now
		t.Errorf("lead with junk: %s", texts(msgs))
	}
	// The roles survive a restart.
	h.Restart()
	if inc := h.Incident(); inc.Roles.Lead == nil || inc.Roles.Lead.ID != "alice" || len(inc.Roles.Responders) != 3 {
		t.Errorf("after restart: %+v", inc.Roles)
	}
}

func TestWorkflowNeedsAnActiveIncident(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	h.Command("card payments failing at checkout")
	for _, cmd := range []string{"update all good", "lead me"} {
		if msgs := h.ThreadCommand(cmd); countContaining(msgs, "still in intake") != 1 {
			t.Errorf("%q during intake: %s", cmd, texts(msgs))
		}
	}
	// Joining during the intake is allowed: it is how someone else may
	// answer the questions (issue 10).
	if msgs := as(h, "carol", "join"); countContaining(msgs, "carol joined PAY-1") != 1 {
		t.Errorf("join during intake: %s", texts(msgs))
	}
}
