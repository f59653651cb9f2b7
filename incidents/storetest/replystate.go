package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
)

// ReplyStateStore is what a store offers chat adapters for the short-lived
// state of reply routes that every replica must see (adapters/discord's
// ReplyStore has the same methods): a claim that exactly one replica wins,
// values that the later-expiring write keeps, reads that ignore expired
// rows, and pruning.
type ReplyStateStore interface {
	ClaimReplyState(ctx context.Context, key string, value []byte, now, expires time.Time) (bool, error)
	PutReplyState(ctx context.Context, key string, value []byte, expires time.Time) error
	ReplyState(ctx context.Context, key string, now time.Time) ([]byte, bool, error)
	DeleteReplyState(ctx context.Context, key string) error
	PruneReplyState(ctx context.Context, now time.Time) (int64, error)
}

// RunReplyState is the conformance suite for ReplyStateStore, on two handles
// of one store (two replicas).
func RunReplyState(t *testing.T, open Opener) {
	replicas := func(t *testing.T) (ReplyStateStore, ReplyStateStore) {
		h := &harness{open: open}
		dir := t.TempDir()
		a, okA := h.openAt(t, dir).Store.(ReplyStateStore)
		b, okB := h.openAt(t, dir).Store.(ReplyStateStore)
		if !okA || !okB {
			t.Fatal("store does not implement ReplyStateStore: Discord replies would depend on the replica")
		}
		return a, b
	}
	ctx := context.Background()
	exp := base.Add(15 * time.Minute)

	t.Run("ClaimOnceAcrossReplicas", func(t *testing.T) {
		t.Parallel()
		a, b := replicas(t)
		const n = 16
		var won atomic.Int32
		var wg sync.WaitGroup
		for i := range n {
			s := a
			if i%2 == 1 {
				s = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.ClaimReplyState(ctx, "discord:orig:1", []byte{byte(i)}, base, exp)
				if err != nil {
					t.Error(err)
				}
				if ok {
					won.Add(1)
				}
			}()
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Fatalf("%d of %d claims won, want exactly 1", won.Load(), n)
		}
		// Still held just before the expiry, by either replica.
		if ok, err := b.ClaimReplyState(ctx, "discord:orig:1", nil, exp.Add(-time.Millisecond), exp.Add(time.Minute)); ok || err != nil {
			t.Fatalf("claim of a held key = %v, %v", ok, err)
		}
		// Expired: the next claim replaces the row.
		if ok, err := a.ClaimReplyState(ctx, "discord:orig:1", []byte("new"), exp, exp.Add(time.Minute)); !ok || err != nil {
			t.Fatalf("claim of an expired key = %v, %v", ok, err)
		}
		if v, ok, err := b.ReplyState(ctx, "discord:orig:1", exp); !ok || err != nil || string(v) != "new" {
			t.Fatalf("after re-claim: %q %v %v", v, ok, err)
		}
		// Released: claimable again at once.
		if err := b.DeleteReplyState(ctx, "discord:orig:1"); err != nil {
			t.Fatal(err)
		}
		if ok, err := a.ClaimReplyState(ctx, "discord:orig:1", nil, exp, exp.Add(time.Minute)); !ok || err != nil {
			t.Fatalf("claim after delete = %v, %v", ok, err)
		}
	})

	t.Run("ReadsIgnoreExpired", func(t *testing.T) {
		t.Parallel()
		a, b := replicas(t)
		val := []byte{0, 1, 2, 0xff, 'x'}
		if err := a.PutReplyState(ctx, "discord:msg:42", val, exp); err != nil {
			t.Fatal(err)
		}
		if v, ok, err := b.ReplyState(ctx, "discord:msg:42", exp.Add(-time.Millisecond)); !ok || err != nil || !bytes.Equal(v, val) {
			t.Fatalf("before expiry: %v %v %v", v, ok, err)
		}
		if _, ok, err := b.ReplyState(ctx, "discord:msg:42", exp); ok || err != nil {
			t.Fatalf("at expiry: ok=%v err=%v, want absent", ok, err)
		}
		if _, ok, err := b.ReplyState(ctx, "discord:msg:none", base); ok || err != nil {
			t.Fatalf("unknown key: ok=%v err=%v", ok, err)
		}
		if err := a.PutReplyState(ctx, "discord:msg:empty", nil, exp); err != nil {
			t.Fatal(err)
		}
		if v, ok, err := b.ReplyState(ctx, "discord:msg:empty", base); !ok || err != nil || len(v) != 0 {
			t.Fatalf("empty value: %v %v %v", v, ok, err)
		}
		if err := b.DeleteReplyState(ctx, "discord:msg:none"); err != nil {
			t.Fatalf("delete of a missing key: %v", err)
		}
	})

	t.Run("PutKeepsTheLaterExpiry", func(t *testing.T) {
		t.Parallel()
		a, b := replicas(t)
		if err := a.PutReplyState(ctx, "discord:last:c1:u1", []byte("newer"), exp.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		// An older route written late does not replace the newer one…
		if err := b.PutReplyState(ctx, "discord:last:c1:u1", []byte("older"), exp); err != nil {
			t.Fatal(err)
		}
		if v, _, _ := a.ReplyState(ctx, "discord:last:c1:u1", base); string(v) != "newer" {
			t.Fatalf("got %q, want the later-expiring value", v)
		}
		// …a newer one does.
		if err := b.PutReplyState(ctx, "discord:last:c1:u1", []byte("newest"), exp.Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
		if v, _, _ := a.ReplyState(ctx, "discord:last:c1:u1", base); string(v) != "newest" {
			t.Fatalf("got %q, want newest", v)
		}
	})

	t.Run("Prune", func(t *testing.T) {
		t.Parallel()
		a, b := replicas(t)
		for i := range 5 {
			if err := a.PutReplyState(ctx, fmt.Sprintf("k%d", i), []byte("v"), base.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		n, err := b.PruneReplyState(ctx, base.Add(2*time.Minute))
		if err != nil || n != 3 {
			t.Fatalf("pruned %d, %v; want the 3 rows expired at +2m", n, err)
		}
		for i := range 5 {
			_, ok, err := a.ReplyState(ctx, fmt.Sprintf("k%d", i), base)
			if err != nil || ok != (i > 2) {
				t.Fatalf("k%d after prune: ok=%v err=%v", i, ok, err)
			}
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		a, _ := replicas(t)
		if _, err := a.ClaimReplyState(ctx, "", nil, base, exp); !errors.Is(err, incidents.ErrInvalid) {
			t.Fatalf("empty key: %v", err)
		}
		if _, err := a.ClaimReplyState(ctx, "k", nil, base, base); !errors.Is(err, incidents.ErrInvalid) {
			t.Fatalf("expiry not after now: %v", err)
		}
		if err := a.PutReplyState(ctx, "", nil, exp); !errors.Is(err, incidents.ErrInvalid) {
			t.Fatalf("put without key: %v", err)
		}
	})
}
