package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
)

const incidentCols = `id, ref, title, status, severity, severity_overridden, reporter,
	conv_platform, conv_channel, conv_thread, origin, card_message, details, intake,
	created_at, updated_at, opened_at, resolved_at, version, state, roles`

// row holds an incident encoded for its columns. Encoding happens in the
// caller's goroutine, so the writer spends its time on SQL only.
type row struct {
	id                               string
	title, status                    string
	severity                         int64
	sevOverridden                    bool
	reporter, origin, details        []byte
	intake                           []byte
	state                            []byte // incidents.State (0080)
	roles                            []byte
	convPlatform, convChan, convThrd string
	card                             string
	created, updated                 int64
	opened, resolved                 sql.NullInt64
}

func encodeIncident(inc *incidents.Incident) (*row, error) {
	r := &row{
		id:            inc.ID.String(),
		title:         inc.Title,
		status:        string(inc.Status),
		severity:      int64(inc.Severity),
		sevOverridden: inc.SeverityOverridden,
		convPlatform:  inc.Conversation.Platform,
		convChan:      inc.Conversation.Channel,
		convThrd:      inc.Conversation.Thread,
		card:          inc.CardMessage,
		created:       nanos(inc.CreatedAt),
		updated:       nanos(inc.UpdatedAt),
		opened:        nullNanos(inc.OpenedAt),
		resolved:      nullNanos(inc.ResolvedAt),
	}
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
	return r, nil
}

type entryRow struct {
	at         int64
	actor      []byte
	kind, text string
	data       []byte // nil for an empty map
}

// encodeWrite turns an incident and its change into the rows one write
// stores, before the writer's transaction starts.
func encodeWrite(inc *incidents.Incident, ch incidents.Change) (*row, []entryRow, *effects, error) {
	r, err := encodeIncident(inc)
	if err != nil {
		return nil, nil, nil, err
	}
	entries, err := encodeTimeline(ch.Timeline)
	if err != nil {
		return nil, nil, nil, err
	}
	ef, err := encodeEffects(inc.ID, ch, inc.UpdatedAt)
	if err != nil {
		return nil, nil, nil, err
	}
	return r, entries, ef, nil
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
		out[i] = entryRow{at: nanos(e.At), actor: actor, kind: string(e.Kind), text: e.Text, data: data}
	}
	return out, nil
}

// Times are stored as unix nanoseconds in UTC; 0 is the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func nullNanos(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: nanos(*t), Valid: true}
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func fromNullNanos(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}

const (
	sqlMarkDone = `INSERT INTO inbox (key, payload, status, received_at, processed_at)
	VALUES (?, NULL, 'done', ?, ?)
	ON CONFLICT (key) DO UPDATE SET status = 'done', processed_at = excluded.processed_at, payload = NULL
	WHERE inbox.status = 'received'`
	// sqlMessageKey records a message key as processed: it only names a
	// message already handled under another key.
	sqlMessageKey = `INSERT INTO inbox (key, payload, status, received_at, processed_at)
	VALUES (?, NULL, 'done', ?, ?) ON CONFLICT (key) DO NOTHING`
	sqlNextRef        = `UPDATE counters SET value = value + 1 WHERE name = 'incident_ref' RETURNING value`
	sqlExists         = `SELECT 1 FROM incidents WHERE id = ?`
	sqlInsertIncident = `INSERT INTO incidents (id, seq, ref, title, status, severity, severity_overridden,
	reporter, conv_platform, conv_channel, conv_thread, origin, card_message, details, intake,
	created_at, updated_at, opened_at, resolved_at, version, state, roles)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`
	sqlUpdateIncident = `UPDATE incidents SET title = ?, status = ?, severity = ?, severity_overridden = ?,
	reporter = ?, conv_platform = ?, conv_channel = ?, conv_thread = ?, origin = ?, card_message = ?,
	details = ?, intake = ?, updated_at = ?, opened_at = ?, resolved_at = ?, state = ?, roles = ?, version = version + 1
	WHERE id = ? AND version = ?`
	sqlInsertEntry = `INSERT INTO timeline (incident_id, seq, at, actor, kind, text, data)
	VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?), ?, ?, ?, ?, ?)`
	sqlEnqueue = `INSERT INTO inbox (key, payload, status, received_at) VALUES (?, ?, 'received', ?)
	ON CONFLICT (key) DO NOTHING`
)

