package postgres_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/paybot/paybot/incidents"
)

// TestUpgradeTo0100 builds a schema as the migrations before 0100 left it,
// with an outbox row of the old shape, a processed event that kept its
// payload and a job, then opens the store: the old notification gets a
// queue of its own and is delivered, the processed payload is gone, a job
// without incident (the nil uuid) is accepted, and the card kind (refused
// by the old CHECK) can be queued.
func TestUpgradeTo0100(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	schema := schemaFor(dir)
	a := admin(t)
	defer a.Close(ctx)
	if _, err := a.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	err = pgx.BeginFunc(ctx, a, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL search_path = "+schema); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		for _, f := range files {
			name := filepath.Base(f)
			v, _ := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
			if v >= 100 {
				continue
			}
			sql, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(sql), pgx.QueryExecModeSimpleProtocol); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, v, name); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO outbox (kind, payload, dedupe_key, status, next_attempt_at, created_at)
				VALUES ('dm', '{}', 'old/1', 'pending', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
			INSERT INTO inbox (key, payload, status, received_at, processed_at)
				VALUES ('ev/old', 'secret-ish payload', 'done', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
			pgx.QueryExecModeSimpleProtocol)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s := openAt(t, dir) // runs 0100
	ob := s.(incidents.OutboxStore)
	now := time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)
	got, err := ob.ClaimNotifications(ctx, now, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].DedupeKey != "old/1" || got[0].ChannelKey != "n:old/1" {
		t.Fatalf("old notification after 0100: %+v, %v", got, err)
	}
	var payload []byte
	if err := a.QueryRow(ctx, "SELECT payload FROM "+schema+".inbox WHERE key = 'ev/old'").Scan(&payload); err != nil || payload != nil {
		t.Fatalf("processed payload kept: %q, %v", payload, err)
	}
	sj := s.(interface {
		ScheduleSystemJobs(context.Context, []incidents.Job) error
	})
	if err := sj.ScheduleSystemJobs(ctx, []incidents.Job{{Kind: "review_digest", DueAt: now, DedupeKey: "digest/x"}}); err != nil {
		t.Fatalf("system job after 0100: %v", err)
	}
	card := incidents.Notification{IncidentID: uuid.New(), Kind: incidents.NotifyCard, Payload: []byte(`{}`), DedupeKey: "card/x", ChannelKey: "slack:C1", ReplyToken: "https://hooks.slack.test/x"}
	if err := ob.QueueNotifications(ctx, []incidents.Notification{card}); err != nil {
		t.Fatalf("card notification after 0100: %v", err)
	}
}
