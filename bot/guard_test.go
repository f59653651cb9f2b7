package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// panicKB trips a bug in every search, as kb.CheckAnswer once did on
// "Ask Ana." (an index past the end of its words).
type panicKB struct{}

func (panicKB) Ask(context.Context, string, int) ([]Hit, bool, error) {
	var words []string
	_ = words[0] // index out of range
	return nil, false, nil
}

// TestPanickingEventIsAnsweredNotReplayed: an event whose handling panics
// neither takes the process down nor stays pending, so no worker, no
// sweep of another replica and no restart meets it again (a crash loop
// across the deployment); the sender is told, and the next event works.
func TestPanickingEventIsAnsweredNotReplayed(t *testing.T) {
	r := newRig(t, Config{KB: panicKB{}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.e.Run(ctx) }()
	ev := r.command("C1", "search do_not_honor")
	ev.MessageKeys = []string{"fake:msg:C1:1"}
	if err := r.e.Accept(ctx, ev); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !r.a.replied("I hit a bug") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !r.a.replied("I hit a bug") {
		t.Fatalf("the sender was not told; replies %v", r.a.replies)
	}
	if p, err := r.store.PendingEvents(context.Background(), 10); err != nil || len(p) != 0 {
		t.Fatalf("the event stays pending (%v): %+v", err, p)
	}
	// The next event works.
	if err := r.e.Accept(ctx, r.command("C1", "checkout failing")); err != nil {
		t.Fatal(err)
	}
	for len(r.incidents()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if len(r.incidents()) != 1 {
		t.Fatal("the event after the panic was not handled")
	}
	cancel()
	<-done
	// A restart sweeps nothing back in.
	r.restart(Config{KB: panicKB{}})
	if p, _ := r.store.PendingEvents(context.Background(), 10); len(p) != 0 {
		t.Fatalf("pending after restart: %+v", p)
	}
	// The synchronous path (the console) returns, not panics.
	if err := r.e.HandleEvent(context.Background(), r.command("C2", "search r01")); err != nil && !errors.Is(err, ErrInternal) {
		t.Fatal(err)
	}
}

func (a *scripted) replied(sub string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.replies {
		if strings.Contains(s, sub) {
			return true
		}
	}
	for _, m := range a.posts {
		if strings.Contains(m.Text, sub) {
			return true
		}
	}
	return false
}
