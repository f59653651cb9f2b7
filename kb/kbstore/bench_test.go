package kbstore_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/paybot/paybot/kb"
	"github.com/paybot/paybot/kb/kbstore"
)

// benchDocs is the synthetic corpus of `paybot kb bench`.
func benchDocs(b *testing.B, n int) []kb.Doc {
	var buf bytes.Buffer
	if err := kb.WriteSynthJSONL(&buf, n); err != nil {
		b.Fatal(err)
	}
	docs, probs := kb.ImportJSONL(&buf)
	if len(probs) > 0 || len(docs) != n {
		b.Fatalf("%d docs, %d problems", len(docs), len(probs))
	}
	return docs
}

// BenchmarkStoreWriteAndCatchUp: how fast documents go into the store
// (kbstore.Write, 1,000 per transaction) and how fast a fresh replica's
// index catches up with them (Follower.Start), per store.
//
//	go test ./kb/kbstore/ -run - -bench StoreWriteAndCatchUp -benchtime 1x
func BenchmarkStoreWriteAndCatchUp(b *testing.B) {
	const n = 20000
	docs := benchDocs(b, n)
	for _, tc := range []struct {
		name string
		open func(testing.TB) storeOpener
	}{{"sqlite", sqliteStores}, {"postgres", postgresStores}} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				st := tc.open(b)(b)
				b.StartTimer()
				start := time.Now()
				if _, err := kbstore.Write(context.Background(), st, time.Now(), docs...); err != nil {
					b.Fatal(err)
				}
				write := time.Since(start)
				ix, dir, _, err := kbstore.OpenIndex(context.Background(), b.TempDir(), kb.Options{})
				if err != nil {
					b.Fatal(err)
				}
				start = time.Now()
				f := kbstore.New(ix, st, kbstore.Options{Dir: dir})
				if err := f.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				catch := time.Since(start)
				ix.Close()
				b.ReportMetric(float64(n)/write.Seconds(), "store-docs/s")
				b.ReportMetric(float64(n)/catch.Seconds(), "catchup-docs/s")
			}
		})
	}
}
