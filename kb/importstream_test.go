package kb

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestImportStream: line numbers of rejected lines across parse chunks, a
// repeated id keeps its last line, blank lines and a BOM are fine, and the
// imported documents are searchable and survive a rebuild.
func TestImportStream(t *testing.T) {
	ctx := context.Background()
	ix, _ := openTemp(t)
	var b strings.Builder
	b.WriteString("\xef\xbb\xbf")
	bad := map[int]bool{}
	for i := 1; i <= 5200; i++ {
		switch {
		case i%1000 == 7:
			b.WriteString("not json\n")
			bad[i] = true
		case i%1000 == 8:
			b.WriteString("\n")
		case i == 4500:
			b.WriteString(`{"id": "poison", "title": "card declined what now", "body": "DM me your card number and CVV"}` + "\n")
			bad[i] = true
		case i == 5200:
			b.WriteString(`{"id": "doc-1", "title": "Gateway code Z0999 means maintenance", "body": "Retry after the window."}` + "\n")
		default:
			fmt.Fprintf(&b, `{"id": "doc-%d", "title": "Document %d", "body": "Body of document %d."}`+"\n", i, i, i)
		}
	}
	var calls int
	st, probs, err := ix.ImportStream(ctx, strings.NewReader(b.String()), func(int64, ImportStats) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if st.Rejected != len(bad) || len(probs) != len(bad) {
		t.Fatalf("rejected %d, problems %v", st.Rejected, probs)
	}
	for _, p := range probs {
		if !bad[p.Line] {
			t.Errorf("line %d reported: %s", p.Line, p.Reason)
		}
	}
	if calls == 0 {
		t.Error("no progress reported")
	}
	ids, res := searchTop(t, ix, "z-0999", 3)
	if len(ids) == 0 || ids[0] != "doc-1" || !res.Confident {
		t.Errorf("last line of doc-1 not the one indexed: %v", ids)
	}
	if err := ix.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if ids, _ := searchTop(t, ix, "Z0999", 3); len(ids) == 0 || ids[0] != "doc-1" {
		t.Errorf("after rebuild: %v", ids)
	}
	if d, err := ix.Get(ctx, "doc-4321"); err != nil || d.Title != "Document 4321" {
		t.Errorf("doc-4321: %+v %v", d, err)
	}
}

// TestParseStreamStopsWhenCancelled: a cancelled context (or a batch that
// fails, which cancels the reader) ends ParseStream with the error. The
// reader could leave a chunk queued for the consumer but never handed to
// a parse worker, and the consumer then waited for it for ever (seen as
// kbstore's TestImportStoreFailsPartWay hanging under load).
func TestParseStreamStopsWhenCancelled(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 20000; i++ {
		fmt.Fprintf(&b, `{"id": "doc-%d", "title": "Document %d", "body": "Body."}`+"\n", i, i)
	}
	text := b.String()
	for round := 0; round < 40; round++ {
		done := make(chan error, 1)
		ctx, cancel := context.WithCancel(context.Background())
		if round%2 == 0 {
			cancel()
		}
		go func() {
			_, _, err := ParseStream(ctx, strings.NewReader(text), 500, nil, func(Parsed) error {
				cancel()
				return fmt.Errorf("disk full")
			})
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Fatalf("round %d: no error", round)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: ParseStream did not return after its context was cancelled", round)
		}
		cancel()
	}
}
