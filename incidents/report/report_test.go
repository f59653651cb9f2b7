package report_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/report"
	"github.com/paybot/paybot/incidents/sqlite"
)

var update = flag.Bool("update", false, "rewrite golden files")

// seedNow is the report's time: long after every seeded incident, so every
// clock still running has passed its target.
var seedNow = seedBase.AddDate(0, 0, 400)

func openSQLite(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "paybot.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

type want struct {
	key                               string
	incidents, active, resolved, canc int
	acked                             int
	meanAck, p90Ack                   int64
	resSamples                        int
	meanRes, p90Res                   int64
	respMet, respBr                   int
	respPct                           float64
	resMet, resBr                     int
	resPct                            float64
	desk                              int
	meanDesk, p90Desk                 int64
}

func check(t *testing.T, what string, got report.Stats, w want) {
	t.Helper()
	g := want{w.key, got.Incidents, got.Active, got.Resolved, got.Cancelled, got.Acked, got.MeanAckSec, got.P90AckSec,
		got.ResolveSamples, got.MeanResolveSec, got.P90ResolveSec, got.ResponseMet, got.ResponseBreached, got.ResponseCompliance,
		got.ResolutionMet, got.ResolutionBreached, got.ResolutionCompliance, got.DeskCases, got.MeanDeskSec, got.P90DeskSec}
	if g != w {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// checkSeed compares a report over the 310 seeded incidents with figures
// worked out by hand from the seed's rules (see seedIncident).
func checkSeed(t *testing.T, r *report.Report) {
	t.Helper()
	// Acks: i%10 is uniform, so each of 5,10…50 minutes appears equally:
	// mean 27.5m = 1650s; the nearest-rank p90 is the 9th value, 45m.
	// Resolutions (i%5 != 4): i%4 uniform over 1h…4h: mean 2.5h = 9000s,
	// p90 is 4h. Response: SEV1 (15m) met for i%10 in 0..2 (30 of 100),
	// SEV2 (30m) for 0..5 (60 of 100), SEV3 (4h) always: 190 of 300 =
	// 63.3%. Resolution: every resolved one is within target (4h exactly
	// counts as met); the 60 still escalated have run past theirs: 240 of
	// 300 = 80%. Desk: i = 0, 25…275: replies after 10…120 minutes, mean
	// 65m = 3900s, p90 (11th of 12) 110m = 6600s.
	check(t, "total", r.Total, want{"", 310, 60, 240, 10, 300, 1650, 2700, 240, 9000, 14400, 190, 110, 63.3, 240, 60, 80.0, 12, 3900, 6600})
	byKey := func(gs []report.Group) map[string]report.Stats {
		m := map[string]report.Stats{}
		for _, g := range gs {
			m[g.Key] = g.Stats
		}
		return m
	}
	prov := byKey(r.ByProvider)
	if len(prov) != 4 {
		t.Errorf("providers: %v", r.ByProvider)
	}
	// stripe is i%3 == 0: 100 incidents, 20 still escalated (i%15 == 9);
	// desk cases at i%75 == 0: 10, 40, 70, 100 minutes: mean 55m, p90 100m.
	check(t, "stripe", prov["stripe"], want{"", 100, 20, 80, 0, 100, 1650, 2700, 80, 9000, 14400, 30, 70, 30.0, 80, 20, 80.0, 4, 3300, 6000})
	// adyen, i%3 == 1: desk at i = 25, 100, 175, 250 (k = 1, 4, 7, 10):
	// 20, 50, 80, 110 minutes: mean 65m, p90 110m.
	check(t, "adyen", prov["adyen"], want{"", 100, 20, 80, 0, 100, 1650, 2700, 80, 9000, 14400, 60, 40, 60.0, 80, 20, 80.0, 4, 3900, 6600})
	// paypal, i%3 == 2: desk at i = 50, 125, 200, 275: 30, 60, 90, 120 minutes.
	check(t, "paypal", prov["paypal"], want{"", 100, 20, 80, 0, 100, 1650, 2700, 80, 9000, 14400, 100, 0, 100.0, 80, 20, 80.0, 4, 4500, 7200})
	// The 10 cancelled during intake have no provider, and no figures.
	check(t, "-", prov["-"], want{"", 10, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0, -1, 0, 0, 0})
	sev := byKey(r.BySeverity)
	if sev["SEV1"].Incidents != 100 || sev["SEV2"].ResponseCompliance != 60.0 || sev["SEV3"].ResponseCompliance != 100.0 || sev["SEV?"].Incidents != 10 {
		t.Errorf("by severity: %+v", r.BySeverity)
	}
	cat := byKey(r.ByCategory)
	if cat["declines"].Incidents != 150 || cat["timeouts"].Incidents != 150 || cat["-"].Incidents != 10 {
		t.Errorf("by category: %+v", r.ByCategory)
	}
	mon := byKey(r.ByMonth)
	// Incident i is created i hours after 2026-01-20 00:00: 0–287 in
	// January, 288–309 in February.
	if len(mon) != 2 || mon["2026-01"].Incidents != 288 || mon["2026-02"].Incidents != 22 {
		t.Errorf("by month: %+v", r.ByMonth)
	}
	// iso8583:05 on every stripe incident; do_not_honor on i%7 == 0 of
	// 0..299: 43 of them, across all three providers.
	if len(r.TopCodes) != 2 || r.TopCodes[0].Code != "iso8583:05" || r.TopCodes[0].Incidents != 100 ||
		r.TopCodes[1].Code != "stripe:do_not_honor" || r.TopCodes[1].Incidents != 43 || len(r.TopCodes[1].Providers) != 3 {
		t.Errorf("top codes: %+v", r.TopCodes)
	}
	if len(r.Breaches) != 170 {
		t.Errorf("breaches: %d, want 110 response + 60 resolution", len(r.Breaches))
	}
	// PAY-2 is i=1 (adyen): acked after 10m, within 30m; i=4 (PAY-5,
	// adyen) still escalated: its resolution clock runs from open.
	for _, b := range r.Breaches {
		if b.Title == "seed incident 4" && b.Clock == "resolution" {
			if !b.Running || b.TargetSec != 8*3600 || b.TookSec != int64(seedNow.Sub(seedBase.Add(4*time.Hour+time.Minute))/time.Second) {
				t.Errorf("PAY-5 breach %+v", b)
			}
		}
	}
}

func TestReportSeededSQLite(t *testing.T) {
	s := openSQLite(t)
	seedStore(t, s, 0, 310, 1) // one writer: refs follow i, for the golden files
	r, err := report.Run(context.Background(), s, incidents.DefaultPolicy(), report.Query{}, seedNow)
	if err != nil {
		t.Fatal(err)
	}
	checkSeed(t, r)
	for _, f := range report.Formats {
		var buf bytes.Buffer
		if err := report.Write(&buf, r, f); err != nil {
			t.Fatal(err)
		}
		golden(t, "seed."+f, buf.Bytes())
	}
}

// TestReportPure runs the same seed without a store: FactsOf over the
// whole timelines gives the same figures as the stores' filtered stream.
func TestReportPure(t *testing.T) {
	b := report.NewBuilder(report.Query{}, seedNow)
	for i := 0; i < 310; i++ {
		inc, tl := seedIncident(i)
		inc.Ref = "PAY-" + itoa(i+1)
		b.Add(report.FactsOf(inc, tl, incidents.DefaultPolicy(), seedNow))
	}
	checkSeed(t, b.Report())
}

func TestReportProviderFilter(t *testing.T) {
	s := openSQLite(t)
	seedStore(t, s, 0, 30, 4)
	r, err := report.Run(context.Background(), s, incidents.DefaultPolicy(),
		report.Query{Provider: "Stripe", From: seedBase.Add(3 * time.Hour)}, seedNow)
	if err != nil {
		t.Fatal(err)
	}
	// stripe is every third incident; from i=3: 3, 6 … 27.
	if r.Total.Incidents != 9 || len(r.ByProvider) != 1 || r.ByProvider[0].Key != "stripe" || r.Provider != "stripe" {
		t.Errorf("filtered report: %+v", r.Total)
	}
}

func itoa(i int) string { return fmtInt(i) }

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test -update and review the diff.\n%s", name, got)
	}
}
