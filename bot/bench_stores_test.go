package bot_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/postgres"
	"github.com/paybot/paybot/incidents/sqlite"
)

// pgCommitFloor measures n one-row autocommit INSERTs on the server behind
// dsn: the durable-commit floor (WAL fsync) that any answer commit on
// PostgreSQL pays, for comparison within the same run.
func pgCommitFloor(tb testing.TB, dsn string, n int) []time.Duration {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE TABLE IF NOT EXISTS bench_floor (a int)"); err != nil {
		tb.Fatal(err)
	}
	out := make([]time.Duration, 0, n)
	for i := range n {
		start := time.Now()
		if _, err := c.Exec(ctx, "INSERT INTO bench_floor VALUES ($1)", i); err != nil {
			tb.Fatal(err)
		}
		out = append(out, time.Since(start))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

var benchPostgresDSN string // set by openBenchPostgres: the schema's DSN

// openBenchPostgres opens a PostgreSQL store in a schema of its own (dropped
// afterwards), or skips when PAYBOT_TEST_POSTGRES's server is unreachable.
func openBenchPostgres(tb testing.TB) incidents.Store {
	dsn := os.Getenv("PAYBOT_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Skipf("PostgreSQL not reachable: %v", err)
	}
	defer c.Close(ctx)
	schema := fmt.Sprintf("paybot_bench_%d", time.Now().UnixNano())
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if c, err := pgx.Connect(ctx, dsn); err == nil {
			c.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	benchPostgresDSN = u.String()
	s, err := postgres.Open(ctx, u.String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkIntakeAnswerStores is BenchmarkIntakeAnswer on each store in the
// same run: one intake answer end to end (dedupe check, lookup, validation,
// the durable commit with the event key, the reply), one at a time.
func BenchmarkIntakeAnswerStores(b *testing.B) {
	for _, tc := range []struct {
		name string
		open func(testing.TB) incidents.Store
	}{
		{"sqlite", func(tb testing.TB) incidents.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "paybot.db"))
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { s.Close() })
			return s
		}},
		{"postgres", openBenchPostgres},
	} {
		b.Run(tc.name, func(b *testing.B) {
			eng := bot.NewEngine(bot.Config{Store: tc.open(b)})
			a := newNullAdapter()
			eng.AddAdapter(a)
			w := &benchWorker{channel: "C0"}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			start := time.Now()
			for len(lat) < b.N {
				if d := w.answer(b, eng, a); d > 0 {
					lat = append(lat, d)
				}
			}
			reportLatencies(b, lat, time.Since(start))
			b.StopTimer()
			if tc.name == "postgres" {
				floor := pgCommitFloor(b, benchPostgresDSN, 2000)
				b.ReportMetric(float64(floor[len(floor)/2].Microseconds())/1000, "pg-commit-floor-p50-ms")
				b.ReportMetric(float64(floor[len(floor)*99/100].Microseconds())/1000, "pg-commit-floor-p99-ms")
			} else {
				syncs := diskSyncLatencies(b, 2000)
				b.ReportMetric(float64(syncs[len(syncs)*99/100].Microseconds())/1000, "disk-fsync-p99-ms")
			}
		})
	}
}
