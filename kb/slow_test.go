package kb

import (
	"context"
	"os"
	"sort"
	"testing"
	"time"
)

// TestSlowQueries lists the slowest synthetic queries (KB_SLOW=<docs>).
func TestSlowQueries(t *testing.T) {
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
	qs := SynthQueries(1, docs, 2000)
	type qt struct {
		q string
		d time.Duration
	}
	var all []qt
	for _, q := range qs {
		_, _ = ix.Search(ctx, q, 5)
		t0 := time.Now()
		_, _ = ix.Search(ctx, q, 5)
		all = append(all, qt{q, time.Since(t0)})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].d > all[j].d })
	for _, x := range all[:30] {
		rs := newReaderStats(ctx, ix.cur.Load().idx)
		t0 := time.Now()
		p := analyzeQuery(x.q, rs)
		an := time.Since(t0)
		rs.close()
		t.Logf("%v (analyze %v, %d codes, extra=%v) %q", x.d, an, len(p.codes), p.extra, x.q)
	}
}
