package bot

import (
	"context"
	"testing"
	"time"
)

// The same message delivered under two envelope ids (Slack does this) takes
// effect once.
func TestSameMessageTwoEventIDs(t *testing.T) {
	r := newRig(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.e.Run(ctx) }()
	defer func() { cancel(); <-done }()
	ev := r.command("C1", "webhooks failing")
	ev.MessageKeys = []string{"fake:msg:C1:1700000000.000100", "fake:cmid:abc"}
	second := ev
	second.ID = "fake:ev-other"
	second.MessageKeys = []string{"fake:msg:C1:1700000000.000100", "fake:cmid:abc"}
	if err := r.e.Accept(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := r.e.Accept(ctx, second); err != nil {
		t.Fatal(err)
	}
	// And through the synchronous path.
	third := second
	third.ID = "fake:ev-third"
	if err := r.e.HandleEvent(ctx, third); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(r.incidents()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(r.incidents()); n != 1 {
		t.Fatalf("%d incidents, want 1", n)
	}
}

// A processed event keeps no payload, and the inbox is pruned after the
// retention window.
func TestInboxPayloadClearedAndPruned(t *testing.T) {
	r := newRig(t, Config{InboxRetention: 24 * time.Hour})
	ctx := context.Background()
	ev := r.command("C1", "search do_not_honor")
	ev.MessageKeys = []string{"fake:msg:1"}
	if err := r.e.HandleEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if p, _ := r.store.PendingEvents(ctx, 10); len(p) != 0 {
		t.Fatalf("pending %+v", p)
	}
	if n, _ := r.e.PruneInbox(ctx); n != 0 {
		t.Fatalf("pruned %d fresh keys", n)
	}
	r.clock.Advance(25 * time.Hour)
	if n, _ := r.e.PruneInbox(ctx); n != 2 {
		t.Fatalf("pruned %d keys, want 2 (event and message)", n)
	}
}

// Run prunes the adapters' expired reply state (Discord's claims and sealed
// routes) as it starts, and every 5 minutes after.
func TestRunPrunesExpiredReplyState(t *testing.T) {
	r := newRig(t, Config{})
	ctx := context.Background()
	now := r.clock.Now()
	if err := r.store.PutReplyState(ctx, "discord:orig:1", nil, now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := r.store.PutReplyState(ctx, "discord:orig:2", nil, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Read as of an hour ago, a row is there until it is deleted.
	there := func(key string) bool {
		_, ok, err := r.store.ReplyState(ctx, key, now.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !there("discord:orig:1") {
		t.Fatal("setup: expired row missing before Run")
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); r.e.Run(rctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(5 * time.Second)
	for there("discord:orig:1") {
		if time.Now().After(deadline) {
			t.Fatal("Run did not prune the expired reply state")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !there("discord:orig:2") {
		t.Fatal("Run pruned a row that has not expired")
	}
}
