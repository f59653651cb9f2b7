package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/sqlite"
)

func TestStatusAction(t *testing.T) {
	for _, tc := range []struct {
		from, to incidents.Status
		want     string
	}{
		{incidents.StatusIntake, incidents.StatusOpen, "opened"},
		{incidents.StatusResolved, incidents.StatusOpen, "reopened"},
		{incidents.StatusOpen, incidents.StatusEscalated, "escalated"},
		{incidents.StatusEscalated, incidents.StatusResolved, "resolved"},
		{incidents.StatusIntake, incidents.StatusCancelled, "cancelled"},
		{incidents.StatusResolved, incidents.StatusClosed, "closed"},
	} {
		if got := statusAction(tc.from, tc.to); got != tc.want {
			t.Errorf("%s→%s = %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
}

// TestAuditLog drives an incident through its life on the decorated store
// and expects one JSON audit line per action, each naming who did it.
func TestAuditLog(t *testing.T) {
	// The audit trail is written whatever PAYBOT_LOG_LEVEL says.
	for _, level := range []string{"info", "warn", "error"} {
		t.Run(level, func(t *testing.T) { testAuditLog(t, level) })
	}
}

func testAuditLog(t *testing.T, level string) {
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "paybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var buf bytes.Buffer
	h, _ := newLogHandler(&buf, "json", level)
	s := newOpsStore(raw, slog.New(h), nil)
	ana := incidents.User{Platform: "slack", ID: "U1", Name: "ana"}
	bo := incidents.User{Platform: "slack", ID: "U2", Name: "bo"}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	inc := incidents.New("declines", ana, incidents.Conversation{Platform: "slack", Channel: "C1"}, at)
	entry := func(who incidents.User, kind incidents.EventKind) incidents.Change {
		return incidents.Change{Timeline: []incidents.TimelineEntry{{At: at, Actor: who, Kind: kind, Text: string(kind)}}}
	}
	if err := s.CreateIncident(ctx, inc, entry(ana, incidents.EventCreated)); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		mut  func()
		who  incidents.User
		kind incidents.EventKind
	}{
		{func() { inc.Status, inc.Severity = incidents.StatusOpen, incidents.Sev2 }, ana, incidents.EventStatus},
		{func() { inc.Severity = incidents.Sev1 }, bo, incidents.EventSeverity},
		{func() { inc.Status = incidents.StatusEscalated }, bo, incidents.EventEscalation},
		{func() {}, bo, incidents.EventAck},
		{func() { inc.Status = incidents.StatusResolved }, ana, incidents.EventResolution},
		{func() { inc.Status = incidents.StatusOpen }, bo, incidents.EventStatus},
		{func() { inc.Status = incidents.StatusCancelled }, ana, incidents.EventStatus},
	}
	for _, st := range steps {
		st.mut()
		if err := s.UpdateIncident(ctx, inc, entry(st.who, st.kind)); err != nil {
			t.Fatal(err)
		}
	}
	// A refused change writes no audit line.
	stale := *inc
	stale.Version--
	stale.Status = incidents.StatusOpen
	if err := s.UpdateIncident(ctx, &stale, entry(bo, incidents.EventStatus)); err == nil {
		t.Fatal("stale update accepted")
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		got = append(got, m["action"].(string)+":"+m["actor_name"].(string))
	}
	want := "created:ana opened:ana severity_changed:ana severity_changed:bo escalated:bo acknowledged:bo resolved:ana reopened:bo cancelled:ana"
	if strings.Join(got, " ") != want {
		t.Fatalf("audit actions:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

// TestLogLevelFilters: PAYBOT_LOG_LEVEL filters ordinary records, in
// loggers derived with With too, but never audit records.
func TestLogLevelFilters(t *testing.T) {
	var buf bytes.Buffer
	h, err := newLogHandler(&buf, "text", "warn")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(h).With("component", "x")
	log.Info("quiet info")
	log.Debug("quiet debug")
	log.Warn("loud warn")
	log.InfoContext(auditContext(context.Background()), "audit info")
	out := buf.String()
	if strings.Contains(out, "quiet") || !strings.Contains(out, "loud warn") || !strings.Contains(out, "audit info") || !strings.Contains(out, "component=x") {
		t.Fatalf("level warn wrote:\n%s", out)
	}
}

func TestLogHandlerSettings(t *testing.T) {
	for _, tc := range []struct {
		format, level string
		ok            bool
	}{{"", "", true}, {"json", "debug", true}, {"TEXT", "warn", true}, {"xml", "", false}, {"json", "loud", false}} {
		_, err := newLogHandler(&bytes.Buffer{}, tc.format, tc.level)
		if (err == nil) != tc.ok {
			t.Errorf("format %q level %q: err = %v", tc.format, tc.level, err)
		}
	}
}

func TestVersionPrintsCommitAndBuildTime(t *testing.T) {
	version, commit, buildTime = "v1.2.3", "abc123", "2026-11-30T08:00:00Z"
	defer func() { version, commit, buildTime = "dev", "", "" }()
	var out bytes.Buffer
	if code := run(context.Background(), []string{"version"}, strings.NewReader(""), &out, &out, func(string) string { return "" }); code != 0 {
		t.Fatal(code)
	}
	if want := "paybot v1.2.3\ncommit abc123\nbuilt 2026-11-30T08:00:00Z\n"; out.String() != want {
		t.Fatalf("version:\n%s\nwant\n%s", out.String(), want)
	}
}

// TestVersionFromBuildInfo: without -ldflags the commit and its time come
// from the build info, and the time is labelled as the commit's (the
// build info records no build time).
func TestVersionFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261130080000-abc123def456"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123def456"}, {Key: "vcs.time", Value: "2026-11-30T08:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	ver, rev, at, label := buildInfoFrom(bi)
	if ver != "v0.0.0-20261130080000-abc123def456" || rev != "abc123def456-dirty" || at != "2026-11-30T08:00:00Z" || label != "committed" {
		t.Errorf("from the build info: %q %q %s %q", ver, rev, label, at)
	}
	buildTime = "2026-12-01T00:00:00Z"
	defer func() { buildTime = "" }()
	if _, _, at, label := buildInfoFrom(bi); at != buildTime || label != "built" {
		t.Errorf("with -X main.buildTime: %s %q", label, at)
	}
	buildTime = ""
	if _, rev, at, label := buildInfoFrom(nil); rev != "unknown" || at != "unknown" || label != "built" {
		t.Errorf("without build info: %q %s %q", rev, label, at)
	}
}

// TestStoreSelection: PAYBOT_DATABASE_URL, or database_url in the config
// file, selects PostgreSQL; the decorated store still offers the engine's
// optional interfaces and the shared Slack pacer.
func TestStoreSelection(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "paybot.yaml")
	if err := os.WriteFile(cfgPath, []byte("database_url: postgres://db.example/paybot\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &app{getenv: func(string) string { return "" }, configPath: cfgPath, dataDir: dir}
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	if a.storeKind() != "postgres" || a.databaseURL() != "postgres://db.example/paybot" {
		t.Fatalf("config database_url: kind %s url %q", a.storeKind(), a.databaseURL())
	}
	env := map[string]string{"PAYBOT_DATABASE_URL": "postgres://env.example/paybot"}
	a.getenv = func(k string) string { return env[k] }
	if a.databaseURL() != "postgres://env.example/paybot" {
		t.Fatalf("the environment does not win: %q", a.databaseURL())
	}
	b := &app{getenv: func(string) string { return "" }, dataDir: dir}
	if err := b.loadConfig(); err != nil {
		t.Fatal(err)
	}
	if b.storeKind() != "sqlite" || b.sharedPacer() != nil {
		t.Fatal("without a database URL the store is not SQLite paced in memory")
	}
	raw, err := b.openStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var s incidents.Store = newOpsStore(raw, slog.New(slog.DiscardHandler), nil)
	if _, ok := s.(incidents.JobStore); !ok {
		t.Error("decorated store hides JobStore")
	}
	if _, ok := s.(incidents.OutboxStore); !ok {
		t.Error("decorated store hides OutboxStore")
	}
	b.store = newOpsStore(raw, slog.New(slog.DiscardHandler), nil)
	b.getenv = func(k string) string { return env[k] }
	if b.sharedPacer() == nil {
		t.Error("on PostgreSQL the Slack pacer is not the shared store")
	}
}

func TestPprofOnLoopbackOnly(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // closes the listener below
	for _, addr := range []string{"0.0.0.0:0", ":6060", "10.1.2.3:6060", "example.com:6060", "nonsense"} {
		if err := startPprof(ctx, addr, log); err == nil {
			t.Errorf("startPprof(%q) served profiles off loopback", addr)
		}
	}
	if err := startPprof(ctx, "127.0.0.1:0", log); err != nil {
		t.Errorf("startPprof(127.0.0.1:0): %v", err)
	}
}

func TestGateClosesAfterTwoFailedPings(t *testing.T) {
	var fails atomic.Int32 // pings left to fail
	ping := func(context.Context) error {
		if fails.Load() > 0 {
			fails.Add(-1)
			return errors.New("timeout")
		}
		return nil
	}
	g := &storeGate{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go g.run(ctx, ping, 5*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
	fails.Store(1) // one slow ping: still open
	for fails.Load() > 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	if g.down.Load() {
		t.Fatal("one failed ping closed the gate")
	}
	fails.Store(1000) // an outage: closed
	deadline := time.Now().Add(2 * time.Second)
	for !g.down.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !g.down.Load() {
		t.Fatal("the gate stayed open through an outage")
	}
	fails.Store(0) // back: open at the first success
	deadline = time.Now().Add(2 * time.Second)
	for g.down.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if g.down.Load() {
		t.Fatal("the gate stayed closed after the store returned")
	}
}

// TestMetricsSeriesExistAtZero: every counter and histogram series of a
// known label value is exported from the start, so the first increment
// shows in rate() and increase(); a job kind this binary does not know
// counts as "other", never as a label of its own.
func TestMetricsSeriesExistAtZero(t *testing.T) {
	m := newMetrics()
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range fams {
		for _, s := range f.Metric {
			var ls []string
			for _, l := range s.Label {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			got[f.GetName()+"{"+strings.Join(ls, ",")+"}"] = true
		}
	}
	var want []string
	for _, p := range []string{"slack", "discord"} {
		for _, n := range []string{"paybot_events_received_total", "paybot_events_deduplicated_total", "paybot_events_processed_total", "paybot_ack_duration_seconds"} {
			want = append(want, n+"{platform="+p+"}")
		}
	}
	for _, k := range []string{"ladder_step", "sla_warning", "sla_breach", "update_reminder", "review_digest"} {
		want = append(want, "paybot_jobs_claimed_total{kind="+k+"}", "paybot_jobs_late_total{kind="+k+"}")
	}
	want = append(want, "paybot_outbox_delivered_total{}", "paybot_outbox_retried_total{}", "paybot_outbox_failed_total{}",
		"paybot_search_duration_seconds{}", "paybot_store_stats_errors_total{}")
	for _, w := range want {
		if !got[w] {
			t.Errorf("%s is not exported before its first observation", w)
		}
	}
	m.observeJobs(time.Now(), []incidents.Job{{Kind: "made_up_kind", DueAt: time.Now().Add(-time.Hour)}})
	fams, _ = m.reg.Gather()
	for _, f := range fams {
		for _, s := range f.Metric {
			for _, l := range s.Label {
				if l.GetValue() == "made_up_kind" {
					t.Errorf("%s has a series for an unknown job kind", f.GetName())
				}
			}
		}
	}
}

// pingStore is a store whose Ping fails while down is set.
type pingStore struct {
	fullStore
	down atomic.Bool
}

func (p *pingStore) Ping(ctx context.Context) error {
	if p.down.Load() {
		return errors.New("connection refused")
	}
	return nil
}

// TestReadyzLogsAnOutageOnce: /readyz is reachable by anyone; while the
// store is away it answers 503 every time but logs the cause once per
// outage, not once per request.
func TestReadyzLogsAnOutageOnce(t *testing.T) {
	var buf bytes.Buffer
	h, _ := newLogHandler(&buf, "text", "info")
	st := &pingStore{}
	r := &readiness{store: st, storeKind: "postgres", kbOpen: true, log: slog.New(h)}
	st.down.Store(true)
	for range 50 {
		if _, ok := r.check(context.Background()); ok {
			t.Fatal("ready with the store down")
		}
	}
	st.down.Store(false)
	if _, ok := r.check(context.Background()); !ok {
		t.Fatal("not ready with the store back")
	}
	st.down.Store(true)
	r.check(context.Background())
	if n := strings.Count(buf.String(), "store unreachable"); n != 2 {
		t.Fatalf("%d log lines for two outages and 51 checks:\n%s", n, buf.String())
	}
}

// TestVersionOneSource: `paybot version`, `paybot --version` and serve's
// start log show the same version and commit, whether they come from
// -ldflags (the Dockerfile's build args) or from the build info (go
// install, go build in a checkout).
func TestVersionOneSource(t *testing.T) {
	defer func(r func() (*debug.BuildInfo, bool)) { readBuildInfo = r }(readBuildInfo)
	defer func() { version, commit, buildTime = "dev", "", "" }()
	for _, tc := range []struct {
		name                    string
		version, commit, built  string
		bi                      *debug.BuildInfo
		wantVersion, wantCommit string
	}{
		{"ldflags", "v1.2.3", "abc123", "2026-11-30T08:00:00Z", nil, "v1.2.3", "abc123"},
		{"build info", "dev", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "def456"}, {Key: "vcs.time", Value: "2026-11-30T08:00:00Z"}}}, "v0.4.0", "def456"},
		{"neither", "dev", "", "", nil, "dev", "unknown"},
		{"braces", "v1.0.0-{{x}}", "{{.Name}}", "", nil, "v1.0.0-{{x}}", "{{.Name}}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			version, commit, buildTime = tc.version, tc.commit, tc.built
			readBuildInfo = func() (*debug.BuildInfo, bool) { return tc.bi, tc.bi != nil }
			var cmdOut, flagOut bytes.Buffer
			if code := run(context.Background(), []string{"version"}, strings.NewReader(""), &cmdOut, &cmdOut, func(string) string { return "" }); code != 0 {
				t.Fatal(code)
			}
			if code := run(context.Background(), []string{"--version"}, strings.NewReader(""), &flagOut, &flagOut, func(string) string { return "" }); code != 0 {
				t.Fatal(code)
			}
			if !strings.HasPrefix(cmdOut.String(), "paybot "+tc.wantVersion+"\ncommit "+tc.wantCommit+"\n") || flagOut.String() != cmdOut.String() {
				t.Errorf("version:\n%s--version:\n%s", cmdOut.String(), flagOut.String())
			}
			_, logs := startServe(t, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": okSlackAPI(t), "PAYBOT_LOG_FORMAT": "json"})
			var start struct{ Version, Commit string }
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, `"paybot serving"`) {
					var rec map[string]any
					json.Unmarshal([]byte(l), &rec)
					start.Version, _ = rec["version"].(string)
					start.Commit, _ = rec["commit"].(string)
				}
			}
			if start.Version != tc.wantVersion || start.Commit != tc.wantCommit {
				t.Errorf("serve's start log: version %q commit %q, want %q %q\n%s", start.Version, start.Commit, tc.wantVersion, tc.wantCommit, logs)
			}
		})
	}
}
