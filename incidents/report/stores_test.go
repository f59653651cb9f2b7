package report_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/postgres"
	"github.com/paybot/paybot/incidents/report"
	"github.com/paybot/paybot/incidents/sqlite"
)

func postgresDSN() string {
	if v := os.Getenv("PAYBOT_TEST_POSTGRES"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// openPostgres opens a store in a fresh schema dropped at the end, or
// skips when no server is reachable.
func openPostgres(tb testing.TB) *postgres.Store { return openPostgresSchema(tb, "") }

// openPostgresSchema opens keep (kept after the test) or, when keep is
// empty, a fresh schema dropped at the end. Commits are asynchronous
// (synchronous_commit=off): this is a test store, and seeding is faster.
func openPostgresSchema(tb testing.TB, keep string) *postgres.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := pgx.Connect(ctx, postgresDSN())
	if err != nil {
		tb.Skipf("PostgreSQL not reachable at %s (set PAYBOT_TEST_POSTGRES): %v", postgresDSN(), err)
	}
	defer a.Close(context.Background())
	var b [8]byte
	rand.Read(b[:])
	schema := "paybot_report_" + hex.EncodeToString(b[:])
	if keep != "" {
		schema = keep
	}
	if _, err := a.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if keep != "" {
			return
		}
		c, err := pgx.Connect(context.Background(), postgresDSN())
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, _ := url.Parse(postgresDSN())
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", "8")
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	s, err := postgres.Open(context.Background(), u.String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestReportSeededPostgres(t *testing.T) {
	s := openPostgres(t)
	seedStore(t, s, 0, 310, 8)
	r, err := report.Run(context.Background(), s, incidents.DefaultPolicy(), report.Query{}, seedNow)
	if err != nil {
		t.Fatal(err)
	}
	checkSeed(t, r)
}

// benchN is the size of the benchmark's store.
const benchN = 100_000

// benchStore seeds benchN incidents once per store kind per run. Set
// PAYBOT_BENCH_KEEP=DIR to reuse a seeded SQLite file across runs.
func benchReport(b *testing.B, s report.Source) {
	ctx := context.Background()
	p := incidents.DefaultPolicy()
	b.ResetTimer()
	for b.Loop() {
		r, err := report.Run(ctx, s, p, report.Query{}, seedNow)
		if err != nil {
			b.Fatal(err)
		}
		if r.Total.Incidents != benchN {
			b.Fatalf("%d incidents", r.Total.Incidents)
		}
	}
}

func BenchmarkReport100kSQLite(b *testing.B) {
	var s *sqlite.Store
	if dir := os.Getenv("PAYBOT_BENCH_KEEP"); dir != "" {
		path := filepath.Join(dir, "report-bench.db")
		_, statErr := os.Stat(path)
		var err error
		if s, err = sqlite.Open(context.Background(), path); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		if statErr != nil {
			seedStore(b, s, 0, benchN, 64)
		}
	} else {
		s = openSQLite(b)
		seedStore(b, s, 0, benchN, 64)
	}
	benchReport(b, s)
}

func BenchmarkReport100kPostgres(b *testing.B) {
	if os.Getenv("PAYBOT_BENCH_KEEP") != "" {
		s := openPostgresSchema(b, "paybot_report_bench")
		if list, err := s.ListIncidents(context.Background(), incidents.ListFilter{Limit: 1}); err != nil {
			b.Fatal(err)
		} else if len(list) == 0 {
			seedStore(b, s, 0, benchN, 16)
		}
		benchReport(b, s)
		return
	}
	s := openPostgres(b)
	seedStore(b, s, 0, benchN, 16)
	benchReport(b, s)
}
