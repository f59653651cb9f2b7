package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/paybot/paybot/incidents"
)

var _ incidents.KBDocStore = (*Store)(nil)

// PutKBDocs writes documents and tombstones in one transaction. The single
// writer (and SQLite's write lock across processes) orders the sequence
// numbers by commit. Errors: ErrInvalid.
func (s *Store) PutKBDocs(ctx context.Context, docs []incidents.KBDoc) (int64, error) {
	for _, d := range docs {
		if err := incidents.ValidKBDoc(d); err != nil {
			return 0, fmt.Errorf("sqlite: put kb docs: %w", err)
		}
	}
	docs = incidents.DedupKBDocs(docs)
	if len(docs) == 0 {
		return 0, nil
	}
	var last int64
	err := s.w.do(ctx, func(t *wtx) error {
		var cur string
		if err := t.queryRow(`SELECT value FROM kb_meta WHERE key = 'seq'`).Scan(&cur); err != nil {
			return err
		}
		seq, err := strconv.ParseInt(cur, 10, 64)
		if err != nil {
			return fmt.Errorf("kb_meta seq %q: %w", cur, err)
		}
		for _, d := range docs {
			seq++
			fields, del := string(d.Fields), 0
			if d.Deleted {
				fields, del = "{}", 1
			}
			if _, err := t.exec(`INSERT INTO kb_documents (id, kind, fields, updated_at, deleted, seq) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, fields = excluded.fields,
				updated_at = excluded.updated_at, deleted = excluded.deleted, seq = excluded.seq`,
				d.ID, d.Kind, fields, nanos(d.UpdatedAt), del, seq); err != nil {
				return err
			}
		}
		if _, err := t.exec(`UPDATE kb_meta SET value = ? WHERE key = 'seq'`, strconv.FormatInt(seq, 10)); err != nil {
			return err
		}
		last = seq
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: put kb docs: %w", err)
	}
	return last, nil
}

// KBChanges returns up to limit documents with a sequence above after.
func (s *Store) KBChanges(ctx context.Context, after int64, limit int) ([]incidents.KBDoc, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, kind, fields, updated_at, deleted, seq FROM kb_documents
		WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: kb changes: %w", err)
	}
	defer rows.Close()
	var out []incidents.KBDoc
	for rows.Next() {
		var d incidents.KBDoc
		var fields string
		var at int64
		if err := rows.Scan(&d.ID, &d.Kind, &fields, &at, &d.Deleted, &d.Seq); err != nil {
			return nil, fmt.Errorf("sqlite: kb changes: %w", err)
		}
		if !d.Deleted {
			d.Fields = []byte(fields)
		}
		if at != 0 {
			d.UpdatedAt = time.Unix(0, at).UTC()
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: kb changes: %w", err)
	}
	return out, nil
}

// KBState returns the store id, the highest committed sequence and the
// rebuild generation.
func (s *Store) KBState(ctx context.Context) (incidents.KBState, error) {
	var st incidents.KBState
	rows, err := s.read.QueryContext(ctx, `SELECT key, value FROM kb_meta`)
	if err != nil {
		return st, fmt.Errorf("sqlite: kb state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return st, fmt.Errorf("sqlite: kb state: %w", err)
		}
		switch k {
		case "store_id":
			st.StoreID = v
		case "seq":
			st.Seq, _ = strconv.ParseInt(v, 10, 64)
		case "generation":
			st.Generation, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("sqlite: kb state: %w", err)
	}
	return st, nil
}

// RequestKBRebuild bumps the rebuild generation.
func (s *Store) RequestKBRebuild(ctx context.Context) (int64, error) {
	var gen int64
	err := s.w.do(ctx, func(t *wtx) error {
		return t.queryRow(`UPDATE kb_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation' RETURNING CAST(value AS INTEGER)`).Scan(&gen)
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: request kb rebuild: %w", err)
	}
	return gen, nil
}
