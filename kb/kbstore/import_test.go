package kbstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/kb"
	"github.com/paybot/paybot/kb/kbstore"
)

// interleavingStore is a store handle on which another writer commits a
// document just before the import's nth write (a running paybot learning
// an answer in the middle of a kb import).
type interleavingStore struct {
	kbstore.Store
	other kbstore.Store
	mu    sync.Mutex
	puts  int
	at    map[int]kb.Doc // write number -> the other writer's document
	read  int            // changes read back (KBChanges)
	fail  int            // write number that fails (0: none)
}

func (s *interleavingStore) KBChanges(ctx context.Context, after int64, limit int) ([]incidents.KBDoc, error) {
	ch, err := s.Store.KBChanges(ctx, after, limit)
	s.mu.Lock()
	s.read += len(ch)
	s.mu.Unlock()
	return ch, err
}

func (s *interleavingStore) PutKBDocs(ctx context.Context, docs []incidents.KBDoc) (int64, error) {
	s.mu.Lock()
	s.puts++
	d, ok := s.at[s.puts]
	fail := s.puts == s.fail
	s.mu.Unlock()
	if fail {
		return 0, errors.New("disk full")
	}
	if ok {
		if _, err := kbstore.Write(ctx, s.other, time.Now().UTC(), d); err != nil {
			return 0, err
		}
	}
	return s.Store.PutKBDocs(ctx, docs)
}

// importLines is a JSON Lines file of n lines: bad lines every 1,000 (7th),
// a blank line (8th), a card number in one body, and doc-1 again at the
// end with other content. It returns the bad lines and the number of
// distinct ids.
func importLines(n int) (string, map[int]bool, int) {
	var b strings.Builder
	bad := map[int]bool{}
	unique := 0
	for i := 1; i <= n; i++ {
		switch {
		case i%1000 == 7:
			b.WriteString("{not json\n")
			bad[i] = true
		case i%1000 == 8:
			b.WriteString("\n")
		case i == 1500:
			b.WriteString(`{"id": "doc-1500", "title": "Refund for card 4111 1111 1111 1111", "body": "The customer pasted 4111 1111 1111 1111 in the ticket."}` + "\n")
		case i == n:
			b.WriteString(`{"id": "doc-1", "title": "Gateway code Z0999 means maintenance", "body": "Retry after the window."}` + "\n")
		default:
			fmt.Fprintf(&b, `{"id": "doc-%d", "title": "Document %d about quokka settlements", "body": "Body of document %d."}`+"\n", i, i, i)
		}
		if !bad[i] && i%1000 != 8 && i != n {
			unique++
		}
	}
	return b.String(), bad, unique
}

