package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
)

// QueueNotifications inserts notifications outside an incident change; a
// duplicate DedupeKey is skipped. Errors: ErrInvalid.
func (s *Store) QueueNotifications(ctx context.Context, ns []incidents.Notification) error {
	ef := &effects{}
	now := time.Now()
	for _, n := range ns {
		r, err := encodeNote(n.IncidentID, n, now)
		if err != nil {
			return err
		}
		ef.notes = append(ef.notes, r)
	}
	if err := s.w.do(ctx, func(t *wtx) error { return t.applyEffects("", ef, 0) }); err != nil {
		return fmt.Errorf("sqlite: queue notifications: %w", err)
	}
	return nil
}

// ClaimNotifications leases up to limit deliverable notifications until
// now+lease, oldest first.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]incidents.Notification, error) {
	if limit <= 0 {
		limit = 100
	}
	n, until := nanos(now), nanos(now.Add(lease))
	var out []incidents.Notification
	err := s.w.do(ctx, func(t *wtx) error {
		out = out[:0]
		rows, err := t.query(`UPDATE outbox SET claimed_until = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND claimed_until <= ?
				ORDER BY id LIMIT ?)
			RETURNING `+noteCols, until, n, n, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			x, err := scanNote(rows)
			if err != nil {
				return err
			}
			out = append(out, x)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim notifications: %w", err)
	}
	// RETURNING gives no order guarantee; deliver in queue order.
	for i := 1; i < len(out); i++ {
		for k := i; k > 0 && out[k].ID < out[k-1].ID; k-- {
			out[k], out[k-1] = out[k-1], out[k]
		}
	}
	return out, nil
}

// MarkSent records delivery. Errors: ErrNotFound.
func (s *Store) MarkSent(ctx context.Context, id int64, at time.Time) error {
	return s.noteUpdate(ctx, "mark sent", `UPDATE outbox SET status = 'sent', sent_at = ?, claimed_until = 0 WHERE id = ?`, nanos(at), id)
}

// MarkFailed records a failed attempt: the next one is at retryAt, or never
// when dead. Errors: ErrNotFound.
func (s *Store) MarkFailed(ctx context.Context, id int64, retryAt time.Time, errText string, dead bool) error {
	status := incidents.NotifyPending
	if dead {
		status = incidents.NotifyDead
	}
	return s.noteUpdate(ctx, "mark failed", `UPDATE outbox SET status = ?, next_attempt_at = ?, claimed_until = 0, last_error = ?
		WHERE id = ? AND status = 'pending'`, status, nanos(retryAt), errText, id)
}

func (s *Store) noteUpdate(ctx context.Context, what, q string, args ...any) error {
	err := s.w.do(ctx, func(t *wtx) error {
		res, err := t.exec(q, args...)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fmt.Errorf("%w: notification %v", incidents.ErrNotFound, args[len(args)-1])
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return nil
}

// Notifications lists an incident's notifications in queue order.
func (s *Store) Notifications(ctx context.Context, incident uuid.UUID) ([]incidents.Notification, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+noteCols+` FROM outbox WHERE incident_id = ? ORDER BY id`, incident.String())
	if err != nil {
		return nil, fmt.Errorf("sqlite: notifications: %w", err)
	}
	defer rows.Close()
	var out []incidents.Notification
	for rows.Next() {
		x, err := scanNote(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: notifications: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func scanNote(sc scanner) (incidents.Notification, error) {
	var (
		x                      incidents.Notification
		inc                    string
		next, claimed, created int64
		sent                   sql.NullInt64
	)
	if err := sc.Scan(&x.ID, &inc, &x.Kind, &x.Payload, &x.DedupeKey, &x.Status, &x.Attempts, &next, &claimed, &sent, &x.LastError, &created); err != nil {
		return x, err
	}
	if inc != "" {
		id, err := uuid.Parse(inc)
		if err != nil {
			return x, err
		}
		x.IncidentID = id
	}
	x.NextAttemptAt, x.ClaimedUntil, x.CreatedAt = fromNanos(next), fromNanos(claimed), fromNanos(created)
	x.SentAt = fromNullNanos(sent)
	return x, nil
}
