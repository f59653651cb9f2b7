package storetest

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
)

const day = 24 * time.Hour

// testPruneOutbox: sent rows go by the time they were sent, dead rows by
// the time they were given up, each with its own cut-off; pending rows
// stay whatever their age; a backlog larger than a batch goes in several
// batches; a pruned row's dedupe key can be queued again.
func testPruneOutbox(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	inc := newIncident(1, "slack")
	mustCreate(t, s, inc, incidents.Change{})
	note := func(key string) incidents.Notification {
		return incidents.Notification{IncidentID: inc.ID, Kind: incidents.NotifyThreadPost, Payload: []byte(`{}`),
			DedupeKey: key, ChannelKey: "slack:" + key, NextAttemptAt: base, CreatedAt: base}
	}
	var all []incidents.Notification
	for _, k := range []string{"old-sent-1", "old-sent-2", "old-sent-3", "old-sent-4", "old-sent-5", "new-sent",
		"old-dead", "new-dead", "old-pending"} {
		all = append(all, note(k))
	}
	if err := s.QueueNotifications(ctx, all); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimNotifications(ctx, base, time.Minute, 100)
	if err != nil || len(claimed) != len(all) {
		t.Fatalf("claim: %d, %v", len(claimed), err)
	}
	ids := map[string]int64{}
	for _, n := range claimed {
		ids[n.DedupeKey] = n.ID
	}
	for k, at := range map[string]time.Time{"old-sent-1": base, "old-sent-2": base, "old-sent-3": base.Add(time.Hour),
		"old-sent-4": base.Add(2 * day), "old-sent-5": base.Add(2 * day), "new-sent": base.Add(9 * day)} {
		if err := s.MarkSent(ctx, ids[k], at); err != nil {
			t.Fatal(err)
		}
	}
	// Given up 3 days in (old) and 20 days in (new).
	if err := s.MarkFailed(ctx, ids["old-dead"], base.Add(3*day), "channel_not_found", true); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, ids["new-dead"], base.Add(20*day), "channel_not_found", true); err != nil {
		t.Fatal(err)
	}
	// The pending one failed once and waits for its retry.
	if err := s.MarkFailed(ctx, ids["old-pending"], base.Add(time.Minute), "timeout", false); err != nil {
		t.Fatal(err)
	}

	// A cancelled context deletes nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.PruneOutbox(cctx, base.Add(100*day), base.Add(100*day), 2); err == nil {
		t.Error("PruneOutbox with a cancelled context succeeded")
	}

	// Cut-offs: sent before day 7, dead before day 10.
	n, err := s.PruneOutbox(ctx, base.Add(7*day), base.Add(10*day), 2)
	if err != nil || n != 6 {
		t.Fatalf("PruneOutbox = %d, %v; want 6 (5 sent in batches of 2, 1 dead)", n, err)
	}
	if got := noteKeys(t, s, inc.ID); fmt.Sprint(got) != "[new-dead new-sent old-pending]" {
		t.Fatalf("left after prune: %v", got)
	}
	if n, err := s.PruneOutbox(ctx, base.Add(7*day), base.Add(10*day), 0); err != nil || n != 0 {
		t.Fatalf("second prune = %d, %v; want 0", n, err)
	}
	// A pending notification is never pruned, however old.
	if n, _ := s.PruneOutbox(ctx, base.Add(1000*day), base.Add(1000*day), 0); n != 2 {
		t.Fatalf("late prune = %d; want 2 (new-sent, new-dead)", n)
	}
	if got := noteKeys(t, s, inc.ID); fmt.Sprint(got) != "[old-pending]" {
		t.Fatalf("left after the late prune: %v", got)
	}
	// A pruned key is free again; a kept one still dedupes.
	if err := s.QueueNotifications(ctx, []incidents.Notification{note("old-sent-1"), note("old-pending")}); err != nil {
		t.Fatal(err)
	}
	if got := noteKeys(t, s, inc.ID); fmt.Sprint(got) != "[old-pending old-sent-1]" {
		t.Fatalf("after queueing pruned and kept keys again: %v", got)
	}
}

