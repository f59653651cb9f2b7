package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paybot/paybot/incidents/report"
)

// TestReportUsesIndex keeps migration 0061's partial index and the query
// for report.FactKinds in step: if either changes alone, SQLite would
// quietly scan the whole timeline again.
func TestReportUsesIndex(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "paybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.read.Query(`EXPLAIN QUERY PLAN SELECT t.incident_id, t.seq, t.at, t.kind, t.data
		FROM timeline t WHERE t.at >= ? AND (`+kindsWhere(report.FactKinds)+`) ORDER BY t.incident_id, t.seq`, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if got := strings.Join(plan, "; "); got != "SCAN t USING COVERING INDEX timeline_report" {
		t.Errorf("plan %q for %s", got, kindsWhere(report.FactKinds))
	}
}
