package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/paybot/paybot/incidents"
)

const reportWhere = ` WHERE i.created_at >= $1 AND ($2::timestamptz IS NULL OR i.created_at < $2)
	AND ($3 = '' OR lower(i.details->>'provider') = $3)`

// ScanReport streams the incidents created in [from, to) of provider (any
// when empty), for incidents/report. Each carries its timeline entries of
// kinds ("kind", or "kind:key=value" for the entries of kind whose data
// has that pair), whose Data holds only dataKeys (nil: all
// keys). Two queries on one connection: the incidents (held in memory, a
// few hundred bytes each), then their matching timeline rows with the data
// keys extracted in SQL. Errors: the database's, or fn's as is.
func (s *Store) ScanReport(ctx context.Context, from, to time.Time, provider string, kinds, dataKeys []string,
	fn func(inc *incidents.Incident, tl []incidents.TimelineEntry) error) error {
	var toArg *time.Time
	if !to.IsZero() {
		toArg = &to
	}
	args := []any{from, toArg, strings.ToLower(strings.TrimSpace(provider))}
	type item struct {
		inc incidents.Incident
		tl  []incidents.TimelineEntry
	}
	var items []item
	index := map[uuid.UUID]int{}
	err := s.query(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT i.id, i.ref, i.title, i.status, i.severity,
			coalesce(i.details->>'provider', ''), coalesce(i.details->>'category', ''), i.details->'codes',
			i.created_at, i.opened_at, i.resolved_at
			FROM incidents i`+reportWhere+` ORDER BY i.created_at, i.seq`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				it               item
				status           string
				severity         int32
				codes            []byte
				created          time.Time
				opened, resolved *time.Time
			)
			inc := &it.inc
			if err := rows.Scan(&inc.ID, &inc.Ref, &inc.Title, &status, &severity, &inc.Details.Provider, &inc.Details.Category,
				&codes, &created, &opened, &resolved); err != nil {
				rows.Close()
				return err
			}
			inc.Status, inc.Severity = incidents.Status(status), incidents.Severity(severity)
			if len(codes) > 0 && string(codes) != "null" {
				if err := json.Unmarshal(codes, &inc.Details.Codes); err != nil {
					rows.Close()
					return fmt.Errorf("codes of %s: %w", inc.Ref, err)
				}
			}
			inc.CreatedAt, inc.OpenedAt, inc.ResolvedAt = created.UTC(), utcp(opened), utcp(resolved)
			index[inc.ID] = len(items)
			items = append(items, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(kinds) == 0 || len(items) == 0 {
			return nil
		}
		targs := append([]any{}, args...)
		var conds []string
		for _, spec := range kinds {
			kind, pair, filtered := strings.Cut(spec, ":")
			targs = append(targs, kind)
			if !filtered {
				conds = append(conds, "t.kind = $"+strconv.Itoa(len(targs)))
				continue
			}
			key, value, _ := strings.Cut(pair, "=")
			targs = append(targs, key, value)
			n := len(targs)
			conds = append(conds, fmt.Sprintf("(t.kind = $%d AND t.data->>$%d = $%d)", n-2, n-1, n))
		}
		cols := "t.data"
		if dataKeys != nil {
			var ex []string
			for _, k := range dataKeys {
				targs = append(targs, k)
				ex = append(ex, "t.data->>$"+strconv.Itoa(len(targs)))
			}
			cols = strings.Join(ex, ", ")
			if len(ex) == 0 {
				cols = "NULL"
			}
		}
		rows, err = c.Query(ctx, `SELECT t.incident_id, t.seq, t.at, t.kind, `+cols+`
			FROM timeline t JOIN incidents i ON i.id = t.incident_id`+reportWhere+` AND (`+strings.Join(conds, " OR ")+`)
			ORDER BY t.incident_id, t.seq`, targs...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				id  uuid.UUID
				e   incidents.TimelineEntry
				at  time.Time
				raw []byte
			)
			dest := []any{&id, &e.Seq, &at, &e.Kind}
			vals := make([]*string, len(dataKeys))
			if dataKeys == nil {
				dest = append(dest, &raw)
			} else if len(dataKeys) == 0 {
				dest = append(dest, new(*string))
			} else {
				for i := range vals {
					dest = append(dest, &vals[i])
				}
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			e.At = at.UTC()
			if dataKeys == nil && raw != nil {
				if err := json.Unmarshal(raw, &e.Data); err != nil {
					return fmt.Errorf("timeline data: %w", err)
				}
			}
			for i, v := range vals {
				if v != nil {
					if e.Data == nil {
						e.Data = map[string]string{}
					}
					e.Data[dataKeys[i]] = *v
				}
			}
			if n, ok := index[id]; ok {
				e.IncidentID = id
				items[n].tl = append(items[n].tl, e)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("postgres: report: %w", err)
	}
	for i := range items {
		if err := fn(&items[i].inc, items[i].tl); err != nil {
			return err
		}
	}
	return nil
}

func utcp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