// testPruneJobs: done and cancelled jobs go by the time they finished,
// pending ones stay, and so do the finished jobs of an active incident,
// whose dedupe keys keep stopping the timers every change re-schedules;
// a system job (no incident) goes like any other.
func testPruneJobs(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	active, closed := newIncident(1, "slack"), newIncident(2, "slack")
	job := func(key string, due time.Time) incidents.Job {
		return incidents.Job{Kind: incidents.JobSLAWarning, DueAt: due, DedupeKey: key}
	}
	mustCreate(t, s, active, incidents.Change{Jobs: []incidents.Job{job("a/done", base)}})
	mustCreate(t, s, closed, incidents.Change{Jobs: []incidents.Job{
		job("c/done-1", base), job("c/done-2", base), job("c/done-3", base), job("c/done-late", base),
		job("c/cancelled", base.Add(30*day)),
		{Kind: incidents.JobUpdateReminder, DueAt: base.Add(30 * day), DedupeKey: "c/pending"},
	}})
	sj, system := s.Store.(systemJobStore)
	if system {
		if err := sj.ScheduleSystemJobs(ctx, []incidents.Job{{Kind: incidents.JobDigest, DueAt: base, DedupeKey: "digest/old"}}); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := s.ClaimDueJobs(ctx, base, time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range claimed {
		at := base.Add(time.Hour)
		if j.DedupeKey == "c/done-late" {
			at = base.Add(9 * day)
		}
		if err := s.CompleteJob(ctx, j.ID, at); err != nil {
			t.Fatal(err)
		}
	}
	// Cancelled on day 2, when the incident was resolved.
	closed.Status, closed.UpdatedAt = incidents.StatusResolved, base.Add(2*day)
	mustUpdate(t, s, closed, incidents.Change{CancelJobs: []incidents.JobKind{incidents.JobSLAWarning}})
	// The active one is open, its job done long ago.
	active.Status, active.UpdatedAt = incidents.StatusOpen, base.Add(2*day)
	mustUpdate(t, s, active, incidents.Change{})

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.PruneJobs(cctx, base.Add(100*day), 2); err == nil {
		t.Error("PruneJobs with a cancelled context succeeded")
	}

	want := int64(4) // c/done-1..3 and c/cancelled; c/done-late finished after the cut-off
	if system {
		want++
	}
	n, err := s.PruneJobs(ctx, base.Add(7*day), 2)
	if err != nil || n != want {
		t.Fatalf("PruneJobs = %d, %v; want %d", n, err, want)
	}
	if got := jobKeys(t, s, closed.ID); fmt.Sprint(got) != "[c/done-late c/pending]" {
		t.Fatalf("closed incident's jobs after prune: %v", got)
	}
	if got := jobKeys(t, s, active.ID); fmt.Sprint(got) != "[a/done]" {
		t.Fatalf("active incident's jobs after prune: %v", got)
	}
	// The kept key still dedupes: the active incident's timer is not
	// scheduled again. The pruned ones are free.
	mustUpdate(t, s, active, incidents.Change{Jobs: []incidents.Job{job("a/done", base.Add(40*day))}})
	mustUpdate(t, s, closed, incidents.Change{Jobs: []incidents.Job{job("c/done-1", base.Add(40*day))}})
	if got := jobKeys(t, s, active.ID); fmt.Sprint(got) != "[a/done]" {
		t.Fatalf("active incident's jobs after re-scheduling: %v", got)
	}
	if got := jobKeys(t, s, closed.ID); fmt.Sprint(got) != "[c/done-1 c/done-late c/pending]" {
		t.Fatalf("closed incident's jobs after re-scheduling: %v", got)
	}
	// Once the incident is no longer active, its finished jobs go too.
	active.Status, active.UpdatedAt = incidents.StatusCancelled, base.Add(3*day)
	mustUpdate(t, s, active, incidents.Change{})
	if n, err := s.PruneJobs(ctx, base.Add(7*day), 0); err != nil || n != 1 {
		t.Fatalf("PruneJobs after the cancel = %d, %v; want 1", n, err)
	}
	if got := jobKeys(t, s, active.ID); len(got) != 0 {
		t.Fatalf("cancelled incident's jobs after prune: %v", got)
	}
}

// noteKeys and jobKeys are the sorted dedupe keys of an incident's
// notifications and jobs.
func noteKeys(t *testing.T, s incidents.Store, id uuid.UUID) []string {
	return dedupeKeys(t, s.Notifications, id, func(n incidents.Notification) string { return n.DedupeKey })
}

func jobKeys(t *testing.T, s incidents.Store, id uuid.UUID) []string {
	return dedupeKeys(t, s.Jobs, id, func(j incidents.Job) string { return j.DedupeKey })
}

func dedupeKeys[T any](t *testing.T, list func(context.Context, uuid.UUID) ([]T, error), id uuid.UUID, key func(T) string) []string {
	t.Helper()
	items, err := list(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, it := range items {
		keys = append(keys, key(it))
	}
	sort.Strings(keys)
	return keys
}