// markDone marks key processed at "at". It returns ErrDuplicate when the key
// was processed before.
func (t *wtx) markDone(key string, at time.Time) error {
	n := nanos(at)
	res, err := t.exec(sqlMarkDone, key, n, n)
	if err != nil {
		return err
	}
	if k, err := res.RowsAffected(); err != nil {
		return err
	} else if k == 0 {
		return fmt.Errorf("%w: event %q", incidents.ErrDuplicate, key)
	}
	return nil
}

func (t *wtx) appendTimeline(id string, entries []entryRow) error {
	for _, e := range entries {
		if _, err := t.exec(sqlInsertEntry, id, id, e.at, e.actor, e.kind, e.text, e.data); err != nil {
			return fmt.Errorf("timeline: %w", err)
		}
	}
	return nil
}

// CreateIncident assigns inc.Ref (PAY-<n>) and Version 1 and inserts inc
// together with ch. A nil inc.ID is replaced by a fresh one. Errors:
// ErrDuplicate when ch.EventKey was already processed or an incident with
// inc.ID exists.
func (s *Store) CreateIncident(ctx context.Context, inc *incidents.Incident, ch incidents.Change) error {
	if inc.ID == uuid.Nil {
		inc.ID = uuid.New()
	}
	r, entries, ef, err := encodeWrite(inc, ch)
	if err != nil {
		return err
	}
	var ref string
	err = s.w.do(ctx, func(t *wtx) error {
		if ch.EventKey != "" {
			if err := t.markDone(ch.EventKey, inc.UpdatedAt); err != nil {
				return err
			}
		}
		var one int
		switch err := t.queryRow(sqlExists, r.id).Scan(&one); {
		case err == nil:
			return fmt.Errorf("%w: incident %s exists", incidents.ErrDuplicate, r.id)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		var seq int64
		if err := t.queryRow(sqlNextRef).Scan(&seq); err != nil {
			return fmt.Errorf("next ref: %w", err)
		}
		ref = "PAY-" + strconv.FormatInt(seq, 10)
		if _, err := t.exec(sqlInsertIncident, r.id, seq, ref, r.title, r.status, r.severity,
			r.sevOverridden, r.reporter, r.convPlatform, r.convChan, r.convThrd, r.origin, r.card,
			r.details, r.intake, r.created, r.updated, r.opened, r.resolved, r.state, r.roles); err != nil {
			return err
		}
		if err := t.appendTimeline(r.id, entries); err != nil {
			return err
		}
		return t.applyEffects(r.id, ef, r.updated)
	})
	if err != nil {
		return fmt.Errorf("sqlite: create incident: %w", err)
	}
	inc.Ref = ref
	inc.Version = 1
	return nil
}

// UpdateIncident saves inc when the stored version equals inc.Version and
// then increments inc.Version. CreatedAt and Ref are not rewritten. A
// duplicate ch.EventKey is checked first, so a redelivered event yields
// ErrDuplicate even when its version is stale too. Errors: ErrNotFound,
// ErrConflict, ErrDuplicate.
func (s *Store) UpdateIncident(ctx context.Context, inc *incidents.Incident, ch incidents.Change) error {
	r, entries, ef, err := encodeWrite(inc, ch)
	if err != nil {
		return err
	}
	version := inc.Version
	err = s.w.do(ctx, func(t *wtx) error {
		if ch.EventKey != "" {
			if err := t.markDone(ch.EventKey, inc.UpdatedAt); err != nil {
				return err
			}
		}
		res, err := t.exec(sqlUpdateIncident, r.title, r.status, r.severity, r.sevOverridden,
			r.reporter, r.convPlatform, r.convChan, r.convThrd, r.origin, r.card, r.details, r.intake,
			r.updated, r.opened, r.resolved, r.state, r.roles, r.id, version)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			var one int
			switch err := t.queryRow(sqlExists, r.id).Scan(&one); {
			case errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("%w: incident %s", incidents.ErrNotFound, r.id)
			case err != nil:
				return err
			}
			return fmt.Errorf("%w: incident %s is no longer at version %d", incidents.ErrConflict, inc.Ref, version)
		}
		if err := t.appendTimeline(r.id, entries); err != nil {
			return err
		}
		return t.applyEffects(r.id, ef, r.updated)
	})
	if err != nil {
		return fmt.Errorf("sqlite: update incident: %w", err)
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
	if err := s.w.do(ctx, func(t *wtx) error { return t.markDone(key, at) }); err != nil {
		return fmt.Errorf("sqlite: mark event processed: %w", err)
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
	err := s.w.do(ctx, func(t *wtx) error {
		res, err := t.exec(sqlEnqueue, key, payload, nanos(at))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("%w: event %q", incidents.ErrDuplicate, key)
		}
		for _, mk := range messageKeys {
			if mk == "" || mk == key {
				continue
			}
			res, err := t.exec(sqlMessageKey, mk, nanos(at), nanos(at))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("%w: message %q seen under another event", incidents.ErrDuplicate, mk)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: enqueue event: %w", err)
	}
	return nil
}

// Incident returns the incident with id. Errors: ErrNotFound.
func (s *Store) Incident(ctx context.Context, id uuid.UUID) (*incidents.Incident, error) {
	return s.one(ctx, "SELECT "+incidentCols+" FROM incidents WHERE id = ?", id.String())
}

// IncidentByRef looks up "PAY-12", ignoring case and surrounding space.
// Errors: ErrNotFound.
func (s *Store) IncidentByRef(ctx context.Context, ref string) (*incidents.Incident, error) {
	return s.one(ctx, "SELECT "+incidentCols+" FROM incidents WHERE ref = ?",
		strings.ToUpper(strings.TrimSpace(ref)))
}

// IncidentByConversation returns the incident whose thread is c (platform,
// channel and thread all equal); if several match, the newest. Errors:
// ErrNotFound, also for a zero c.
func (s *Store) IncidentByConversation(ctx context.Context, c incidents.Conversation) (*incidents.Incident, error) {
	if c.IsZero() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("sqlite: incident in empty conversation: %w", incidents.ErrNotFound)
	}
	return s.one(ctx, "SELECT "+incidentCols+` FROM incidents
		WHERE conv_platform = ? AND conv_channel = ? AND conv_thread = ?
		ORDER BY seq DESC LIMIT 1`, c.Platform, c.Channel, c.Thread)
}

func (s *Store) one(ctx context.Context, query string, args ...any) (*incidents.Incident, error) {
	inc, err := scanIncident(s.read.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: incident %v: %w", args, incidents.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read incident: %w", err)
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
		marks := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			marks[i] = "?"
			args = append(args, string(st))
		}
		where = append(where, "status IN ("+strings.Join(marks, ", ")+")")
	}
	if f.Platform != "" {
		where = append(where, "(conv_platform = ? OR (conv_platform = '' AND json_extract(origin, '$.platform') = ?))")
		args = append(args, f.Platform, f.Platform)
	}
	if f.Unthreaded {
		where = append(where, "conv_channel = '' AND conv_thread = ''")
	}
	if f.OriginChannel != "" {
		where = append(where, "json_extract(origin, '$.channel') = ?")
		args = append(args, f.OriginChannel)
	}
	if f.Reporter != "" {
		where = append(where, "json_extract(reporter, '$.id') = ?")
		args = append(args, f.Reporter)
	}
	if f.Title != "" {
		where = append(where, "title = ? COLLATE NOCASE")
		args = append(args, f.Title)
	}
	q := "SELECT " + incidentCols + " FROM incidents"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, seq DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list incidents: %w", err)
	}
	defer rows.Close()
	var out []*incidents.Incident
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list incidents: %w", err)
		}
		out = append(out, inc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list incidents: %w", err)
	}
	return out, nil
}

