package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	promdto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const opsTestSecret = "ops-test-signing-secret"

func testPostgresDSN() string {
	if v := os.Getenv("PAYBOT_TEST_POSTGRES"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// pgSchema makes a schema of its own for one test and returns a DSN whose
// host is hostPort (a proxy, or the server itself when empty), or skips
// when PostgreSQL is not reachable.
func pgSchema(t testing.TB, hostPort string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, testPostgresDSN())
	if err != nil {
		t.Skipf("PostgreSQL not reachable (PAYBOT_TEST_POSTGRES): %v", err)
	}
	defer c.Close(context.Background())
	schema := fmt.Sprintf("paybot_ops_%d", time.Now().UnixNano())
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), testPostgresDSN())
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	})
	u, _ := url.Parse(testPostgresDSN())
	if hostPort != "" {
		u.Host = hostPort
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	return u.String()
}

// tcpProxy forwards a loopback port to PostgreSQL; Stop cuts it (listener
// and open connections) as a database outage would, Start restores it on
// the same port. The shared server itself is never touched.
type tcpProxy struct {
	t        *testing.T
	addr     string
	upstream string
	mu       sync.Mutex
	ln       net.Listener
	conns    map[net.Conn]bool
}

func newTCPProxy(t *testing.T, upstream string) *tcpProxy {
	p := &tcpProxy{t: t, upstream: upstream, conns: map[net.Conn]bool{}}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.Stop)
	return p
}

