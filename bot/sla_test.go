package bot_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
	"github.com/paybot/paybot/incidents"
)

// negative matches a duration printed with a minus sign ("-2s", "-1h 05m").
var negative = regexp.MustCompile(`-\d+[smhd]\b`)

func say(h *bottest.Harness, user, text string) []bot.Message {
	return h.Send(bot.Event{Kind: bot.EventMessage, Conversation: h.Thread, Text: text, User: bottest.User(user)})
}

func status(h *bottest.Harness) string { return texts(h.ThreadCommand("status")) }

// TestSLAClocksEdges drives the SLA clocks of a SEV1 on Stripe (response
// target 10m from the contract, resolution 1h, updates every 20m) through the
// edges a customer would dispute, with the fake clock. alice is the reporter.
func TestSLAClocksEdges(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, h *bottest.Harness) string // returns the text to check
		want []string
		not  []string
	}{
		{
			name: "reporter resolves alone before the target: no response, never 0s met",
			run: func(t *testing.T, h *bottest.Harness) string {
				h.Clock.Advance(5 * time.Minute)
				return texts(h.ThreadCommand("resolve restarted the worker :: stuck queue")) + status(h)
			},
			want: []string{"time to response: no response before the clocks stopped after 5m (target 10m)", "time to resolution: 5m (target 1h, met)"},
			not:  []string{"time to response: 0s", "response: 5m", "met; time to resolution"},
		},
		{
			name: "reporter resolves alone after the target: no response, missed",
			run: func(t *testing.T, h *bottest.Harness) string {
				h.Clock.Advance(25 * time.Minute)
				return texts(h.ThreadCommand("resolve restarted the worker :: stuck queue")) + status(h)
			},
			want: []string{"time to response: no response (target 10m, missed)"},
			not:  []string{"time to response: 0s", "response: 25m (target 10m, met)"},
		},
		{
			name: "the reporter's own thread posts are no response",
			run: func(t *testing.T, h *bottest.Harness) string {
				h.Clock.Advance(3 * time.Minute)
				say(h, "alice", "still failing for EU cards")
				h.Clock.Advance(2 * time.Minute)
				return status(h)
			},
			want: []string{"time to response: 5m running of 10m (5m left)"},
		},
		{
			name: "a post by someone else is the first response",
			run: func(t *testing.T, h *bottest.Harness) string {
				h.Clock.Advance(3 * time.Minute)
				say(h, "carol", "looking at the gateway logs")
				h.Clock.Advance(30 * time.Minute)
				return status(h)
			},
			want: []string{"time to response: 3m (target 10m, met)"},
		},
		{
			name: "a late response is missed",
			run: func(t *testing.T, h *bottest.Harness) string {
				h.Clock.Advance(12 * time.Minute)
				say(h, "carol", "looking at the gateway logs")
				return status(h)
			},
			want: []string{"time to response: 12m (target 10m, missed)"},
		},
		{
			name: "a responder who resolves responded",
			run: func(t *testing.T, h *bottest.Harness) string {
				h.Clock.Advance(4 * time.Minute)
				return texts(as(h, "mia", "resolve rolled back :: bad deploy"))
			},
			want: []string{"time to response: 4m (target 10m, met); time to resolution: 4m (target 1h, met)"},
		},
		{
			name: "an acknowledgement counts, whoever makes it",
			run: func(t *testing.T, h *bottest.Harness) string {
				h.ThreadCommand("escalate")
				h.Clock.Advance(6 * time.Minute)
				// The reporter may not acknowledge (issue 10): a responder does.
				as(h, "carol", "join")
				return texts(as(h, "carol", "ack")) + status(h)
			},
			want: []string{"Response time 6m (target 10m)", "time to response: 6m (target 10m, met)", "acknowledged by carol"},
		},
		{
			name: "a breach stays through a downgrade",
			run: func(t *testing.T, h *bottest.Harness) string {
				h.ThreadCommand("lead me")                                    // a downgrade needs the lead
				tick(t, h, 11*time.Minute)                                    // the breach notice fires
				h.ThreadCommand("severity SEV3 it only affects one merchant") // the reporter: no response
				h.Clock.Advance(time.Minute)
				return status(h)
			},
			want: []string{"time to response: 12m running of 4h (BREACHED 2m ago against the SEV1 target of 10m)"},
			not:  []string{"4h left", "3h 48m left"},
		},
		{
			name: "a downgrade after a breach keeps the verdict missed after the ack",
			run: func(t *testing.T, h *bottest.Harness) string {
				tick(t, h, 11*time.Minute)
				as(h, "mia", "severity SEV3")
				h.ThreadCommand("escalate")
				h.Clock.Advance(time.Minute)
				as(h, "mia", "ack")
				return status(h)
			},
			want: []string{"time to response: 11m (target 4h, missed, breached the SEV1 target of 10m)"},
			not:  []string{"4h, met", "10m, met"},
		},
		{
			name: "a downgrade past the target when Paybot missed the breach still records it",
			run: func(t *testing.T, h *bottest.Harness) string {
				h.Clock.Advance(15 * time.Minute) // no scheduler ran: the breach timer never fired
				return texts(as(h, "mia", "severity SEV3")) + status(h)
			},
			want: []string{"the SEV1 response target (10m) was breached at 14:40 UTC", "stays recorded", "time to response: 15m (target 4h, missed, breached the SEV1 target of 10m)"},
		},
		{
			name: "an upgrade that makes the clock overdue breaches at the upgrade",
			run: func(t *testing.T, h *bottest.Harness) string {
				as(h, "mia", "severity SEV4")
				h.Clock.Advance(20 * time.Minute)
				msgs := texts(as(h, "mia", "severity SEV1"))
				inc := h.Incident()
				if b := inc.SLA.ResponseBreach; b != nil {
					t.Errorf("mia's severity change is a response at 0m, yet a breach was recorded: %+v", b)
				}
				return msgs + status(h)
			},
			// mia's first action responded at 0m.
			want: []string{"time to response: 0s (target 10m, met)"},
		},
		{
			name: "no negative remainders, ever",
			run: func(t *testing.T, h *bottest.Harness) string {
				var b strings.Builder
				for i := 0; i < 16; i++ {
					b.WriteString(texts(tick(t, h, 9*time.Minute+59*time.Second)))
					b.WriteString(status(h))
				}
				return b.String()
			},
			want: []string{"BREACHED"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := escalationHarness(t)
			got := tc.run(t, h)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("has %q:\n%s", n, got)
				}
			}
			if m := negative.FindString(got); m != "" {
				t.Errorf("negative duration %q:\n%s", m, got)
			}
		})
	}
}

