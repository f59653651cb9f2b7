package sqlite

import (
	"bytes"
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
// when empty), in no particular order (by id), for incidents/report. Each
// carries its timeline entries of kinds ("kind", or "kind:key=value" for
// the entries of kind whose data has that pair), whose Data holds only dataKeys
// (nil: all keys). Two cursors, on two read connections, walk the
// incidents and the timeline both in incident-id order and are merged as
// they go: nothing is held but the current incident, no JSON is decoded
// per entry, and the timeline is read in the table's own order.
// Errors: the database's, or fn's as is.
func (s *Store) ScanReport(ctx context.Context, from, to time.Time, provider string, kinds, dataKeys []string,
	fn func(inc *incidents.Incident, tl []incidents.TimelineEntry) error) error {
	args := reportArgs(from, to, provider)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// One json_extract with three paths parses the details once.
	rows, err := s.read.QueryContext(ctx, `SELECT i.id, i.ref, i.title, i.status, i.severity,
		json_extract(i.details, '$.provider', '$.category', '$.codes'), i.created_at, i.opened_at, i.resolved_at
		FROM incidents i`+reportWhere+` ORDER BY i.id`, args...)
	if err != nil {
		return fmt.Errorf("sqlite: report: %w", err)
	}
	defer rows.Close()
	tc := &timelineCursor{keys: dataKeys}
	if len(kinds) > 0 {
		targs := []any{args[0]}
		var conds []string
		for _, spec := range kinds {
			kind, pair, filtered := strings.Cut(spec, ":")
			if !filtered {
				conds = append(conds, "t.kind = ?")
				targs = append(targs, spec)
				continue
			}
			key, value, _ := strings.Cut(pair, "=")
			// encoding/json writes the pair as "key":"value" (the bytes can
			// only be that pair, see pickKeys); instr finds it without
			// parsing the JSON (LIKE does not look into BLOBs).
			conds = append(conds, `(t.kind = ? AND instr(t.data, ?) > 0)`)
			targs = append(targs, kind, jsonQuote(key)+":"+jsonQuote(value))
		}
		// An entry is never older than its incident, so t.at >= from
		// trims the scan without an index.
		tc.rows, err = s.read.QueryContext(ctx, `SELECT t.incident_id, t.seq, t.at, t.kind, t.data
			FROM timeline t WHERE t.at >= ? AND (`+strings.Join(conds, " OR ")+`) ORDER BY t.incident_id, t.seq`, targs...)
		if err != nil {
			return fmt.Errorf("sqlite: report timeline: %w", err)
		}
		defer tc.rows.Close()
	}
	var tl []incidents.TimelineEntry
	for rows.Next() {
		var (
			inc               incidents.Incident
			id, status        string
			severity, created int64
			details           []byte
			opened, resolved  sql.NullInt64
		)
		if err := rows.Scan(&id, &inc.Ref, &inc.Title, &status, &severity, &details, &created, &opened, &resolved); err != nil {
			return fmt.Errorf("sqlite: report: %w", err)
		}
		if inc.ID, err = uuid.Parse(id); err != nil {
			return fmt.Errorf("sqlite: report: id %q: %w", id, err)
		}
		inc.Status, inc.Severity = incidents.Status(status), incidents.Severity(severity)
		var parts [3]json.RawMessage
		if err := json.Unmarshal(details, &parts); err != nil {
			return fmt.Errorf("sqlite: report: details of %s: %w", inc.Ref, err)
		}
		inc.Details.Provider, inc.Details.Category = jsonStr(parts[0]), jsonStr(parts[1])
		if len(parts[2]) > 0 && string(parts[2]) != "null" {
			if err := json.Unmarshal(parts[2], &inc.Details.Codes); err != nil {
				return fmt.Errorf("sqlite: report: codes of %s: %w", inc.Ref, err)
			}
		}
		inc.CreatedAt, inc.OpenedAt, inc.ResolvedAt = fromNanos(created), fromNullNanos(opened), fromNullNanos(resolved)
		if tl, err = tc.entriesOf(id, inc.ID, tl[:0]); err != nil {
			return fmt.Errorf("sqlite: report timeline: %w", err)
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

// timelineCursor walks timeline rows in incident-id order, one ahead.
type timelineCursor struct {
	rows  *sql.Rows
	keys  []string
	ahead bool // cur holds a row not yet handed out
	done  bool
	curID string
	cur   incidents.TimelineEntry
}

// entriesOf appends the entries of incident id (text form) to tl, skipping
// entries of smaller ids: incidents outside the report, or created after
// the incidents cursor's snapshot.
func (c *timelineCursor) entriesOf(id string, uid uuid.UUID, tl []incidents.TimelineEntry) ([]incidents.TimelineEntry, error) {
	if c.rows == nil {
		return tl, nil
	}
	for {
		if !c.ahead {
			if c.done || !c.rows.Next() {
				c.done = true
				return tl, c.rows.Err()
			}
			var (
				seq, at int64
				raw     sql.RawBytes
			)
			if err := c.rows.Scan(&c.curID, &seq, &at, &c.cur.Kind, &raw); err != nil {
				return tl, err
			}
			c.cur.Seq, c.cur.At, c.cur.Data = seq, fromNanos(at), nil
			if len(raw) > 0 {
				var err error
				if c.cur.Data, err = pickKeys(raw, c.keys); err != nil {
					return tl, err
				}
			}
			c.ahead = true
		}
		switch {
		case c.curID < id:
			c.ahead = false // not in the report
		case c.curID == id:
			e := c.cur
			e.IncidentID = uid
			tl = append(tl, e)
			c.ahead = false
		default:
			return tl, nil
		}
	}
}

// jsonStr reads a JSON string or null.
func jsonStr(raw json.RawMessage) string {
	if len(raw) >= 2 && raw[0] == '"' && !bytes.ContainsAny(raw[1:len(raw)-1], "\\\"") {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// pickKeys returns the string values of keys (all keys when nil) from a
// timeline's data column, a flat JSON object of strings as encoding/json
// writes it. A value without escapes is read in place: inside a JSON
// string every quote is escaped, so the bytes "key":" can only start that
// key. Anything else goes through the JSON decoder.
func pickKeys(raw []byte, keys []string) (map[string]string, error) {
	if keys != nil && !bytes.Contains(raw, []byte{'\\'}) {
		var m map[string]string
		for _, k := range keys {
			pat := `"` + k + `":"`
			i := bytes.Index(raw, []byte(pat))
			if i < 0 {
				continue
			}
			v := raw[i+len(pat):]
			j := bytes.IndexByte(v, '"')
			if j < 0 {
				break
			}
			if m == nil {
				m = make(map[string]string, len(keys))
			}
			m[k] = string(v[:j])
		}
		return m, nil
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if keys == nil {
		return m, nil
	}
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}
