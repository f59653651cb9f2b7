package kb

import (
	"context"
	"os"
	"strconv"
	"testing"
)

// TestSpeed100k runs the full speed benchmark of issue 3 (100,000 synthetic
// documents, 2,000 queries). Opt-in: KB_BENCH=1 (or KB_BENCH=<docs>).
func TestSpeed100k(t *testing.T) {
	v := os.Getenv("KB_BENCH")
	if v == "" {
		t.Skip("set KB_BENCH=1 to run the 100k-document speed benchmark")
	}
	n := 100000
	if x, err := strconv.Atoi(v); err == nil && x > 1 {
		n = x
	}
	rep, err := RunBench(context.Background(), t.TempDir(), n, 2000, testWriter{t}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, fails := rep.Pass(); !ok {
		t.Errorf("speed targets missed: %v", fails)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// BenchmarkSearch measures query latency on a 10,000-document synthetic
// corpus (go test -bench Search ./kb).
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	ix, err := Open(ctx, dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	docs := SynthCorpus(1, 10000)
	if err := ix.Upsert(ctx, docs...); err != nil {
		b.Fatal(err)
	}
	if os.Getenv("KB_OPT") != "" {
		if err := ix.Optimize(ctx); err != nil {
			b.Fatal(err)
		}
	}
	qs := SynthQueries(1, docs, 1000)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := ix.Search(ctx, qs[i%len(qs)], 5); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIndex measures Upsert throughput (docs/op = 1,000 per batch).
func BenchmarkIndex(b *testing.B) {
	ctx := context.Background()
	docs := SynthCorpus(1, 20000)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		ix, err := Open(ctx, dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for i := 0; i < len(docs); i += batchSize {
			if err := ix.Upsert(ctx, docs[i:min(i+batchSize, len(docs))]...); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		_ = ix.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(docs)*b.N)/b.Elapsed().Seconds(), "docs/s")
}
