package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
)

// RunJobs is the conformance suite for the jobs and outbox part of
// incidents.Store (a separate entry point while incidents/postgres does not
// have them yet): jobs and notifications are
// written atomically with the incident change, dedupe keys are unique,
// claims are leased and a stuck claim is reclaimed after its lease, and
// finished rows are pruned by age in batches, keeping what dedupe needs.
func RunJobs(t *testing.T, open Opener) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"JobsWithChange", testJobsWithChange},
		{"CancelJobKeys", testCancelJobKeys},
		{"JobsLease", testJobsLease},
		{"OutboxWithChange", testOutbox},
		{"JobsRollbackWithConflict", testEffectsRollback},
		{"OutboxChannels", testOutboxChannels},
		{"OutboxReleaseClaim", testOutboxReleaseClaim},
		{"CommitEvent", testCommitEvent},
		{"ClaimsDisjointAcrossReplicas", testClaimsDisjoint},
		{"ChannelOrderAcrossReplicas", testChannelOrderAcrossReplicas},
		{"PruneOutbox", testPruneOutbox},
		{"PruneJobs", testPruneJobs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, &harness{open: open})
		})
	}
}

func stores(_ *testing.T, s incidents.Store) (incidents.JobStore, incidents.OutboxStore) {
	return s, s
}

func testJobsWithChange(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	js, _ := stores(t, s.Store)
	inc := newIncident(1, "slack")
	due := base.Add(time.Minute)
	mustCreate(t, s, inc, incidents.Change{Timeline: []incidents.TimelineEntry{created(inc)}, Jobs: []incidents.Job{
		{Kind: incidents.JobLadderStep, DueAt: due, DedupeKey: "ladder/1", Payload: map[string]string{"level": "1"}},
		{Kind: incidents.JobSLAWarning, DueAt: due.Add(time.Minute), DedupeKey: "warn/1"},
	}})
	if next, ok, err := js.NextDue(ctx); err != nil || !ok || !next.Equal(due) {
		t.Fatalf("NextDue = %v, %v, %v; want %v", next, ok, err, due)
	}
	// The same dedupe key again does nothing; cancel removes the warning.
	mustUpdate(t, s, inc, incidents.Change{Jobs: []incidents.Job{{Kind: incidents.JobLadderStep, DueAt: due, DedupeKey: "ladder/1"}},
		CancelJobs: []incidents.JobKind{incidents.JobSLAWarning}})
	list, err := js.Jobs(ctx, inc.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("Jobs = %v, %v; want 2", list, err)
	}
	if list[1].Status != incidents.JobCancelled || list[0].Payload["level"] != "1" {
		t.Fatalf("jobs = %+v", list)
	}
	if got, _ := js.ClaimDueJobs(ctx, base, 10*time.Second, 10); len(got) != 0 {
		t.Fatalf("claimed %d jobs before they were due", len(got))
	}
	got, err := js.ClaimDueJobs(ctx, due, 10*time.Second, 10)
	if err != nil || len(got) != 1 || got[0].Attempts != 1 || got[0].Kind != incidents.JobLadderStep {
		t.Fatalf("ClaimDueJobs = %+v, %v", got, err)
	}
	// Completing in a change makes it done atomically with the change.
	mustUpdate(t, s, inc, incidents.Change{CompleteJobs: []int64{got[0].ID}})
	if err := js.CompleteJob(ctx, got[0].ID, due); err == nil {
		t.Fatal("CompleteJob on a done job succeeded")
	}
	if again, _ := js.ClaimDueJobs(ctx, due.Add(time.Hour), 10*time.Second, 10); len(again) != 0 {
		t.Fatalf("done job claimed again: %+v", again)
	}
	if _, ok, err := js.NextDue(ctx); err != nil || ok {
		t.Fatalf("NextDue with no pending job = %v, %v", ok, err)
	}
}

func testJobsLease(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	js, _ := stores(t, s.Store)
	inc := newIncident(1, "slack")
	mustCreate(t, s, inc, incidents.Change{})
	if err := js.ScheduleJobs(ctx, []incidents.Job{{IncidentID: inc.ID, Kind: incidents.JobUpdateReminder, DueAt: base, DedupeKey: "r"}}); err != nil {
		t.Fatal(err)
	}
	a, _ := js.ClaimDueJobs(ctx, base, 15*time.Second, 10)
	b, _ := js.ClaimDueJobs(ctx, base.Add(14*time.Second), 15*time.Second, 10)
	c, _ := js.ClaimDueJobs(ctx, base.Add(15*time.Second), 15*time.Second, 10)
	if len(a) != 1 || len(b) != 0 || len(c) != 1 || c[0].Attempts != 2 {
		t.Fatalf("lease: first %d, during lease %d, after lease %d (%+v)", len(a), len(b), len(c), c)
	}
	// Survives a restart.
	dir := t.TempDir()
	s2 := h.openAt(t, dir)
	inc2 := newIncident(2, "slack")
	mustCreate(t, s2, inc2, incidents.Change{Jobs: []incidents.Job{{Kind: incidents.JobSLABreach, DueAt: base, DedupeKey: "b"}}})
	s2.Close()
	s3 := h.openAt(t, dir)
	js3, _ := stores(t, s3.Store)
	if got, err := js3.ClaimDueJobs(ctx, base.Add(time.Hour), time.Second, 10); err != nil || len(got) != 1 {
		t.Fatalf("after restart: %+v, %v", got, err)
	}
}

