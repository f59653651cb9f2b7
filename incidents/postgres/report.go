package postgres

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paybot/paybot/incidents"
)

// ScanReport streams the incidents created in [from, to) of provider (any
// when empty), in id order, for incidents/report. Each carries its timeline
// entries of kinds ("kind", or "kind:key=value" for the entries of kind
// whose data has that pair), whose Data holds only dataKeys (nil: all
// keys). One query, one connection: incidents LEFT JOIN their matching
// entries, ordered by (incident, seq); rows are read as they arrive and
// nothing is held but the current incident. Rows come in PostgreSQL's
// binary format and are decoded in place (reportRow): an incident's strings
// are copied once, not once per entry, and statuses, kinds, providers,
// categories, code lists and entry data that repeat are shared (all are
// read-only to fn). Errors: the database's, or fn's as is.
func (s *Store) ScanReport(ctx context.Context, from, to time.Time, provider string, kinds, dataKeys []string,
	fn func(inc *incidents.Incident, tl []incidents.TimelineEntry) error) error {
	var toArg *time.Time
	if !to.IsZero() {
		toArg = &to
	}
	// Every column comes back in binary (one format code applies to all).
	args := []any{pgx.QueryResultFormats{pgx.BinaryFormatCode}, from, toArg, strings.ToLower(strings.TrimSpace(provider))}
	param := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args)-1)
	}
	cols := "t.data"
	if dataKeys != nil {
		ex := []string{"NULL::text"} // keeps the column list valid when dataKeys is empty
		for _, k := range dataKeys {
			ex = append(ex, "t.data->>"+param(k))
		}
		cols = strings.Join(ex, ", ")
	}
	var fnErr error
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		tx, err := c.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) //nolint:errcheck // read-only: nothing to keep
		// A streamed report wants its first row at once: the merge join of
		// the incidents' primary key and timeline_report (0061), both in
		// incident order, sends rows as it reads them (0.3 s for 100,000
		// incidents). Left to itself the planner prefers hashing both
		// tables, sorting the join in parallel workers and sending nothing
		// until that is done (0.5 s of server time, while the client
		// waits). The settings last until the transaction ends
		// (TestReportStreams).
		if _, err := tx.Exec(ctx, reportPlanSettings); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, reportQuery(kinds, cols), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		d := newReportDecoder(dataKeys)
		var (
			cur *incidents.Incident
			tl  []incidents.TimelineEntry
		)
		flush := func() error {
			if cur == nil {
				return nil
			}
			// The query orders by incident only (see reportQuery); the
			// merge join reads each incident's entries from the index in
			// seq order, so this sort almost never moves anything.
			if !slices.IsSortedFunc(tl, bySeq) {
				slices.SortFunc(tl, bySeq)
			}
			if err := fn(cur, tl); err != nil {
				fnErr = err
				return err
			}
			return nil
		}
		ncols := 15 + len(dataKeys)
		for rows.Next() {
			v := rows.RawValues()
			if len(v) != ncols {
				return fmt.Errorf("report row: %d columns", len(v))
			}
			id, err := d.uuid(v[0])
			if err != nil {
				return err
			}
			if cur == nil || cur.ID != id {
				if err := flush(); err != nil {
					return err
				}
				if cur, err = d.incident(id, v); err != nil {
					return err
				}
				tl = tl[:0]
			}
			if v[11] == nil {
				continue // an incident without matching entries
			}
			e, err := d.entry(id, v[11:])
			if err != nil {
				return fmt.Errorf("timeline of %s: %w", cur.Ref, err)
			}
			tl = append(tl, e)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return flush()
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("postgres: report: %w", err)
	}
	return nil
}

// reportDecoder reads ScanReport's binary rows. The caches are bounded so
// that a report over many distinct values holds no more than a few
// thousand of each.
type reportDecoder struct {
	keys  []string
	strs  map[string]string            // statuses, kinds, providers, categories
	codes map[string][]incidents.Code  // codes JSON → decoded list
	data  map[string]map[string]string // joined values of keys → Data
	buf   []byte
	inc   incidents.Incident
}

const reportCacheMax = 4096

func newReportDecoder(keys []string) *reportDecoder {
	return &reportDecoder{keys: keys, strs: map[string]string{}, codes: map[string][]incidents.Code{}, data: map[string]map[string]string{}}
}

