package postgres_test

import (
	"context"
	"os"
	"strconv"
	"testing"

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
		s := openAt(t, dir)
		a := admin(t)
		sent := storetest.Base().Add(-1)
		if _, err := a.Exec(context.Background(), `INSERT INTO `+schemaOf(dir)+`.outbox
			(incident_id, kind, payload, dedupe_key, channel_key, status, next_attempt_at, sent_at, created_at)
			SELECT NULL, 'thread_post', decode(repeat('00', 300), 'hex'), 'seed/' || i, 'slack:C' || (i % 50), 'sent', $2, $2, $2
			FROM generate_series(1, $1) i`, rows, sent); err != nil {
			t.Fatal(err)
		}
		a.Exec(context.Background(), `ANALYZE `+schemaOf(dir)+`.outbox`)
		a.Close(context.Background())
		f := storetest.MeasurePrune(t, s, batch)
		t.Logf("postgres, batch %d: %s", batch, f)
		if f.Rows != int64(rows) {
			t.Errorf("pruned %d rows, want %d", f.Rows, rows)
		}
	}
}
