package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paybot/paybot/incidents"
)

var (
	_ incidents.JobStore    = (*Store)(nil)
	_ incidents.OutboxStore = (*Store)(nil)
)

const (
	sqlInsertJob = `INSERT INTO jobs (incident_id, kind, due_at, payload, status, dedupe_key)
	VALUES ($1, $2, $3, $4, 'pending', $5) ON CONFLICT (dedupe_key) DO NOTHING`
	sqlCancelJobs = `UPDATE jobs SET status = 'cancelled', done_at = $1
	WHERE incident_id = $2 AND kind = $3 AND status = 'pending'`
	sqlCancelJobKey = `UPDATE jobs SET status = 'cancelled', done_at = $1
	WHERE incident_id = $2 AND dedupe_key = $3 AND status = 'pending'`
	sqlCompleteJob = `UPDATE jobs SET status = 'done', done_at = $1 WHERE id = $2 AND status = 'pending'`
	sqlInsertNote  = `INSERT INTO outbox (incident_id, kind, payload, dedupe_key, channel_key, reply_token, status, next_attempt_at, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) ON CONFLICT (dedupe_key) DO NOTHING`
	// The claims lock the rows they pick with SKIP LOCKED, so two replicas
	// claiming at the same moment get disjoint sets instead of waiting for
	// each other; the lease then keeps the rows away from later claims.
	sqlClaimJobs = `UPDATE jobs SET claimed_until = $1, attempts = attempts + 1
	WHERE id IN (SELECT id FROM jobs
		WHERE status = 'pending' AND due_at <= $2 AND (claimed_until IS NULL OR claimed_until <= $2)
		ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
	RETURNING ` + jobCols
	//
	// sqlClaimNotes leases the head of each channel's queue: a pending
	// notification with no lower pending id of its channel_key, when it is
	// due and not leased. A channel whose head is leased (delivering,
	// possibly on another replica) or waiting for its retry has nothing
	// claimable, so its later messages wait their turn. A head locked by
	// a concurrent claim is skipped, not waited for; a head that another
	// transaction has just marked sent is re-checked against the current
	// row once locked (status = 'pending' no longer holds), so it is never
	// delivered twice.
	// sqlClaimNotes claims queue heads only. The heads are found by a
	// loose index scan of outbox_channel (one index probe per channel key
	// with pending rows) rather than by testing every pending row for an
	// older one of its channel: when Slack's pacing lets the outbox grow
	// to thousands of pending rows over 50 channels, the old form read
	// them all on every claim (54 ms mean per claim at 150 incidents/s).
	sqlClaimNotes = `WITH RECURSIVE heads AS (
		(SELECT channel_key, id FROM outbox WHERE status = 'pending' ORDER BY channel_key, id LIMIT 1)
		UNION ALL
		SELECT n.channel_key, n.id FROM heads h CROSS JOIN LATERAL (
			SELECT channel_key, id FROM outbox
			WHERE status = 'pending' AND channel_key > h.channel_key
			ORDER BY channel_key, id LIMIT 1) n)
	UPDATE outbox SET claimed_until = $1, attempts = attempts + 1
	WHERE id IN (SELECT o.id FROM outbox o JOIN heads h ON h.id = o.id
		WHERE o.status = 'pending' AND o.next_attempt_at <= $2 AND (o.claimed_until IS NULL OR o.claimed_until <= $2)
		ORDER BY o.id LIMIT $3 FOR UPDATE OF o SKIP LOCKED)
	RETURNING ` + noteCols
	jobCols  = `id, incident_id, kind, due_at, payload, status, claimed_until, attempts, dedupe_key`
	noteCols = `id, incident_id, kind, payload, dedupe_key, channel_key, reply_token, status, attempts, next_attempt_at, claimed_until, sent_at, last_error, created_at`
)

type jobRow struct {
	incident uuid.UUID
	kind     string
	key      string
	due      time.Time
	payload  []byte
}

type noteRow struct {
	incident      *uuid.UUID
	kind, key     string
	channel       string
	token         string
	payload       []byte
	next, created time.Time
}

