package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
)

// RunGateway is the conformance suite for incidents.GatewayStore: snapshots
// replace each other per provider and survive a restart, and a post key is
// claimed exactly once however many callers race for it, also after a
// restart.
func RunGateway(t *testing.T, open Opener) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"GatewaySnapshots", testGatewaySnapshots},
		{"GatewayClaimOnce", testGatewayClaim},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, &harness{open: open})
		})
	}
}

func gatewayStore(t *testing.T, s incidents.Store) incidents.GatewayStore {
	t.Helper()
	g, ok := s.(incidents.GatewayStore)
	if !ok {
		t.Fatalf("%T does not implement incidents.GatewayStore", s)
	}
	return g
}

func testGatewaySnapshots(t *testing.T, h *harness) {
	ctx := context.Background()
	dir := t.TempDir()
	s := h.openAt(t, dir)
	g := gatewayStore(t, s.Store)
	if err := g.SaveGatewaySnapshot(ctx, incidents.GatewaySnapshot{}); !errors.Is(err, incidents.ErrInvalid) {
		t.Fatalf("empty provider: got %v, want ErrInvalid", err)
	}
	ev := incidents.GatewayEvent{Provider: "stripe", ID: "inc1", Kind: incidents.GatewayIncident, Name: "Elevated API errors",
		Status: "investigating", Impact: "major", Components: []string{"API", "Checkout"}, URL: "https://stspg.io/x", UpdateID: "u1", UpdatedAt: base}
	first := incidents.GatewaySnapshot{Provider: "stripe", Source: "https://status.stripe.com/api/v2/summary.json", Indicator: "major",
		Events: []incidents.GatewayEvent{ev}, FetchedAt: base, CheckedAt: base, ETag: `"abc"`}
	for _, snap := range []incidents.GatewaySnapshot{first, {Provider: "adyen", Err: "timeout", CheckedAt: base}} {
		if err := g.SaveGatewaySnapshot(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	second := first
	second.Events = nil
	second.Indicator = "none"
	second.CheckedAt = base.Add(time.Minute)
	if err := g.SaveGatewaySnapshot(ctx, second); err != nil {
		t.Fatal(err)
	}
	s.Close()
	g = gatewayStore(t, h.openAt(t, dir).Store)
	got, err := g.GatewaySnapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Provider != "adyen" || got[1].Provider != "stripe" {
		t.Fatalf("snapshots after restart = %+v", got)
	}
	if got[1].Indicator != "none" || len(got[1].Events) != 0 || got[1].ETag != `"abc"` || !got[1].CheckedAt.Equal(second.CheckedAt) {
		t.Fatalf("stripe snapshot = %+v, want the second one", got[1])
	}
	if got[0].Err != "timeout" {
		t.Fatalf("adyen snapshot = %+v", got[0])
	}
}

func testGatewayClaim(t *testing.T, h *harness) {
	ctx := context.Background()
	dir := t.TempDir()
	s := h.openAt(t, dir)
	g := gatewayStore(t, s.Store)
	if _, err := g.ClaimGatewayPost(ctx, "", "stripe", uuid.Nil, base); !errors.Is(err, incidents.ErrInvalid) {
		t.Fatalf("empty key: got %v, want ErrInvalid", err)
	}
	inc := uuid.New()
	const racers = 8
	for k := 0; k < 3; k++ {
		key := fmt.Sprintf("gateway/stripe/inc1/u%d", k)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := 0; i < racers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := inc
				if k == 2 {
					id = uuid.Nil // a channel notice
				}
				won, err := g.ClaimGatewayPost(ctx, key, "stripe", id, base)
				if err != nil {
					t.Error(err)
				}
				if won {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("key %s: %d winners, want exactly 1", key, wins)
		}
	}
	s.Close()
	g = gatewayStore(t, h.openAt(t, dir).Store)
	won, err := g.ClaimGatewayPost(ctx, "gateway/stripe/inc1/u0", "stripe", inc, base.Add(time.Hour))
	if err != nil || won {
		t.Fatalf("claim after restart = %v, %v; want false (already posted)", won, err)
	}
	won, err = g.ClaimGatewayPost(ctx, "gateway/stripe/inc1/u9", "stripe", inc, base.Add(time.Hour))
	if err != nil || !won {
		t.Fatalf("new key after restart = %v, %v; want true", won, err)
	}
}