// Timeline returns the incident's entries in order. Errors: ErrNotFound.
func (s *Store) Timeline(ctx context.Context, id uuid.UUID) ([]incidents.TimelineEntry, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT t.seq, t.at, t.actor, t.kind, t.text, t.data
		FROM incidents i LEFT JOIN timeline t ON t.incident_id = i.id
		WHERE i.id = ? ORDER BY t.seq`, id.String())
	if err != nil {
		return nil, fmt.Errorf("sqlite: timeline: %w", err)
	}
	defer rows.Close()
	found := false
	out := []incidents.TimelineEntry{}
	for rows.Next() {
		found = true
		var (
			seq, at     sql.NullInt64
			actor, data []byte
			kind, text  sql.NullString
		)
		if err := rows.Scan(&seq, &at, &actor, &kind, &text, &data); err != nil {
			return nil, fmt.Errorf("sqlite: timeline: %w", err)
		}
		if !seq.Valid {
			continue // the incident exists but has no entries
		}
		e := incidents.TimelineEntry{Seq: seq.Int64, IncidentID: id, At: fromNanos(at.Int64), Kind: incidents.EventKind(kind.String), Text: text.String}
		if err := json.Unmarshal(actor, &e.Actor); err != nil {
			return nil, fmt.Errorf("sqlite: timeline actor: %w", err)
		}
		if data != nil {
			if err := json.Unmarshal(data, &e.Data); err != nil {
				return nil, fmt.Errorf("sqlite: timeline data: %w", err)
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: timeline: %w", err)
	}
	if !found {
		return nil, fmt.Errorf("sqlite: timeline of %s: %w", id, incidents.ErrNotFound)
	}
	return out, nil
}

// EventProcessed reports whether key has been marked processed.
func (s *Store) EventProcessed(ctx context.Context, key string) (bool, error) {
	var done bool
	err := s.read.QueryRowContext(ctx, "SELECT status = 'done' FROM inbox WHERE key = ?", key).Scan(&done)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: event processed: %w", err)
	}
	return done, nil
}

// PendingEvents returns received, unprocessed events, oldest first, at most
// limit of them (all of them when limit is 0 or less).
func (s *Store) PendingEvents(ctx context.Context, limit int) ([]incidents.PendingEvent, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.read.QueryContext(ctx, `SELECT key, payload, received_at FROM inbox
		WHERE status = 'received' ORDER BY received_at, rowid LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending events: %w", err)
	}
	defer rows.Close()
	var out []incidents.PendingEvent
	for rows.Next() {
		var (
			e  incidents.PendingEvent
			at int64
		)
		if err := rows.Scan(&e.Key, &e.Payload, &at); err != nil {
			return nil, fmt.Errorf("sqlite: pending events: %w", err)
		}
		e.ReceivedAt = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: pending events: %w", err)
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanIncident(sc scanner) (*incidents.Incident, error) {
	var (
		inc                               incidents.Incident
		id, status                        string
		reporter, origin, details, intake []byte
		state                             []byte
		roles                             []byte
		created, updated                  int64
		opened, resolved                  sql.NullInt64
		severity                          int64
	)
	if err := sc.Scan(&id, &inc.Ref, &inc.Title, &status, &severity, &inc.SeverityOverridden,
		&reporter, &inc.Conversation.Platform, &inc.Conversation.Channel, &inc.Conversation.Thread,
		&origin, &inc.CardMessage, &details, &intake, &created, &updated, &opened, &resolved,
		&inc.Version, &state, &roles); err != nil {
		return nil, err
	}
	var err error
	if inc.ID, err = uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("id %q: %w", id, err)
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
	inc.CreatedAt = fromNanos(created)
	inc.UpdatedAt = fromNanos(updated)
	inc.OpenedAt = fromNullNanos(opened)
	inc.ResolvedAt = fromNullNanos(resolved)
	if err := incidents.DecodeState(&inc, state); err != nil {
		return nil, err
	}
	return &inc, nil
}
