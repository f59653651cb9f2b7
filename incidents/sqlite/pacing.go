package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/paybot/paybot/incidents"
)

// ReserveSlot reserves the channel's next send slot: the later of now and
// the channel's next free time, which then moves interval past the slot. It
// runs on the one writer, so every process on this database file gets
// distinct slots. Errors: ErrInvalid for an empty channel or a negative
// interval.
func (s *Store) ReserveSlot(ctx context.Context, channel string, now time.Time, interval time.Duration) (time.Time, error) {
	if channel == "" || interval < 0 {
		return time.Time{}, fmt.Errorf("%w: reserve slot for channel %q every %v", incidents.ErrInvalid, channel, interval)
	}
	var next int64
	err := s.w.do(ctx, func(t *wtx) error {
		rows, err := t.query(`INSERT INTO channel_pacing (channel, next_at) VALUES (?1, ?2 + ?3)
			ON CONFLICT (channel) DO UPDATE SET next_at = max(channel_pacing.next_at, ?2) + ?3
			RETURNING next_at`, channel, now.UnixNano(), int64(interval))
		if err != nil {
			return err
		}
		defer rows.Close()
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return fmt.Errorf("no row returned")
		}
		if err := rows.Scan(&next); err != nil {
			return err
		}
		return rows.Err()
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: reserve slot: %w", err)
	}
	return time.Unix(0, next-int64(interval)).UTC(), nil
}

// HoldChannel moves the channel's next free time to at least until (after
// the platform said to slow down). Errors: ErrInvalid for an empty channel.
func (s *Store) HoldChannel(ctx context.Context, channel string, until time.Time) error {
	if channel == "" {
		return fmt.Errorf("%w: hold of an empty channel", incidents.ErrInvalid)
	}
	err := s.w.do(ctx, func(t *wtx) error {
		_, err := t.exec(`INSERT INTO channel_pacing (channel, next_at) VALUES (?1, ?2)
			ON CONFLICT (channel) DO UPDATE SET next_at = max(channel_pacing.next_at, excluded.next_at)`, channel, until.UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: hold channel: %w", err)
	}
	return nil
}
