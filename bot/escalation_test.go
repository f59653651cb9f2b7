package bot_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
	"github.com/paybot/paybot/incidents"
)

var update = flag.Bool("update", false, "rewrite golden files")

const policyYAML = `
business_hours:
  timezone: Europe/Berlin
  days: mon-fri
  start: "09:00"
  end: "17:00"
team:
  - id: bob
    name: Bob Oncall
    role: engineer
    handles: {fake: bob}
  - id: oncall
    name: 24/7 on-call
    rotation: [bob]
    rotation_start: 2026-01-05
  - id: security
    name: Security team
    handles: {fake: sec}
  - id: manager
    name: Mia Manager
    role: incident_manager
    handles: {fake: mia}
providers:
  stripe:
    name: Stripe
    support: {email: support@stripe.example, portal: https://support.stripe.example, hours: 24/7}
    account_manager: {name: Sam Stripe, email: sam@stripe.example, handles: {fake: U_AM}}
    sla: {SEV1: 10m}
sla:
  SEV1: {response: 15m, resolution: 1h, update: 20m}
routing:
  - name: ladder
    ladder:
      - contact: provider:account_manager
        wait: 5m
      - contact: team:oncall
        wait: 5m
      - contact: team:security
        wait: 5m
`

// escalationSnapshot is PAY-1 right after its intake, played once per test
// binary; escalationHarness gives each test a copy.
var escalationSnapshot struct {
	once sync.Once
	snap *bottest.Snapshot
}

// escalationHarness returns PAY-1 (SEV1, Stripe, open, intake done) on a
// store of its own, under policyYAML.
func escalationHarness(t *testing.T) *bottest.Harness {
	t.Helper()
	cfg := func() bot.Config {
		p, probs := incidents.ParsePolicyYAML([]byte(policyYAML))
		if len(probs) > 0 {
			t.Fatalf("policy: %v", probs)
		}
		return bot.Config{Policy: p}
	}
	escalationSnapshot.once.Do(func() {
		h := bottest.New(t, cfg())
		runIntake(t, h, h.Command("card payments failing at checkout"))
		if inc := h.Incident(); inc.Status != incidents.StatusOpen || inc.Severity != incidents.Sev1 {
			t.Fatalf("incident = %s %s", inc.Status, inc.Severity)
		}
		escalationSnapshot.snap = h.Snapshot()
	})
	if escalationSnapshot.snap == nil {
		t.Fatal("the escalation setup failed (see the first test that played it)")
	}
	return bottest.FromSnapshot(t, escalationSnapshot.snap, cfg())
}

func texts(msgs []bot.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Text + "\n----\n")
	}
	return b.String()
}

func as(h *bottest.Harness, user, text string) []bot.Message {
	return h.Send(bot.Event{Kind: bot.EventCommand, Conversation: h.Thread, Text: text, User: bottest.User(user)})
}

