package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
)

// StatsStore is what the metrics collector of `paybot serve` reads.
type StatsStore interface {
	Stats(ctx context.Context, now time.Time) (incidents.Stats, error)
	Ping(ctx context.Context) error
}

// RunStats checks the monitoring counts: incidents by status and severity,
// pending and dead notifications, and jobs already due.
func RunStats(t *testing.T, open Opener) {
	t.Run("Counts", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		h := &harness{open: open}
		s := h.fresh(t)
		ss, ok := s.Store.(StatsStore)
		if !ok {
			t.Skip("store does not implement Stats")
		}
		if err := ss.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if st, err := ss.Stats(ctx, base); err != nil || len(st.Incidents) != 0 || st.OutboxPending != 0 || st.JobsDue != 0 {
			t.Fatalf("empty store: %+v, %v", st, err)
		}
		a, b, c := newIncident(1, "slack"), newIncident(2, "slack"), newIncident(3, "discord")
		for _, inc := range []*incidents.Incident{a, b, c} {
			inc.Status, inc.Severity = incidents.StatusOpen, incidents.Sev2
		}
		c.Severity = incidents.Sev1
		mustCreate(t, s, a, incidents.Change{Jobs: []incidents.Job{
			{Kind: incidents.JobSLAWarning, DueAt: base, DedupeKey: "due"},
			{Kind: incidents.JobSLABreach, DueAt: base.Add(time.Hour), DedupeKey: "later"},
		}, Notify: []incidents.Notification{
			{Kind: incidents.NotifyThreadPost, Payload: []byte(`{}`), DedupeKey: "n1", NextAttemptAt: base},
			{Kind: incidents.NotifyThreadPost, Payload: []byte(`{}`), DedupeKey: "n2", NextAttemptAt: base},
		}})
		mustCreate(t, s, b, incidents.Change{})
		mustCreate(t, s, c, incidents.Change{})
		_, ob := stores(t, s.Store)
		got, _ := ob.ClaimNotifications(ctx, base, time.Minute, 1)
		if err := ob.MarkFailed(ctx, got[0].ID, base, "gone", true); err != nil {
			t.Fatal(err)
		}
		st, err := ss.Stats(ctx, base.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		want := map[incidents.IncidentCount]bool{
			{Status: incidents.StatusOpen, Severity: incidents.Sev1, N: 1}: true,
			{Status: incidents.StatusOpen, Severity: incidents.Sev2, N: 2}: true,
		}
		if len(st.Incidents) != 2 || !want[st.Incidents[0]] || !want[st.Incidents[1]] {
			t.Fatalf("incident counts = %+v", st.Incidents)
		}
		if st.OutboxPending != 1 || st.OutboxDead != 1 || st.JobsDue != 1 {
			t.Fatalf("stats = %+v; want 1 pending, 1 dead, 1 job due", st)
		}
	})
}
