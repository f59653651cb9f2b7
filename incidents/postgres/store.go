package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paybot/paybot/incidents"
)

const incidentCols = `id, ref, title, status, severity, severity_overridden, reporter,
	conv_platform, conv_channel, conv_thread, origin, card_message, details, intake,
	created_at, updated_at, opened_at, resolved_at, version, state, roles`

type row struct {
	reporter, origin, details, intake, roles []byte
	state                                    []byte // incidents.State (0080)
}

func encodeIncident(inc *incidents.Incident) (*row, error) {
	var r row
	var err error
	if r.reporter, err = json.Marshal(inc.Reporter); err != nil {
		return nil, fmt.Errorf("%w: reporter: %v", incidents.ErrInvalid, err)
	}
	if r.origin, err = json.Marshal(inc.Origin); err != nil {
		return nil, fmt.Errorf("%w: origin: %v", incidents.ErrInvalid, err)
	}
	if r.details, err = json.Marshal(inc.Details); err != nil {
		return nil, fmt.Errorf("%w: details: %v", incidents.ErrInvalid, err)
	}
	if r.intake, err = json.Marshal(inc.Intake); err != nil {
		return nil, fmt.Errorf("%w: intake: %v", incidents.ErrInvalid, err)
	}
	if r.state, err = incidents.EncodeState(inc); err != nil {
		return nil, err
	}
	if r.roles, err = json.Marshal(inc.Roles); err != nil {
		return nil, fmt.Errorf("%w: roles: %v", incidents.ErrInvalid, err)
	}
	return &r, nil
}

type entryRow struct {
	at          time.Time
	actor, data []byte
	kind, text  string
}

func encodeTimeline(entries []incidents.TimelineEntry) ([]entryRow, error) {
	out := make([]entryRow, len(entries))
	for i, e := range entries {
		actor, err := json.Marshal(e.Actor)
		if err != nil {
			return nil, fmt.Errorf("%w: timeline actor: %v", incidents.ErrInvalid, err)
		}
		var data []byte
		if len(e.Data) > 0 {
			if data, err = json.Marshal(e.Data); err != nil {
				return nil, fmt.Errorf("%w: timeline data: %v", incidents.ErrInvalid, err)
			}
		}
		out[i] = entryRow{at: e.At.UTC(), actor: actor, kind: string(e.Kind), text: e.Text, data: data}
	}
	return out, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

const (
	sqlMarkDone = `INSERT INTO inbox (key, payload, status, received_at, processed_at)
	VALUES ($1, NULL, 'done', $2, $2)
	ON CONFLICT (key) DO UPDATE SET status = 'done', processed_at = excluded.processed_at, payload = NULL
	WHERE inbox.status = 'received'`
	sqlExists         = `SELECT EXISTS (SELECT 1 FROM incidents WHERE id = $1)`
	sqlInsertIncident = `INSERT INTO incidents (id, seq, ref, title, status, severity, severity_overridden,
	reporter, conv_platform, conv_channel, conv_thread, origin, card_message, details, intake,
	created_at, updated_at, opened_at, resolved_at, version, state, roles)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 1, $20, $21)`
	sqlUpdateIncident = `UPDATE incidents SET title = $1, status = $2, severity = $3, severity_overridden = $4,
	reporter = $5, conv_platform = $6, conv_channel = $7, conv_thread = $8, origin = $9, card_message = $10,
	details = $11, intake = $12, updated_at = $13, opened_at = $14, resolved_at = $15, state = $18, roles = $19, version = version + 1
	WHERE id = $16 AND version = $17`
	sqlInsertEntry = `INSERT INTO timeline (incident_id, seq, at, actor, kind, text, data)
	VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = $1), $2, $3, $4, $5, $6)`
	// The checked forms run inside one pipelined batch (see 0071).
	sqlMarkDoneChecked = `WITH m AS (` + sqlMarkDone + ` RETURNING 1)
	SELECT paybot_check(EXISTS (SELECT 1 FROM m), 'PBDUP', 'event already processed')`
	sqlUpdateChecked = `WITH u AS (` + sqlUpdateIncident + ` RETURNING 1)
	SELECT paybot_check(EXISTS (SELECT 1 FROM u), 'PBVER', 'no incident at that version')`
	// The ref comes from a sequence, which holds no lock until commit (0140).
	sqlInsertIncidentRef = `INSERT INTO incidents (id, seq, ref, title, status, severity, severity_overridden,
	reporter, conv_platform, conv_channel, conv_thread, origin, card_message, details, intake,
	created_at, updated_at, opened_at, resolved_at, version, state, roles)
	SELECT $1, r.value, 'PAY-' || r.value, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 1, $18, $19
	FROM (SELECT nextval('incident_ref_seq') AS value) r
	RETURNING ref`
)

// execer is a transaction or the pool.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func markDone(ctx context.Context, tx execer, key string, at time.Time) error {
	tag, err := tx.Exec(ctx, sqlMarkDone, key, at.UTC())
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: event %q", incidents.ErrDuplicate, key)
	}
	return nil
}

