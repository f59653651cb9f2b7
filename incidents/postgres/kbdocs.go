package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paybot/paybot/incidents"
)

var _ incidents.KBDocStore = (*Store)(nil)

// kbLock is the transaction-level advisory lock every knowledge-base
// writer takes before drawing sequence numbers: writers commit one at a
// time, so sequence order is commit order and a follower that has read
// sequence n will never see a smaller one commit later. Scoped to the
// schema, like the migration lock.
const kbLock = `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.paybot_kb'))`

// PutKBDocs writes documents and tombstones in one transaction, under the
// knowledge-base lock. Errors: ErrInvalid.
func (s *Store) PutKBDocs(ctx context.Context, docs []incidents.KBDoc) (int64, error) {
	for _, d := range docs {
		if err := incidents.ValidKBDoc(d); err != nil {
			return 0, fmt.Errorf("postgres: put kb docs: %w", err)
		}
	}
	docs = incidents.DedupKBDocs(docs)
	if len(docs) == 0 {
		return 0, nil
	}
	ids := make([]string, len(docs))
	kinds := make([]string, len(docs))
	fields := make([]string, len(docs))
	deleted := make([]bool, len(docs))
	ats := make([]time.Time, len(docs))
	for i, d := range docs {
		ids[i], kinds[i], fields[i], deleted[i] = d.ID, d.Kind, string(d.Fields), d.Deleted
		if d.Deleted {
			fields[i] = "{}"
		}
		ats[i] = d.UpdatedAt.UTC()
	}
	var last int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, kbLock); err != nil {
			return err
		}
		// Sequence numbers are drawn one row at a time in input order
		// (the ordinality), then the rows are upserted.
		rows, err := tx.Query(ctx, `WITH input AS (
				SELECT id, kind, fields, at, deleted, ord FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bool[])
				WITH ORDINALITY AS t(id, kind, fields, at, deleted, ord)
			), numbered AS (
				SELECT id, kind, fields, at, deleted, nextval('kb_seq') AS seq FROM (SELECT * FROM input ORDER BY ord) o
			)
			INSERT INTO kb_documents (id, kind, fields, updated_at, deleted, seq)
			SELECT id, kind, fields, at, deleted, seq FROM numbered
			ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, fields = excluded.fields,
				updated_at = excluded.updated_at, deleted = excluded.deleted, seq = excluded.seq
			RETURNING seq`, ids, kinds, fields, ats, deleted)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n int64
			if err := rows.Scan(&n); err != nil {
				return err
			}
			if n > last {
				last = n
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		// Wake followers that LISTEN (they poll all the same).
		_, err = tx.Exec(ctx, `SELECT pg_notify(`+kbChannel+`, $1)`, strconv.FormatInt(last, 10))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: put kb docs: %w", err)
	}
	return last, nil
}

// KBChanges returns up to limit documents with a sequence above after.
func (s *Store) KBChanges(ctx context.Context, after int64, limit int) ([]incidents.KBDoc, error) {
	if limit <= 0 {
		limit = 1000
	}
	var out []incidents.KBDoc
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		rows, err := c.Query(ctx, `SELECT id, kind, fields, updated_at, deleted, seq FROM kb_documents
			WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d incidents.KBDoc
			var f string
			if err := rows.Scan(&d.ID, &d.Kind, &f, &d.UpdatedAt, &d.Deleted, &d.Seq); err != nil {
				return err
			}
			d.UpdatedAt = d.UpdatedAt.UTC()
			if !d.Deleted {
				d.Fields = []byte(f)
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: kb changes: %w", err)
	}
	return out, nil
}

// KBState returns the store id, the highest committed sequence and the
// rebuild generation. The highest committed sequence is read from the
// table, not from kb_seq: a sequence drawn by a transaction still open is
// not committed yet.
func (s *Store) KBState(ctx context.Context) (incidents.KBState, error) {
	var st incidents.KBState
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		var gen string
		if err := c.QueryRow(ctx, `SELECT
				(SELECT value FROM kb_meta WHERE key = 'store_id'),
				(SELECT value FROM kb_meta WHERE key = 'generation'),
				COALESCE((SELECT max(seq) FROM kb_documents), 0)`).Scan(&st.StoreID, &gen, &st.Seq); err != nil {
			return err
		}
		st.Generation, _ = strconv.ParseInt(gen, 10, 64)
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("postgres: kb state: %w", err)
	}
	return st, nil
}

// RequestKBRebuild bumps the rebuild generation.
func (s *Store) RequestKBRebuild(ctx context.Context) (int64, error) {
	var gen int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `UPDATE kb_meta SET value = (value::bigint + 1)::text WHERE key = 'generation' RETURNING value::bigint`).Scan(&gen); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT pg_notify(`+kbChannel+`, 'rebuild')`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: request kb rebuild: %w", err)
	}
	return gen, nil
}

// kbChannel is the NOTIFY channel of the current schema's knowledge base
// (notifications are database-wide; a hash keeps the name short).
const kbChannel = `'paybot_kb_' || left(md5(current_schema()), 16)`

// KBNotifications returns a channel that receives a value soon after any
// process commits a knowledge-base change or a rebuild request in this
// schema (LISTEN on a connection of its own, outside the pool), so that
// followers need not wait for their next poll. Notifications are a hint:
// the channel is closed when ctx ends, and a lost connection is retried
// every second meanwhile. Errors: ErrClosed.
func (s *Store) KBNotifications(ctx context.Context) (<-chan struct{}, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	cfg := s.pool.Config().ConnConfig.Copy()
	out := make(chan struct{}, 1)
	wake := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	go func() {
		defer close(out)
		for ctx.Err() == nil && !s.closed.Load() {
			s.listenKB(ctx, cfg, wake)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	return out, nil
}

// listenKB listens until the connection fails or ctx ends.
func (s *Store) listenKB(ctx context.Context, cfg *pgx.ConnConfig, wake func()) {
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return
	}
	defer c.Close(context.WithoutCancel(ctx))
	var channel string
	if err := c.QueryRow(ctx, `SELECT `+kbChannel).Scan(&channel); err != nil {
		return
	}
	if _, err := c.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return
	}
	wake() // changes made while not listening
	for {
		wctx, cancel := context.WithTimeout(ctx, listenCheck.get())
		_, err := c.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			wake()
		case ctx.Err() != nil || !pgconn.Timeout(err):
			return
		default:
			// Quiet for listenCheck: a connection whose peer vanished
			// without closing it would wait here forever, deaf to every
			// change. It must still answer (the statement is bounded),
			// else connect again.
			if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
				return
			}
		}
	}
}
