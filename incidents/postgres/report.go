package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paybot/paybot/incidents"
)

// ScanReport streams the incidents created in [from, to) of provider (any
// when empty), in id order, for incidents/report. Each carries its timeline
// entries of kinds ("kind", or "kind:key=value" for the entries of kind
// whose data has that pair), whose Data holds only dataKeys (nil: all
// keys). One query, one connection: incidents LEFT JOIN their matching
// entries, ordered by (incident, seq) so PostgreSQL can merge the two
// primary keys without sorting; rows are read as they arrive and nothing is
// held but the current incident. Errors: the database's, or fn's as is.
func (s *Store) ScanReport(ctx context.Context, from, to time.Time, provider string, kinds, dataKeys []string,
	fn func(inc *incidents.Incident, tl []incidents.TimelineEntry) error) error {
	var toArg *time.Time
	if !to.IsZero() {
		toArg = &to
	}
	args := []any{from, toArg, strings.ToLower(strings.TrimSpace(provider))}
	var conds []string
	for _, spec := range kinds {
		kind, pair, filtered := strings.Cut(spec, ":")
		args = append(args, kind)
		if !filtered {
			conds = append(conds, "t.kind = $"+strconv.Itoa(len(args)))
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		args = append(args, key, value)
		n := len(args)
		conds = append(conds, fmt.Sprintf("(t.kind = $%d AND t.data->>$%d = $%d)", n-2, n-1, n))
	}
	if len(conds) == 0 {
		conds = []string{"false"}
	}
	cols := "t.data"
	if dataKeys != nil {
		var ex []string
		for _, k := range dataKeys {
			args = append(args, k)
			ex = append(ex, "t.data->>$"+strconv.Itoa(len(args)))
		}
		cols = strings.Join(append(ex, "NULL"), ", ")
	}
	var fnErr error
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		rows, err := c.Query(ctx, `SELECT i.id, i.ref, i.title, i.status, i.severity,
			coalesce(i.details->>'provider', ''), coalesce(i.details->>'category', ''), i.details->'codes',
			i.created_at, i.opened_at, i.resolved_at, t.seq, t.at, t.kind, `+cols+`
			FROM incidents i LEFT JOIN timeline t ON t.incident_id = i.id AND (`+strings.Join(conds, " OR ")+`)
			WHERE i.created_at >= $1 AND ($2::timestamptz IS NULL OR i.created_at < $2)
			  AND ($3 = '' OR lower(i.details->>'provider') = $3)
			ORDER BY i.id, t.seq`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var (
			cur   *incidents.Incident
			tl    []incidents.TimelineEntry
			nvals = max(len(dataKeys), 1)
			vals  = make([]*string, nvals+1)
			raw   []byte
			flush = func() error {
				if cur == nil {
					return nil
				}
				if err := fn(cur, tl); err != nil {
					fnErr = err
					return err
				}
				return nil
			}
		)
		for rows.Next() {
			var (
				id               uuid.UUID
				ref, title, st   string
				severity         int32
				prov, cat        string
				codes            []byte
				created          time.Time
				opened, resolved *time.Time
				seq              *int64
				at               *time.Time
				kind             *string
			)
			dest := []any{&id, &ref, &title, &st, &severity, &prov, &cat, &codes, &created, &opened, &resolved, &seq, &at, &kind}
			if dataKeys == nil {
				dest = append(dest, &raw)
			} else {
				for i := range vals {
					dest = append(dest, &vals[i])
				}
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if cur == nil || cur.ID != id {
				if err := flush(); err != nil {
					return err
				}
				cur = &incidents.Incident{ID: id, Ref: ref, Title: title, Status: incidents.Status(st), Severity: incidents.Severity(severity),
					CreatedAt: created.UTC(), OpenedAt: utcp(opened), ResolvedAt: utcp(resolved),
					Details: incidents.Details{Provider: prov, Category: cat}}
				if len(codes) > 0 && string(codes) != "null" {
					if err := json.Unmarshal(codes, &cur.Details.Codes); err != nil {
						return fmt.Errorf("codes of %s: %w", ref, err)
					}
				}
				tl = tl[:0]
			}
			if seq == nil {
				continue // an incident without matching entries
			}
			e := incidents.TimelineEntry{Seq: *seq, IncidentID: id, At: at.UTC(), Kind: incidents.EventKind(*kind)}
			if dataKeys == nil && raw != nil {
				if err := json.Unmarshal(raw, &e.Data); err != nil {
					return fmt.Errorf("timeline data: %w", err)
				}
			}
			for i, k := range dataKeys {
				if vals[i] != nil {
					if e.Data == nil {
						e.Data = make(map[string]string, 2)
					}
					e.Data[k] = *vals[i]
				}
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

func utcp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