// appendTimeline runs after the incident row is inserted or updated, so the
// row lock serialises writers of one incident and MAX(seq)+1 is safe.
func appendTimeline(ctx context.Context, tx pgx.Tx, id uuid.UUID, entries []entryRow) error {
	for _, e := range entries {
		if _, err := tx.Exec(ctx, sqlInsertEntry, id, e.at, e.actor, e.kind, e.text, e.data); err != nil {
			return fmt.Errorf("timeline: %w", err)
		}
	}
	return nil
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// CreateIncident assigns inc.Ref (PAY-<n>) and Version 1 and inserts inc
// together with ch. Errors: ErrDuplicate when ch.EventKey was already
// processed or an incident with inc.ID exists.
func (s *Store) CreateIncident(ctx context.Context, inc *incidents.Incident, ch incidents.Change) error {
	if inc.ID == uuid.Nil {
		inc.ID = uuid.New()
	}
	r, err := encodeIncident(inc)
	if err != nil {
		return err
	}
	entries, err := encodeTimeline(ch.Timeline)
	if err != nil {
		return err
	}
	ef, err := encodeEffects(inc.ID, ch, inc.UpdatedAt)
	if err != nil {
		return err
	}
	// One pipelined batch, run by the server as one implicit transaction:
	// the event mark, the insert with its ref, the timeline and the effects.
	var ref string
	b := &pgx.Batch{}
	if ch.EventKey != "" {
		b.Queue(sqlMarkDoneChecked, ch.EventKey, inc.UpdatedAt.UTC())
	}
	b.Queue(sqlInsertIncidentRef, inc.ID, inc.Title, string(inc.Status),
		int(inc.Severity), inc.SeverityOverridden, r.reporter, inc.Conversation.Platform,
		inc.Conversation.Channel, inc.Conversation.Thread, r.origin, inc.CardMessage, r.details,
		r.intake, inc.CreatedAt.UTC(), inc.UpdatedAt.UTC(), utcPtr(inc.OpenedAt), utcPtr(inc.ResolvedAt), r.state, r.roles).
		QueryRow(func(row pgx.Row) error { return row.Scan(&ref) })
	for _, e := range entries {
		b.Queue(sqlInsertEntry, inc.ID, e.at, e.actor, e.kind, e.text, e.data)
	}
	queueEffects(b, inc.ID, ef, inc.UpdatedAt)
	err = s.batch(ctx, b)
	switch {
	case err == nil:
	case pgCode(err) == "PBDUP":
		err = fmt.Errorf("%w: event %q", incidents.ErrDuplicate, ch.EventKey)
	case isUniqueViolation(err):
		err = fmt.Errorf("%w: incident %s exists: %v", incidents.ErrDuplicate, inc.ID, err)
	}
	if err != nil {
		return fmt.Errorf("postgres: create incident: %w", err)
	}
	inc.Ref = ref
	inc.Version = 1
	return nil
}

// UpdateIncident saves inc when the stored version equals inc.Version and
// then increments inc.Version. CreatedAt and Ref are not rewritten. A
// duplicate ch.EventKey is checked first. Errors: ErrNotFound, ErrConflict,
// ErrDuplicate.
func (s *Store) UpdateIncident(ctx context.Context, inc *incidents.Incident, ch incidents.Change) error {
	r, err := encodeIncident(inc)
	if err != nil {
		return err
	}
	entries, err := encodeTimeline(ch.Timeline)
	if err != nil {
		return err
	}
	ef, err := encodeEffects(inc.ID, ch, inc.UpdatedAt)
	if err != nil {
		return err
	}
	version := inc.Version
	// One round trip for the whole change: a pipelined batch that the
	// server runs as one implicit transaction. The event mark and the
	// versioned update raise PBDUP and PBVER when refused (0071), which
	// aborts the rest.
	b := &pgx.Batch{}
	if ch.EventKey != "" {
		b.Queue(sqlMarkDoneChecked, ch.EventKey, inc.UpdatedAt.UTC())
	}
	b.Queue(sqlUpdateChecked, inc.Title, string(inc.Status), int(inc.Severity),
		inc.SeverityOverridden, r.reporter, inc.Conversation.Platform, inc.Conversation.Channel,
		inc.Conversation.Thread, r.origin, inc.CardMessage, r.details, r.intake, inc.UpdatedAt.UTC(),
		utcPtr(inc.OpenedAt), utcPtr(inc.ResolvedAt), inc.ID, version, r.state, r.roles)
	for _, e := range entries {
		b.Queue(sqlInsertEntry, inc.ID, e.at, e.actor, e.kind, e.text, e.data)
	}
	queueEffects(b, inc.ID, ef, inc.UpdatedAt)
	err = s.batch(ctx, b)
	errMissing := errors.New("no row at that version")
	switch pgCode(err) {
	case "PBDUP":
		err = fmt.Errorf("%w: event %q", incidents.ErrDuplicate, ch.EventKey)
	case "PBVER":
		err = errMissing
	}
	if errors.Is(err, errMissing) {
		// Outside the rolled-back transaction: is it gone, or moved on?
		var exists bool
		if qerr := s.query(ctx, func(c *pgxpool.Pool) error { return c.QueryRow(ctx, sqlExists, inc.ID).Scan(&exists) }); qerr != nil {
			err = qerr
		} else if !exists {
			err = fmt.Errorf("%w: incident %s", incidents.ErrNotFound, inc.ID)
		} else {
			err = fmt.Errorf("%w: incident %s is no longer at version %d", incidents.ErrConflict, inc.Ref, version)
		}
	}
	if err != nil {
		return fmt.Errorf("postgres: update incident: %w", err)
	}
	inc.Version = version + 1
	return nil
}

// MarkEventProcessed records key as processed at "at". Errors: ErrDuplicate
// when it already was, ErrInvalid for an empty key.
func (s *Store) MarkEventProcessed(ctx context.Context, key string, at time.Time) error {
	if key == "" {
		return fmt.Errorf("%w: empty event key", incidents.ErrInvalid)
	}
	// One autocommit statement: one round trip, no BEGIN/COMMIT.
	if err := s.query(ctx, func(c *pgxpool.Pool) error { return markDone(ctx, c, key, at) }); err != nil {
		return fmt.Errorf("postgres: mark event processed: %w", err)
	}
	return nil
}

// EnqueueEvent records an inbound event as received, and its message keys
// as seen, in one transaction. Errors: ErrDuplicate when key or a message
// key was received before, processed or not (nothing is recorded then);
// ErrInvalid for an empty key.
func (s *Store) EnqueueEvent(ctx context.Context, key string, payload []byte, at time.Time, messageKeys ...string) error {
	if key == "" {
		return fmt.Errorf("%w: empty event key", incidents.ErrInvalid)
	}
	if payload == nil {
		payload = []byte{}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("postgres: enqueue event: %w", err)
	}
	r := &enqueueReq{ctx: ctx, key: key, payload: payload, at: at, done: make(chan error, 1)}
	for _, mk := range messageKeys {
		if mk != "" && mk != key && !slices.Contains(r.mkeys, mk) {
			r.mkeys = append(r.mkeys, mk)
		}
	}
	// In one order everywhere: two replicas recording copies of one
	// message then lock its keys in the same order and never deadlock.
	slices.Sort(r.mkeys)
	// One of the batch writers records it (enqueue.go): the event and
	// every message key, or nothing.
	var err error
	if s.closed.Load() {
		err = ErrClosed
	} else {
		select {
		case s.enq <- r:
			select {
			case err = <-r.done:
			case <-ctx.Done():
				// The batch may still record it: the platform's retry is
				// then a duplicate and the sweep processes the event.
				err = ctx.Err()
			}
		case <-s.stop:
			err = ErrClosed
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if err != nil {
		return fmt.Errorf("postgres: enqueue event: %w", err)
	}
	return nil
}

// query runs a read on the pool.
func (s *Store) query(ctx context.Context, fn func(c *pgxpool.Pool) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return fn(s.pool)
}

// Incident returns the incident with id. Errors: ErrNotFound.
func (s *Store) Incident(ctx context.Context, id uuid.UUID) (*incidents.Incident, error) {
	return s.one(ctx, "SELECT "+incidentCols+" FROM incidents WHERE id = $1", id)
}

// IncidentByRef looks up "PAY-12", ignoring case and surrounding space.
// Errors: ErrNotFound.
func (s *Store) IncidentByRef(ctx context.Context, ref string) (*incidents.Incident, error) {
	return s.one(ctx, "SELECT "+incidentCols+" FROM incidents WHERE ref = $1",
		strings.ToUpper(strings.TrimSpace(ref)))
}

// IncidentByConversation returns the incident whose thread is c; if several
// match, the newest. Errors: ErrNotFound, also for a zero c.
func (s *Store) IncidentByConversation(ctx context.Context, c incidents.Conversation) (*incidents.Incident, error) {
	if c.IsZero() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: incident in empty conversation: %w", incidents.ErrNotFound)
	}
	return s.one(ctx, "SELECT "+incidentCols+` FROM incidents
		WHERE conv_platform = $1 AND conv_channel = $2 AND conv_thread = $3
		ORDER BY seq DESC LIMIT 1`, c.Platform, c.Channel, c.Thread)
}

func (s *Store) one(ctx context.Context, query string, args ...any) (*incidents.Incident, error) {
	var inc *incidents.Incident
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		var err error
		inc, err = scanIncident(c.QueryRow(ctx, query, args...))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: incident %v: %w", args, incidents.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: read incident: %w", err)
	}
	return inc, nil
}