// effects is a Change's jobs and notifications, encoded before the
// transaction starts.
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
	if incident == uuid.Nil {
		return jobRow{}, fmt.Errorf("%w: job without incident", incidents.ErrInvalid)
	}
	return jobRow{incident: incident, kind: string(j.Kind), key: j.DedupeKey, due: j.DueAt.UTC(), payload: payload}, nil
}

func encodeNote(incident uuid.UUID, n incidents.Notification, now time.Time) (noteRow, error) {
	if n.IncidentID != uuid.Nil {
		incident = n.IncidentID
	}
	n, err := n.Normalized(now)
	if err != nil {
		return noteRow{}, err
	}
	r := noteRow{kind: string(n.Kind), key: n.DedupeKey, channel: n.ChannelKey, token: n.ReplyToken,
		payload: n.Payload, next: n.NextAttemptAt.UTC(), created: n.CreatedAt.UTC()}
	if incident != uuid.Nil {
		id := incident
		r.incident = &id
	}
	return r, nil
}

// applyEffects writes ef inside tx; at stamps cancelled and completed jobs.
func applyEffects(ctx context.Context, tx pgx.Tx, incident uuid.UUID, ef *effects, at time.Time) error {
	if ef == nil {
		return nil
	}
	for _, kind := range ef.cancel {
		if _, err := tx.Exec(ctx, sqlCancelJobs, at.UTC(), incident, kind); err != nil {
			return fmt.Errorf("cancel jobs: %w", err)
		}
	}
	for _, key := range ef.cancelKs {
		if _, err := tx.Exec(ctx, sqlCancelJobKey, at.UTC(), incident, key); err != nil {
			return fmt.Errorf("cancel jobs: %w", err)
		}
	}
	for _, id := range ef.complete {
		if _, err := tx.Exec(ctx, sqlCompleteJob, at.UTC(), id); err != nil {
			return fmt.Errorf("complete job: %w", err)
		}
	}
	for _, j := range ef.jobs {
		if _, err := tx.Exec(ctx, sqlInsertJob, j.incident, j.kind, j.due, j.payload, j.key); err != nil {
			return fmt.Errorf("schedule job: %w", err)
		}
	}
	for _, n := range ef.notes {
		if _, err := tx.Exec(ctx, sqlInsertNote, n.incident, n.kind, n.payload, n.key, n.channel, n.token, n.next, n.created); err != nil {
			return fmt.Errorf("queue notification: %w", err)
		}
	}
	return nil
}

// queueEffects queues ef's statements on b, in the order applyEffects runs
// them.
func queueEffects(b *pgx.Batch, incident uuid.UUID, ef *effects, at time.Time) {
	if ef == nil {
		return
	}
	for _, kind := range ef.cancel {
		b.Queue(sqlCancelJobs, at.UTC(), incident, kind)
	}
	for _, key := range ef.cancelKs {
		b.Queue(sqlCancelJobKey, at.UTC(), incident, key)
	}
	for _, id := range ef.complete {
		b.Queue(sqlCompleteJob, at.UTC(), id)
	}
	for _, j := range ef.jobs {
		b.Queue(sqlInsertJob, j.incident, j.kind, j.due, j.payload, j.key)
	}
	for _, n := range ef.notes {
		b.Queue(sqlInsertNote, n.incident, n.kind, n.payload, n.key, n.channel, n.token, n.next, n.created)
	}
}

// ScheduleJobs inserts jobs; a job whose DedupeKey exists is skipped.
// Errors: ErrInvalid for a job without kind, key or incident.
func (s *Store) ScheduleJobs(ctx context.Context, jobs []incidents.Job) error {
	ef := &effects{}
	for _, j := range jobs {
		r, err := encodeJob(j.IncidentID, j)
		if err != nil {
			return err
		}
		ef.jobs = append(ef.jobs, r)
	}
	if err := s.tx(ctx, func(tx pgx.Tx) error { return applyEffects(ctx, tx, uuid.Nil, ef, time.Time{}) }); err != nil {
		return fmt.Errorf("postgres: schedule jobs: %w", err)
	}
	return nil
}

