package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
)

// testInboxMessageKeys: an event's message keys are recorded with it, so the
// same message under a second envelope key is refused whole; a processed
// event keeps no payload; PruneInbox removes old processed keys only.
func testInboxMessageKeys(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	if err := s.EnqueueEvent(ctx, "slack:Ev1", []byte(`{"text":"hello"}`), base, "slack:msg:C1:1.1", "slack:cmid:abc"); err != nil {
		t.Fatal(err)
	}
	// The same message (same channel+ts) under another event id.
	err := s.EnqueueEvent(ctx, "slack:Ev2", []byte(`{"text":"hello"}`), base, "slack:msg:C1:1.1")
	wantErr(t, "same message, second envelope", err, incidents.ErrDuplicate)
	// Refused whole: Ev2 itself is not recorded, so it is not pending.
	if done, _ := s.EventProcessed(ctx, "slack:Ev2"); done {
		t.Fatal("Ev2 recorded")
	}
	if pend, _ := s.PendingEvents(ctx, 10); len(pend) != 1 || pend[0].Key != "slack:Ev1" {
		t.Fatalf("pending = %+v", pend)
	}
	// A message key seen once blocks even a fresh envelope with other keys.
	err = s.EnqueueEvent(ctx, "slack:Ev3", nil, base, "slack:cmid:new", "slack:cmid:abc")
	wantErr(t, "shared client_msg_id", err, incidents.ErrDuplicate)
	if done, _ := s.EventProcessed(ctx, "slack:cmid:new"); done {
		t.Fatal("a key of a refused event was kept")
	}

	// Processing clears the payload: only the key stays for dedupe.
	if err := s.MarkEventProcessed(ctx, "slack:Ev1", base.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.EnqueueEvent(ctx, "slack:Ev4", []byte(`{"x":1}`), base.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Ev1 and its two message keys, in two batches.
	n, err := s.PruneInbox(ctx, base.Add(24*time.Hour), 2)
	if err != nil || n != 3 {
		t.Fatalf("PruneInbox = %d, %v; want 3", n, err)
	}
	if done, _ := s.EventProcessed(ctx, "slack:Ev1"); done {
		t.Fatal("pruned key still processed")
	}
	// An unprocessed event is never pruned, however old.
	if n, _ := s.PruneInbox(ctx, base.Add(100*24*time.Hour), 0); n != 0 {
		t.Fatalf("pruned %d unprocessed events", n)
	}
	if pend, _ := s.PendingEvents(ctx, 10); len(pend) != 1 || pend[0].Key != "slack:Ev4" {
		t.Fatalf("pending after prune = %+v", pend)
	}
}

// testOutboxChannels: one delivery in flight per channel key, in queue
// order; other channels are not held up by a busy or retrying one.
func testOutboxChannels(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	inc := newIncident(1, "slack")
	var ns []incidents.Notification
	for i, c := range []string{"A", "A", "A", "B", "C"} {
		ns = append(ns, incidents.Notification{Kind: incidents.NotifyThreadPost, Payload: []byte(`{}`),
			DedupeKey: c + string(rune('0'+i)), ChannelKey: "slack:" + c, ReplyToken: "tok" + c, NextAttemptAt: base})
	}
	mustCreate(t, s, inc, incidents.Change{Notify: ns})
	keys := func(got []incidents.Notification) []string {
		var out []string
		for _, n := range got {
			out = append(out, n.DedupeKey)
		}
		return out
	}
	got, err := s.ClaimNotifications(ctx, base, time.Minute, 10)
	if err != nil || len(got) != 3 || got[0].DedupeKey != "A0" || got[1].DedupeKey != "B3" || got[2].DedupeKey != "C4" {
		t.Fatalf("claim = %v, %v; want one head per channel", keys(got), err)
	}
	if got[0].ChannelKey != "slack:A" || got[0].ReplyToken != "tokA" {
		t.Fatalf("claimed %+v", got[0])
	}
	// A's head is in flight: nothing more of A.
	if more, _ := s.ClaimNotifications(ctx, base, time.Minute, 10); len(more) != 0 {
		t.Fatalf("claimed %v while every head is in flight", keys(more))
	}
	// The worker delivering B's head heartbeats: B stays claimed past the
	// first lease, and an unknown or finished notification cannot be extended.
	if err := s.ExtendClaim(ctx, got[1].ID, base.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if more, _ := s.ClaimNotifications(ctx, base.Add(2*time.Minute), time.Minute, 10); len(more) != 2 || more[0].DedupeKey != "A0" || more[1].DedupeKey != "C4" {
		t.Fatalf("after B's lease was extended, claim at +2m = %v; want A0 and C4 again", keys(more))
	}
	if err := s.MarkSent(ctx, got[0].ID, base); err != nil {
		t.Fatal(err)
	}
	if err := s.ExtendClaim(ctx, got[0].ID, base.Add(time.Hour)); !errors.Is(err, incidents.ErrNotFound) {
		t.Fatalf("ExtendClaim of a sent notification: %v", err)
	}
	// B's head is told to retry in an hour: B waits, A goes on.
	if err := s.MarkFailed(ctx, got[1].ID, base.Add(time.Hour), "429", false); err != nil {
		t.Fatal(err)
	}
	next, _ := s.ClaimNotifications(ctx, base, time.Minute, 10)
	if len(next) != 1 || next[0].DedupeKey != "A1" {
		t.Fatalf("after A0 sent: %v; want A1", keys(next))
	}
	if err := s.MarkFailed(ctx, next[0].ID, base.Add(time.Hour), "429", false); err != nil {
		t.Fatal(err)
	}
	if more, _ := s.ClaimNotifications(ctx, base.Add(time.Second), time.Minute, 10); len(more) != 0 {
		t.Fatalf("A2 overtook A1 while A1 waits for its retry: %v", keys(more))
	}
	list, _ := s.Notifications(ctx, inc.ID)
	for _, n := range list {
		if n.DedupeKey == "A0" && n.ReplyToken != "" {
			t.Fatalf("reply token kept after sending: %+v", n)
		}
	}
}

// testOutboxReleaseClaim: a claim handed back by a process that could not
// try it (no adapter for the platform, a shutdown) is claimable again from
// its retry time with its attempt uncounted, however often it happens; a
// notification no longer pending cannot be released.
func testOutboxReleaseClaim(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	inc := newIncident(1, "discord")
	mustCreate(t, s, inc, incidents.Change{Notify: []incidents.Notification{{Kind: incidents.NotifyThreadPost, Payload: []byte(`{}`),
		DedupeKey: "d1", ChannelKey: "discord:C1", NextAttemptAt: base}}})
	at := base
	for i := range 20 {
		got, err := s.ClaimNotifications(ctx, at, time.Minute, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("claim %d = %d notifications, %v", i, len(got), err)
		}
		if got[0].Attempts != 1 {
			t.Fatalf("claim %d counts attempt %d; released claims must not count", i, got[0].Attempts)
		}
		if err := s.ReleaseClaim(ctx, got[0].ID, at.Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
		if more, _ := s.ClaimNotifications(ctx, at.Add(time.Second), time.Minute, 10); len(more) != 0 {
			t.Fatalf("released until +2s, claimed again at +1s")
		}
		at = at.Add(2 * time.Second)
	}
	got, _ := s.ClaimNotifications(ctx, at, time.Minute, 10)
	if len(got) != 1 {
		t.Fatal("not claimable after its releases")
	}
	if err := s.MarkSent(ctx, got[0].ID, at); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseClaim(ctx, got[0].ID, at); !errors.Is(err, incidents.ErrNotFound) {
		t.Fatalf("ReleaseClaim of a sent notification: %v", err)
	}
}

// testCommitEvent: a change without incident marks the event and queues
// its notifications together, or does neither.
func testCommitEvent(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	reply := incidents.Notification{Kind: incidents.NotifyThreadPost, Payload: []byte(`{"m":1}`), DedupeKey: "reply/e1/0",
		ChannelKey: "slack:C1", NextAttemptAt: base}
	if err := s.CommitEvent(ctx, incidents.Change{EventKey: "e1", Notify: []incidents.Notification{reply}}); err != nil {
		t.Fatal(err)
	}
	if done, _ := s.EventProcessed(ctx, "e1"); !done {
		t.Fatal("event not marked")
	}
	second := reply
	second.DedupeKey = "reply/e1/again"
	err := s.CommitEvent(ctx, incidents.Change{EventKey: "e1", Notify: []incidents.Notification{second}})
	wantErr(t, "CommitEvent twice", err, incidents.ErrDuplicate)
	got, err := s.ClaimNotifications(ctx, base, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].DedupeKey != "reply/e1/0" {
		t.Fatalf("claim = %+v, %v; want only the first reply", got, err)
	}
	bad := incidents.Notification{Kind: incidents.NotifyThreadPost, DedupeKey: "x"}
	if err := s.CommitEvent(ctx, incidents.Change{EventKey: "e2", Notify: []incidents.Notification{bad}}); !errors.Is(err, incidents.ErrInvalid) {
		t.Fatalf("bad notification: %v", err)
	}
	if done, _ := s.EventProcessed(ctx, "e2"); done {
		t.Fatal("event marked although its reply was refused")
	}
	// Timeline entries and jobs belong to an incident: refused, not dropped.
	for name, ch := range map[string]incidents.Change{
		"timeline":      {EventKey: "e3", Timeline: []incidents.TimelineEntry{{Kind: incidents.EventNote, Text: "x"}}},
		"jobs":          {EventKey: "e3", Jobs: []incidents.Job{{Kind: incidents.JobLadderStep, DueAt: base, DedupeKey: "j"}}},
		"cancel kinds":  {EventKey: "e3", CancelJobs: []incidents.JobKind{incidents.JobLadderStep}},
		"cancel by key": {EventKey: "e3", CancelJobKeys: []string{"j"}},
	} {
		if err := s.CommitEvent(ctx, ch); !errors.Is(err, incidents.ErrInvalid) {
			t.Errorf("CommitEvent with %s: %v, want ErrInvalid", name, err)
		}
	}
	if done, _ := s.EventProcessed(ctx, "e3"); done {
		t.Fatal("event marked by a refused change")
	}
}
