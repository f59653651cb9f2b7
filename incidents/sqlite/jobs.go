package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
)

var (
	_ incidents.JobStore    = (*Store)(nil)
	_ incidents.OutboxStore = (*Store)(nil)
)

const (
	sqlInsertJob = `INSERT INTO jobs (incident_id, kind, due_at, payload, status, dedupe_key)
	VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT (dedupe_key) DO NOTHING`
	sqlCancelJobs = `UPDATE jobs SET status = 'cancelled', done_at = ?
	WHERE incident_id = ? AND kind = ? AND status = 'pending'`
	sqlCancelJobKey = `UPDATE jobs SET status = 'cancelled', done_at = ?
	WHERE incident_id = ? AND dedupe_key = ? AND status = 'pending'`
	sqlCompleteJob = `UPDATE jobs SET status = 'done', done_at = ? WHERE id = ? AND status = 'pending'`
	sqlInsertNote  = `INSERT INTO outbox (incident_id, kind, payload, dedupe_key, channel_key, reply_token, status, next_attempt_at, created_at)
	VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`
	jobCols  = `id, incident_id, kind, due_at, payload, status, claimed_until, attempts, dedupe_key`
	noteCols = `id, incident_id, kind, payload, dedupe_key, channel_key, reply_token, status, attempts, next_attempt_at, claimed_until, sent_at, last_error, created_at`
)

type jobRow struct {
	incident, kind, key string
	due                 int64
	payload             []byte
}

type noteRow struct {
	incident, kind, key string
	channel, token      string
	payload             []byte
	next, created       int64
}

// effects is a Change's jobs and notifications, encoded outside the writer.
type effects struct {
	jobs     []jobRow
	cancel   []string
	cancelKs []string // dedupe keys
	complete []int64
	notes    []noteRow
}

func encodeEffects(incident uuid.UUID, ch incidents.Change, now time.Time) (*effects, error) {
	ef := &effects{complete: ch.CompleteJobs, cancelKs: ch.CancelJobKeys}
	for _, k := range ch.CancelJobs {
		ef.cancel = append(ef.cancel, string(k))
	}
	for _, j := range ch.Jobs {
		r, err := encodeJob(incident, j)
		if err != nil {
			return nil, err
		}
		ef.jobs = append(ef.jobs, r)
	}
	for _, n := range ch.Notify {
		r, err := encodeNote(incident, n, now)
		if err != nil {
			return nil, err
		}
		ef.notes = append(ef.notes, r)
	}
	return ef, nil
}

func encodeJob(incident uuid.UUID, j incidents.Job) (jobRow, error) {
	if j.IncidentID != uuid.Nil {
		incident = j.IncidentID
	}
	payload, err := j.EncodedPayload()
	if err != nil {
		return jobRow{}, err
	}
	return jobRow{incident: incident.String(), kind: string(j.Kind), key: j.DedupeKey, due: nanos(j.DueAt), payload: payload}, nil
}

func encodeNote(incident uuid.UUID, n incidents.Notification, now time.Time) (noteRow, error) {
	if n.IncidentID != uuid.Nil {
		incident = n.IncidentID
	}
	n, err := n.Normalized(now)
	if err != nil {
		return noteRow{}, err
	}
	id := ""
	if incident != uuid.Nil {
		id = incident.String()
	}
	return noteRow{incident: id, kind: string(n.Kind), key: n.DedupeKey, channel: n.ChannelKey, token: n.ReplyToken,
		payload: n.Payload, next: nanos(n.NextAttemptAt), created: nanos(n.CreatedAt)}, nil
}

// apply writes the effects inside the current transaction.
func (t *wtx) applyEffects(incident string, ef *effects, at int64) error {
	if ef == nil {
		return nil
	}
	for _, kind := range ef.cancel {
		if _, err := t.exec(sqlCancelJobs, at, incident, kind); err != nil {
			return fmt.Errorf("cancel jobs: %w", err)
		}
	}
	for _, key := range ef.cancelKs {
		if _, err := t.exec(sqlCancelJobKey, at, incident, key); err != nil {
			return fmt.Errorf("cancel jobs: %w", err)
		}
	}
	for _, id := range ef.complete {
		if _, err := t.exec(sqlCompleteJob, at, id); err != nil {
			return fmt.Errorf("complete job: %w", err)
		}
	}
	for _, j := range ef.jobs {
		if _, err := t.exec(sqlInsertJob, j.incident, j.kind, j.due, j.payload, j.key); err != nil {
			return fmt.Errorf("schedule job: %w", err)
		}
	}
	for _, n := range ef.notes {
		if _, err := t.exec(sqlInsertNote, n.incident, n.kind, n.payload, n.key, n.channel, n.token, n.next, n.created); err != nil {
			return fmt.Errorf("queue notification: %w", err)
		}
	}
	return nil
}