// NextDue returns the due time of the earliest pending job; ok is false when
// there is none.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var due *time.Time
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		return c.QueryRow(ctx, `SELECT MIN(due_at) FROM jobs WHERE status = 'pending'`).Scan(&due)
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("postgres: next due job: %w", err)
	}
	if due == nil {
		return time.Time{}, false, nil
	}
	return due.UTC(), true, nil
}

// ClaimDueJobs leases up to limit (default 100) pending jobs due at or
// before now whose lease has expired, until now+lease, counting an attempt;
// oldest due first. Concurrent callers on any replica get disjoint jobs.
func (s *Store) ClaimDueJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]incidents.Job, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []incidents.Job
	// One autocommit statement: the locks last as long as it does, and
	// the lease it writes keeps the rows away from later claims.
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		out = out[:0]
		rows, err := c.Query(ctx, sqlClaimJobs, now.Add(lease).UTC(), now.UTC(), limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (incidents.Job, error) { return scanJob(r) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim jobs: %w", err)
	}
	// RETURNING gives no order guarantee.
	sort.Slice(out, func(a, b int) bool {
		if !out[a].DueAt.Equal(out[b].DueAt) {
			return out[a].DueAt.Before(out[b].DueAt)
		}
		return out[a].ID < out[b].ID
	})
	return out, nil
}

// CompleteJob marks a pending job done. Errors: ErrNotFound when no pending
// job has id.
func (s *Store) CompleteJob(ctx context.Context, id int64, at time.Time) error {
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		tag, err := c.Exec(ctx, sqlCompleteJob, at.UTC(), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: pending job %d", incidents.ErrNotFound, id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: complete job: %w", err)
	}
	return nil
}

// Jobs lists an incident's jobs by due time.
func (s *Store) Jobs(ctx context.Context, incident uuid.UUID) ([]incidents.Job, error) {
	var out []incidents.Job
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		rows, err := c.Query(ctx, `SELECT `+jobCols+` FROM jobs WHERE incident_id = $1 ORDER BY due_at, id`, incident)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (incidents.Job, error) { return scanJob(r) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: jobs: %w", err)
	}
	return out, nil
}

func scanJob(sc pgx.Row) (incidents.Job, error) {
	var (
		j       incidents.Job
		claimed *time.Time
		payload []byte
	)
	if err := sc.Scan(&j.ID, &j.IncidentID, &j.Kind, &j.DueAt, &payload, &j.Status, &claimed, &j.Attempts, &j.DedupeKey); err != nil {
		return j, err
	}
	j.DueAt = j.DueAt.UTC()
	if claimed != nil {
		j.ClaimedUntil = claimed.UTC()
	}
	if payload != nil {
		if err := json.Unmarshal(payload, &j.Payload); err != nil {
			return j, fmt.Errorf("job %d payload: %w", j.ID, err)
		}
	}
	return j, nil
}

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
	if err := s.tx(ctx, func(tx pgx.Tx) error { return applyEffects(ctx, tx, uuid.Nil, ef, time.Time{}) }); err != nil {
		return fmt.Errorf("postgres: queue notifications: %w", err)
	}
	return nil
}

