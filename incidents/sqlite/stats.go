package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/paybot/paybot/incidents"
)

// Stats counts incidents by status and severity, undelivered and dead
// notifications, and pending jobs due at or before now. It only reads.
func (s *Store) Stats(ctx context.Context, now time.Time) (incidents.Stats, error) {
	var st incidents.Stats
	rows, err := s.read.QueryContext(ctx, `SELECT status, severity, count(*) FROM incidents GROUP BY status, severity ORDER BY status, severity`)
	if err != nil {
		return st, fmt.Errorf("sqlite: stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c incidents.IncidentCount
		var status string
		var sev int
		if err := rows.Scan(&status, &sev, &c.N); err != nil {
			return st, fmt.Errorf("sqlite: stats: %w", err)
		}
		c.Status, c.Severity = incidents.Status(status), incidents.Severity(sev)
		st.Incidents = append(st.Incidents, c)
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("sqlite: stats: %w", err)
	}
	err = s.read.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM outbox WHERE status = 'pending'),
		(SELECT count(*) FROM outbox WHERE status = 'dead'),
		(SELECT count(*) FROM jobs WHERE status = 'pending' AND due_at <= ?)`, nanos(now)).
		Scan(&st.OutboxPending, &st.OutboxDead, &st.JobsDue)
	if err != nil {
		return st, fmt.Errorf("sqlite: stats: %w", err)
	}
	return st, nil
}

// Ping checks that the database file answers a read, within ctx.
func (s *Store) Ping(ctx context.Context) error {
	return s.read.PingContext(ctx)
}
