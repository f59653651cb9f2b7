package postgres

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A statement is cut at statementTimeout, except under unbounded (schema
// migrations), which keeps only the caller's deadline.
func TestStatementBoundAndMigrationExemption(t *testing.T) {
	dsn := os.Getenv("PAYBOT_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tracer = boundTracer{}
	ctx := context.Background()
	saved := statementTimeout.get()
	statementTimeout.set(150 * time.Millisecond)
	t.Cleanup(func() { statementTimeout.set(saved) })

	connect := func() *pgx.Conn {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		c, err := pgx.ConnectConfig(cctx, cfg)
		if err != nil {
			t.Skipf("PostgreSQL not reachable: %v", err)
		}
		t.Cleanup(func() { c.Close(ctx) })
		return c
	}
	if _, err := connect().Exec(ctx, "SELECT pg_sleep(0.6)"); err == nil {
		t.Fatal("a 0.6 s statement ran to the end under a 150 ms bound")
	}
	if _, err := connect().Exec(unbounded(ctx), "SELECT pg_sleep(0.6)"); err != nil {
		t.Fatalf("a migration's statement was cut: %v", err)
	}
}
