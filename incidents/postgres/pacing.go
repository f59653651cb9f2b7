package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paybot/paybot/incidents"
)

// ReserveSlot reserves the channel's next send slot: the later of now and
// the channel's next free time, which then moves interval past the slot. One
// statement, so replicas reserving at once queue on the row lock and get
// distinct slots. Errors: ErrInvalid for an empty channel or a negative
// interval.
func (s *Store) ReserveSlot(ctx context.Context, channel string, now time.Time, interval time.Duration) (time.Time, error) {
	if channel == "" || interval < 0 {
		return time.Time{}, fmt.Errorf("%w: reserve slot for channel %q every %v", incidents.ErrInvalid, channel, interval)
	}
	var next time.Time
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		return c.QueryRow(ctx, `INSERT INTO channel_pacing (channel, next_at) VALUES ($1, $2::timestamptz + $3::interval)
			ON CONFLICT (channel) DO UPDATE SET next_at = GREATEST(channel_pacing.next_at, $2::timestamptz) + $3::interval
			RETURNING next_at`, channel, now.UTC(), interval).Scan(&next)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("postgres: reserve slot: %w", err)
	}
	return next.Add(-interval).UTC(), nil
}

// HoldChannel moves the channel's next free time to at least until (after
// the platform said to slow down). Errors: ErrInvalid for an empty channel.
func (s *Store) HoldChannel(ctx context.Context, channel string, until time.Time) error {
	if channel == "" {
		return fmt.Errorf("%w: hold of an empty channel", incidents.ErrInvalid)
	}
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		_, err := c.Exec(ctx, `INSERT INTO channel_pacing (channel, next_at) VALUES ($1, $2)
			ON CONFLICT (channel) DO UPDATE SET next_at = GREATEST(channel_pacing.next_at, excluded.next_at)`, channel, until.UTC())
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: hold channel: %w", err)
	}
	return nil
}
