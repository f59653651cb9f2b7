package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paybot/paybot/incidents"
)

// Stats counts incidents by status and severity, undelivered and dead
// notifications, and pending jobs due at or before now. It only reads.
func (s *Store) Stats(ctx context.Context, now time.Time) (incidents.Stats, error) {
	var st incidents.Stats
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		rows, err := c.Query(ctx, `SELECT status, severity, count(*) FROM incidents GROUP BY status, severity ORDER BY status, severity`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var x incidents.IncidentCount
			var status string
			var sev int32
			var n int64
			if err := rows.Scan(&status, &sev, &n); err != nil {
				return err
			}
			x.Status, x.Severity, x.N = incidents.Status(status), incidents.Severity(sev), int(n)
			st.Incidents = append(st.Incidents, x)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		var pending, dead, due int64
		err = c.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM outbox WHERE status = 'pending'),
			(SELECT count(*) FROM outbox WHERE status = 'dead'),
			(SELECT count(*) FROM jobs WHERE status = 'pending' AND due_at <= $1)`, now.UTC()).Scan(&pending, &dead, &due)
		st.OutboxPending, st.OutboxDead, st.JobsDue = int(pending), int(dead), int(due)
		return err
	})
	if err != nil {
		return st, fmt.Errorf("postgres: stats: %w", err)
	}
	return st, nil
}
