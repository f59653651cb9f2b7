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

// TestPruneKeepsWhatDedupeNeeds: an incident open for weeks, whose
// resolution warning was posted long ago, is not warned twice after the
// prune, although every change re-schedules its SLA timers under the same
// keys: the finished jobs of an active incident are kept. Once it is
// resolved they go.
func TestPruneKeepsWhatDedupeNeeds(t *testing.T) {
	yml := strings.Replace(policyYAML, "SEV1: {response: 15m, resolution: 1h, update: 20m}", "SEV1: {response: 15m, resolution: 30d, update: 90d}", 1)
	p, probs := incidents.ParsePolicyYAML([]byte(yml))
	if len(probs) > 0 {
		t.Fatalf("policy: %v", probs)
	}
	h := bottest.New(t, bot.Config{Policy: p, OutboxRetention: time.Hour, JobRetention: time.Hour, InboxRetention: time.Hour})
	runIntake(t, h, h.Command("card payments failing at checkout"))
	ctx := context.Background()
	say(h, "carol", "looking at the gateway logs") // the first response
	const warning = "SLA warning for PAY-1: 80% of the SEV1 resolution target"
	if got := texts(tick(t, h, 24*24*time.Hour+time.Minute)); strings.Count(got, warning) != 1 {
		t.Fatalf("no resolution warning at 24 days:\n%s", got)
	}
	h.Clock.Advance(24 * time.Hour)
	pr, err := h.Engine.Prune(ctx)
	if err != nil || pr.Outbox == 0 || pr.Jobs != 0 {
		t.Fatalf("Prune = %+v, %v; want sent messages pruned and the active incident's jobs kept", pr, err)
	}
	// A change re-schedules the timers; the kept keys stop them.
	say(h, "alice", "still failing for some EU cards")
	if got := texts(tick(t, h, time.Minute)); strings.Contains(got, "SLA warning") {
		t.Fatalf("the warning was posted again after the prune:\n%s", got)
	}
	as(h, "alice", "resolve rolled back the 3DS config :: a bad config deploy")
	h.Clock.Advance(2 * time.Hour)
	if pr, err := h.Engine.Prune(ctx); err != nil || pr.Jobs == 0 {
		t.Fatalf("Prune after the resolution = %+v, %v; want its finished jobs pruned", pr, err)
	}
	if got := jobStates(t, h); len(got) != 0 {
		t.Fatalf("SLA jobs left after the prune: %v", got)
	}
}