// ListIncidents returns matching incidents, newest (by CreatedAt, then by
// ref number) first. Platform matches the incident's conversation, or its
// origin while it has no conversation yet. A Limit of 0 or less means no
// limit.
func (s *Store) ListIncidents(ctx context.Context, f incidents.ListFilter) ([]*incidents.Incident, error) {
	var where []string
	var args []any
	if len(f.Statuses) > 0 {
		st := make([]string, len(f.Statuses))
		for i, x := range f.Statuses {
			st[i] = string(x)
		}
		args = append(args, st)
		where = append(where, fmt.Sprintf("status = ANY($%d)", len(args)))
	}
	if f.Platform != "" {
		args = append(args, f.Platform)
		where = append(where, fmt.Sprintf("(conv_platform = $%[1]d OR (conv_platform = '' AND origin->>'platform' = $%[1]d))", len(args)))
	}
	if f.Unthreaded {
		where = append(where, "conv_channel = '' AND conv_thread = ''")
	}
	if f.OriginChannel != "" {
		args = append(args, f.OriginChannel)
		where = append(where, fmt.Sprintf("origin->>'channel' = $%d", len(args)))
	}
	if f.Reporter != "" {
		args = append(args, f.Reporter)
		where = append(where, fmt.Sprintf("reporter->>'id' = $%d", len(args)))
	}
	if f.Title != "" {
		args = append(args, f.Title)
		where = append(where, fmt.Sprintf(`lower(title COLLATE "C") = lower($%d COLLATE "C")`, len(args)))
	}
	q := "SELECT " + incidentCols + " FROM incidents"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, seq DESC"
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	var out []*incidents.Incident
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		rows, err := c.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			inc, err := scanIncident(rows)
			if err != nil {
				return err
			}
			out = append(out, inc)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list incidents: %w", err)
	}
	return out, nil
}