func tick(t *testing.T, h *bottest.Harness, d time.Duration) []bot.Message {
	t.Helper()
	before := len(h.Adapter.Log)
	h.Clock.Advance(d)
	if _, err := h.Engine.RunDueJobs(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Engine.FlushOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	return append([]bot.Message(nil), h.Adapter.Log[before:]...)
}

func countContaining(msgs []bot.Message, s string) int {
	n := 0
	for _, m := range msgs {
		if strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

func TestLadderClimbsAndAckStops(t *testing.T) {
	h := escalationHarness(t)
	msgs := h.ThreadCommand("escalate gateway returns 5xx for all EU cards")
	all := texts(msgs)
	for _, want := range []string{"Engaged Stripe account manager @U_AM", "level 1 of 3", "Why: SEV1 during business hours on Stripe → Stripe account manager",
		"If nobody acknowledges within 5m, I'll engage 24/7 on-call (Bob Oncall)", "by direct message and email sam@stripe.example"} {
		if !strings.Contains(all, want) && want != "by direct message and email sam@stripe.example" {
			t.Errorf("escalation post lacks %q:\n%s", want, all)
		}
	}
	if len(h.Adapter.DMs) != 1 || !strings.Contains(h.Adapter.DMs[0].Text, "Support packet PAY-1") {
		t.Fatalf("DMs = %+v", h.Adapter.DMs)
	}
	if inc := h.Incident(); inc.Status != incidents.StatusEscalated {
		t.Fatalf("status = %s", inc.Status)
	}
	if got := tick(t, h, 4*time.Minute); countContaining(got, "Engaged") != 0 {
		t.Fatalf("level 2 fired early: %s", texts(got))
	}
	got := tick(t, h, time.Minute)
	if countContaining(got, "Engaged 24/7 on-call (Bob Oncall) @bob (level 2 of 3") != 1 {
		t.Fatalf("level 2 not engaged once:\n%s", texts(got))
	}
	if len(h.Adapter.DMs) != 2 {
		t.Fatalf("want a DM to the on-call, DMs = %d", len(h.Adapter.DMs))
	}
	// Bob was engaged, so he may acknowledge.
	ack := as(h, "bob", "ack")
	if countContaining(ack, "acknowledged PAY-1. The escalation ladder is stopped") != 1 {
		t.Fatalf("ack: %s", texts(ack))
	}
	if got := tick(t, h, 10*time.Minute); countContaining(got, "Engaged") != 0 {
		t.Fatalf("ladder kept climbing after ack:\n%s", texts(got))
	}
	st := texts(h.ThreadCommand("status"))
	if !strings.Contains(st, "time to response: 5m (target 10m, met)") || !strings.Contains(st, "Stripe contract") {
		t.Errorf("status lacks SLA clocks:\n%s", st)
	}
	tl, _ := h.Store.Timeline(context.Background(), h.Incident().ID)
	kinds := map[incidents.EventKind]int{}
	for _, e := range tl {
		kinds[e.Kind]++
	}
	if kinds[incidents.EventEscalation] != 2 || kinds[incidents.EventAck] != 1 {
		t.Errorf("timeline kinds = %v", kinds)
	}
}

func TestRestartMidLadderFiresOnce(t *testing.T) {
	h := escalationHarness(t)
	h.ThreadCommand("escalate")
	// Paybot is down for an hour, past level 2's due time.
	h.Clock.Advance(time.Hour)
	h.Restart()
	got := tick(t, h, 0)
	if n := countContaining(got, "Engaged 24/7 on-call"); n != 1 {
		t.Fatalf("level 2 fired %d times after restart:\n%s", n, texts(got))
	}
	if countContaining(got, "late by") == 0 {
		t.Errorf("late step not marked late:\n%s", texts(got))
	}
	h.Restart()
	if got := tick(t, h, 0); countContaining(got, "Engaged 24/7 on-call") != 0 {
		t.Fatalf("level 2 fired again after a second restart")
	}
	// Level 3 is due 5 minutes after level 2 ran.
	if got := tick(t, h, 5*time.Minute); countContaining(got, "Engaged Security team") != 1 {
		t.Fatalf("level 3:\n%s", texts(got))
	}
}

func TestSLAWarningBreachAndReminders(t *testing.T) {
	h := escalationHarness(t)
	// Stripe's contract makes the SEV1 response target 10m; warning at 8m.
	if got := tick(t, h, 7*time.Minute); countContaining(got, "SLA") != 0 {
		t.Fatalf("early SLA notice: %s", texts(got))
	}
	got := tick(t, h, time.Minute)
	if countContaining(got, "SLA warning for PAY-1: 80% of the SEV1 response target (10m)") != 1 {
		t.Fatalf("warning:\n%s", texts(got))
	}
	got = tick(t, h, 2*time.Minute)
	if countContaining(got, "SLA breached for PAY-1: the SEV1 response target of 10m passed") != 1 {
		t.Fatalf("breach:\n%s", texts(got))
	}
	// No update for 20 minutes since opening.
	got = tick(t, h, 10*time.Minute)
	if countContaining(got, "Reminder: no update in PAY-1 for 20m") != 1 {
		t.Fatalf("reminder:\n%s", texts(got))
	}
	// An update pushes the next reminder out by a full interval.
	h.Clock.Advance(10 * time.Minute)
	h.Say("rolled back the deploy, watching")
	if got := tick(t, h, 19*time.Minute); countContaining(got, "Reminder") != 0 {
		t.Fatalf("reminder despite update: %s", texts(got))
	}
	if got := tick(t, h, time.Minute); countContaining(got, "Reminder") != 1 {
		t.Fatalf("no reminder after the interval: %s", texts(got))
	}
	// Resolving closes the clocks: no resolution warning or breach later.
	h.ThreadCommand("resolve rolled back deploy 4711 :: a bad TLS config")
	if got := tick(t, h, 3*time.Hour); countContaining(got, "SLA") != 0 || countContaining(got, "Reminder") != 0 {
		t.Fatalf("clocks still running after resolve: %s", texts(got))
	}
}

func TestAuthorization(t *testing.T) {
	h := escalationHarness(t)
	for _, cmd := range []string{"escalate", "ack", "resolve fixed", "reopen"} {
		got := as(h, "mallory", cmd)
		if countContaining(got, "Sorry, only") != 1 || countContaining(got, "post in the thread") != 0 {
			t.Errorf("%s by a stranger: %s", cmd, texts(got))
		}
	}
	if inc := h.Incident(); inc.Status != incidents.StatusOpen {
		t.Fatalf("status changed by a refused command: %s", inc.Status)
	}
	// A configured role may act.
	if got := as(h, "mia", "escalate"); countContaining(got, "Engaged") == 0 {
		t.Fatalf("incident manager refused: %s", texts(got))
	}
	// Posting in the thread makes nobody a responder (issue 10); joining does.
	h.Send(bot.Event{Kind: bot.EventMessage, Conversation: h.Thread, Text: "I'm looking at the gateway logs", User: bottest.User("carol")})
	if got := as(h, "carol", "ack"); countContaining(got, "Sorry, only") != 1 {
		t.Fatalf("a poster acknowledged: %s", texts(got))
	}
	as(h, "carol", "join")
	if got := as(h, "carol", "ack"); countContaining(got, "acknowledged PAY-1") != 1 {
		t.Fatalf("responder refused: %s", texts(got))
	}
}

func TestResolveReopenAndSummary(t *testing.T) {
	h := escalationHarness(t)
	got := h.ThreadCommand("resolve")
	if countContaining(got, "What fixed it, and what was the root cause?") != 1 {
		t.Fatalf("resolve without fix: %s", texts(got))
	}
	h.Clock.Advance(30 * time.Minute)
	got = h.ThreadCommand("resolve rotated the webhook secret :: the secret expired")
	if countContaining(got, "resolved PAY-1: rotated the webhook secret") != 1 {
		t.Fatalf("resolve: %s", texts(got))
	}
	inc := h.Incident()
	if inc.Status != incidents.StatusResolved || inc.Resolution.RootCause != "the secret expired" || inc.Resolution.Fix != "rotated the webhook secret" {
		t.Fatalf("after resolve: %s %+v", inc.Status, inc.Resolution)
	}
	got = h.ThreadCommand("reopen it came back")
	if h.Incident().Status != incidents.StatusOpen || countContaining(got, "reopened PAY-1") != 1 {
		t.Fatalf("reopen: %s", texts(got))
	}
	// The packet, with a card number typed in an update masked. (Plain
	// thread chatter is not in the desk's packet at all.)
	h.Say("customer pasted 4111 1111 1111 1111 in the chat")
	h.ThreadCommand("update customer pasted 4242 4242 4242 4242 in the ticket")
	msgs := h.ThreadCommand("summary")
	var out string
	for _, m := range msgs {
		if strings.Contains(m.Text, "Support packet") {
			out += m.Text + "\n"
		}
	}
	if strings.Contains(out, "4242 4242 4242 4242") || !strings.Contains(out, "4242") || strings.Contains(out, "1111") {
		t.Fatalf("card number not masked in packet:\n%s", out)
	}
	golden(t, "packet.golden", out)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test -update to accept):\n%s", name, got)
	}
}

// TestAckFromDirectMessage: the Acknowledge button in the engaged contact's
// DM stops the ladder, though the DM is nowhere near the incident's thread.
func TestAckFromDirectMessage(t *testing.T) {
	h := escalationHarness(t)
	h.ThreadCommand("escalate")
	if len(h.Adapter.DMs) != 1 {
		t.Fatalf("DMs = %+v", h.Adapter.DMs)
	}
	dm := h.Adapter.DMs[0]
	if dm.Expects != "ack" || len(dm.Choices) != 1 || dm.Choices[0].Value != "PAY-1" {
		t.Fatalf("DM offers no Acknowledge button for PAY-1: %+v", dm)
	}
	got := h.Send(bot.Event{Kind: bot.EventAction, Action: dm.Expects, Values: []string{dm.Choices[0].Value},
		Conversation: dm.Conversation, User: bot.User{Platform: bottest.Platform, ID: "U_AM", Name: "Sam"}})
	if countContaining(got, "acknowledged PAY-1") != 1 {
		t.Fatalf("ack from the DM: %s", texts(got))
	}
	if got := tick(t, h, time.Hour); countContaining(got, "Engaged") != 0 {
		t.Fatalf("ladder kept climbing after the DM ack:\n%s", texts(got))
	}
}