// TestSLAUpgradeOverdueBreachesAtUpgrade: with nobody else acting (the
// reporter changes the severity), an upgrade that makes the response clock
// overdue records the breach at the moment of the upgrade.
func TestSLAUpgradeOverdueBreachesAtUpgrade(t *testing.T) {
	h := escalationHarness(t)
	h.ThreadCommand("lead me") // a downgrade needs the lead; the reporter leading is no response
	h.ThreadCommand("severity SEV4")
	h.Clock.Advance(20 * time.Minute)
	upgradeAt := h.Clock.Now()
	got := texts(h.ThreadCommand("severity SEV1"))
	b := h.Incident().SLA.ResponseBreach
	if b == nil || !b.At.Equal(upgradeAt) || b.Severity != incidents.Sev1 || b.Target != 10*time.Minute {
		t.Fatalf("breach = %+v, want at the upgrade %v under SEV1's 10m", b, upgradeAt)
	}
	if !strings.Contains(got, "was breached at") {
		t.Errorf("the upgrade does not say the clock is breached:\n%s", got)
	}
}

// TestSLANoStaleNoticesAfterRestart: Paybot is down across both the warning
// and the breach of the response clock. After the restart only the breach is
// posted: never a "100% used; -2s left" warning after (or before) it.
func TestSLANoStaleNoticesAfterRestart(t *testing.T) {
	for _, down := range []time.Duration{10*time.Minute + 2*time.Second, 10 * time.Minute, 45 * time.Minute} {
		h := escalationHarness(t)
		h.Clock.Advance(down)
		h.Restart()
		got := texts(tick(t, h, 0))
		if strings.Contains(got, "SLA warning for PAY-1: ") && strings.Contains(got, "response target") {
			t.Errorf("down %v: stale response warning posted:\n%s", down, got)
		}
		if n := strings.Count(got, "SLA breached for PAY-1: the SEV1 response target"); n != 1 {
			t.Errorf("down %v: %d response breach notices:\n%s", down, n, got)
		}
		// Nothing more about the response clock, ever.
		later := texts(tick(t, h, 2*time.Hour))
		if strings.Contains(later, "response target") {
			t.Errorf("down %v: a response notice after the breach:\n%s", down, later)
		}
		if m := negative.FindString(got + later); m != "" {
			t.Errorf("down %v: negative duration %q", down, m)
		}
	}
}

