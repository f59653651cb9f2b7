package gatewaystatus_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents/gatewaystatus"
	gst "github.com/paybot/paybot/incidents/gatewaystatus/gatewaystatustest"
)

// The parsers read untrusted pages: they must never panic, and every event
// they return must have an id and be active.
func FuzzParseSummary(f *testing.F) {
	for s := gst.StageNone; s <= gst.StageMaintenance; s++ {
		raw, _ := json.Marshal(gst.SummaryAt(s, "https://status.example.test"))
		f.Add(raw)
	}
	f.Add([]byte(`{"page":{},"incidents":[{"id":"x","status":"investigating","incident_updates":[{}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, evs, err := gatewaystatus.ParseSummary("p", data)
		if err != nil {
			return
		}
		for _, e := range evs {
			if e.ID == "" || !e.Active() {
				t.Fatalf("bad event %+v", e)
			}
		}
	})
}

func FuzzParseFeed(f *testing.F) {
	for _, p := range []string{"testdata/statuspage.rss", "testdata/status.atom"} {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte(`<rss><channel><item><guid>1</guid><pubDate>Mon, 30 Nov 2026 08:10:00 +0000</pubDate></item></channel></rss>`))
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := gatewaystatus.ParseFeed("p", data, now)
		if err != nil {
			return
		}
		for _, e := range evs {
			if e.ID == "" || !e.Active() || len(e.Name) > 300 {
				t.Fatalf("bad event %+v", e)
			}
		}
	})
}
