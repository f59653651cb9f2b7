package bot

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestPruneAgesDeadByWhenGivenUp: a notification given up is kept for the
// dead retention counted from when it was given up, the sent ones for the
// outbox retention; the engine's Prune does both, with the inbox.
func TestPruneAgesDeadByWhenGivenUp(t *testing.T) {
	r := newRig(t, Config{OutboxRetention: 24 * time.Hour, DeadRetention: 72 * time.Hour, InboxRetention: 24 * time.Hour})
	ctx := context.Background()
	r.a.postErr = func(m Message) error {
		if m.Conversation.Channel == "CGONE" {
			return CannotPost(ReasonChannelGone, errors.New("channel_not_found"))
		}
		return nil
	}
	// The card cannot be posted: given up at once, the incident parked.
	for _, ev := range []Event{r.command("CGONE", "payouts delayed"), r.command("C1", "search do_not_honor")} {
		ev.At = r.clock.Now()
		if err := r.e.HandleEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if d := deadRows(t, r); d != 1 {
		t.Fatalf("dead = %d, want 1", d)
	}
	r.clock.Advance(25 * time.Hour)
	p, err := r.e.Prune(ctx)
	// (The incident's event key is stamped with the event's time; the
	// reply-only event's by the store's wall clock, so only one is counted
	// on.)
	if err != nil || p.Outbox == 0 || p.Inbox == 0 || p.Jobs != 0 {
		t.Fatalf("Prune after 25h = %+v, %v; want the sent replies and an event key", p, err)
	}
	if d := deadRows(t, r); d != 1 {
		t.Fatalf("after 25h: dead %d; want it kept", d)
	}
	r.clock.Advance(48 * time.Hour) // 73h after it was given up
	if p, err := r.e.Prune(ctx); err != nil || p.Outbox != 1 {
		t.Fatalf("Prune after 73h = %+v, %v; want the dead one", p, err)
	}
	if d := deadRows(t, r); d != 0 {
		t.Fatalf("dead rows left after their retention: %d", d)
	}
}

func deadRows(t *testing.T, r *rig) int {
	t.Helper()
	st, err := r.store.Stats(context.Background(), r.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return st.OutboxDead
}
