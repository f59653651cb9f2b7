package kb

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
)

func TestSlowParts(t *testing.T) {
	if os.Getenv("KB_SLOW") == "" {
		t.Skip("set KB_SLOW=1")
	}
	ctx := context.Background()
	ix, _ := openTemp(t)
	docs := SynthCorpus(1, 100000)
	for i := 0; i < len(docs); i += 1000 {
		if err := ix.Upsert(ctx, docs[i:i+1000]...); err != nil {
			t.Fatal(err)
		}
	}
	_ = ix.Optimize(ctx)
	g := ix.cur.Load()
	for _, q := range []string{"what's the weather in Paris", "decline payment kacika order not approved", "charge saritel customers cards"} {
		for rep := 0; rep < 3; rep++ {
			t0 := time.Now()
			rs := newReaderStats(ctx, g.idx)
			t1 := time.Now()
			p := analyzeQuery(q, rs)
			t2 := time.Now()
			bq := buildQuery(p, rs, rs.n)
			t3 := time.Now()
			req := bleve.NewSearchRequestOptions(bq, 20, 0, false)
			req.Fields = hitFields
			sr, _ := ix.alias.SearchInContext(ctx, req)
			t4 := time.Now()
			req.Fields = nil
			_, _ = ix.alias.SearchInContext(ctx, req)
			t5 := time.Now()
			rs.close()
			t.Logf("%q stats=%v analyze=%v build=%v search=%v (nofields %v) hits=%d total=%d", q, t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), t5.Sub(t4), len(sr.Hits), sr.Total)
		}
	}
}