// TestSLAWarningLateButBeforeTarget: a warning that fires late, still before
// the target, says what is truly left.
func TestSLAWarningLateButBeforeTarget(t *testing.T) {
	h := escalationHarness(t)
	h.Clock.Advance(9*time.Minute + 30*time.Second)
	h.Restart()
	got := texts(tick(t, h, 0))
	if !strings.Contains(got, "SLA warning for PAY-1: 95% of the SEV1 response target (10m) is used; 30s left.") {
		t.Fatalf("late warning:\n%s", got)
	}
}

// TestSLASeverityChangeRetimesNotices: after a change of severity the old
// severity's timers do nothing and the new one's fire.
func TestSLASeverityChangeRetimesNotices(t *testing.T) {
	h := escalationHarness(t)
	as(h, "alice", "lead me")
	as(h, "alice", "severity SEV2") // SEV2 on the default policy: response 30m
	got := texts(tick(t, h, 11*time.Minute))
	if strings.Contains(got, "SEV1") {
		t.Fatalf("a SEV1 notice after the change to SEV2:\n%s", got)
	}
	tg := escalationPolicy(t).Targets(incidents.Sev2, "stripe")
	got = texts(tick(t, h, tg.Response-11*time.Minute))
	if !strings.Contains(got, "SLA breached for PAY-1: the SEV2 response target") {
		t.Fatalf("no SEV2 breach at %v:\n%s", tg.Response, got)
	}
}

// TestUpdateReminderStaleAfterUpdate: an update made while Paybot is down
// (recorded by another replica) makes the pending reminder stale.
func TestUpdateReminderAfterDowntimeCountsFromLastUpdate(t *testing.T) {
	h := escalationHarness(t)
	h.Clock.Advance(15 * time.Minute)
	say(h, "alice", "rolled back, watching")
	got := texts(tick(t, h, 5*time.Minute)) // the opening's reminder was due now
	if strings.Contains(got, "Reminder") {
		t.Fatalf("stale reminder after an update:\n%s", got)
	}
	got = texts(tick(t, h, 15*time.Minute))
	if !strings.Contains(got, "Reminder: no update in PAY-1 for 20m") {
		t.Fatalf("reminder 20m after the update:\n%s", got)
	}
	got = texts(tick(t, h, 20*time.Minute))
	if !strings.Contains(got, "Reminder: no update in PAY-1 for 40m") {
		t.Fatalf("second reminder counts from the last update:\n%s", got)
	}
}

// TestReopenIsNoResponseAndKeepsTheEarlierRound: reopening restarts the
// clocks without counting as a response, and the closed round is kept.
func TestReopenIsNoResponseAndKeepsTheEarlierRound(t *testing.T) {
	h := escalationHarness(t)
	h.Clock.Advance(15 * time.Minute)
	as(h, "mia", "resolve rolled back :: bad deploy")
	h.Clock.Advance(time.Hour)
	as(h, "mia", "reopen it came back")
	inc := h.Incident()
	if inc.SLA.RespondedAt != nil || inc.Reopens != 1 || len(inc.SLA.Earlier) != 1 {
		t.Fatalf("after reopen: %+v reopens %d", inc.SLA, inc.Reopens)
	}
	prev := inc.SLA.Earlier[0]
	if prev.RespondedAt == nil || prev.RespondedAt.Sub(prev.ClockStart) != 15*time.Minute || prev.ResponseBreach == nil || prev.StoppedAt == nil {
		t.Fatalf("earlier round = %+v", prev)
	}
	h.Clock.Advance(2 * time.Minute)
	if st := status(h); !strings.Contains(st, "time to response: 2m running of 10m (8m left)") {
		t.Fatalf("status after reopen:\n%s", st)
	}
}

func escalationPolicy(t *testing.T) *incidents.Policy {
	p, probs := incidents.ParsePolicyYAML([]byte(policyYAML))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	return p
}

