package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
)

func encodeSystemJobs(jobs []incidents.Job) ([]jobRow, error) {
	var out []jobRow
	for _, j := range jobs {
		payload, err := j.EncodedPayload()
		if err != nil {
			return nil, err
		}
		out = append(out, jobRow{incident: uuid.Nil.String(), kind: string(j.Kind), key: j.DedupeKey, due: nanos(j.DueAt), payload: payload})
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
	if err := s.w.do(ctx, func(t *wtx) error { return t.applyEffects("", &effects{jobs: rows}, 0) }); err != nil {
		return fmt.Errorf("sqlite: schedule system jobs: %w", err)
	}
	return nil
}

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
	err = s.w.do(ctx, func(t *wtx) error {
		res, err := t.exec(sqlCompleteJob, nanos(at), id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fmt.Errorf("%w: pending job %d", incidents.ErrNotFound, id)
		}
		return t.applyEffects("", ef, nanos(at))
	})
	if err != nil {
		return fmt.Errorf("sqlite: complete job: %w", err)
	}
	return nil
}