// kb import through the store: the documents land in the store and in the
// importing process's index in one pass, with the file's line numbers for
// bad lines, masked, last line of an id winning, the position at the
// store's sequence; another writer committing in the middle (three times,
// on ids the import wrote before and writes after) is applied in order; a second
// replica catching up from the store ends with the same documents.
func TestImportThroughTheStore(t *testing.T) {
	forStores(t, func(t *testing.T, open storeOpener) {
		ctx := context.Background()
		st := &interleavingStore{Store: open(t), other: open(t), at: map[int]kb.Doc{
			3: zebraDoc,
			4: {ID: "doc-10", Kind: "community", Title: "Written by the other writer", Body: "after the import's line"},
			5: {ID: "doc-4500", Kind: "community", Title: "Written by the other writer", Body: "before the import's line"},
		}}
		dataDir := t.TempDir()
		ix, dir, _, err := kbstore.OpenIndex(ctx, dataDir, kb.Options{Timeout: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		f := kbstore.New(ix, st, kbstore.Options{Dir: dir})
		if err := f.Start(ctx); err != nil {
			t.Fatal(err)
		}
		before, _ := ix.Count()

		const n = 5300
		text, bad, unique := importLines(n)
		progress := 0
		stats, probs, err := f.Import(ctx, strings.NewReader(text), func(int64, kb.ImportStats) { progress++ })
		if err != nil {
			t.Fatal(err)
		}
		if st.puts < 5 {
			t.Fatalf("only %d store writes: the other writer never came in between", st.puts)
		}
		// only the batches another writer came before were read back
		if st.read == 0 || st.read > 2*kb.ImportBatch+3 {
			t.Errorf("%d changes read back from the store", st.read)
		}
		if stats.Rejected != len(bad) || len(probs) != len(bad) || progress == 0 {
			t.Fatalf("stats %+v, problems %v, progress %d", stats, probs, progress)
		}
		for _, p := range probs {
			if !bad[p.Line] {
				t.Errorf("line %d reported: %s", p.Line, p.Reason)
			}
		}
		if got, _ := ix.Count(); int(got) != int(before)+unique+1 {
			t.Errorf("index holds %d documents, want %d + %d imported + 1 learned", got, before, unique)
		}
		if !found(t, ix, "quasar zebra reconciler", zebraDoc.ID) {
			t.Error("the other writer's document is not in the index")
		}
		if d, err := ix.Get(ctx, "doc-1"); err != nil || !strings.Contains(d.Title, "Z0999") {
			t.Errorf("doc-1: the last line should win: %+v %v", d, err)
		}
		if d, err := ix.Get(ctx, "doc-4500"); err != nil || !strings.Contains(d.Title, "quokka") {
			t.Errorf("doc-4500: the import wrote it after the other writer: %+v %v", d, err)
		}
		if d, err := ix.Get(ctx, "doc-10"); err != nil || !strings.Contains(d.Title, "other writer") {
			t.Errorf("doc-10: the other writer wrote it after the import: %+v %v", d, err)
		}
		if d, err := ix.Get(ctx, "doc-1500"); err != nil || strings.Contains(d.Title+d.Body, "4111 1111") {
			t.Errorf("doc-1500 not masked in the index: %+v %v", d, err)
		}

		// the store: masked, and the same documents as the index
		state, err := st.KBState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if l := f.Lag(); l.Applied != state.Seq || l.Behind != 0 {
			t.Errorf("lag %+v, store at %d", l, state.Seq)
		}
		var pos struct{ Seq int64 }
		data, err := os.ReadFile(filepath.Join(dir, "kb", kbstore.StateFile))
		if err != nil || json.Unmarshal(data, &pos) != nil || pos.Seq != state.Seq {
			t.Errorf("follow.json %s (%v), store at %d", data, err, state.Seq)
		}
		ch, err := st.KBChanges(ctx, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		if len(ch) != unique+1 {
			t.Errorf("store holds %d documents, want %d", len(ch), unique+1)
		}
		for _, c := range ch {
			if strings.Contains(string(c.Fields), "4111 1111") {
				t.Errorf("card number in the store: %s", c.Fields)
			}
		}

		// another replica catching up from the store has the same
		other := startReplica(t, open(t), t.TempDir())
		if got, want := count(t, other.ix), count(t, ix); got != want {
			t.Errorf("replica holds %d documents, the importer %d", got, want)
		}
		for _, id := range []string{"doc-1", "doc-10", "doc-4500", "doc-5299"} {
			a, _ := ix.Get(ctx, id)
			b, _ := other.ix.Get(ctx, id)
			if a.Title != b.Title || a.Body != b.Body {
				t.Errorf("%s differs: importer %q, replica %q", id, a.Title, b.Title)
			}
		}
	})
}

func count(t *testing.T, ix *kb.Index) uint64 {
	t.Helper()
	n, err := ix.Count()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Without another writer the import reads nothing back from the store:
// each document is indexed once, from the file.
func TestImportReadsNothingBack(t *testing.T) {
	ctx := context.Background()
	st := &interleavingStore{Store: sqliteStores(t)(t)}
	ix, f := startFollower(ctx, t, st, kbstore.Options{})
	text, _, unique := importLines(4500)
	if _, _, err := f.Import(ctx, strings.NewReader(text), nil); err != nil {
		t.Fatal(err)
	}
	if st.read != 0 {
		t.Errorf("%d changes read back from the store", st.read)
	}
	// one change per line written (doc-1 twice)
	if l := f.Lag(); l.Applied != int64(unique+1) || l.Behind != 0 {
		t.Errorf("lag %+v after %d documents", l, unique+1)
	}
	if !found(t, ix, "quokka settlements 4321", "doc-4321") {
		t.Error("doc-4321 not found")
	}
}

// A store write that fails part way stops the import with the error; the
// position stays at the batches the index holds, so the next catch-up
// indexes whatever the store got, and nothing is lost.
func TestImportStoreFailsPartWay(t *testing.T) {
	ctx := context.Background()
	st := &interleavingStore{Store: sqliteStores(t)(t), fail: 4}
	ix, f := startFollower(ctx, t, st, kbstore.Options{})
	text, _, _ := importLines(5300)
	if _, _, err := f.Import(ctx, strings.NewReader(text), nil); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("import: %v", err)
	}
	state, err := st.KBState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// writes 1-2 (the first batch) indexed, write 3 stored but its batch
	// not indexed: the position is the first batch's
	if l := f.Lag(); l.Applied != int64(kb.ImportBatch) || state.Seq != int64(kb.ImportBatch+1000) {
		t.Fatalf("lag %+v, store at %d", l, state.Seq)
	}
	if err := f.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if l := f.Lag(); l.Applied != state.Seq || l.Behind != 0 {
		t.Errorf("after catching up: lag %+v, store at %d", l, state.Seq)
	}
	ch, err := st.KBChanges(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ch {
		if _, err := ix.Get(ctx, c.ID); err != nil {
			t.Errorf("%s is in the store, not in the index: %v", c.ID, err)
		}
	}
}
