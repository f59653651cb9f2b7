package gatewaystatus_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents/gatewaystatus"
	gst "github.com/paybot/paybot/incidents/gatewaystatus/gatewaystatustest"
)

func TestParseSummary(t *testing.T) {
	for _, tc := range []struct {
		stage               int
		indicator, ids, sts string
	}{
		{gst.StageNone, "none", "", ""},
		{gst.StageMajor, "major", "inc42", "investigating"},
		{gst.StageUpdate, "major", "inc42", "identified"},
		{gst.StageResolved, "none", "", ""},
		{gst.StageMaintenance, "maintenance", "mnt7", "in_progress"},
	} {
		raw, _ := json.Marshal(gst.SummaryAt(tc.stage, "https://status.example.test"))
		ind, _, evs, err := gatewaystatus.ParseSummary("examplepay", raw)
		if err != nil {
			t.Fatalf("stage %d: %v", tc.stage, err)
		}
		ids, sts := "", ""
		for _, e := range evs {
			ids += e.ID
			sts += e.Status
		}
		if ind != tc.indicator || ids != tc.ids || sts != tc.sts {
			t.Errorf("stage %d: got %s %q %q, want %s %q %q", tc.stage, ind, ids, sts, tc.indicator, tc.ids, tc.sts)
		}
		if tc.stage == gst.StageUpdate {
			e := evs[0]
			if e.UpdateID != "u2" || len(e.Components) != 2 || e.Impact != "major" || e.Kind != "incident" {
				t.Errorf("update stage event = %+v", e)
			}
		}
		if tc.stage == gst.StageMaintenance && (evs[0].Kind != "maintenance" || evs[0].Components[0] != "Payouts") {
			t.Errorf("maintenance event = %+v", evs[0])
		}
	}
	for _, bad := range []string{``, `[]`, `{}`, `<html>`, `{"status": 5}`, `null`} {
		if _, _, _, err := gatewaystatus.ParseSummary("x", []byte(bad)); !errors.Is(err, gatewaystatus.ErrFormat) {
			t.Errorf("ParseSummary(%q) = %v, want ErrFormat", bad, err)
		}
	}
}

func TestParseFeeds(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	rss, _ := os.ReadFile("testdata/statuspage.rss")
	evs, err := gatewaystatus.ParseFeed("examplepay", rss, now)
	if err != nil {
		t.Fatal(err)
	}
	// The resolved item and the four-week-old one are not active.
	if len(evs) != 1 || evs[0].Status != "identified" || evs[0].Name != "Elevated card authorisation errors" ||
		evs[0].URL != "https://status.examplepay.test/incidents/abc123" || evs[0].UpdateID == "" {
		t.Fatalf("rss events = %+v", evs)
	}
	atom, _ := os.ReadFile("testdata/status.atom")
	evs, err = gatewaystatus.ParseFeed("examplegate", atom, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Kind != "maintenance" || evs[0].Status != "in_progress" || evs[0].URL != "https://status.examplegate.test/incidents/991" {
		t.Fatalf("atom events = %+v", evs)
	}
	// A day later the maintenance item is too old to count.
	if evs, _ := gatewaystatus.ParseFeed("examplegate", atom, now.Add(96*time.Hour)); len(evs) != 0 {
		t.Fatalf("old atom events = %+v", evs)
	}
	for _, bad := range []string{``, `{}`, `<html><body>x</body></html>`, `<rss><channel><item>`} {
		if _, err := gatewaystatus.ParseFeed("x", []byte(bad), now); !errors.Is(err, gatewaystatus.ErrFormat) {
			t.Errorf("ParseFeed(%q) = %v, want ErrFormat", bad, err)
		}
	}
}

func TestPollURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://status.stripe.com":              "https://status.stripe.com/api/v2/summary.json",
		"https://status.stripe.com/":             "https://status.stripe.com/api/v2/summary.json",
		"https://status.example.com/history.rss": "https://status.example.com/history.rss",
		"https://x.test/feed.atom?lang=en":       "https://x.test/feed.atom?lang=en",
		"https://x.test/feed.XML":                "https://x.test/feed.XML",
		"https://x.test/api/v2/summary.json":     "https://x.test/api/v2/summary.json",
	} {
		if got := gatewaystatus.PollURL(in); got != want {
			t.Errorf("PollURL(%q) = %q, want %q", in, got, want)
		}
	}
}
