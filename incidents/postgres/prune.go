package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paybot/paybot/incidents"
)

// Pruning: the inbox's processed keys, sent and dead notifications, and
// finished jobs are deleted by age, a batch per transaction, so no prune
// holds row locks for more than one batch. Each batch picks its rows FOR
// UPDATE SKIP LOCKED: replicas pruning at the same moment take disjoint
// rows instead of waiting for each other. The partial indexes of
// migrations 0100 (inbox_done) and 0130 (outbox_sent, outbox_dead,
// jobs_finished) let a batch find its rows without a scan.

const (
	sqlPruneInbox = `DELETE FROM inbox WHERE key IN
	(SELECT key FROM inbox WHERE status = 'done' AND received_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`
	sqlPruneSent = `DELETE FROM outbox WHERE id IN
	(SELECT id FROM outbox WHERE status = 'sent' AND sent_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`
	// A dead notification's next_attempt_at is when it was given up
	// (MarkFailed).
	sqlPruneDead = `DELETE FROM outbox WHERE id IN
	(SELECT id FROM outbox WHERE status = 'dead' AND next_attempt_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`
	// The finished jobs of active incidents stay: their dedupe keys still
	// stop the timers every change re-schedules (incidents.JobStore).
	sqlPruneJobs = `DELETE FROM jobs WHERE id IN
	(SELECT j.id FROM jobs j WHERE j.status IN ('done', 'cancelled') AND j.done_at < $1
		AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = j.incident_id AND i.status = ANY($3))
	LIMIT $2 FOR UPDATE OF j SKIP LOCKED)`
)

// PruneInbox deletes processed inbox keys received before before, batch
// keys per transaction (batch <= 0: incidents.DefaultPruneBatch).
func (s *Store) PruneInbox(ctx context.Context, before time.Time, batch int) (int64, error) {
	n, err := s.pruneBatches(ctx, sqlPruneInbox, before, batch)
	if err != nil {
		return n, fmt.Errorf("postgres: prune inbox: %w", err)
	}
	return n, nil
}

// PruneOutbox deletes notifications sent before sentBefore and dead ones
// given up before deadBefore, batch rows per transaction.
func (s *Store) PruneOutbox(ctx context.Context, sentBefore, deadBefore time.Time, batch int) (int64, error) {
	sent, err := s.pruneBatches(ctx, sqlPruneSent, sentBefore, batch)
	if err != nil {
		return sent, fmt.Errorf("postgres: prune outbox: %w", err)
	}
	dead, err := s.pruneBatches(ctx, sqlPruneDead, deadBefore, batch)
	if err != nil {
		return sent + dead, fmt.Errorf("postgres: prune outbox: %w", err)
	}
	return sent + dead, nil
}

// PruneJobs deletes done and cancelled jobs finished before before, except
// those of active incidents, batch rows per transaction.
func (s *Store) PruneJobs(ctx context.Context, before time.Time, batch int) (int64, error) {
	n, err := s.pruneBatches(ctx, sqlPruneJobs, before, batch, incidents.ActiveStatusNames())
	if err != nil {
		return n, fmt.Errorf("postgres: prune jobs: %w", err)
	}
	return n, nil
}

// pruneBatches runs q (a DELETE of at most $2 rows older than $1) in
// batches (incidents.PruneInBatches), each an autocommit statement.
func (s *Store) pruneBatches(ctx context.Context, q string, before time.Time, batch int, more ...any) (int64, error) {
	return incidents.PruneInBatches(ctx, batch, func(ctx context.Context, limit int) (n int64, err error) {
		args := append([]any{before.UTC(), limit}, more...)
		err = s.query(ctx, func(c *pgxpool.Pool) error {
			tag, err := c.Exec(ctx, q, args...)
			n = tag.RowsAffected()
			return err
		})
		return n, err
	})
}
