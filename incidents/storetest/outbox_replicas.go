package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
)

// testChannelOrderAcrossReplicas opens the same store twice, as two
// replicas do, and runs four delivery workers over five channels at once;
// every first attempt fails and is retried at once. Each notification is
// delivered exactly once, a channel never has two deliveries in flight,
// and each channel's messages go out in queue order.
func testChannelOrderAcrossReplicas(t *testing.T, h *harness) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := h.openAt(t, dir), h.openAt(t, dir)
	inc := newIncident(1, "slack")
	mustCreate(t, a, inc, incidents.Change{})
	const channels, perChannel = 5, 12
	var notes []incidents.Notification
	for i := range perChannel {
		for c := range channels {
			notes = append(notes, incidents.Notification{IncidentID: inc.ID, Kind: incidents.NotifyThreadPost,
				Payload: []byte(`{}`), DedupeKey: fmt.Sprintf("c%d/%d", c, i), ChannelKey: fmt.Sprintf("slack:C%d", c),
				NextAttemptAt: base})
		}
	}
	if err := a.QueueNotifications(ctx, notes); err != nil {
		t.Fatal(err)
	}
	var (
		mu        sync.Mutex
		inFlight  = map[string]bool{}
		delivered = map[string][]string{} // channel -> dedupe keys in delivery order
		sent      = map[int64]int{}
		problems  []string
		wg        sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	for w := range 4 {
		ob := incidents.OutboxStore(a.Store)
		if w%2 == 1 {
			ob = b.Store
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for idle := 0; idle < 3; {
				got, err := ob.ClaimNotifications(ctx, base, time.Minute, 2)
				if err != nil {
					fail("claim: %v", err)
					return
				}
				if len(got) == 0 {
					idle++
					time.Sleep(5 * time.Millisecond)
					continue
				}
				idle = 0
				for _, n := range got {
					mu.Lock()
					if inFlight[n.ChannelKey] {
						problems = append(problems, fmt.Sprintf("%s claimed while %s has a delivery in flight", n.DedupeKey, n.ChannelKey))
					}
					inFlight[n.ChannelKey] = true
					first := n.Attempts == 1
					if !first {
						delivered[n.ChannelKey] = append(delivered[n.ChannelKey], n.DedupeKey)
						sent[n.ID]++
					}
					mu.Unlock()
					time.Sleep(time.Millisecond) // the platform call
					// Released before the store is told, so the next
					// claim (which can follow at once) finds it clear.
					mu.Lock()
					inFlight[n.ChannelKey] = false
					mu.Unlock()
					if first {
						err = ob.MarkFailed(ctx, n.ID, base, "503", false)
					} else {
						err = ob.MarkSent(ctx, n.ID, base)
					}
					if err != nil {
						fail("mark %s: %v", n.DedupeKey, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, p := range problems {
		t.Error(p)
	}
	if len(sent) != len(notes) {
		t.Fatalf("delivered %d notifications, want %d", len(sent), len(notes))
	}
	for id, k := range sent {
		if k != 1 {
			t.Errorf("notification %d delivered %d times", id, k)
		}
	}
	for c := range channels {
		key := fmt.Sprintf("slack:C%d", c)
		for i, dk := range delivered[key] {
			if want := fmt.Sprintf("c%d/%d", c, i); dk != want {
				t.Fatalf("%s delivered out of order: %v", key, delivered[key])
			}
		}
	}
}
