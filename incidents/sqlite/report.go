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

// reportWhere selects incident_facts rows (migration 0061) by creation
// time and provider; its five arguments come from reportArgs.
const reportWhere = ` WHERE i.created_at >= ? AND (? = 0 OR i.created_at < ?)
	AND (? = '' OR i.provider = ?)`

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
	// incident_facts is kept by triggers with the details' provider,
	// category and codes already extracted, clustered by id.
	rows, err := s.read.QueryContext(ctx, `SELECT i.id, i.ref, i.title, i.status, i.severity,
		i.provider, i.category, i.codes, i.created_at, i.opened_at, i.resolved_at
		FROM incident_facts i`+reportWhere+` ORDER BY i.id`, args...)
	if err != nil {
		return fmt.Errorf("sqlite: report: %w", err)
	}
	defer rows.Close()
	tc := &timelineCursor{keys: dataKeys}
	if len(kinds) > 0 {
		// An entry is never older than its incident, so t.at >= from
		// trims the scan; the kinds go in as literals so that, for
		// report.FactKinds, SQLite reads the partial index timeline_report
		// (0061), which holds exactly those entries (TestReportUsesIndex).
		trows, err := s.read.QueryContext(ctx, `SELECT t.incident_id, t.seq, t.at, t.kind, t.data
			FROM timeline t WHERE t.at >= ? AND (`+kindsWhere(kinds)+`) ORDER BY t.incident_id, t.seq`, args[0])
		if err != nil {
			return fmt.Errorf("sqlite: report timeline: %w", err)
		}
		tc.start(ctx, trows) // closes trows; the deferred cancel stops it early
	}
	var (
		tl []incidents.TimelineEntry
		// One Incident for every row: fn may not keep it, and a fresh one
		// per row was a third of a report's allocated bytes.
		inc incidents.Incident
	)
	for rows.Next() {
		inc = incidents.Incident{}
		var (
			id, status        sql.RawBytes
			severity, created int64
			codes             sql.RawBytes
			opened, resolved  sql.NullInt64
		)
		if err := rows.Scan(&id, &inc.Ref, &inc.Title, &status, &severity, &inc.Details.Provider, &inc.Details.Category,
			&codes, &created, &opened, &resolved); err != nil {
			return fmt.Errorf("sqlite: report: %w", err)
		}
		if inc.ID, err = uuid.ParseBytes(id); err != nil {
			return fmt.Errorf("sqlite: report: id %q: %w", id, err)
		}
		inc.Status, inc.Severity = incidents.Status(intern(status)), incidents.Severity(severity)
		if len(codes) > 0 {
			if err := json.Unmarshal(codes, &inc.Details.Codes); err != nil {
				return fmt.Errorf("sqlite: report: codes of %s: %w", inc.Ref, err)
			}
		}
		inc.CreatedAt, inc.OpenedAt, inc.ResolvedAt = fromNanos(created), fromNullNanos(opened), fromNullNanos(resolved)
		if tl, err = tc.entriesOf(inc.ID, tl[:0]); err != nil {
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

// timelineCursor walks timeline rows in incident-id order. A goroutine
// reads and decodes the rows (on their own read connection) while the
// caller reads incidents, so the two scans use two cores; rows come over in
// batches to keep the channel cheap.
type timelineCursor struct {
	keys []string
	// seen shares the Data of entries whose data column is byte for byte
	// the same (every "intake → open" move is): Data is read-only.
	seen  map[string]map[string]string
	batch chan []idEntry
	errc  chan error
	buf   []idEntry
	pos   int
	done  bool
}

type idEntry struct {
	id uuid.UUID
	e  incidents.TimelineEntry
}

const timelineBatch = 512

func (c *timelineCursor) start(ctx context.Context, rows *sql.Rows) {
	c.batch = make(chan []idEntry, 8)
	c.errc = make(chan error, 1)
	go func() {
		defer close(c.batch)
		defer rows.Close()
		buf := make([]idEntry, 0, timelineBatch)
		for rows.Next() {
			var (
				it            idEntry
				seq, at       int64
				id, kind, raw sql.RawBytes
			)
			if err := rows.Scan(&id, &seq, &at, &kind, &raw); err != nil {
				c.errc <- err
				return
			}
			var err error
			if it.id, err = uuid.ParseBytes(id); err != nil {
				c.errc <- err
				return
			}
			it.e.Seq, it.e.At, it.e.Kind = seq, fromNanos(at), incidents.EventKind(intern(kind))
			if len(raw) > 0 {
				if it.e.Data, err = c.data(raw); err != nil {
					c.errc <- err
					return
				}
			}
			buf = append(buf, it)
			if len(buf) == timelineBatch {
				select {
				case c.batch <- buf:
				case <-ctx.Done():
					return
				}
				buf = make([]idEntry, 0, timelineBatch)
			}
		}
		if err := rows.Err(); err != nil {
			c.errc <- err
			return
		}
		if len(buf) > 0 {
			select {
			case c.batch <- buf:
			case <-ctx.Done():
			}
		}
	}()
}

// entriesOf appends the entries of incident id (text form) to tl, skipping
// entries of smaller ids: incidents outside the report, or created after
// the incidents cursor's snapshot.
func (c *timelineCursor) entriesOf(id uuid.UUID, tl []incidents.TimelineEntry) ([]incidents.TimelineEntry, error) {
	if c.batch == nil {
		return tl, nil
	}
	for {
		if c.pos == len(c.buf) {
			if c.done {
				return tl, nil
			}
			b, ok := <-c.batch
			if !ok {
				c.done = true
				select {
				case err := <-c.errc:
					return tl, err
				default:
				}
				return tl, nil
			}
			c.buf, c.pos = b, 0
		}
		// The canonical text of a uuid sorts as its bytes do, so the
		// cursors' text order compares as bytes.
		it := &c.buf[c.pos]
		switch bytes.Compare(it.id[:], id[:]) {
		case -1:
			c.pos++ // not in the report
		case 0:
			e := it.e
			e.IncidentID = id
			tl = append(tl, e)
			c.pos++
		default:
			return tl, nil
		}
	}
}

// data decodes a data column, sharing the result among identical ones.
func (c *timelineCursor) data(raw []byte) (map[string]string, error) {
	if m, ok := c.seen[string(raw)]; ok {
		return m, nil
	}
	m, err := pickKeys(raw, c.keys)
	if err == nil && len(c.seen) < 4096 {
		if c.seen == nil {
			c.seen = map[string]map[string]string{}
		}
		c.seen[string(raw)] = m
	}
	return m, err
}

// intern returns the common statuses and timeline kinds without a copy.
func intern(b []byte) string {
	switch string(b) {
	case "status":
		return string(incidents.EventStatus)
	case "ack":
		return string(incidents.EventAck)
	case "case":
		return string(incidents.EventCase)
	case "open":
		return string(incidents.StatusOpen)
	case "escalated":
		return string(incidents.StatusEscalated)
	case "resolved":
		return string(incidents.StatusResolved)
	case "closed":
		return string(incidents.StatusClosed)
	case "cancelled":
		return string(incidents.StatusCancelled)
	case "intake":
		return string(incidents.StatusIntake)
	}
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

// kindsWhere is the SQL condition for kind specs: "kind", or
// "kind:key=value" for the entries of kind whose data has the pair, which
// encoding/json writes as "key":"value" (bytes that can only be that pair,
// see pickKeys), so instr finds it without parsing the JSON.
func kindsWhere(kinds []string) string {
	var conds []string
	for _, spec := range kinds {
		kind, pair, filtered := strings.Cut(spec, ":")
		if !filtered {
			conds = append(conds, "kind = "+quote(kind))
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		conds = append(conds, "(kind = "+quote(kind)+" AND instr(data, "+quote(jsonQuote(key)+":"+jsonQuote(value))+") > 0)")
	}
	return strings.Join(conds, " OR ")
}

// quote writes s as an SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