// Timeline returns the incident's entries in order. Errors: ErrNotFound.
func (s *Store) Timeline(ctx context.Context, id uuid.UUID) ([]incidents.TimelineEntry, error) {
	found := false
	out := []incidents.TimelineEntry{}
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		rows, err := c.Query(ctx, `SELECT t.seq, t.at, t.actor, t.kind, t.text, t.data
			FROM incidents i LEFT JOIN timeline t ON t.incident_id = i.id
			WHERE i.id = $1 ORDER BY t.seq`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			found = true
			var (
				seq         *int64
				at          *time.Time
				actor, data []byte
				kind, text  *string
			)
			if err := rows.Scan(&seq, &at, &actor, &kind, &text, &data); err != nil {
				return err
			}
			if seq == nil {
				continue // the incident exists but has no entries
			}
			e := incidents.TimelineEntry{Seq: *seq, IncidentID: id, At: at.UTC(), Kind: incidents.EventKind(*kind), Text: *text}
			if err := json.Unmarshal(actor, &e.Actor); err != nil {
				return fmt.Errorf("actor: %w", err)
			}
			if data != nil {
				if err := json.Unmarshal(data, &e.Data); err != nil {
					return fmt.Errorf("data: %w", err)
				}
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: timeline: %w", err)
	}
	if !found {
		return nil, fmt.Errorf("postgres: timeline of %s: %w", id, incidents.ErrNotFound)
	}
	return out, nil
}

// EventProcessed reports whether key has been marked processed.
func (s *Store) EventProcessed(ctx context.Context, key string) (bool, error) {
	var done bool
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		return c.QueryRow(ctx, "SELECT status = 'done' FROM inbox WHERE key = $1", key).Scan(&done)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: event processed: %w", err)
	}
	return done, nil
}

