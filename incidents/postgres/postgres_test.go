package postgres_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/postgres"
	"github.com/paybot/paybot/incidents/storetest"
)

const defaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testDSN() string {
	if v := os.Getenv("PAYBOT_TEST_POSTGRES"); v != "" {
		return v
	}
	return defaultDSN
}

// admin connects for schema set-up, or skips the test when no server is
// reachable.
func admin(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		t.Skipf("PostgreSQL not reachable at %s (set PAYBOT_TEST_POSTGRES to a postgres:// URL): %v", testDSN(), err)
	}
	return c
}

// schemaFor names the schema of the store whose data "lives" at dir.
func schemaFor(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return "paybot_test_" + hex.EncodeToString(sum[:8])
}

// openAt opens a store in a schema of its own, named after dir, and drops
// the schema when the test ends, so runs never collide.
func openAt(t *testing.T, dir string) incidents.Store {
	t.Helper()
	schema := schemaFor(dir)
	ctx := context.Background()
	a := admin(t)
	defer a.Close(ctx)
	if _, err := a.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c := admin(t)
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(testDSN())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", "4")
	u.RawQuery = q.Encode()
	s, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	admin(t).Close(context.Background())
	storetest.Run(t, openAt)
}

func TestGatewayStore(t *testing.T) {
	admin(t).Close(context.Background())
	storetest.RunGateway(t, openAt)
}