func (p *tcpProxy) listen(addr string) {
	var ln net.Listener
	var err error
	for range 50 { // the port may linger briefly after Stop
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *tcpProxy) pipe(c net.Conn) {
	u, err := net.Dial("tcp", p.upstream)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[u] = true, true
	p.mu.Unlock()
	go func() { io.Copy(u, c); u.Close() }()
	io.Copy(c, u)
	c.Close()
}

func (p *tcpProxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

func (p *tcpProxy) Start() { p.listen(p.addr) }

// okSlackAPI answers every Web API method with ok.
func okSlackAPI(t *testing.T) string {
	var n int64
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		ts := fmt.Sprintf("1700000000.%06d", n)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"channel":"C1","ts":%q,"user_id":"UBOT","message":{"ts":%q}}`, ts, ts)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs `paybot serve` in this process with env and waits for
// /healthz. It returns the base URL and the log.
func startServe(t *testing.T, env map[string]string) (string, *syncBuffer) {
	t.Helper()
	addr := freeAddr(t)
	env["PAYBOT_HTTP_ADDR"] = addr
	if env["PAYBOT_DATA"] == "" {
		env["PAYBOT_DATA"] = t.TempDir()
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, strings.NewReader(""), io.Discard, logs, func(k string) string { return env[k] })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d:\n%s", code, logs)
		default:
		}
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return base, logs
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve did not answer /healthz:\n%s", logs)
	return "", nil
}

func slackCommand(t *testing.T, base, text, trigger string) *http.Response {
	t.Helper()
	return slackCommandIn(t, base, "C1", text, trigger)
}

func slackCommandIn(t *testing.T, base, channel, text, trigger string) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(signedCommand(base, channel, text, trigger))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// signedCommand is a /payissue slash command signed with opsTestSecret.
func signedCommand(base, channel, text, trigger string) *http.Request {
	body := url.Values{"command": {"/payissue"}, "text": {text}, "channel_id": {channel}, "user_id": {"U1"},
		"user_name": {"ana"}, "team_id": {"T1"}, "trigger_id": {trigger}}.Encode()
	ts := time.Now().Unix()
	mac := hmac.New(sha256.New, []byte(opsTestSecret))
	fmt.Fprintf(mac, "v0:%d:%s", ts, body)
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/commands", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req
}

func getStatus(base, path string) int {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(base + path)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func waitStatus(t testing.TB, base, path string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	got := 0
	for time.Now().Before(deadline) {
		if got = getStatus(base, path); got == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s = %d, want %d within %s", path, got, want, within)
}

// metricFamilies fetches base's /metrics and parses it, failing tb unless
// it is Prometheus text exposition.
func metricFamilies(tb testing.TB, base string) map[string]*promdto.MetricFamily {
	tb.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		tb.Fatalf("/metrics is not Prometheus text exposition: %v", err)
	}
	return fams
}

func scrape(t *testing.T, base string) map[string]*dto {
	t.Helper()
	fams := metricFamilies(t, base)
	out := map[string]*dto{}
	for name, f := range fams {
		d := &dto{labels: map[string]float64{}}
		for _, m := range f.Metric {
			var v float64
			switch {
			case m.Counter != nil:
				v = m.Counter.GetValue()
			case m.Gauge != nil:
				v = m.Gauge.GetValue()
			case m.Histogram != nil:
				v = float64(m.Histogram.GetSampleCount())
			}
			var ls []string
			for _, l := range m.Label {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			d.labels[strings.Join(ls, ",")] += v
			d.total += v
		}
		out[name] = d
	}
	return out
}

type dto struct {
	labels map[string]float64
	total  float64
}

// TestServeOnPostgresOps runs `paybot serve` on PostgreSQL behind a TCP
// proxy: a signed /payissue opens an incident (audit line in JSON), /metrics
// parses and counts it, and /readyz turns 503 while the proxy is cut and 200
// when it is back.
func TestServeOnPostgresOps(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	u, _ := url.Parse(testPostgresDSN())
	proxy := newTCPProxy(t, u.Host)
	dsn := pgSchema(t, proxy.addr)
	base, logs := startServe(t, map[string]string{
		"PAYBOT_DATABASE_URL":  dsn,
		"PAYBOT_LOG_FORMAT":    "json",
		"SLACK_BOT_TOKEN":      "xoxb-test",
		"SLACK_SIGNING_SECRET": opsTestSecret,
		"SLACK_API_URL":        okSlackAPI(t),
	})
	waitStatus(t, base, "/readyz", 200, 5*time.Second)
	if resp := slackCommand(t, base, "card payments failing at checkout", "trig-1"); resp.StatusCode != 200 {
		t.Fatalf("slash command: %d", resp.StatusCode)
	}
	slackCommand(t, base, "card payments failing at checkout", "trig-1") // a redelivery
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `"msg":"incident created"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no audit line for the new incident in the log:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), `"actor_id":"U1"`) {
		t.Fatalf("audit line does not say who:\n%s", logs)
	}
	m := scrape(t, base)
	for _, name := range []string{"paybot_events_received_total", "paybot_events_deduplicated_total", "paybot_events_processed_total",
		"paybot_ack_duration_seconds", "paybot_incidents", "paybot_outbox_pending", "paybot_jobs_due"} {
		if m[name] == nil {
			t.Errorf("metric %s missing", name)
		}
	}
	if m["paybot_events_received_total"] != nil && m["paybot_events_received_total"].labels["platform=slack"] != 2 {
		t.Errorf("events received = %v, want 2 for slack", m["paybot_events_received_total"].labels)
	}
	if m["paybot_events_deduplicated_total"] != nil && m["paybot_events_deduplicated_total"].total != 1 {
		t.Errorf("events deduplicated = %v, want 1", m["paybot_events_deduplicated_total"].labels)
	}
	if m["paybot_incidents"] != nil && m["paybot_incidents"].total != 1 {
		t.Errorf("incidents gauge = %v, want 1", m["paybot_incidents"].labels)
	}

	healthcheck := func() int {
		return run(context.Background(), []string{"healthcheck", "--url", base + "/readyz"}, strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" })
	}
	if code := healthcheck(); code != 0 {
		t.Fatalf("paybot healthcheck = %d on a ready server", code)
	}

	proxy.Stop()
	waitStatus(t, base, "/readyz", 503, 5*time.Second)
	if code := healthcheck(); code == 0 {
		t.Fatal("paybot healthcheck passed with the database away")
	}
	// Events get 503 (Slack retries them) while the store is away.
	deadline = time.Now().Add(5 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodPost, base+"/slack/events", strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/slack/events did not answer 503 with the database away")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if getStatus(base, "/healthz") != 200 {
		t.Fatal("/healthz failed while only the database is away")
	}
	proxy.Start()
	waitStatus(t, base, "/readyz", 200, 10*time.Second)
	// Nothing accepted was lost, and the bot takes new work again.
	slackCommand(t, base, "settlement file missing", "trig-2")
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `"incident":"PAY-2"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no incident opened after the database returned:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDatabaseDownAtStart: a PostgreSQL URL that nothing answers gives a
// clear error and a non-zero exit within seconds, not a hang.
func TestDatabaseDownAtStart(t *testing.T) {
	addr := freeAddr(t) // closed again: nothing listens there
	env := map[string]string{
		"PAYBOT_DATABASE_URL": "postgres://postgres@" + addr + "/test?sslmode=disable&connect_timeout=2",
		"PAYBOT_DATA":         t.TempDir(),
	}
	var stderr bytes.Buffer
	start := time.Now()
	code := run(context.Background(), []string{"incidents", "list"}, strings.NewReader(""), io.Discard, &stderr, func(k string) string { return env[k] })
	if code == 0 {
		t.Fatal("exit 0 with the database down")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s to give up", d)
	}
	if !strings.Contains(stderr.String(), "PostgreSQL is unreachable") || strings.Contains(stderr.String(), "password") {
		t.Fatalf("unclear error: %s", stderr.String())
	}
	// A malformed URL is named as such.
	env["PAYBOT_DATABASE_URL"] = "postgres://%zz"
	stderr.Reset()
	if code := run(context.Background(), []string{"incidents", "list"}, strings.NewReader(""), io.Discard, &stderr, func(k string) string { return env[k] }); code == 0 ||
		!strings.Contains(stderr.String(), "PAYBOT_DATABASE_URL") {
		t.Fatalf("malformed URL: exit %d, %s", code, stderr.String())
	}
}

// TestPostgresCommandsWithoutDataDir: with PAYBOT_DATABASE_URL the data is
// in the database, so the read-only commands work on a machine without a
// data directory (an operator's laptop): incidents, reports and the
// knowledge base come from the store, the search index is built from it.
// With the database away and no local index, they fail and create nothing.
func TestPostgresCommandsWithoutDataDir(t *testing.T) {
	dsn := pgSchema(t, "")
	doc := filepath.Join(t.TempDir(), "doc.jsonl")
	if err := os.WriteFile(doc, []byte(`{"id":"no-dir-doc","title":"Quibble error QB7","body":"Quibble fails with QB7 when the flange slips.","kind":"article","codes":["QB7"]}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := func(env map[string]string, args ...string) (int, string) {
		var out bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &out, &out, func(k string) string { return env[k] })
		return code, out.String()
	}
	env := map[string]string{"PAYBOT_DATABASE_URL": dsn, "PAYBOT_DATA": filepath.Join(t.TempDir(), "importer")}
	if code, out := cmd(env, "kb", "import", doc); code != 0 {
		t.Fatalf("kb import: %d %s", code, out)
	}
	env["PAYBOT_DATA"] = filepath.Join(t.TempDir(), "never-made")
	for _, args := range [][]string{{"incidents", "list"}, {"report"}, {"kb", "list"}, {"kb", "show", "no-dir-doc"}, {"kb", "search", "QB7 flange"}} {
		code, out := cmd(env, args...)
		if code != 0 {
			t.Errorf("%v without a data directory: exit %d: %s", args, code, out)
		}
		if args[0] == "kb" && args[1] != "list" && !strings.Contains(out, "Quibble") {
			t.Errorf("%v did not find the document in the store: %s", args, out)
		}
	}
	down := map[string]string{"PAYBOT_DATABASE_URL": "postgres://postgres@" + freeAddr(t) + "/test?sslmode=disable&connect_timeout=2",
		"PAYBOT_DATA": filepath.Join(t.TempDir(), "not-made")}
	for _, args := range [][]string{{"incidents", "list"}, {"kb", "search", "QB7"}, {"kb", "list"}} {
		if code, out := cmd(down, args...); code == 0 || !strings.Contains(out, "PostgreSQL is unreachable") {
			t.Errorf("%v with the database down and no local index: exit %d: %s", args, code, out)
		}
		if _, err := os.Stat(down["PAYBOT_DATA"]); err == nil {
			t.Fatalf("%v with the database down made the data directory", args)
		}
	}
}

