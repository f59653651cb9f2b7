package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/paybot/paybot/incidents"
)

// The reply state (table reply_state, migration 0120): short-lived keys that
// chat adapters share between processes, each with an expiry. Writes run on
// the one writer; SQLite's write lock orders them across processes on one
// database file.

// ClaimReplyState inserts key with value until expires, unless a row of key
// that has not expired at now exists; claimed reports whether this call
// wrote it (an expired row is replaced). Errors: ErrInvalid for an empty
// key or expires not after now.
func (s *Store) ClaimReplyState(ctx context.Context, key string, value []byte, now, expires time.Time) (bool, error) {
	if key == "" || !expires.After(now) {
		return false, fmt.Errorf("%w: claim reply state %q until %v at %v", incidents.ErrInvalid, key, expires, now)
	}
	var claimed bool
	err := s.w.do(ctx, func(t *wtx) error {
		rows, err := t.query(`INSERT INTO reply_state (key, value, expires_at) VALUES (?1, ?2, ?3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
			WHERE reply_state.expires_at <= ?4
			RETURNING 1`, key, orEmpty(value), nanos(expires), nanos(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		claimed = rows.Next()
		return rows.Err()
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: claim reply state: %w", err)
	}
	return claimed, nil
}

// PutReplyState sets key to value until expires, unless the stored row
// expires later: of two writes of one key the later-expiring one stays,
// whatever order they commit in. Errors: ErrInvalid for an empty key.
func (s *Store) PutReplyState(ctx context.Context, key string, value []byte, expires time.Time) error {
	if key == "" {
		return fmt.Errorf("%w: put reply state without key", incidents.ErrInvalid)
	}
	err := s.w.do(ctx, func(t *wtx) error {
		_, err := t.exec(`INSERT INTO reply_state (key, value, expires_at) VALUES (?1, ?2, ?3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
			WHERE excluded.expires_at >= reply_state.expires_at`, key, orEmpty(value), nanos(expires))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: put reply state: %w", err)
	}
	return nil
}

// ReplyState returns key's value while its row has not expired at now; ok
// is false when there is none.
func (s *Store) ReplyState(ctx context.Context, key string, now time.Time) ([]byte, bool, error) {
	var v []byte
	err := s.read.QueryRowContext(ctx, `SELECT value FROM reply_state WHERE key = ? AND expires_at > ?`, key, nanos(now)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: reply state: %w", err)
	}
	return orEmpty(v), true, nil
}

// DeleteReplyState removes key; a missing key is no error.
func (s *Store) DeleteReplyState(ctx context.Context, key string) error {
	err := s.w.do(ctx, func(t *wtx) error {
		_, err := t.exec(`DELETE FROM reply_state WHERE key = ?`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete reply state: %w", err)
	}
	return nil
}

// PruneReplyState deletes the rows expired at now and returns how many went.
func (s *Store) PruneReplyState(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.w.do(ctx, func(t *wtx) error {
		res, err := t.exec(`DELETE FROM reply_state WHERE expires_at <= ?`, nanos(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune reply state: %w", err)
	}
	return n, nil
}

// orEmpty keeps NOT NULL columns happy and callers free of nil checks.
func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
