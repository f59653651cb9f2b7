package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// slackRecorder is a fake Slack Web API that records chat.postMessage calls.
type slackRecorder struct {
	mu    sync.Mutex
	n     int
	cards map[string]int // root posts (no thread_ts) by text
	// onThread, when set, sees every thread post (channel, thread_ts,
	// text) under mu.
	onThread func(channel, thread, text string)
	posts    int
	// history holds each channel's root posts with their metadata, for
	// conversations.history: a card retried after a replica died between
	// posting it and recording it is found there and adopted (FindPost),
	// as on the real Slack.
	history map[string][]map[string]any
	srv     *httptest.Server
}

func newSlackRecorder(t testing.TB) *slackRecorder {
	r := &slackRecorder{cards: map[string]int{}, history: map[string][]map[string]any{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_ = req.ParseForm()
		if strings.HasSuffix(req.URL.Path, "/conversations.history") {
			r.mu.Lock()
			msgs := append([]map[string]any{}, r.history[req.Form.Get("channel")]...)
			r.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"ok": true, "messages": msgs})
			return
		}
		r.mu.Lock()
		r.n++
		ts := fmt.Sprintf("1700000000.%06d", r.n)
		if strings.HasSuffix(req.URL.Path, "/chat.postMessage") {
			r.posts++
			if req.Form.Get("thread_ts") == "" {
				r.cards[req.Form.Get("text")]++
				var meta any
				json.Unmarshal([]byte(req.Form.Get("metadata")), &meta)
				ch := req.Form.Get("channel")
				r.history[ch] = append(r.history[ch], map[string]any{"type": "message", "ts": ts, "text": req.Form.Get("text"), "metadata": meta})
			} else if r.onThread != nil {
				r.onThread(req.Form.Get("channel"), req.Form.Get("thread_ts"), req.Form.Get("text"))
			}
		}
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q,"user_id":"UBOT","message":{"ts":%q}}`, req.Form.Get("channel"), ts, ts)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// replica is one `paybot serve` process.
type replica struct {
	cmd  *exec.Cmd
	base string
	logs *syncBuffer
}

func startReplica(t testing.TB, bin string, env []string) *replica {
	t.Helper()
	addr := freeAddr(t)
	logs := &syncBuffer{}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), append(env, "PAYBOT_HTTP_ADDR="+addr, "PAYBOT_DATA="+t.TempDir())...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{cmd: cmd, base: "http://" + addr, logs: logs}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	waitStatus(t, r.base, "/readyz", 200, 30*time.Second)
	return r
}

// TestReplicasOnPostgres runs the docker-compose topology as processes on
// loopback: two `paybot serve` on one PostgreSQL schema behind a
// round-robin reverse proxy. Signed /payissue commands go through the proxy
// and a quarter of them are redelivered straight to the other replica:
// every incident opens once with one card, and both replicas serve /readyz
// and /metrics. scripts/replicas.sh runs it.
func TestReplicasOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts two servers")
	}
	dsn := pgSchema(t, "")
	bin := buildPaybot(t)
	api := newSlackRecorder(t)
	env := []string{"PAYBOT_DATABASE_URL=" + dsn, "SLACK_BOT_TOKEN=xoxb-test", "SLACK_SIGNING_SECRET=" + opsTestSecret,
		"SLACK_API_URL=" + api.srv.URL + "/", "PAYBOT_LOG_FORMAT=json"}
	reps := []*replica{startReplica(t, bin, env), startReplica(t, bin, env)}

	var next atomic.Uint64
	lb := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		r := reps[next.Add(1)%uint64(len(reps))]
		u, _ := url.Parse(r.base)
		pr.SetURL(u)
	}})
	defer lb.Close()

	const n = 40
	for i := range n {
		trigger := fmt.Sprintf("trig-%d", i)
		// One channel per incident: Slack's pacing (1 message/s per
		// channel, shared by the replicas) would otherwise set the pace.
		channel := fmt.Sprintf("C%02d", i)
		if resp := slackCommandIn(t, lb.URL, channel, fmt.Sprintf("replica test incident %d: declines at checkout", i), trigger); resp.StatusCode != 200 {
			t.Fatalf("command %d through the proxy: %d", i, resp.StatusCode)
		}
		if i%4 == 0 { // Slack retries: the same request again, to a replica chosen directly
			slackCommandIn(t, reps[(i+1)%2].base, channel, fmt.Sprintf("replica test incident %d: declines at checkout", i), trigger)
		}
	}
	// Wait for both replicas to process everything.
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	deadline := time.Now().Add(30 * time.Second)
	var incidentsN, pending int
	for {
		c.QueryRow(ctx, `SELECT count(*) FROM incidents`).Scan(&incidentsN)
		c.QueryRow(ctx, `SELECT count(*) FROM inbox WHERE status = 'received'`).Scan(&pending)
		if (incidentsN >= n && pending == 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if incidentsN != n || pending != 0 {
		t.Fatalf("%d incidents and %d unprocessed events; want %d and 0", incidentsN, pending, n)
	}
	var dup int
	c.QueryRow(ctx, `SELECT count(*) FROM (SELECT title FROM incidents GROUP BY title HAVING count(*) > 1) d`).Scan(&dup)
	if dup != 0 {
		t.Fatalf("%d incidents opened twice", dup)
	}
	// One card per incident at the fake Slack API.
	deadline = time.Now().Add(10 * time.Second)
	for {
		api.mu.Lock()
		cards := 0
		twice := 0
		for _, k := range api.cards {
			cards += k
			if k > 1 {
				twice++
			}
		}
		api.mu.Unlock()
		if twice > 0 {
			t.Fatalf("%d cards posted more than once", twice)
		}
		if cards == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d cards posted, want %d", cards, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The replicas paced their posts through the shared store.
	var paced int
	c.QueryRow(ctx, `SELECT count(*) FROM channel_pacing`).Scan(&paced)
	if paced < n {
		t.Errorf("channel_pacing has %d channels, want %d: the replicas did not pace through the store", paced, n)
	}
	// Both replicas took work and both expose metrics.
	for i, r := range reps {
		m := scrape(t, r.base)
		if m["paybot_events_received_total"] == nil || m["paybot_events_received_total"].total == 0 {
			t.Errorf("replica %d received no events", i)
		}
		if m["paybot_incidents"] == nil || m["paybot_incidents"].total != n {
			t.Errorf("replica %d sees %v incidents, want %d (shared store)", i, m["paybot_incidents"], n)
		}
	}
	if testing.Verbose() {
		resp, _ := http.Get(reps[0].base + "/readyz")
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("replica 0 /readyz: %s", b)
	}
}
