package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paybot/paybot/incidents/postgres"
	"github.com/paybot/paybot/incidents/report"
	"github.com/paybot/paybot/incidents/storetest"
)

func TestReportSource(t *testing.T) {
	admin(t).Close(context.Background())
	storetest.RunReport(t, openAt)
}

// TestReportUsesIndex keeps migration 0061's partial index and the
// report's timeline condition for report.FactKinds in step: if either
// changes alone, PostgreSQL can no longer use the index and quietly hashes
// and sorts the whole timeline again. Sequential scans are disabled so the
// plan shows whether the index is usable at all, whatever the table's size.
func TestReportUsesIndex(t *testing.T) {
	ctx := context.Background()
	admin(t).Close(ctx)
	dir := t.TempDir()
	openAt(t, dir)
	c := admin(t)
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "SET search_path = "+schemaOf(dir)+"; SET enable_seqscan = off; SET enable_bitmapscan = off"); err != nil {
		t.Fatal(err)
	}
	var plan []string
	rows, err := c.Query(ctx, `EXPLAIN SELECT t.incident_id, t.seq, t.at, t.kind, t.data->>'to'
		FROM timeline t WHERE `+postgres.ReportKindsWhere(report.FactKinds)+` ORDER BY t.incident_id, t.seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(plan, "\n"); !strings.Contains(got, "Index Only Scan using timeline_report") {
		t.Errorf("plan for %s:\n%s", postgres.ReportKindsWhere(report.FactKinds), got)
	}
}

// TestReportStreams checks the plan ScanReport's settings give its query:
// the incidents' primary key merged with timeline_report, both read in
// incident order, so rows stream from the first one; no hash join, no
// parallel workers and no full sort.
func TestReportStreams(t *testing.T) {
	ctx := context.Background()
	admin(t).Close(ctx)
	dir := t.TempDir()
	openAt(t, dir)
	c := admin(t)
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "SET search_path = "+schemaOf(dir)); err != nil {
		t.Fatal(err)
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, postgres.ReportPlanSettings); err != nil {
		t.Fatal(err)
	}
	var plan []string
	rows, err := tx.Query(ctx, "EXPLAIN "+postgres.ReportQuery(report.FactKinds, "NULL::text, t.data->>'to'"), time.Time{}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(plan, "\n")
	for _, want := range []string{"Merge Left Join", "using incidents_pkey on incidents", "using timeline_report on timeline"} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"Hash", "Gather", "Nested Loop", "Seq Scan", "Bitmap"} {
		if strings.Contains(got, bad) {
			t.Errorf("plan has %q:\n%s", bad, got)
		}
	}
	for _, line := range plan {
		// A sort would hold rows back (a full sort, every row until the
		// last) or cost time (an incremental one).
		if strings.Contains(line, "Sort  (") {
			t.Errorf("plan sorts:\n%s", got)
		}
	}
}

func TestReportKindsWhereQuotes(t *testing.T) {
	for _, tc := range []struct {
		specs []string
		want  string
	}{
		{nil, "false"},
		{[]string{"ack"}, "t.kind = 'ack'"},
		{[]string{"a'b:k'=v'"}, "(t.kind = 'a''b' AND t.data->>'k''' = 'v''')"},
		{[]string{`x\:k=v\'`}, `(t.kind = E'x\\' AND t.data->>'k' = E'v\\\'')`},
	} {
		if got := postgres.ReportKindsWhere(tc.specs); got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.specs, got, tc.want)
		}
	}
}

// TestPgTime decodes binary timestamptz values as pgx does, around the
// format's epoch (2000-01-01) and far from it, and refuses infinities.
func TestPgTime(t *testing.T) {
	ctx := context.Background()
	c := admin(t)
	defer c.Close(ctx)
	for _, lit := range []string{"2000-01-01 00:00:00+00", "1999-12-31 23:59:59.999999+00", "1970-01-01 00:00:00.000001+00",
		"1900-06-15 12:34:56.5+00", "2026-11-30 10:15:00.123456+00", "2262-04-11 23:47:16+00", "infinity", "-infinity"} {
		var want time.Time
		var inf bool
		if lit == "infinity" || lit == "-infinity" {
			inf = true
		} else if err := c.QueryRow(ctx, "SELECT $1::timestamptz", lit).Scan(&want); err != nil {
			t.Fatal(err)
		}
		rows, err := c.Query(ctx, "SELECT $1::timestamptz", pgx.QueryResultFormats{pgx.BinaryFormatCode}, lit)
		if err != nil {
			t.Fatal(err)
		}
		if !rows.Next() {
			t.Fatal(rows.Err())
		}
		got, err := postgres.PgTime(rows.RawValues()[0])
		rows.Close()
		switch {
		case inf && err == nil:
			t.Errorf("%s: decoded as %v", lit, got)
		case !inf && err != nil:
			t.Errorf("%s: %v", lit, err)
		case !inf && !got.Equal(want):
			t.Errorf("%s: got %v, want %v", lit, got, want)
		case !inf && got.Location() != time.UTC:
			t.Errorf("%s: location %v", lit, got.Location())
		}
	}
}
