package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paybot/paybot/incidents"
)

// The reply state (table reply_state, migration 0120): short-lived keys that
// chat adapters share between replicas, each with an expiry. Each method is
// one statement; concurrent claims of one key queue on its row (or its
// unique index entry) and exactly one wins.

// ClaimReplyState inserts key with value until expires, unless a row of key
// that has not expired at now exists; claimed reports whether this call
// wrote it (an expired row is replaced). Errors: ErrInvalid for an empty
// key or expires not after now.
func (s *Store) ClaimReplyState(ctx context.Context, key string, value []byte, now, expires time.Time) (bool, error) {
	if key == "" || !expires.After(now) {
		return false, fmt.Errorf("%w: claim reply state %q until %v at %v", incidents.ErrInvalid, key, expires, now)
	}
	var claimed bool
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		err := c.QueryRow(ctx, `INSERT INTO reply_state (key, value, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
			WHERE reply_state.expires_at <= $4
			RETURNING true`, key, orEmpty(value), expires.UTC(), now.UTC()).Scan(&claimed)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("postgres: claim reply state: %w", err)
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
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		_, err := c.Exec(ctx, `INSERT INTO reply_state (key, value, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
			WHERE excluded.expires_at >= reply_state.expires_at`, key, orEmpty(value), expires.UTC())
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: put reply state: %w", err)
	}
	return nil
}

// ReplyState returns key's value while its row has not expired at now; ok
// is false when there is none.
func (s *Store) ReplyState(ctx context.Context, key string, now time.Time) ([]byte, bool, error) {
	var v []byte
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		return c.QueryRow(ctx, `SELECT value FROM reply_state WHERE key = $1 AND expires_at > $2`, key, now.UTC()).Scan(&v)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("postgres: reply state: %w", err)
	}
	return orEmpty(v), true, nil
}

// DeleteReplyState removes key; a missing key is no error.
func (s *Store) DeleteReplyState(ctx context.Context, key string) error {
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		_, err := c.Exec(ctx, `DELETE FROM reply_state WHERE key = $1`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete reply state: %w", err)
	}
	return nil
}

// PruneReplyState deletes the rows expired at now and returns how many went.
func (s *Store) PruneReplyState(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		tag, err := c.Exec(ctx, `DELETE FROM reply_state WHERE expires_at <= $1`, now.UTC())
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: prune reply state: %w", err)
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
