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

// reportWhere selects incidents by creation time and provider; its five
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
// when empty), oldest first, for incidents/report. Each carries its
// timeline entries of kinds, whose Data holds only dataKeys (nil: all
// keys). It reads only the columns a report needs, in two scans: the
// incidents (held in memory, a few hundred bytes each), then the matching
// timeline rows in storage order, extracting the data keys in SQL so no
// JSON is decoded per entry. Errors: the database's, or fn's as is.
func (s *Store) ScanReport(ctx context.Context, from, to time.Time, provider string, kinds, dataKeys []string,
	fn func(inc *incidents.Incident, tl []incidents.TimelineEntry) error) error {
	args := reportArgs(from, to, provider)
	rows, err := s.read.QueryContext(ctx, `SELECT i.id, i.ref, i.title, i.status, i.severity,
		coalesce(json_extract(i.details, '$.provider'), ''), coalesce(json_extract(i.details, '$.category'), ''),
		json_extract(i.details, '$.codes'), i.created_at, i.opened_at, i.resolved_at
		FROM incidents i`+reportWhere+` ORDER BY i.created_at, i.seq`, args...)
	if err != nil {
		return fmt.Errorf("sqlite: report: %w", err)
	}
	type item struct {
		inc incidents.Incident
		tl  []incidents.TimelineEntry
	}
	var items []item
	index := map[string]int{}
	for rows.Next() {
		var (
			it                item
			id, status        string
			severity, created int64
			codes             []byte
			opened, resolved  sql.NullInt64
		)
		inc := &it.inc
		if err := rows.Scan(&id, &inc.Ref, &inc.Title, &status, &severity, &inc.Details.Provider, &inc.Details.Category,
			&codes, &created, &opened, &resolved); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: report: %w", err)
		}
		if inc.ID, err = uuid.Parse(id); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: report: id %q: %w", id, err)
		}
		inc.Status, inc.Severity = incidents.Status(status), incidents.Severity(severity)
		if len(codes) > 0 {
			if err := json.Unmarshal(codes, &inc.Details.Codes); err != nil {
				rows.Close()
				return fmt.Errorf("sqlite: report: codes of %s: %w", inc.Ref, err)
			}
		}
		inc.CreatedAt, inc.OpenedAt, inc.ResolvedAt = fromNanos(created), fromNullNanos(opened), fromNullNanos(resolved)
		index[id] = len(items)
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: report: %w", err)
	}
	if len(kinds) > 0 && len(items) > 0 {
		if err := s.reportTimeline(ctx, args, kinds, dataKeys, func(id string, e incidents.TimelineEntry) {
			if i, ok := index[id]; ok {
				e.IncidentID = items[i].inc.ID
				items[i].tl = append(items[i].tl, e)
			}
		}); err != nil {
			return err
		}
	}
	for i := range items {
		if err := fn(&items[i].inc, items[i].tl); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) reportTimeline(ctx context.Context, args []any, kinds, dataKeys []string, add func(string, incidents.TimelineEntry)) error {
	cols := "t.data"
	if dataKeys != nil {
		var ex []string
		for _, k := range dataKeys {
			ex = append(ex, "json_extract(t.data, "+quote("$."+k)+")")
		}
		cols = "json_array(" + strings.Join(ex, ", ") + ")"
		if len(ex) == 0 {
			cols = "NULL"
		}
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(kinds)), ", ")
	targs := append([]any{}, args...)
	for _, k := range kinds {
		targs = append(targs, k)
	}
	// Entries come in (incident, seq) order, the table's own.
	rows, err := s.read.QueryContext(ctx, `SELECT t.incident_id, t.seq, t.at, t.kind, `+cols+`
		FROM timeline t WHERE t.incident_id IN (SELECT i.id FROM incidents i`+reportWhere+`)
		AND t.kind IN (`+marks+`) ORDER BY t.incident_id, t.seq`, targs...)
	if err != nil {
		return fmt.Errorf("sqlite: report timeline: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, kind string
			seq, at  int64
			data     []byte
		)
		if err := rows.Scan(&id, &seq, &at, &kind, &data); err != nil {
			return fmt.Errorf("sqlite: report timeline: %w", err)
		}
		e := incidents.TimelineEntry{Seq: seq, At: fromNanos(at), Kind: kind}
		if dataKeys != nil {
			if len(data) > 0 {
				e.Data = pickData(dataKeys, data)
			}
		} else if data != nil {
			if err := json.Unmarshal(data, &e.Data); err != nil {
				return fmt.Errorf("sqlite: report timeline data: %w", err)
			}
		}
		add(id, e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: report timeline: %w", err)
	}
	return nil
}

// pickData reads the JSON array of extracted values (strings or nulls) in
// dataKeys order without a JSON decoder: the values are short strings.
func pickData(keys []string, raw []byte) map[string]string {
	var vals []*string
	if err := json.Unmarshal(raw, &vals); err != nil {
		return nil
	}
	var m map[string]string
	for i, v := range vals {
		if v != nil && i < len(keys) {
			if m == nil {
				m = map[string]string{}
			}
			m[keys[i]] = *v
		}
	}
	return m
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
