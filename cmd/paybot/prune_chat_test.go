package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/sqlite"
)

// TestChatPrunesFinishedRows: the console chat prunes what serve prunes
// (sent and dead messages, finished timers, inbox keys), at start, with the
// retentions of the config.
func TestChatPrunesFinishedRows(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "paybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-8 * 24 * time.Hour)
	notes := []incidents.Notification{
		{Kind: incidents.NotifyThreadPost, Payload: []byte(`{}`), DedupeKey: "old-sent", ChannelKey: "console:a", NextAttemptAt: old},
		{Kind: incidents.NotifyThreadPost, Payload: []byte(`{}`), DedupeKey: "old-dead", ChannelKey: "console:b", NextAttemptAt: old},
	}
	if err := s.QueueNotifications(ctx, notes); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimNotifications(ctx, old, time.Minute, 10)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim: %d %v", len(claimed), err)
	}
	for _, n := range claimed {
		if n.DedupeKey == "old-sent" {
			err = s.MarkSent(ctx, n.ID, old)
		} else {
			err = s.MarkFailed(ctx, n.ID, old, "gone", true)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	cfg := filepath.Join(dir, "paybot.yaml")
	if err := os.WriteFile(cfg, []byte("outbox_dead_retention: 2d\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in, w := io.Pipe()
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--data", dir, "--config", cfg, "chat", "--json"}, in, &out, &errOut, func(string) string { return "" })
	}()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "paybot.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var left int
		if err := db.QueryRow(`SELECT count(*) FROM outbox WHERE dedupe_key IN ('old-sent', 'old-dead')`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not pruned after 10 s: %d rows left", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.Close()
	if code := <-done; code != 0 {
		t.Fatalf("chat exit %d: %s", code, errOut.String())
	}
}
