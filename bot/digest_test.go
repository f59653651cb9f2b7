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

const digestYAML = `
review:
  digest:
    platform: fake
    channel: C-REVIEW
    weekday: monday
    time: "09:00"
    zone: Europe/Berlin
    providers: [stripe]
`

func digests(h *bottest.Harness) []bot.Message {
	var out []bot.Message
	for _, m := range h.Adapter.Posts {
		if m.Conversation.Channel == "C-REVIEW" {
			out = append(out, m)
		}
	}
	return out
}

func runJobs(t *testing.T, h *bottest.Harness) {
	t.Helper()
	if _, err := h.Engine.RunDueJobs(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Engine.FlushOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestDigestOncePerPeriodAcrossRestarts: the digest fires at Monday 09:00
// Berlin time, once per week, whatever restarts happen around it, and
// once (late) after a long outage.
func TestDigestOncePerPeriodAcrossRestarts(t *testing.T) {
	p, probs := incidents.ParsePolicyYAML([]byte(digestYAML))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	h := bottest.New(t, bot.Config{Policy: p}) // Thursday 2026-11-26 14:30 UTC
	intakeWith(t, h, h.Command("card payments failing at checkout"), nil)
	runJobs(t, h) // schedules the digest
	h.Clock.Advance(5 * time.Hour)
	runJobs(t, h) // SLA notices
	h.ThreadCommand("resolve rerouted to the backup acquirer :: the acquirer was down")
	if n := len(digests(h)); n != 0 {
		t.Fatalf("%d digests before Monday", n)
	}
	// Monday 2026-11-30 09:00 CET is 08:00 UTC; it is 19:30 UTC Thursday.
	monday := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	h.Clock.Advance(monday.Sub(h.Clock.Now()) - time.Minute)
	h.Restart()
	runJobs(t, h)
	if n := len(digests(h)); n != 0 {
		t.Fatalf("%d digests a minute early", n)
	}
	h.Clock.Advance(time.Minute + time.Second)
	runJobs(t, h)
	d := digests(h)
	if len(d) != 1 {
		t.Fatalf("%d digests at Monday 09:01, want 1", len(d))
	}
	for _, want := range []string{"Payments review digest for Mon 2026-11-23 09:00 to Mon 2026-11-30 09:00 (Europe/Berlin)",
		"stripe: 1 incidents (0 active)", "SLA misses (2):", "PAY-1 SEV1 card payments failing at checkout: response target 15m00s, took 5h00m00s",
		"PAY-1 SEV1 card payments failing at checkout: resolution target 4h00m00s, took 5h00m00s"} {
		if !strings.Contains(d[0].Text, want) {
			t.Errorf("digest lacks %q:\n%s", want, d[0].Text)
		}
	}
	if strings.Contains(d[0].Text, "Late") || strings.Contains(d[0].Text, "Recurring") {
		t.Errorf("on time, one incident: no late note, nothing recurs:\n%s", d[0].Text)
	}
	for i := 0; i < 3; i++ { // restarts in the same period
		h.Restart()
		h.Clock.Advance(time.Hour)
		runJobs(t, h)
	}
	if n := len(digests(h)); n != 1 {
		t.Fatalf("%d digests after restarts in the same week", n)
	}
	h.Clock.Advance(7*24*time.Hour - 3*time.Hour)
	h.Restart()
	runJobs(t, h)
	if n := len(digests(h)); n != 2 {
		t.Fatalf("%d digests a week later, want 2", n)
	}
	if !strings.Contains(digests(h)[1].Text, "No incidents") && !strings.Contains(digests(h)[1].Text, "stripe: 0 incidents") {
		t.Errorf("quiet week: %s", digests(h)[1].Text)
	}
	// Down for three weeks: one late digest, then back on schedule.
	h.Restart()
	h.Clock.Advance(21 * 24 * time.Hour)
	h.Restart()
	runJobs(t, h)
	runJobs(t, h)
	d = digests(h)
	if len(d) != 3 || !strings.Contains(d[2].Text, "Late by") {
		t.Fatalf("after an outage: %d digests (want 3, the last late)", len(d))
	}
	h.Clock.Advance(7 * 24 * time.Hour)
	runJobs(t, h)
	if n := len(digests(h)); n != 4 {
		t.Errorf("%d digests a week after the outage, want 4", n)
	}
}

// TestDigestConfigChange: moving the digest to another channel at the same
// time ends the old chain and posts the next period once, in the new place.
func TestDigestConfigChange(t *testing.T) {
	p, _ := incidents.ParsePolicyYAML([]byte(digestYAML))
	h := bottest.New(t, bot.Config{Policy: p})
	runJobs(t, h) // the chain for C-REVIEW
	p2, _ := incidents.ParsePolicyYAML([]byte(strings.Replace(digestYAML, "C-REVIEW", "C-NEW", 1)))
	h.Config.Policy = p2
	h.Restart()
	runJobs(t, h) // a chain for C-NEW, same due time
	h.Clock.Advance(time.Date(2026, 11, 30, 8, 0, 1, 0, time.UTC).Sub(h.Clock.Now()))
	runJobs(t, h)
	var old, nw int
	for _, m := range h.Adapter.Posts {
		switch m.Conversation.Channel {
		case "C-REVIEW":
			old++
		case "C-NEW":
			nw++
		}
	}
	if old != 0 || nw != 1 {
		t.Errorf("posts: %d in the old channel, %d in the new; want 0 and 1", old, nw)
	}
	h.Clock.Advance(7 * 24 * time.Hour)
	runJobs(t, h)
	nw = 0
	for _, m := range h.Adapter.Posts {
		if m.Conversation.Channel == "C-NEW" {
			nw++
		}
	}
	if nw != 2 {
		t.Errorf("the new chain goes on: %d posts, want 2", nw)
	}
}
