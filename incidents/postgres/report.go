package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paybot/paybot/incidents"
)

// ScanReport streams the incidents created in [from, to) of provider (any
// when empty), oldest first, each with its timeline entries of kinds, for
// incidents/report. One query on one connection: the entries of each
// incident come aggregated as a JSON array beside it, and rows are read as
// they arrive, so memory stays flat. Errors: the database's, or fn's as is.
func (s *Store) ScanReport(ctx context.Context, from, to time.Time, provider string, kinds []string,
	fn func(inc *incidents.Incident, tl []incidents.TimelineEntry) error) error {
	var toArg *time.Time
	if !to.IsZero() {
		toArg = &to
	}
	if kinds == nil {
		kinds = []string{}
	}
	var fnErr error
	err := s.query(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT i.id, i.ref, i.title, i.status, i.severity,
			coalesce(i.details->>'provider', ''), coalesce(i.details->>'category', ''), i.details->'codes',
			i.created_at, i.opened_at, i.resolved_at,
			(SELECT json_agg(json_build_object('s', t.seq, 'a', t.at, 'k', t.kind, 'd', t.data) ORDER BY t.seq)
			   FROM timeline t WHERE t.incident_id = i.id AND t.kind = ANY($4))
			FROM incidents i
			WHERE i.created_at >= $1 AND ($2::timestamptz IS NULL OR i.created_at < $2)
			  AND ($3 = '' OR lower(i.details->>'provider') = $3)
			ORDER BY i.created_at, i.seq`, from, toArg, strings.ToLower(strings.TrimSpace(provider)), kinds)
		if err != nil {
			return err
		}
		defer rows.Close()
		var tl []incidents.TimelineEntry
		for rows.Next() {
			var (
				inc              incidents.Incident
				status           string
				severity         int
				codes, entries   []byte
				created          time.Time
				opened, resolved *time.Time
			)
			if err := rows.Scan(&inc.ID, &inc.Ref, &inc.Title, &status, &severity, &inc.Details.Provider, &inc.Details.Category,
				&codes, &created, &opened, &resolved, &entries); err != nil {
				return err
			}
			inc.Status, inc.Severity = incidents.Status(status), incidents.Severity(severity)
			if len(codes) > 0 && string(codes) != "null" {
				if err := json.Unmarshal(codes, &inc.Details.Codes); err != nil {
					return fmt.Errorf("codes of %s: %w", inc.Ref, err)
				}
			}
			inc.CreatedAt, inc.OpenedAt, inc.ResolvedAt = created.UTC(), utcp(opened), utcp(resolved)
			tl = tl[:0]
			if len(entries) > 0 {
				var raw []struct {
					S int64             `json:"s"`
					A time.Time         `json:"a"`
					K string            `json:"k"`
					D map[string]string `json:"d"`
				}
				if err := json.Unmarshal(entries, &raw); err != nil {
					return fmt.Errorf("timeline of %s: %w", inc.Ref, err)
				}
				for _, r := range raw {
					tl = append(tl, incidents.TimelineEntry{Seq: r.S, IncidentID: inc.ID, At: r.A.UTC(), Kind: r.K, Data: r.D})
				}
			}
			if err := fn(&inc, tl); err != nil {
				fnErr = err
				return err
			}
		}
		return rows.Err()
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