var errReportNull = errors.New("unexpected NULL")

func (d *reportDecoder) uuid(b []byte) (uuid.UUID, error) {
	var id uuid.UUID
	if len(b) != 16 {
		return id, fmt.Errorf("report row: id of %d bytes", len(b))
	}
	copy(id[:], b)
	return id, nil
}

// str returns b as a string shared with earlier equal ones.
func (d *reportDecoder) str(b []byte) string {
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.strs) < reportCacheMax {
		d.strs[s] = s
	}
	return s
}

// incident decodes an incident's columns into d.inc, which every incident
// reuses: fn may not keep it, and an Incident is large enough that a fresh
// one per row was half of a report's allocated bytes.
func (d *reportDecoder) incident(id uuid.UUID, v [][]byte) (*incidents.Incident, error) {
	inc := &d.inc
	*inc = incidents.Incident{ID: id, Ref: string(v[1]), Title: string(v[2]), Status: incidents.Status(d.str(v[3]))}
	if len(v[4]) != 4 {
		return nil, fmt.Errorf("severity of %s: %d bytes", inc.Ref, len(v[4]))
	}
	inc.Severity = incidents.Severity(int32(binary.BigEndian.Uint32(v[4])))
	inc.Details.Provider, inc.Details.Category = d.str(v[5]), d.str(v[6])
	if codes := v[7]; codes != nil {
		var err error
		if inc.Details.Codes, err = d.codeList(codes); err != nil {
			return nil, fmt.Errorf("codes of %s: %w", inc.Ref, err)
		}
	}
	var err error
	if inc.CreatedAt, err = pgTime(v[8]); err != nil {
		return nil, fmt.Errorf("created_at of %s: %w", inc.Ref, err)
	}
	if inc.OpenedAt, err = pgTimePtr(v[9]); err != nil {
		return nil, fmt.Errorf("opened_at of %s: %w", inc.Ref, err)
	}
	if inc.ResolvedAt, err = pgTimePtr(v[10]); err != nil {
		return nil, fmt.Errorf("resolved_at of %s: %w", inc.Ref, err)
	}
	return inc, nil
}

// codeList decodes a jsonb array of codes (binary jsonb: a version byte,
// 1, then the text).
func (d *reportDecoder) codeList(b []byte) ([]incidents.Code, error) {
	if len(b) == 0 || b[0] != 1 {
		return nil, errors.New("unknown jsonb format")
	}
	b = b[1:]
	if c, ok := d.codes[string(b)]; ok {
		return c, nil
	}
	var c []incidents.Code
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	if len(d.codes) < reportCacheMax {
		d.codes[string(b)] = c
	}
	return c, nil
}

// entry decodes seq, at, kind and then the data: one jsonb column when
// keys is nil, else one text column per key after a NULL placeholder.
func (d *reportDecoder) entry(id uuid.UUID, v [][]byte) (incidents.TimelineEntry, error) {
	e := incidents.TimelineEntry{IncidentID: id}
	if len(v[0]) != 8 {
		return e, fmt.Errorf("seq of %d bytes", len(v[0]))
	}
	e.Seq = int64(binary.BigEndian.Uint64(v[0]))
	var err error
	if e.At, err = pgTime(v[1]); err != nil {
		return e, err
	}
	if v[2] == nil {
		return e, errReportNull
	}
	e.Kind = incidents.EventKind(d.str(v[2]))
	if d.keys == nil {
		if raw := v[3]; raw != nil {
			if len(raw) == 0 || raw[0] != 1 {
				return e, errors.New("unknown jsonb format")
			}
			if err := json.Unmarshal(raw[1:], &e.Data); err != nil {
				return e, fmt.Errorf("data: %w", err)
			}
		}
		return e, nil
	}
	vals := v[4:]
	if len(vals) != len(d.keys) {
		return e, fmt.Errorf("%d data columns for %d keys", len(vals), len(d.keys))
	}
	// The cache key: for each key, 0 for NULL or 1, its length and bytes.
	d.buf = d.buf[:0]
	some := false
	for _, x := range vals {
		if x == nil {
			d.buf = append(d.buf, 0)
			continue
		}
		some = true
		d.buf = append(d.buf, 1)
		d.buf = binary.AppendUvarint(d.buf, uint64(len(x)))
		d.buf = append(d.buf, x...)
	}
	if !some {
		return e, nil
	}
	if m, ok := d.data[string(d.buf)]; ok {
		e.Data = m
		return e, nil
	}
	m := make(map[string]string, len(vals))
	for i, x := range vals {
		if x != nil {
			m[d.keys[i]] = string(x)
		}
	}
	if len(d.data) < reportCacheMax {
		d.data[string(d.buf)] = m
	}
	e.Data = m
	return e, nil
}

