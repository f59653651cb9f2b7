package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
)

// systemJobStore is the capability the digest needs (bot/review.go):
// jobs that belong to no incident, and completing one together with
// scheduling its successor and queueing its message.
type systemJobStore interface {
	ScheduleSystemJobs(ctx context.Context, jobs []incidents.Job) error
	CompleteJobWith(ctx context.Context, id int64, at time.Time, next []incidents.Job, notes []incidents.Notification) error
}

// RunSystemJobs checks system jobs: scheduled without an incident, deduped
// by key, claimed like any job, and completed atomically with the next
// period's job and the notification, exactly once, across a restart.
func RunSystemJobs(t *testing.T, open Opener) {
	h := &harness{open: open}
	dir := t.TempDir()
	s := h.openAt(t, dir)
	sj, ok := s.Store.(systemJobStore)
	if !ok {
		t.Skip("store has no system jobs")
	}
	js, ob := stores(t, s.Store)
	ctx := context.Background()
	job := func(due time.Time) incidents.Job {
		return incidents.Job{Kind: incidents.JobDigest, DueAt: due, DedupeKey: "digest/" + due.Format(time.RFC3339)}
	}
	first := job(base)
	if err := sj.ScheduleSystemJobs(ctx, []incidents.Job{first, first}); err != nil {
		t.Fatal(err)
	}
	if err := sj.ScheduleSystemJobs(ctx, []incidents.Job{first}); err != nil {
		t.Fatal(err)
	}
	claimed, err := js.ClaimDueJobs(ctx, base, time.Minute, 10)
	if err != nil || len(claimed) != 1 || claimed[0].Kind != incidents.JobDigest {
		t.Fatalf("claim: %v %+v (want the one digest job)", err, claimed)
	}
	note := incidents.Notification{Kind: incidents.NotifyThreadPost, DedupeKey: "digest-post/1", Payload: []byte(`{}`)}
	next := job(base.Add(7 * 24 * time.Hour))
	if err := sj.CompleteJobWith(ctx, claimed[0].ID, base, []incidents.Job{next}, []incidents.Notification{note}); err != nil {
		t.Fatal(err)
	}
	// A second completion (another process, a retry) writes nothing.
	err = sj.CompleteJobWith(ctx, claimed[0].ID, base, []incidents.Job{job(base.Add(time.Hour))}, []incidents.Notification{{Kind: incidents.NotifyThreadPost, DedupeKey: "digest-post/2", Payload: []byte(`{}`)}})
	if !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("second completion: %v, want ErrNotFound", err)
	}
	s.Close()
	s = h.openAt(t, dir)
	js, ob = stores(t, s.Store)
	due, ok, err := js.NextDue(ctx)
	if err != nil || !ok || !due.Equal(next.DueAt) {
		t.Errorf("next due %v %v %v, want %v", due, ok, err, next.DueAt)
	}
	notes, err := ob.ClaimNotifications(ctx, base.Add(time.Hour), time.Minute, 10)
	if err != nil || len(notes) != 1 || notes[0].DedupeKey != "digest-post/1" {
		t.Errorf("notifications %v %+v, want only digest-post/1", err, notes)
	}
	claimed, err = js.ClaimDueJobs(ctx, base.Add(8*24*time.Hour), time.Minute, 10)
	if err != nil || len(claimed) != 1 || claimed[0].DedupeKey != next.DedupeKey {
		t.Errorf("claim after restart: %v %+v", err, claimed)
	}
}
