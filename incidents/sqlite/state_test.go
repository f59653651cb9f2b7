package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/storetest"
)

// TestLegacyStateUpgrade reads a row as versions before migration 0080 left
// it: escalation and SLA state in details.extra, state at its default.
func TestLegacyStateUpgrade(t *testing.T) {
	storetest.RunLegacyUpgrade(t, func(t *testing.T, dir string) incidents.Store { return openAt(t, dir) },
		func(t *testing.T, dir string, id uuid.UUID, details []byte) {
			db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "paybot.db")+"?_pragma=busy_timeout(5000)")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(context.Background(),
				`UPDATE incidents SET state = '{}', details = ? WHERE id = ?`, string(details), id.String()); err != nil {
				t.Fatal(err)
			}
		})
}
