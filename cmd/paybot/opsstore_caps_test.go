package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/report"
	"github.com/paybot/paybot/incidents/sqlite"
)

// TestOpsStoreKeepsCapabilities: the engine and the dashboard find the
// digest's system jobs and the report source by type assertion on the
// store they are given, which in serve and chat is the opsStore wrapper;
// the wrapper must pass them through, or the digest is never scheduled and
// the dashboard has no analytics.
func TestOpsStoreKeepsCapabilities(t *testing.T) {
	raw, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "paybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var s incidents.Store = newOpsStore(raw, slog.New(slog.DiscardHandler), nil)
	if _, ok := s.(interface {
		ScheduleSystemJobs(ctx context.Context, jobs []incidents.Job) error
		CompleteJobWith(ctx context.Context, id int64, at time.Time, next []incidents.Job, notes []incidents.Notification) error
	}); !ok {
		t.Error("opsStore hides the system jobs (the digest is never scheduled)")
	}
	if _, ok := s.(report.Source); !ok {
		t.Error("opsStore hides report.Source (no analytics on the dashboard)")
	}
}
