package postgres_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents/storetest"
)

// TestLegacyStateUpgrade reads a row as versions before migration 0080 left
// it: escalation and SLA state in details.extra, state at its default.
func TestLegacyStateUpgrade(t *testing.T) {
	admin(t).Close(context.Background())
	storetest.RunLegacyUpgrade(t, openAt, func(t *testing.T, dir string, id uuid.UUID, details []byte) {
		ctx := context.Background()
		c := admin(t)
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `UPDATE `+schemaFor(dir)+`.incidents SET state = DEFAULT, details = $1 WHERE id = $2`,
			string(details), id); err != nil {
			t.Fatal(err)
		}
	})
}
