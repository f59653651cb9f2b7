package storetest

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"
)

// ChannelPacer is what a store offers to pace outbound chat messages per
// channel across replicas (adapters/slack.ChannelPacer has the same
// methods).
type ChannelPacer interface {
	ReserveSlot(ctx context.Context, channel string, now time.Time, interval time.Duration) (time.Time, error)
	HoldChannel(ctx context.Context, channel string, until time.Time) error
}

// RunPacing is the conformance suite for ChannelPacer: two handles on one
// store (two replicas) reserving at once get slots one interval apart, a hold
// pushes the next slot, and channels are independent.
func RunPacing(t *testing.T, open Opener) {
	t.Run("SlotsSpacedAcrossReplicas", func(t *testing.T) {
		t.Parallel()
		h := &harness{open: open}
		ctx := context.Background()
		dir := t.TempDir()
		a, okA := h.openAt(t, dir).Store.(ChannelPacer)
		b, okB := h.openAt(t, dir).Store.(ChannelPacer)
		if !okA || !okB {
			t.Skip("store does not implement ChannelPacer")
		}
		const n = 20
		var (
			mu    sync.Mutex
			slots []time.Time
			wg    sync.WaitGroup
		)
		for i := range n {
			p := a
			if i%2 == 1 {
				p = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := p.ReserveSlot(ctx, "slack/C1", base, time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				slots = append(slots, s)
				mu.Unlock()
			}()
		}
		wg.Wait()
		sort.Slice(slots, func(i, j int) bool { return slots[i].Before(slots[j]) })
		if len(slots) != n {
			t.Fatalf("got %d slots", len(slots))
		}
		for i, s := range slots {
			if want := base.Add(time.Duration(i) * time.Second); !s.Equal(want) {
				t.Fatalf("slot %d = %v, want %v", i, s, want)
			}
		}
		// Another channel is not behind C1.
		if s, err := b.ReserveSlot(ctx, "slack/C2", base, time.Second); err != nil || !s.Equal(base) {
			t.Fatalf("C2 slot = %v, %v; want %v", s, err, base)
		}
		// After a quiet spell the slot is now, not the old queue end.
		later := base.Add(time.Hour)
		if s, _ := a.ReserveSlot(ctx, "slack/C1", later, time.Second); !s.Equal(later) {
			t.Fatalf("slot after idle = %v, want %v", s, later)
		}
		// A hold (429 Retry-After) pushes the next slot; a shorter hold does not pull it back.
		if err := b.HoldChannel(ctx, "slack/C1", later.Add(30*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := a.HoldChannel(ctx, "slack/C1", later.Add(5*time.Second)); err != nil {
			t.Fatal(err)
		}
		if s, _ := a.ReserveSlot(ctx, "slack/C1", later.Add(2*time.Second), time.Second); !s.Equal(later.Add(30 * time.Second)) {
			t.Fatalf("slot after hold = %v, want %v", s, later.Add(30*time.Second))
		}
		if _, err := a.ReserveSlot(ctx, "", base, time.Second); err == nil {
			t.Fatal("empty channel accepted")
		}
	})
}
