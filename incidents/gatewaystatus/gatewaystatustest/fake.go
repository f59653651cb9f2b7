// Package gatewaystatustest serves a fake Atlassian Statuspage v2 API on
// loopback whose answers change over time, for tests of the poller and of
// the bot's gateway correlation.
package gatewaystatustest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"
)

// Stages of the fake Statuspage API.
const (
	StageNone = iota
	StageMajor
	StageUpdate
	StageResolved
	StageMaintenance
	Stage500
	StageHang
)

// FakeStatuspage serves /api/v2/summary.json whose answer follows Stage,
// with an ETag per answer (304 when it matches) and a hang that lasts
// Hang or until the client gives up.
type FakeStatuspage struct {
	*httptest.Server
	mu    sync.Mutex
	Stage int
	Hang  time.Duration
	// NoETag makes every answer a full 200 (no validators).
	NoETag   bool
	name     string
	Requests atomic.Int64
	NotMod   atomic.Int64
}

// NewFakeStatuspage starts a fake page at StageNone; Close it when done.
func NewFakeStatuspage() *FakeStatuspage {
	f := &FakeStatuspage{Hang: 10 * time.Second}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

// NewFakeStatuspageTLS is NewFakeStatuspage over HTTPS (httptest's
// certificate: use f.Client() or its transport).
func NewFakeStatuspageTLS() *FakeStatuspage {
	f := &FakeStatuspage{Hang: 10 * time.Second}
	f.Server = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	return f
}

// SetName replaces the incident's name in the answers (and drops the ETag).
func (f *FakeStatuspage) SetName(name string) {
	f.mu.Lock()
	f.name = name
	f.mu.Unlock()
}

// Set switches the page to stage.
func (f *FakeStatuspage) Set(stage int) {
	f.mu.Lock()
	f.Stage = stage
	f.mu.Unlock()
}

func (f *FakeStatuspage) serve(w http.ResponseWriter, r *http.Request) {
	f.Requests.Add(1)
	if r.URL.Path != "/api/v2/summary.json" {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	stage, name := f.Stage, f.name
	f.mu.Unlock()
	switch stage {
	case Stage500:
		http.Error(w, "oops", http.StatusInternalServerError)
		return
	case StageHang:
		select {
		case <-r.Context().Done():
		case <-time.After(f.Hang):
		}
		return
	}
	etag := fmt.Sprintf(`"stage-%d"`, stage)
	if f.NoETag {
		etag = ""
	}
	if etag != "" && r.Header.Get("If-None-Match") == etag {
		f.NotMod.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	w.Header().Set("Content-Type", "application/json")
	sum := SummaryAt(stage, f.URL)
	if incs, ok := sum["incidents"].([]any); ok && name != "" && len(incs) > 0 {
		incs[0].(map[string]any)["name"] = name
		etag = ""
		w.Header().Del("ETag")
	}
	json.NewEncoder(w).Encode(sum)
}

// T0 is the time of the fake incidents.
var T0 = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

// SummaryAt is the summary.json of a stage, in the shape Statuspage documents.
func SummaryAt(stage int, base string) map[string]any {
	page := map[string]any{"id": "pg1", "name": "Examplepay", "url": base, "updated_at": T0}
	comp := []map[string]any{{"id": "c1", "name": "Card payments API", "status": "operational"}}
	s := map[string]any{"page": page, "components": comp, "incidents": []any{}, "scheduled_maintenances": []any{},
		"status": map[string]any{"indicator": "none", "description": "All Systems Operational"}}
	inc := func(status string, updates ...string) map[string]any {
		var ups []map[string]any
		for i, u := range updates {
			ups = append([]map[string]any{{"id": u, "status": status, "body": "…", "created_at": T0.Add(time.Duration(i) * 10 * time.Minute)}}, ups...)
		}
		return map[string]any{"id": "inc42", "name": "Elevated card authorisation errors", "status": status, "impact": "major",
			"shortlink": "https://stspg.io/abc?token=s3cr3tvalue", "updated_at": T0.Add(time.Duration(len(updates)) * 10 * time.Minute),
			"components":       []map[string]any{{"id": "c1", "name": "Card payments API"}, {"id": "c2", "name": "3-D Secure"}},
			"incident_updates": ups}
	}
	switch stage {
	case StageMajor:
		s["incidents"] = []any{inc("investigating", "u1")}
		s["status"] = map[string]any{"indicator": "major", "description": "Partial System Outage"}
	case StageUpdate:
		s["incidents"] = []any{inc("identified", "u1", "u2")}
		s["status"] = map[string]any{"indicator": "major", "description": "Partial System Outage"}
	case StageResolved:
		// summary.json drops resolved incidents; some pages keep them for a
		// moment with status resolved.
		s["incidents"] = []any{inc("resolved", "u1", "u2", "u3")}
	case StageMaintenance:
		s["scheduled_maintenances"] = []any{map[string]any{"id": "mnt7", "name": "Database upgrade", "status": "in_progress", "impact": "maintenance",
			"shortlink": "https://stspg.io/mnt7", "updated_at": T0.Add(time.Hour), "scheduled_for": T0.Add(time.Hour),
			"components":       []map[string]any{{"name": "Payouts"}},
			"incident_updates": []map[string]any{{"id": "m1", "status": "in_progress", "created_at": T0.Add(time.Hour)}}},
			map[string]any{"id": "mnt8", "name": "Future work", "status": "scheduled", "impact": "minor", "updated_at": T0,
				"incident_updates": []map[string]any{{"id": "m2", "status": "scheduled", "created_at": T0}}}}
		s["status"] = map[string]any{"indicator": "maintenance", "description": "Service Under Maintenance"}
	}
	return s
}
