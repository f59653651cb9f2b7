package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/sqlite"
)

// seedCLI writes two incidents: PAY-1 (stripe, acknowledged after 12m,
// resolved after 1h) and PAY-2 (adyen, still open).
func seedCLI(t *testing.T, data string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	os.MkdirAll(data, 0o700)
	s, err := sqlite.Open(ctx, filepath.Join(data, "paybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := incidents.User{Platform: "console", ID: "ana", Name: "Ana"}
	for i, prov := range []string{"stripe", "adyen"} {
		inc := incidents.New("declines "+prov, u, incidents.Conversation{Platform: "console", Channel: "c"}, at)
		inc.Details.Provider, inc.Details.Category = prov, incidents.CategoryDeclines
		inc.Details.Codes = []incidents.Code{{System: "iso8583", Value: "05"}}
		inc.Severity = incidents.Sev2
		if err := s.CreateIncident(ctx, inc, incidents.Change{Timeline: []incidents.TimelineEntry{{IncidentID: inc.ID, At: at, Actor: u, Kind: incidents.EventCreated, Text: inc.Title}}}); err != nil {
			t.Fatal(err)
		}
		open, _ := inc.Transition(incidents.StatusOpen, u, at)
		tl := []incidents.TimelineEntry{open}
		if i == 0 {
			tl = append(tl, incidents.TimelineEntry{IncidentID: inc.ID, At: at.Add(12 * time.Minute), Actor: u, Kind: incidents.EventAck, Text: "ack"})
			res, _ := inc.Transition(incidents.StatusResolved, u, at.Add(time.Hour))
			tl = append(tl, res, incidents.TimelineEntry{IncidentID: inc.ID, At: at.Add(time.Hour), Actor: u, Kind: incidents.EventResolution,
				Text: "fixed by: rotated keys; root cause: expired key", Data: map[string]string{"resolution": "rotated keys", "root_cause": "expired key"}})
		}
		if err := s.UpdateIncident(ctx, inc, incidents.Change{Timeline: tl}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReportAndExportCLI(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	seedCLI(t, data, at)
	reportNow = func() time.Time { return at.Add(48 * time.Hour) }
	t.Cleanup(func() { reportNow = time.Now })

	code, out, errOut := runPaybot(t, "--data", data, "report", "--format", "json")
	if code != 0 {
		t.Fatalf("report: %d %s", code, errOut)
	}
	var r struct {
		Total struct {
			Incidents          int     `json:"incidents"`
			MeanAck            int64   `json:"mean_ack_s"`
			MeanResolve        int64   `json:"mean_resolve_s"`
			ResponseCompliance float64 `json:"response_compliance_pct"`
		} `json:"total"`
		TopCodes []struct {
			Code      string `json:"code"`
			Incidents int    `json:"incidents"`
		} `json:"top_codes"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	// SEV2 response target 30m: PAY-1 met (12m), PAY-2 breached (48h, no
	// ack): 50%.
	if r.Total.Incidents != 2 || r.Total.MeanAck != 720 || r.Total.MeanResolve != 3600 || r.Total.ResponseCompliance != 50 ||
		len(r.TopCodes) != 1 || r.TopCodes[0].Incidents != 2 {
		t.Errorf("report json: %+v", r)
	}
	code, out, _ = runPaybot(t, "--data", data, "report", "--provider", "Stripe", "--format", "csv")
	if code != 0 || !strings.Contains(out, "total,total,1,0,1,0,1,720,720,1,3600,3600,1,0,100.0") {
		t.Errorf("csv: %d\n%s", code, out)
	}
	code, out, _ = runPaybot(t, "--data", data, "report", "--since", "1h")
	if code != 0 || !strings.Contains(out, "0 incidents") {
		t.Errorf("since 1h: %d\n%s", code, out)
	}
	code, out, _ = runPaybot(t, "--data", data, "incidents", "export", "PAY-1")
	if code != 0 || !strings.Contains(out, "# Postmortem: PAY-1") || !strings.Contains(out, "## Root cause\n\nexpired key") {
		t.Errorf("export md: %d\n%s", code, out)
	}
	code, out, _ = runPaybot(t, "--data", data, "incidents", "export", "PAY-1", "--format", "json")
	var pm map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &pm) != nil || pm["fix"] != "rotated keys" || pm["zone"] != "UTC" {
		t.Errorf("export json: %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report", "--format", "xml"}, 2, `--format "xml": use md, csv or json`},
		{[]string{"report", "--since", "soon"}, 2, `--since "soon"`},
		{[]string{"report", "extra"}, 2, `takes no arguments`},
		{[]string{"incidents", "export"}, 2, "give one REF"},
		{[]string{"incidents", "export", "PAY-9"}, 1, "PAY-9: no such incident"},
		{[]string{"incidents", "export", "PAY-1", "--format", "csv"}, 2, `use md or json`},
	} {
		code, _, stderr := runPaybot(t, append([]string{"--data", data}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}

func TestConfigCheckReview(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Join([]string{
		"review:",                // 1
		"  duplicate_window: 0s", // 2
		"  digest:",              // 3
		"    platform: slack",    // 4
		"    weekday: funday",    // 5
		"    time: 9am",          // 6
		"    zone: Mars/Olympus", // 7
		"    colour: blue",       // 8
	}, "\n")), 0o600)
	code, out, _ := runPaybot(t, "config", "check", bad)
	if code == 0 {
		t.Fatalf("bad review config passed:\n%s", out)
	}
	for _, want := range []string{"bad.yaml:2:", "bad.yaml:4:5: review digest needs a channel", "bad.yaml:5:", "bad.yaml:6:", "bad.yaml:7:", "bad.yaml:8:"} {
		if !strings.Contains(out, want) {
			t.Errorf("no problem reported at %s:\n%s", want, out)
		}
	}
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("review:\n  duplicate_window: 90m\n  digest: {platform: slack, channel: C0REVIEW, weekday: mon, time: \"09:00\", zone: Europe/Berlin, providers: [Stripe]}\n"), 0o600)
	if code, out, _ := runPaybot(t, "config", "check", good); code != 0 {
		t.Errorf("good review config: %d\n%s", code, out)
	}
}
