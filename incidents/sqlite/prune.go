package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents"
)

// Pruning: the inbox's processed keys, sent and dead notifications, and
// finished jobs are deleted by age, a batch at a time. Each batch is one
// request to the single writer, so other writes queue behind at most one
// batch (a few milliseconds) rather than behind the whole backlog. The
// partial indexes of migrations 0010 (inbox_done) and 0130 (outbox_sent,
// outbox_dead, jobs_finished) let each batch find its rows without a scan.

const (
	sqlPruneInbox = `DELETE FROM inbox WHERE key IN
	(SELECT key FROM inbox WHERE status = 'done' AND received_at < ? LIMIT ?)`
	sqlPruneSent = `DELETE FROM outbox WHERE id IN
	(SELECT id FROM outbox WHERE status = 'sent' AND sent_at < ? LIMIT ?)`
	// A dead notification's next_attempt_at is when it was given up
	// (MarkFailed).
	sqlPruneDead = `DELETE FROM outbox WHERE id IN
	(SELECT id FROM outbox WHERE status = 'dead' AND next_attempt_at < ? LIMIT ?)`
)

// sqlPruneJobs keeps the finished jobs of active incidents: their dedupe
// keys still stop the timers every change re-schedules (incidents.JobStore).
var sqlPruneJobs = `DELETE FROM jobs WHERE id IN
	(SELECT j.id FROM jobs j WHERE j.status IN ('done', 'cancelled') AND j.done_at < ?
		AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = j.incident_id AND i.status IN (` + activeList() + `))
	LIMIT ?)`

// activeList is incidents.ActiveStatusNames as SQL string literals (the
// names are fixed words: nothing to escape).
func activeList() string {
	return "'" + strings.Join(incidents.ActiveStatusNames(), "', '") + "'"
}

// PruneInbox deletes processed inbox keys received before before, batch
// keys per transaction (batch <= 0: incidents.DefaultPruneBatch).
func (s *Store) PruneInbox(ctx context.Context, before time.Time, batch int) (int64, error) {
	n, err := s.pruneBatches(ctx, sqlPruneInbox, nanos(before), batch)
	if err != nil {
		return n, fmt.Errorf("sqlite: prune inbox: %w", err)
	}
	return n, nil
}

// PruneOutbox deletes notifications sent before sentBefore and dead ones
// given up before deadBefore, batch rows per transaction.
func (s *Store) PruneOutbox(ctx context.Context, sentBefore, deadBefore time.Time, batch int) (int64, error) {
	sent, err := s.pruneBatches(ctx, sqlPruneSent, nanos(sentBefore), batch)
	if err != nil {
		return sent, fmt.Errorf("sqlite: prune outbox: %w", err)
	}
	dead, err := s.pruneBatches(ctx, sqlPruneDead, nanos(deadBefore), batch)
	if err != nil {
		return sent + dead, fmt.Errorf("sqlite: prune outbox: %w", err)
	}
	return sent + dead, nil
}

// PruneJobs deletes done and cancelled jobs finished before before, except
// those of active incidents, batch rows per transaction.
func (s *Store) PruneJobs(ctx context.Context, before time.Time, batch int) (int64, error) {
	n, err := s.pruneBatches(ctx, sqlPruneJobs, nanos(before), batch)
	if err != nil {
		return n, fmt.Errorf("sqlite: prune jobs: %w", err)
	}
	return n, nil
}

// pruneBatches runs q (a DELETE of at most LIMIT rows older than its first
// argument) in batches (incidents.PruneInBatches), one writer request each.
func (s *Store) pruneBatches(ctx context.Context, q string, before int64, batch int) (int64, error) {
	return incidents.PruneInBatches(ctx, batch, func(ctx context.Context, limit int) (n int64, err error) {
		err = s.w.do(ctx, func(t *wtx) error {
			res, err := t.exec(q, before, limit)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		return n, err
	})
}
