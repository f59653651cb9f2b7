package kb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDebugQuery prints the plan and hits for the queries in $KB_DEBUG_Q
// (separated by '|'), against starter KB + reference corpus.
func TestDebugQuery(t *testing.T) {
	qs := os.Getenv("KB_DEBUG_Q")
	if qs == "" {
		t.Skip("set KB_DEBUG_Q")
	}
	sh := sharedDir(t)
	ix, _ := openTemp(t)
	importFile(t, ix, filepath.Join(sh, "corpus", "reference-codes.jsonl"))
	for _, q := range strings.Split(qs, "|") {
		g := ix.cur.Load()
		rs := newReaderStats(context.Background(), g.idx)
		p := analyzeQuery(q, rs)
		rs.close()
		t.Logf("Q %q\n words=%v extra=%v syn=%v systems=%v named=%v\n codes=%+v", q, p.words, p.extra, p.syn, p.systems, p.named, p.codes)
		res, err := ix.Search(context.Background(), q, 8)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf(" confident=%v", res.Confident)
		for _, h := range res.Hits {
			t.Logf("  %.3f %s | %s | %s", h.Score, h.ID, h.Title, h.Snippet)
		}
	}
}
