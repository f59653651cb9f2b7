package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/paybot/paybot/incidents"
)

// System jobs belong to no incident (the account manager's digest,
// incidents/review.go on helper h13's branch): they carry the nil uuid as
// incident_id, which migration 0100 allows by dropping the foreign key.

func encodeSystemJobs(jobs []incidents.Job) ([]jobRow, error) {
	var out []jobRow
	for _, j := range jobs {
		payload, err := j.EncodedPayload()
		if err != nil {
			return nil, err
		}
		out = append(out, jobRow{incident: uuid.Nil, kind: string(j.Kind), key: j.DedupeKey, due: j.DueAt.UTC(), payload: payload})
	}
	return out, nil
}

// ScheduleSystemJobs inserts jobs that belong to no incident (IncidentID is
// ignored); a job whose DedupeKey exists is skipped. Errors: ErrInvalid for
// a job without kind or key.
func (s *Store) ScheduleSystemJobs(ctx context.Context, jobs []incidents.Job) error {
	rows, err := encodeSystemJobs(jobs)
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	queueEffects(b, uuid.Nil, &effects{jobs: rows}, time.Time{})
	if b.Len() == 0 {
		return nil
	}
	if err := s.batch(ctx, b); err != nil {
		return fmt.Errorf("postgres: schedule system jobs: %w", err)
	}
	return nil
}

// sqlCompleteJobChecked marks a pending job done and aborts the batch it
// runs in (PBJOB, see 0071) when no pending job has that id, so its
// successor is never scheduled twice.
const sqlCompleteJobChecked = `WITH d AS (` + sqlCompleteJob + ` RETURNING 1)
	SELECT paybot_check(EXISTS (SELECT 1 FROM d), 'PBJOB', 'no pending job with that id')`

// CompleteJobWith marks the pending job id done and, in the same
// transaction, schedules the system jobs next and queues notes: a periodic
// job and its successor can never both be pending or both be missing.
// Errors: ErrNotFound when no pending job has id (then nothing is written),
// ErrInvalid for a malformed job or notification.
func (s *Store) CompleteJobWith(ctx context.Context, id int64, at time.Time, next []incidents.Job, notes []incidents.Notification) error {
	rows, err := encodeSystemJobs(next)
	if err != nil {
		return err
	}
	ef := &effects{jobs: rows}
	for _, n := range notes {
		r, err := encodeNote(uuid.Nil, n, at)
		if err != nil {
			return err
		}
		ef.notes = append(ef.notes, r)
	}
	b := &pgx.Batch{}
	b.Queue(sqlCompleteJobChecked, at.UTC(), id)
	queueEffects(b, uuid.Nil, ef, at)
	err = s.batch(ctx, b)
	if pgCode(err) == "PBJOB" {
		err = fmt.Errorf("%w: pending job %d", incidents.ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("postgres: complete job: %w", err)
	}
	return nil
}