// pgEpoch is 2000-01-01 UTC, from which binary timestamptz counts
// microseconds.
const pgEpoch = 946684800

// pgTime decodes a binary timestamptz as UTC; ±infinity and NULL are errors.
func pgTime(b []byte) (time.Time, error) {
	if b == nil {
		return time.Time{}, errReportNull
	}
	if len(b) != 8 {
		return time.Time{}, fmt.Errorf("timestamp of %d bytes", len(b))
	}
	us := int64(binary.BigEndian.Uint64(b))
	if us == math.MaxInt64 || us == math.MinInt64 {
		return time.Time{}, errors.New("infinite timestamp")
	}
	return time.Unix(pgEpoch+us/1e6, (us%1e6)*1e3).UTC(), nil
}

func pgTimePtr(b []byte) (*time.Time, error) {
	if b == nil {
		return nil, nil
	}
	t, err := pgTime(b)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// reportKindsWhere is the SQL condition on timeline t for kind specs:
// "kind", or "kind:key=value" for the entries of kind whose data has the
// pair. The specs go in as literals, not parameters, so that for
// report.FactKinds the planner can match migration 0061's partial index
// timeline_report (TestReportUsesIndex); none matches nothing.
func reportKindsWhere(kinds []string) string {
	var conds []string
	for _, spec := range kinds {
		kind, pair, filtered := strings.Cut(spec, ":")
		if !filtered {
			conds = append(conds, "t.kind = "+sqlString(kind))
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		conds = append(conds, "(t.kind = "+sqlString(kind)+" AND t.data->>"+sqlString(key)+" = "+sqlString(value)+")")
	}
	if len(conds) == 0 {
		return "false"
	}
	return strings.Join(conds, " OR ")
}

// sqlString writes s as a standard SQL string literal (quotes doubled;
// standard_conforming_strings, on since PostgreSQL 9.1, keeps backslashes
// as they are). The escape form E'...' is used when s holds a backslash, so the
// literal means s whatever that setting says.
func sqlString(s string) string {
	if strings.Contains(s, `\`) {
		return "E'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// reportPlanSettings are the planner settings of ScanReport's transaction.
// Nested loops are off too: on tables the planner believes tiny (fresh
// statistics lag a bulk import) it would rescan the timeline per incident.
const reportPlanSettings = `SELECT set_config('enable_sort', 'off', true), set_config('enable_hashjoin', 'off', true),
	set_config('enable_nestloop', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`

// reportQuery is ScanReport's query: $1 from, $2 to (NULL: no bound), $3
// the lower-cased provider (empty: any), then the data keys of cols. It
// orders by incident only, which the merge join gives as it goes; sorting
// by (incident, seq) too cost an incremental sort of every row, so
// ScanReport puts each incident's few entries in seq order itself.
func reportQuery(kinds []string, cols string) string {
	return `SELECT i.id, i.ref, i.title, i.status, i.severity,
			coalesce(i.details->>'provider', ''), coalesce(i.details->>'category', ''), i.details->'codes',
			i.created_at, i.opened_at, i.resolved_at, t.seq, t.at, t.kind, ` + cols + `
			FROM incidents i LEFT JOIN timeline t ON t.incident_id = i.id AND (` + reportKindsWhere(kinds) + `)
			WHERE i.created_at >= $1 AND ($2::timestamptz IS NULL OR i.created_at < $2)
			  AND ($3 = '' OR lower(i.details->>'provider') = $3)
			ORDER BY i.id`
}

func bySeq(a, b incidents.TimelineEntry) int { return cmp.Compare(a.Seq, b.Seq) }
