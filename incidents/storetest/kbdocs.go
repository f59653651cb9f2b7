package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
)

// RunKBDocs is the conformance suite for incidents.KBDocStore: documents
// and tombstones round-trip with growing sequence numbers, a repeated id
// keeps its latest state only, the state survives a restart, the rebuild
// generation moves, and a follower reading while two store handles on the
// same database write concurrently never misses a change.
func RunKBDocs(t *testing.T, open Opener) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"KBDocsRoundTrip", testKBDocsRoundTrip},
		{"KBDocsInvalid", testKBDocsInvalid},
		{"KBDocsConcurrentFollower", testKBDocsConcurrent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, &harness{open: open})
		})
	}
}

func kbStore(t *testing.T, s incidents.Store) incidents.KBDocStore {
	t.Helper()
	k, ok := s.(incidents.KBDocStore)
	if !ok {
		t.Fatalf("%T does not implement incidents.KBDocStore", s)
	}
	return k
}

func kbDoc(id, title string) incidents.KBDoc {
	f, _ := json.Marshal(map[string]string{"id": id, "title": title, "body": "body of " + id})
	return incidents.KBDoc{ID: id, Kind: "community", Fields: f, UpdatedAt: base}
}

func testKBDocsRoundTrip(t *testing.T, h *harness) {
	ctx := context.Background()
	dir := t.TempDir()
	s := h.openAt(t, dir)
	k := kbStore(t, s.Store)
	st0, err := k.KBState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st0.StoreID == "" || st0.Seq != 0 || st0.Generation != 0 {
		t.Fatalf("fresh state = %+v, want an id, seq 0, generation 0", st0)
	}
	if n, err := k.PutKBDocs(ctx, nil); err != nil || n != 0 {
		t.Fatalf("empty put = %d, %v", n, err)
	}
	n1, err := k.PutKBDocs(ctx, []incidents.KBDoc{kbDoc("a", "first"), kbDoc("b", "b"), kbDoc("a", "second")})
	if err != nil {
		t.Fatal(err)
	}
	n2, err := k.PutKBDocs(ctx, []incidents.KBDoc{{ID: "b", Kind: "community", Deleted: true, UpdatedAt: base.Add(time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	if n1 <= 0 || n2 <= n1 {
		t.Fatalf("sequences %d then %d, want positive and growing", n1, n2)
	}
	ch, err := k.KBChanges(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 2 || ch[0].ID != "a" || ch[1].ID != "b" || ch[0].Seq >= ch[1].Seq || ch[1].Seq != n2 {
		t.Fatalf("changes = %+v", ch)
	}
	var f map[string]string
	if err := json.Unmarshal(ch[0].Fields, &f); err != nil || f["title"] != "second" {
		t.Fatalf("a's fields = %s (%v), want the last write", ch[0].Fields, err)
	}
	if !ch[0].UpdatedAt.Equal(base) || ch[0].Deleted || ch[0].Kind != "community" {
		t.Fatalf("a = %+v", ch[0])
	}
	if !ch[1].Deleted || len(ch[1].Fields) != 0 {
		t.Fatalf("b = %+v, want a tombstone without fields", ch[1])
	}
	if ch, err := k.KBChanges(ctx, ch[0].Seq, 100); err != nil || len(ch) != 1 || ch[0].ID != "b" {
		t.Fatalf("changes after a = %+v, %v", ch, err)
	}
	if ch, err := k.KBChanges(ctx, 0, 1); err != nil || len(ch) != 1 {
		t.Fatalf("limit 1 = %+v, %v", ch, err)
	}
	g, err := k.RequestKBRebuild(ctx)
	if err != nil || g != 1 {
		t.Fatalf("rebuild = %d, %v", g, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := h.openAt(t, dir)
	k2 := kbStore(t, s2.Store)
	st, err := k2.KBState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.StoreID != st0.StoreID || st.Seq != n2 || st.Generation != 1 {
		t.Fatalf("after restart %+v, want id %s seq %d generation 1", st, st0.StoreID, n2)
	}
	n3, err := k2.PutKBDocs(ctx, []incidents.KBDoc{kbDoc("b", "back")})
	if err != nil || n3 <= n2 {
		t.Fatalf("put after restart = %d, %v (want > %d)", n3, err, n2)
	}
	other := kbStore(t, h.fresh(t).Store)
	if ost, err := other.KBState(ctx); err != nil || ost.StoreID == st0.StoreID {
		t.Fatalf("another database has id %q (%v); want its own", ost.StoreID, err)
	}
}

func testKBDocsInvalid(t *testing.T, h *harness) {
	ctx := context.Background()
	k := kbStore(t, h.fresh(t).Store)
	for _, d := range []incidents.KBDoc{
		{ID: "", Fields: json.RawMessage(`{}`)},
		{ID: "x", Fields: json.RawMessage(`[1]`)},
		{ID: "x", Fields: json.RawMessage(`not json`)},
		{ID: "x"},
	} {
		if _, err := k.PutKBDocs(ctx, []incidents.KBDoc{kbDoc("ok", "ok"), d}); !errors.Is(err, incidents.ErrInvalid) {
			t.Errorf("put %+v: %v, want ErrInvalid", d, err)
		}
	}
	if st, err := k.KBState(ctx); err != nil || st.Seq != 0 {
		t.Fatalf("after rejected puts: %+v, %v; want nothing written", st, err)
	}
}

// testKBDocsConcurrent: two handles on one database write concurrently
// while a follower polls; the follower must end with every document's last
// state, reading each sequence once and in order.
func testKBDocsConcurrent(t *testing.T, h *harness) {
	ctx := context.Background()
	dir := t.TempDir()
	a := kbStore(t, h.openAt(t, dir).Store)
	b := kbStore(t, h.openAt(t, dir).Store)
	const writers, rounds = 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		k := a
		if w%2 == 1 {
			k = b
		}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				docs := []incidents.KBDoc{kbDoc(fmt.Sprintf("w%d-%d", w, r), "t"), kbDoc(fmt.Sprintf("shared-%d", r%3), fmt.Sprintf("w%d", w))}
				if _, err := k.PutKBDocs(ctx, docs); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[string]int64{}
	var last int64
	follow := func() {
		for {
			ch, err := a.KBChanges(ctx, last, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(ch) == 0 {
				return
			}
			for _, d := range ch {
				if d.Seq <= last {
					t.Fatalf("sequence %d after %d", d.Seq, last)
				}
				last = d.Seq
				seen[d.ID] = d.Seq
			}
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			follow()
			time.Sleep(time.Millisecond)
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	follow()
	if len(seen) != writers*rounds+3 {
		t.Fatalf("follower saw %d ids, want %d", len(seen), writers*rounds+3)
	}
	// What the follower ended with must be what the store holds now.
	all, err := b.KBChanges(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range all {
		if seen[d.ID] != d.Seq {
			t.Fatalf("%s: follower has seq %d, store %d (a change was skipped)", d.ID, seen[d.ID], d.Seq)
		}
	}
	st, err := b.KBState(ctx)
	if err != nil || st.Seq != last {
		t.Fatalf("state %+v (%v), follower at %d", st, err, last)
	}
}