// PendingEvents returns received, unprocessed events, oldest first, at most
// limit of them (all of them when limit is 0 or less).
func (s *Store) PendingEvents(ctx context.Context, limit int) ([]incidents.PendingEvent, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	var out []incidents.PendingEvent
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		rows, err := c.Query(ctx, `SELECT key, payload, received_at FROM inbox
			WHERE status = 'received' ORDER BY received_at, n LIMIT $1`, lim)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e incidents.PendingEvent
			if err := rows.Scan(&e.Key, &e.Payload, &e.ReceivedAt); err != nil {
				return err
			}
			e.ReceivedAt = e.ReceivedAt.UTC()
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: pending events: %w", err)
	}
	return out, nil
}

func scanIncident(sc pgx.Row) (*incidents.Incident, error) {
	var (
		inc                               incidents.Incident
		status                            string
		severity                          int32
		reporter, origin, details, intake []byte
		state                             []byte
		roles                             []byte
	)
	if err := sc.Scan(&inc.ID, &inc.Ref, &inc.Title, &status, &severity, &inc.SeverityOverridden,
		&reporter, &inc.Conversation.Platform, &inc.Conversation.Channel, &inc.Conversation.Thread,
		&origin, &inc.CardMessage, &details, &intake, &inc.CreatedAt, &inc.UpdatedAt, &inc.OpenedAt,
		&inc.ResolvedAt, &inc.Version, &state, &roles); err != nil {
		return nil, err
	}
	inc.Status = incidents.Status(status)
	inc.Severity = incidents.Severity(severity)
	for _, c := range []struct {
		name string
		raw  []byte
		dst  any
	}{
		{"reporter", reporter, &inc.Reporter},
		{"origin", origin, &inc.Origin},
		{"details", details, &inc.Details},
		{"intake", intake, &inc.Intake},
		{"roles", roles, &inc.Roles},
	} {
		if err := json.Unmarshal(c.raw, c.dst); err != nil {
			return nil, fmt.Errorf("%s of %s: %w", c.name, inc.Ref, err)
		}
	}
	inc.CreatedAt = inc.CreatedAt.UTC()
	inc.UpdatedAt = inc.UpdatedAt.UTC()
	inc.OpenedAt = utcPtr(inc.OpenedAt)
	inc.ResolvedAt = utcPtr(inc.ResolvedAt)
	if err := incidents.DecodeState(&inc, state); err != nil {
		return nil, err
	}
	return &inc, nil
}

// batch sends b as one pipeline; the server runs it as one implicit
// transaction, so it commits whole or not at all. It returns the first
// statement's error.
func (s *Store) batch(ctx context.Context, b *pgx.Batch) error {
	if s.closed.Load() {
		return ErrClosed
	}
	// Close reads every result in order, running the queued callbacks,
	// and stops at the first error.
	return s.pool.SendBatch(ctx, b).Close()
}

// pgCode is the SQLSTATE of a server error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