func testOutbox(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	_, ob := stores(t, s.Store)
	inc := newIncident(1, "slack")
	mustCreate(t, s, inc, incidents.Change{Notify: []incidents.Notification{
		{Kind: incidents.NotifyThreadPost, Payload: []byte(`{"a":1}`), DedupeKey: "n1", NextAttemptAt: base},
		{Kind: incidents.NotifyDM, Payload: []byte(`{"b":2}`), DedupeKey: "n2", NextAttemptAt: base},
	}})
	mustUpdate(t, s, inc, incidents.Change{Notify: []incidents.Notification{{Kind: incidents.NotifyThreadPost, Payload: []byte(`{}`), DedupeKey: "n1", NextAttemptAt: base}}})
	got, err := ob.ClaimNotifications(ctx, base, 15*time.Second, 10)
	if err != nil || len(got) != 2 || got[0].DedupeKey != "n1" || string(got[0].Payload) != `{"a":1}` {
		t.Fatalf("Claim = %+v, %v", got, err)
	}
	if more, _ := ob.ClaimNotifications(ctx, base.Add(time.Second), 15*time.Second, 10); len(more) != 0 {
		t.Fatalf("claimed during lease: %+v", more)
	}
	if err := ob.MarkSent(ctx, got[0].ID, base); err != nil {
		t.Fatal(err)
	}
	if err := ob.MarkFailed(ctx, got[1].ID, base.Add(time.Minute), "429", false); err != nil {
		t.Fatal(err)
	}
	if early, _ := ob.ClaimNotifications(ctx, base.Add(30*time.Second), 15*time.Second, 10); len(early) != 0 {
		t.Fatalf("claimed before retry time: %+v", early)
	}
	late, _ := ob.ClaimNotifications(ctx, base.Add(time.Minute), 15*time.Second, 10)
	if len(late) != 1 || late[0].DedupeKey != "n2" || late[0].Attempts != 2 || late[0].LastError != "429" {
		t.Fatalf("retry claim = %+v", late)
	}
	// A stuck claim (worker died) is reclaimed once its lease is over.
	again, _ := ob.ClaimNotifications(ctx, base.Add(time.Minute+15*time.Second), 15*time.Second, 10)
	if len(again) != 1 {
		t.Fatalf("stuck claim not reclaimed: %+v", again)
	}
	if err := ob.MarkFailed(ctx, again[0].ID, base, "gone", true); err != nil {
		t.Fatal(err)
	}
	list, _ := ob.Notifications(ctx, inc.ID)
	if len(list) != 2 || list[0].Status != incidents.NotifySent || list[0].SentAt == nil || list[1].Status != incidents.NotifyDead {
		t.Fatalf("Notifications = %+v", list)
	}
}

func testEffectsRollback(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	js, ob := stores(t, s.Store)
	inc := newIncident(1, "slack")
	mustCreate(t, s, inc, incidents.Change{})
	stale := *inc
	mustUpdate(t, s, inc, incidents.Change{})
	err := s.UpdateIncident(ctx, &stale, incidents.Change{
		Jobs:   []incidents.Job{{Kind: incidents.JobLadderStep, DueAt: base, DedupeKey: "x"}},
		Notify: []incidents.Notification{{Kind: incidents.NotifyDM, Payload: []byte(`{}`), DedupeKey: "y"}},
	})
	wantErr(t, "stale update", err, incidents.ErrConflict)
	if l, _ := js.Jobs(ctx, inc.ID); len(l) != 0 {
		t.Fatalf("job written by a refused change: %+v", l)
	}
	if l, _ := ob.Notifications(ctx, inc.ID); len(l) != 0 {
		t.Fatalf("notification written by a refused change: %+v", l)
	}
}

// testCancelJobKeys: cancelling by dedupe key touches that job only, and
// only the changed incident's.
func testCancelJobKeys(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	js, _ := stores(t, s.Store)
	due := base.Add(time.Minute)
	inc := newIncident(1, "slack")
	mustCreate(t, s, inc, incidents.Change{Jobs: []incidents.Job{{Kind: incidents.JobSLAWarning, DueAt: due, DedupeKey: "warn/1"}}})
	other := newIncident(2, "slack")
	mustCreate(t, s, other, incidents.Change{Jobs: []incidents.Job{{Kind: incidents.JobSLABreach, DueAt: due, DedupeKey: "breach/2"}}})
	mustUpdate(t, s, inc, incidents.Change{Jobs: []incidents.Job{{Kind: incidents.JobSLABreach, DueAt: due.Add(time.Hour), DedupeKey: "breach/1"}},
		CancelJobKeys: []string{"breach/2", "no/such/key"}})
	mustUpdate(t, s, inc, incidents.Change{CancelJobKeys: []string{"breach/1"}})
	if l, _ := js.Jobs(ctx, other.ID); len(l) != 1 || l[0].Status != incidents.JobPending {
		t.Fatalf("another incident's job was cancelled: %+v", l)
	}
	if l, _ := js.Jobs(ctx, inc.ID); len(l) != 2 || l[1].Status != incidents.JobCancelled || l[0].Status != incidents.JobPending || l[1].DedupeKey != "breach/1" {
		t.Fatalf("cancel by key: %+v", l)
	}
}
