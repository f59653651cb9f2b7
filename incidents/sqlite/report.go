package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
)

// reportWhere selects incidents by creation time and provider; its four
// arguments come from reportArgs.
const reportWhere = ` WHERE i.created_at >= ? AND (? = 0 OR i.created_at < ?)
	AND (? = '' OR lower(json_extract(i.details, '$.provider')) = ?)`

func reportArgs(from, to time.Time, provider string) []any {
	var t int64
	if !to.IsZero() {
		t = nanos(to)
	}
	p := strings.ToLower(strings.TrimSpace(provider))
	return []any{nanos(from), t, t, p, p}
}

// ScanReport streams the incidents created in [from, to) of provider (any
// when empty), oldest first, each with its timeline entries of kinds, for
// incidents/report. It reads only the columns a report needs and runs two
// ordered cursors side by side (incidents, and their timeline joined in the
// same order), so memory stays flat however many incidents match.
// Errors: the database's, or fn's as is.
func (s *Store) ScanReport(ctx context.Context, from, to time.Time, provider string, kinds []string,
	fn func(inc *incidents.Incident, tl []incidents.TimelineEntry) error) error {
	args := reportArgs(from, to, provider)
	rows, err := s.read.QueryContext(ctx, `SELECT i.id, i.ref, i.title, i.status, i.severity,
		coalesce(json_extract(i.details, '$.provider'), ''), coalesce(json_extract(i.details, '$.category'), ''),
		json_extract(i.details, '$.codes'), i.created_at, i.opened_at, i.resolved_at
		FROM incidents i`+reportWhere+` ORDER BY i.created_at, i.seq`, args...)
	if err != nil {
		return fmt.Errorf("sqlite: report: %w", err)
	}
	defer rows.Close()
	var trows *sql.Rows
	if len(kinds) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(kinds)), ", ")
		targs := append([]any{}, args...)
		for _, k := range kinds {
			targs = append(targs, k)
		}
		trows, err = s.read.QueryContext(ctx, `SELECT t.incident_id, t.seq, t.at, t.kind, t.data
			FROM incidents i JOIN timeline t ON t.incident_id = i.id`+reportWhere+` AND t.kind IN (`+marks+`)
			ORDER BY i.created_at, i.seq, t.seq`, targs...)
		if err != nil {
			return fmt.Errorf("sqlite: report timeline: %w", err)
		}
		defer trows.Close()
	}
	var (
		pending *incidents.TimelineEntry // read ahead, belongs to a later incident
		pendID  string
	)
	nextEntry := func() (*incidents.TimelineEntry, string, error) {
		if trows == nil || !trows.Next() {
			if trows != nil {
				return nil, "", trows.Err()
			}
			return nil, "", nil
		}
		var (
			id, kind string
			seq, at  int64
			data     []byte
		)
		if err := trows.Scan(&id, &seq, &at, &kind, &data); err != nil {
			return nil, "", err
		}
		e := &incidents.TimelineEntry{Seq: seq, At: fromNanos(at), Kind: kind}
		if data != nil {
			if err := json.Unmarshal(data, &e.Data); err != nil {
				return nil, "", fmt.Errorf("timeline data: %w", err)
			}
		}
		return e, id, nil
	}
	var tl []incidents.TimelineEntry
	for rows.Next() {
		var (
			inc               incidents.Incident
			id, status        string
			severity, created int64
			codes             []byte
			opened, resolved  sql.NullInt64
		)
		if err := rows.Scan(&id, &inc.Ref, &inc.Title, &status, &severity, &inc.Details.Provider, &inc.Details.Category,
			&codes, &created, &opened, &resolved); err != nil {
			return fmt.Errorf("sqlite: report: %w", err)
		}
		if inc.ID, err = uuid.Parse(id); err != nil {
			return fmt.Errorf("sqlite: report: id %q: %w", id, err)
		}
		inc.Status, inc.Severity = incidents.Status(status), incidents.Severity(severity)
		if len(codes) > 0 {
			if err := json.Unmarshal(codes, &inc.Details.Codes); err != nil {
				return fmt.Errorf("sqlite: report: codes of %s: %w", inc.Ref, err)
			}
		}
		inc.CreatedAt, inc.OpenedAt, inc.ResolvedAt = fromNanos(created), fromNullNanos(opened), fromNullNanos(resolved)
		tl = tl[:0]
		for {
			if pending == nil {
				e, eid, err := nextEntry()
				if err != nil {
					return fmt.Errorf("sqlite: report timeline: %w", err)
				}
				if e == nil {
					break
				}
				pending, pendID = e, eid
			}
			if pendID != id {
				break // both cursors share one order: it belongs to a later incident
			}
			pending.IncidentID = inc.ID
			tl = append(tl, *pending)
			pending = nil
		}
		if err := fn(&inc, tl); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: report: %w", err)
	}
	return nil
}