// jobStates returns "kind dedupe-key-suffix status" of the incident's SLA
// jobs, keyed by the last two parts of the dedupe key ("response/warn").
func jobStates(t *testing.T, h *bottest.Harness) map[string]string {
	t.Helper()
	js, ok := h.Store.(incidents.JobStore)
	if !ok {
		t.Skip("store keeps no jobs")
	}
	jobs, err := js.Jobs(context.Background(), h.Incident().ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, j := range jobs {
		parts := strings.Split(j.DedupeKey, "/")
		if parts[0] != "sla" {
			continue
		}
		out[strings.Join(parts[len(parts)-3:], "/")] = j.Status
	}
	return out
}

// TestSupersededSLATimersAreCancelled: the first response cancels the
// response clock's timers; a breach notice cancels its clock's pending
// warning.
func TestSupersededSLATimersAreCancelled(t *testing.T) {
	h := escalationHarness(t)
	h.Clock.Advance(3 * time.Minute)
	say(h, "carol", "on it")
	st := jobStates(t, h)
	if st["response/SEV1/warn"] != incidents.JobCancelled || st["response/SEV1/breach"] != incidents.JobCancelled || st["resolution/SEV1/warn"] != incidents.JobPending {
		t.Fatalf("after the first response: %v", st)
	}

	h = escalationHarness(t)
	h.Clock.Advance(time.Hour + time.Minute) // down past the resolution warning (48m) and breach (1h)
	h.Restart()
	got := texts(tick(t, h, 0))
	if strings.Contains(got, "SLA warning") {
		t.Fatalf("stale warning after the restart:\n%s", got)
	}
	st = jobStates(t, h)
	for k, v := range st {
		if v == incidents.JobPending {
			t.Errorf("timer %s still pending after its clock breached: %v", k, st)
		}
	}
}

// TestEscalationStateIsTyped: the ladder's state lives in typed fields, and
// the intake answers (Details.Extra) are untouched by it.
func TestEscalationStateIsTyped(t *testing.T) {
	h := escalationHarness(t)
	start := h.Clock.Now()
	h.ThreadCommand("escalate gateway down")
	tick(t, h, 5*time.Minute)
	inc := h.Incident()
	e := inc.Escalation
	if e.Round != 1 || e.Rule != "ladder" || e.Level != 2 || e.Acked() || len(e.Engaged) != 2 {
		t.Fatalf("escalation = %+v", e)
	}
	first, second := e.Engaged[0], e.Engaged[1]
	if first.Level != 1 || first.Contact != "provider:account_manager" || first.User == nil || first.User.ID != "U_AM" || !first.At.Equal(start) {
		t.Errorf("level 1 engagement = %+v", first)
	}
	if second.Level != 2 || second.Contact != "team:oncall" || second.User == nil || second.User.ID != "bob" || !second.At.Equal(start.Add(5*time.Minute)) {
		t.Errorf("level 2 engagement = %+v", second)
	}
	as(h, "bob", "ack")
	inc = h.Incident()
	if !inc.Escalation.Acked() || inc.Escalation.AckedBy.ID != "bob" || !inc.Escalation.AckedAt.Equal(start.Add(5*time.Minute)) {
		t.Fatalf("ack = %+v", inc.Escalation)
	}
	for _, k := range incidents.ReservedStepIDs {
		if _, ok := inc.Details.Extra[k]; ok {
			t.Errorf("domain state %q leaked into the intake answers: %v", k, inc.Details.Extra)
		}
	}
}

// TestCustomAnswerSurvivesTheWholeLifecycle: an intake answer of a custom
// step stays as answered through escalate, ack, resolve, rootcause and
// reopen (escalation state used to share its map and erase such answers).
func TestCustomAnswerSurvivesTheWholeLifecycle(t *testing.T) {
	flow, err := incidents.ParseFlowYAML([]byte(`intake:
  steps:
    - category
    - id: case_owner
      prompt: Who owns this case?
      kind: text
      required: true
    - confirm
`))
	if err != nil {
		t.Fatal(err)
	}
	h := bottest.New(t, bot.Config{Flow: flow, Policy: escalationPolicy(t)})
	h.Command("payouts are late")
	for i := 0; i < 5 && bottest.Expects(h.Adapter.Log) != ""; i++ {
		switch bottest.Expects(h.Adapter.Log) {
		case "category":
			h.Say("declines")
		case "case_owner":
			h.Say("Dana from payments")
		default:
			h.Say("yes")
		}
	}
	if inc := h.Incident(); inc.Status != incidents.StatusOpen || inc.Details.Extra["case_owner"] != "Dana from payments" {
		t.Fatalf("after intake: %s %v", inc.Status, inc.Details.Extra)
	}
	for _, cmd := range []string{"escalate", "ack", "resolve rolled back :: bad deploy", "rootcause an expired key", "reopen again"} {
		h.ThreadCommand(cmd)
		if got := h.Incident().Details.Extra; len(got) != 1 || got["case_owner"] != "Dana from payments" {
			t.Fatalf("after %q the intake answers are %v", cmd, got)
		}
	}
	if r := h.Incident().Resolution; r.RootCause != "an expired key" || r.Fix != "rolled back" {
		t.Fatalf("resolution = %+v", r)
	}
}
