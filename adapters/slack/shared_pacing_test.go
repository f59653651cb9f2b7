package slack

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents/sqlite"
)

// TestSharedPacingAcrossReplicas runs two adapters, as two replicas, that
// pace through one store: their posts to one channel stay an interval apart
// although each process alone would send at once.
func TestSharedPacingAcrossReplicas(t *testing.T) {
	const gap = 40 * time.Millisecond
	var (
		mu    sync.Mutex
		times []time.Time
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		n := len(times)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"channel":"C1","ts":"1700000000.%06d"}`, n)
	}))
	defer srv.Close()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "paybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var replicas []*Adapter
	for range 2 {
		a, err := New(Options{BotToken: "xoxb", SigningSecret: "s", APIURL: srv.URL, ChannelInterval: gap, Pacer: store, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, a)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 10 {
		a := replicas[i%2]
		wg.Go(func() {
			conv := bot.Conversation{Platform: "slack", Channel: "C1"}
			if _, err := a.Post(context.Background(), bot.Message{Conversation: conv, Kind: bot.KindText, Text: fmt.Sprint(i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	if len(times) != 10 {
		t.Fatalf("%d posts, want 10", len(times))
	}
	// The k-th post can leave no earlier than the k-th slot: start+k*gap.
	// (Comparing neighbours would be flaky: slots are exact, wake-ups not.)
	for k, at := range times {
		if min := start.Add(time.Duration(k)*gap - 2*time.Millisecond); at.Before(min) {
			t.Fatalf("post %d left %s after start; want ≥ %s with one channel shared by two replicas", k, at.Sub(start), time.Duration(k)*gap)
		}
	}
}
