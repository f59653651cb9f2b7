package sqlite

import (
	"context"
	"database/sql"
	"errors"
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

// CommitEvent marks ch.EventKey processed and queues ch.Notify in one
// transaction. Errors: ErrDuplicate when the key was processed before,
// ErrInvalid for a notification without kind, key or payload, or for a
// change that names timeline entries or jobs to schedule or cancel (those
// belong to an incident).
func (s *Store) CommitEvent(ctx context.Context, ch incidents.Change) error {
	if len(ch.Jobs) > 0 || len(ch.CancelJobs) > 0 || len(ch.CancelJobKeys) > 0 || len(ch.Timeline) > 0 {
		return fmt.Errorf("%w: a change without incident holds only notifications and jobs to complete", incidents.ErrInvalid)
	}
	now := time.Now()
	ef := &effects{complete: ch.CompleteJobs}
	for _, n := range ch.Notify {
		r, err := encodeNote(n.IncidentID, n, now)
		if err != nil {
			return err
		}
		ef.notes = append(ef.notes, r)
	}
	err := s.w.do(ctx, func(t *wtx) error {
		if ch.EventKey != "" {
			if err := t.markDone(ch.EventKey, now); err != nil {
				return err
			}
		}
		return t.applyEffects("", ef, nanos(now))
	})
	if err != nil {
		return fmt.Errorf("sqlite: commit event: %w", err)
	}
	return nil
}

// sqlClaimNotes leases the head of each channel's queue: the oldest pending
// notification of every channel_key, when it is due and not leased. A
// channel whose head is leased or waiting for its retry time has nothing
// claimable, so its later messages wait their turn.
const sqlClaimNotes = `UPDATE outbox SET claimed_until = ?, attempts = attempts + 1
	WHERE id IN (SELECT o.id FROM (SELECT MIN(id) AS id FROM outbox WHERE status = 'pending' GROUP BY channel_key) h
		JOIN outbox o ON o.id = h.id
		WHERE o.next_attempt_at <= ? AND o.claimed_until <= ?
		ORDER BY o.id LIMIT ?)
	RETURNING `

// ClaimNotifications leases up to limit deliverable notifications until
// now+lease, oldest first: at most one per channel key, its queue's head.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]incidents.Notification, error) {
	if limit <= 0 {
		limit = 100
	}
	n, until := nanos(now), nanos(now.Add(lease))
	// Most wake-ups find nothing to claim; find that out on a reader, so
	// the one writer (which also acknowledges inbound events) is not
	// queued for an empty claim.
	var one int
	err := s.read.QueryRowContext(ctx, `SELECT 1 FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND claimed_until <= ? LIMIT 1`, n, n).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim notifications: %w", err)
	}
	var out []incidents.Notification
	err = s.w.do(ctx, func(t *wtx) error {
		out = out[:0]
		rows, err := t.query(sqlClaimNotes+noteCols, until, n, n, limit)
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

// ExtendClaim moves a pending notification's lease to until. Errors:
// ErrNotFound when it is no longer pending.
func (s *Store) ExtendClaim(ctx context.Context, id int64, until time.Time) error {
	return s.noteUpdate(ctx, "extend claim", `UPDATE outbox SET claimed_until = ? WHERE id = ? AND status = 'pending'`, nanos(until), id)
}

// MarkSent records delivery. Errors: ErrNotFound.
func (s *Store) MarkSent(ctx context.Context, id int64, at time.Time) error {
	return s.noteUpdate(ctx, "mark sent", `UPDATE outbox SET status = 'sent', sent_at = ?, claimed_until = 0, reply_token = '' WHERE id = ?`, nanos(at), id)
}

// MarkFailed records a failed attempt: the next one is at retryAt, or never
// when dead. Errors: ErrNotFound.
func (s *Store) MarkFailed(ctx context.Context, id int64, retryAt time.Time, errText string, dead bool) error {
	if dead {
		return s.noteUpdate(ctx, "mark failed", `UPDATE outbox SET status = 'dead', next_attempt_at = ?, claimed_until = 0, last_error = ?,
			reply_token = '' WHERE id = ? AND status = 'pending'`, nanos(retryAt), errText, id)
	}
	return s.noteUpdate(ctx, "mark failed", `UPDATE outbox SET next_attempt_at = ?, claimed_until = 0, last_error = ?
		WHERE id = ? AND status = 'pending'`, nanos(retryAt), errText, id)
}

// ReleaseClaim hands a claimed notification back, its attempt uncounted.
// Errors: ErrNotFound when it is no longer pending.
func (s *Store) ReleaseClaim(ctx context.Context, id int64, retryAt time.Time) error {
	return s.noteUpdate(ctx, "release claim", `UPDATE outbox SET next_attempt_at = ?, claimed_until = 0, attempts = max(attempts - 1, 0)
		WHERE id = ? AND status = 'pending'`, nanos(retryAt), id)
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
	if err := sc.Scan(&x.ID, &inc, &x.Kind, &x.Payload, &x.DedupeKey, &x.ChannelKey, &x.ReplyToken, &x.Status, &x.Attempts, &next, &claimed, &sent, &x.LastError, &created); err != nil {
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