func (t *wtx) query(q string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(context.Background(), args...)
}

// ScheduleJobs inserts jobs; a job whose DedupeKey exists is skipped.
// Errors: ErrInvalid for a job without kind, key or incident.
func (s *Store) ScheduleJobs(ctx context.Context, jobs []incidents.Job) error {
	ef := &effects{}
	for _, j := range jobs {
		if j.IncidentID == uuid.Nil {
			return fmt.Errorf("%w: job without incident", incidents.ErrInvalid)
		}
		r, err := encodeJob(j.IncidentID, j)
		if err != nil {
			return err
		}
		ef.jobs = append(ef.jobs, r)
	}
	if err := s.w.do(ctx, func(t *wtx) error { return t.applyEffects("", ef, 0) }); err != nil {
		return fmt.Errorf("sqlite: schedule jobs: %w", err)
	}
	return nil
}

// ClaimDueJobs leases up to limit due pending jobs until now+lease.
// NextDue implements incidents.JobStore.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var due sql.NullInt64
	if err := s.read.QueryRowContext(ctx, `SELECT MIN(due_at) FROM jobs WHERE status = 'pending'`).Scan(&due); err != nil {
		return time.Time{}, false, fmt.Errorf("sqlite: next due job: %w", err)
	}
	if !due.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(0, due.Int64).UTC(), true, nil
}

func (s *Store) ClaimDueJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]incidents.Job, error) {
	if limit <= 0 {
		limit = 100
	}
	n, until := nanos(now), nanos(now.Add(lease))
	var out []incidents.Job
	err := s.w.do(ctx, func(t *wtx) error {
		out = out[:0]
		rows, err := t.query(`UPDATE jobs SET claimed_until = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM jobs WHERE status = 'pending' AND due_at <= ? AND claimed_until <= ?
				ORDER BY due_at, id LIMIT ?)
			RETURNING `+jobCols, until, n, n, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim jobs: %w", err)
	}
	sortJobs(out)
	return out, nil
}

func sortJobs(js []incidents.Job) {
	for i := 1; i < len(js); i++ {
		for k := i; k > 0 && (js[k].DueAt.Before(js[k-1].DueAt) || (js[k].DueAt.Equal(js[k-1].DueAt) && js[k].ID < js[k-1].ID)); k-- {
			js[k], js[k-1] = js[k-1], js[k]
		}
	}
}

// CompleteJob marks a pending job done. Errors: ErrNotFound when no pending
// job has id.
func (s *Store) CompleteJob(ctx context.Context, id int64, at time.Time) error {
	err := s.w.do(ctx, func(t *wtx) error {
		res, err := t.exec(sqlCompleteJob, nanos(at), id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fmt.Errorf("%w: pending job %d", incidents.ErrNotFound, id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: complete job: %w", err)
	}
	return nil
}

// Jobs lists an incident's jobs, by due time.
func (s *Store) Jobs(ctx context.Context, incident uuid.UUID) ([]incidents.Job, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE incident_id = ? ORDER BY due_at, id`, incident.String())
	if err != nil {
		return nil, fmt.Errorf("sqlite: jobs: %w", err)
	}
	defer rows.Close()
	var out []incidents.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

func scanJob(sc scanner) (incidents.Job, error) {
	var (
		j                  incidents.Job
		id                 string
		due, claimed       int64
		payload            []byte
		status, kind, dkey string
	)
	if err := sc.Scan(&j.ID, &id, &kind, &due, &payload, &status, &claimed, &j.Attempts, &dkey); err != nil {
		return j, err
	}
	var err error
	if j.IncidentID, err = uuid.Parse(id); err != nil {
		return j, err
	}
	j.Kind, j.Status, j.DedupeKey = incidents.JobKind(kind), status, dkey
	j.DueAt, j.ClaimedUntil = fromNanos(due), fromNanos(claimed)
	if payload != nil {
		if err := json.Unmarshal(payload, &j.Payload); err != nil {
			return j, err
		}
	}
	return j, nil
}
