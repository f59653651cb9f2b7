package slack

import (
	"context"
	"time"
)

// ChannelPacer decides per-channel pacing in a store shared by every
// replica, so Slack's "about one message per second per channel" holds for
// the whole deployment and not per process. Both incidents/sqlite and
// incidents/postgres implement it.
type ChannelPacer interface {
	// ReserveSlot reserves the channel's next send slot, the later of now
	// and the channel's next free time, and moves that free time interval
	// past the slot. The caller waits until the returned slot.
	ReserveSlot(ctx context.Context, channel string, now time.Time, interval time.Duration) (time.Time, error)
	// HoldChannel moves the channel's next free time to at least until.
	HoldChannel(ctx context.Context, channel string, until time.Time) error
}

// sharedSlot asks the shared pacer for the channel's slot. ok is false when
// there is no shared pacer or it failed; then the local pacer decides, so a
// store outage slows nothing down but is logged.
func (a *Adapter) sharedSlot(ctx context.Context, channel string) (time.Time, bool) {
	if a.opts.Pacer == nil {
		return time.Time{}, false
	}
	slot, err := a.opts.Pacer.ReserveSlot(ctx, Platform+"/"+channel, time.Now(), a.opts.ChannelInterval)
	if err != nil {
		a.log.Warn("shared channel pacing unavailable; pacing in this process", "channel", channel, "err", err)
		return time.Time{}, false
	}
	return slot, true
}

// sharedHold passes a Retry-After hold to the shared pacer.
func (a *Adapter) sharedHold(ctx context.Context, channel string, d time.Duration) {
	if a.opts.Pacer == nil {
		return
	}
	if err := a.opts.Pacer.HoldChannel(ctx, Platform+"/"+channel, time.Now().Add(d)); err != nil {
		a.log.Warn("shared channel hold failed", "channel", channel, "err", err)
	}
}

// sleepUntil waits until t or ctx ends.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
