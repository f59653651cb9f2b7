package kbstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/kb"
	"github.com/paybot/paybot/kb/kbstore"
)

// slowStore makes every read of changes take step on the follower's clock
// and asks the follower whether it is ready just before each read.
type slowStore struct {
	kbstore.Store
	clock  *atomic.Int64
	step   atomic.Int64
	f      *kbstore.Follower
	mu     sync.Mutex
	probes []string
}

func (s *slowStore) KBChanges(ctx context.Context, after int64, limit int) ([]incidents.KBDoc, error) {
	if s.f != nil {
		ok, why := s.f.Ready(10 * time.Second)
		s.mu.Lock()
		s.probes = append(s.probes, fmt.Sprintf("%v %s", ok, why))
		s.mu.Unlock()
	}
	s.clock.Add(s.step.Load())
	return s.Store.KBChanges(ctx, after, limit)
}

// TestReadyWhileWorkingThroughABacklog: a follower that applies a large
// backlog page by page (every replica does at once after a bulk import),
// or rebuilds beside its live index (kb index), stays ready: readiness
// fails only when the follower stops reading or stops making progress.
// Otherwise a balancer reading /readyz takes every replica out together.
func TestReadyWhileWorkingThroughABacklog(t *testing.T) {
	ctx := context.Background()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC).UnixNano())
	var realTime atomic.Bool
	now := func() time.Time {
		if realTime.Load() {
			return time.Now()
		}
		return time.Unix(0, clock.Load())
	}
	st := &slowStore{Store: sqliteStores(t)(t), clock: &clock}
	_, f := startFollower(ctx, t, st, kbstore.Options{Clock: now})
	st.f = f
	docs := make([]kb.Doc, 12000) // three pages
	for i := range docs {
		docs[i] = kb.Doc{ID: fmt.Sprintf("community:bulk-%d", i), Kind: "community", Title: fmt.Sprintf("bulk answer %d", i), Body: "retry the refund later"}
	}
	if _, err := kbstore.Write(ctx, st.Store, now(), docs...); err != nil {
		t.Fatal(err)
	}
	st.step.Store(int64(6 * time.Second)) // each page takes 6 s: 18 s behind in all
	if err := f.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for i, p := range st.probes {
		if p[:4] != "true" {
			t.Errorf("not ready before read %d while applying a backlog page by page: %s", i+1, p)
		}
	}
	if l := f.Lag(); l.Behind != 0 {
		t.Fatalf("still %d behind", l.Behind)
	}

	// kb index: the rebuild runs beside the live index, however long it
	// takes (here on the real clock, against a 250 ms staleness bound).
	st.f = nil
	st.step.Store(0)
	realTime.Store(true)
	if err := f.Sync(ctx); err != nil { // a read on the real clock
		t.Fatal(err)
	}
	if _, err := st.RequestKBRebuild(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- f.Sync(ctx) }()
	var notReady []string
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("rebuild took %s", time.Since(start).Round(time.Millisecond))
			if len(notReady) > 0 {
				t.Fatalf("not ready during a rebuild (%d probes): %v", len(notReady), notReady[0])
			}
			if l := f.Lag(); l.Rebuilds != 1 {
				t.Fatalf("rebuilds = %d", l.Rebuilds)
			}
			// A follower that stops reading is not ready.
			time.Sleep(300 * time.Millisecond)
			if ok, _ := f.Ready(250 * time.Millisecond); ok {
				t.Fatal("ready 300 ms after its last read, against a 250 ms bound")
			}
			return
		default:
			if ok, why := f.Ready(250 * time.Millisecond); !ok {
				notReady = append(notReady, why)
			}
			time.Sleep(time.Millisecond)
		}
	}
}