// A library's line to Go's standard logger (bleve on a damaged segment)
// comes out as a record of the configured format, not as a raw line.
func TestLibraryLogIsStructured(t *testing.T) {
	var buf bytes.Buffer
	h, err := newLogHandler(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	prevOut, prevFlags := log.Writer(), log.Flags()
	t.Cleanup(func() { log.SetOutput(prevOut); log.SetFlags(prevFlags) })
	routeLibraryLog(slog.New(h))
	log.Printf("unable to load snapshot, %v, continuing", "failed to load segment")
	var rec map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &rec); err != nil {
		t.Fatalf("not one JSON record: %q: %v", buf.String(), err)
	}
	if rec["level"] != "WARN" || rec["from"] != "library" || rec["msg"] != "unable to load snapshot, failed to load segment, continuing" {
		t.Fatalf("record %v", rec)
	}
}

// TestServeConnectionBudget: a serve on PostgreSQL opens at most
// pool_max_conns + 3 (its acknowledgement pool) + 1 (the knowledge base's
// LISTEN) connections, under a burst of commands too: the count the
// README sizes max_connections with.
func TestServeConnectionBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	app := fmt.Sprintf("paybot_budget_%d", time.Now().UnixNano())
	dsn := pgSchema(t, "") + "&pool_max_conns=2&application_name=" + app
	base, _ := startServe(t, map[string]string{
		"PAYBOT_DATABASE_URL":  dsn,
		"SLACK_BOT_TOKEN":      "xoxb-test",
		"SLACK_SIGNING_SECRET": opsTestSecret,
		"SLACK_API_URL":        okSlackAPI(t),
	})
	waitStatus(t, base, "/readyz", 200, 10*time.Second)
	c, err := pgx.Connect(context.Background(), testPostgresDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	count := func(where string) int {
		var n int
		if err := c.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`+where, app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(` AND query LIKE 'LISTEN %'`); n != 1 {
		t.Errorf("%d LISTEN connections, want 1", n)
	}
	const budget = 2 + 3 + 1
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := slackCommand(t, base, fmt.Sprintf("checkout declines %d", i), fmt.Sprintf("trig-budget-%d", i))
			resp.Body.Close()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	peak := 0
	for end := time.Now().Add(3 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		peak = max(peak, count(""))
		select {
		case <-done:
			if time.Now().After(end) {
				t.Logf("peak %d connections (budget %d)", peak, budget)
				if peak > budget || peak < 4 {
					t.Errorf("peak %d connections, want at most %d = pool_max_conns 2 + 3 + 1 (and the pools in use)", peak, budget)
				}
				return
			}
		default:
		}
	}
}