// ClaimNotifications leases up to limit (default 100) deliverable
// notifications until now+lease, oldest first, counting an attempt: at most
// one per channel key, its queue's head. Concurrent callers on any replica
// get disjoint notifications, and a channel never has two in flight.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]incidents.Notification, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []incidents.Notification
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		out = out[:0]
		rows, err := c.Query(ctx, sqlClaimNotes, now.Add(lease).UTC(), now.UTC(), limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (incidents.Notification, error) { return scanNote(r) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim notifications: %w", err)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out, nil
}

// MarkSent records delivery. Errors: ErrNotFound.
func (s *Store) MarkSent(ctx context.Context, id int64, at time.Time) error {
	return s.noteUpdate(ctx, "mark sent", `UPDATE outbox SET status = 'sent', sent_at = $1, claimed_until = NULL, reply_token = ''
		WHERE id = $2`, at.UTC(), id)
}

// ExtendClaim moves a pending notification's lease to until: the worker
// delivering it heartbeats, so a slow delivery is never claimed a second
// time. Errors: ErrNotFound when it is no longer pending.
func (s *Store) ExtendClaim(ctx context.Context, id int64, until time.Time) error {
	return s.noteUpdate(ctx, "extend claim", `UPDATE outbox SET claimed_until = $1 WHERE id = $2 AND status = 'pending'`, until.UTC(), id)
}

// MarkFailed records a failed attempt: the next one is at retryAt, or never
// when dead. Errors: ErrNotFound when no pending notification has id.
func (s *Store) MarkFailed(ctx context.Context, id int64, retryAt time.Time, errText string, dead bool) error {
	if dead {
		// A dead notification will never answer its sender: forget the route.
		return s.noteUpdate(ctx, "mark failed", `UPDATE outbox SET status = 'dead', next_attempt_at = $1, claimed_until = NULL,
			last_error = $2, reply_token = '' WHERE id = $3 AND status = 'pending'`, retryAt.UTC(), errText, id)
	}
	return s.noteUpdate(ctx, "mark failed", `UPDATE outbox SET next_attempt_at = $1, claimed_until = NULL, last_error = $2
		WHERE id = $3 AND status = 'pending'`, retryAt.UTC(), errText, id)
}

// ReleaseClaim hands a claimed notification back, its attempt uncounted.
// Errors: ErrNotFound when it is no longer pending.
func (s *Store) ReleaseClaim(ctx context.Context, id int64, retryAt time.Time) error {
	return s.noteUpdate(ctx, "release claim", `UPDATE outbox SET next_attempt_at = $1, claimed_until = NULL, attempts = GREATEST(attempts - 1, 0)
		WHERE id = $2 AND status = 'pending'`, retryAt.UTC(), id)
}

func (s *Store) noteUpdate(ctx context.Context, what, q string, args ...any) error {
	// One autocommit statement: one round trip, no BEGIN/COMMIT.
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		tag, err := c.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: notification %v", incidents.ErrNotFound, args[len(args)-1])
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	return nil
}

// Notifications lists an incident's notifications in queue order.
func (s *Store) Notifications(ctx context.Context, incident uuid.UUID) ([]incidents.Notification, error) {
	var out []incidents.Notification
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		rows, err := c.Query(ctx, `SELECT `+noteCols+` FROM outbox WHERE incident_id = $1 ORDER BY id`, incident)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (incidents.Notification, error) { return scanNote(r) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: notifications: %w", err)
	}
	return out, nil
}

func scanNote(sc pgx.Row) (incidents.Notification, error) {
	var (
		x             incidents.Notification
		inc           *uuid.UUID
		claimed, sent *time.Time
	)
	if err := sc.Scan(&x.ID, &inc, &x.Kind, &x.Payload, &x.DedupeKey, &x.ChannelKey, &x.ReplyToken, &x.Status, &x.Attempts, &x.NextAttemptAt,
		&claimed, &sent, &x.LastError, &x.CreatedAt); err != nil {
		return x, err
	}
	if inc != nil {
		x.IncidentID = *inc
	}
	x.NextAttemptAt, x.CreatedAt = x.NextAttemptAt.UTC(), x.CreatedAt.UTC()
	if claimed != nil {
		x.ClaimedUntil = claimed.UTC()
	}
	if sent != nil {
		u := sent.UTC()
		x.SentAt = &u
	}
	return x, nil
}

// CommitEvent marks ch.EventKey processed and queues ch.Notify (and
// completes ch.CompleteJobs) in one round trip that the server runs as one
// transaction: a reply exists exactly when its event counts as handled.
// Errors: ErrDuplicate when the key was processed before (nothing is
// queued then); ErrInvalid for a notification without kind, key or
// payload, or for a change that names timeline entries or jobs to
// schedule or cancel (those belong to an incident).
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
	b := &pgx.Batch{}
	if ch.EventKey != "" {
		b.Queue(sqlMarkDoneChecked, ch.EventKey, now.UTC())
	}
	queueEffects(b, uuid.Nil, ef, now)
	if b.Len() == 0 {
		return nil
	}
	err := s.batch(ctx, b)
	if pgCode(err) == "PBDUP" {
		err = fmt.Errorf("%w: event %q", incidents.ErrDuplicate, ch.EventKey)
	}
	if err != nil {
		return fmt.Errorf("postgres: commit event: %w", err)
	}
	return nil
}
