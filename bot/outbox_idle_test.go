package bot

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
)

// claimCounter counts the outbox claims the engine makes.
type claimCounter struct {
	incidents.Store
	claims atomic.Int64
}

func (c *claimCounter) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]incidents.Notification, error) {
	c.claims.Add(1)
	return c.Store.ClaimNotifications(ctx, now, lease, limit)
}

// Kicks that arrive while the outbox is empty (a burst whose messages are
// all paced) do not each cost the store a claim: after an empty claim the
// next waits idleClaimGap. A message queued meanwhile still goes out within
// about that gap, not at the next tick.
func TestEmptyClaimsAreSpacedOut(t *testing.T) {
	r := newRig(t, Config{})
	cc := &claimCounter{Store: r.store}
	r.e = NewEngine(Config{Store: cc, Clock: r.clock})
	r.e.AddAdapter(r.a)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.e.RunOutbox(ctx, time.Hour) }() // the tick never fires here
	t.Cleanup(func() { cancel(); <-done })

	const window = 500 * time.Millisecond
	start := time.Now()
	kicks := 0
	for time.Since(start) < window {
		r.e.kickOutbox()
		kicks++
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	claims := cc.claims.Load()
	// One claim at start, then at most one per gap; a little slack for a
	// slow scheduler, far below one per kick.
	if most := int64(elapsed/idleClaimGap) + 2; claims > most {
		t.Fatalf("%d claims for %d kicks in %v, want at most %d (one per %v)", claims, kicks, elapsed, most, idleClaimGap)
	}
	if claims*20 > int64(kicks) {
		t.Fatalf("%d claims for %d kicks: an empty outbox is claimed on nearly every kick", claims, kicks)
	}
	if claims == 0 {
		t.Fatal("no claim at all while kicked")
	}

	// A command queues its card and kicks: the card goes out within the gap
	// and some scheduling slack, without waiting for the hour-long tick.
	queued := time.Now()
	if err := r.e.handle(context.Background(), r.command("C1", "checkout failing")); err != nil {
		t.Fatal(err)
	}
	deadline := queued.Add(5 * time.Second)
	for r.a.count(KindCard, "") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the card was not delivered within 5 s of being queued (%d claims)", cc.claims.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("%d claims for %d kicks in %v; the card went out %v after it was queued", claims, kicks, elapsed.Round(time.Millisecond), time.Since(queued).Round(time.Millisecond))
}
