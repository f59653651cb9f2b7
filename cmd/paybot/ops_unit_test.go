package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
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
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "paybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var buf bytes.Buffer
	h, _ := newLogHandler(&buf, "json", "info")
	s := newOpsStore(raw, slog.New(h), nil)
	ana := incidents.User{Platform: "slack", ID: "U1", Name: "ana"}
	bo := incidents.User{Platform: "slack", ID: "U2", Name: "bo"}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	inc := incidents.New("declines", ana, incidents.Conversation{Platform: "slack", Channel: "C1"}, at)
	entry := func(who incidents.User, kind string) incidents.Change {
		return incidents.Change{Timeline: []incidents.TimelineEntry{{At: at, Actor: who, Kind: kind, Text: kind}}}
	}
	if err := s.CreateIncident(ctx, inc, entry(ana, incidents.EventCreated)); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		mut  func()
		who  incidents.User
		kind string
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
