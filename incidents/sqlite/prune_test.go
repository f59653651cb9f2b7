package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/paybot/paybot/incidents/sqlite"
	"github.com/paybot/paybot/incidents/storetest"
)

// TestPruneLockTime measures a prune of PAYBOT_PRUNE_MEASURE sent rows (for
// example 200000) in batches of 1,000 against one DELETE of them all,
// with writes going on (BENCHMARKS.md). Skipped unless the variable is set.
func TestPruneLockTime(t *testing.T) {
	rows, _ := strconv.Atoi(os.Getenv("PAYBOT_PRUNE_MEASURE"))
	if rows <= 0 {
		t.Skip("set PAYBOT_PRUNE_MEASURE=200000 to measure")
	}
	for _, batch := range []int{1000, rows} {
		dir := t.TempDir()
		path := filepath.Join(dir, "paybot.db")
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		sent := storetest.Base().Add(-1).UnixNano()
		if _, err := db.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO outbox (incident_id, kind, payload, dedupe_key, channel_key, status, next_attempt_at, sent_at, created_at)
			SELECT '', 'thread_post', zeroblob(300), 'seed/' || i, 'slack:C' || (i % 50), 'sent', ?, ?, ? FROM n`, rows, sent, sent, sent); err != nil {
			t.Fatal(err)
		}
		db.Close()
		f := storetest.MeasurePrune(t, s, batch)
		t.Logf("sqlite, batch %d: %s", batch, f)
		if f.Rows != int64(rows) {
			t.Errorf("pruned %d rows, want %d", f.Rows, rows)
		}
		s.Close()
	}
}
