package slack

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/paybot/paybot/bot"
)

// Post implements bot.Adapter: chat.postMessage (with thread_ts for a
// thread), or chat.postEphemeral for a notice addressed to one person.
func (a *Adapter) Post(ctx context.Context, msg bot.Message) (bot.MessageRef, error) {
	c := msg.Conversation
	if c.Channel == "" {
		return bot.MessageRef{}, errf("post: message has no channel")
	}
	if msg.Kind == bot.KindNotice && msg.To != nil && msg.To.ID != "" {
		ts, err := a.postEphemeral(ctx, *msg.To, msg)
		return bot.MessageRef{Conversation: c, ID: ts}, err
	}
	blocks, fallback := Render(msg)
	opts := []slack.MsgOption{
		slack.MsgOptionText(fallback, false),
		slack.MsgOptionBlocks(blocks...),
	}
	if c.Thread != "" {
		opts = append(opts, slack.MsgOptionTS(c.Thread))
	}
	if msg.Key != "" {
		opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{EventType: metadataType, EventPayload: map[string]any{"key": msg.Key}}))
	}
	var ts string
	err := a.paced(ctx, c.Channel, func() error {
		_, t, err := a.api.PostMessageContext(ctx, c.Channel, opts...)
		ts = t
		return err
	})
	if err != nil {
		return bot.MessageRef{}, errf("chat.postMessage: %w", classify(err))
	}
	return bot.MessageRef{Conversation: c, ID: ts}, nil
}

// Update implements bot.Adapter with chat.update; ref.ID is the message ts.
func (a *Adapter) Update(ctx context.Context, ref bot.MessageRef, msg bot.Message) error {
	if ref.Conversation.Channel == "" || ref.ID == "" {
		return errf("update: reference without channel or ts")
	}
	blocks, fallback := Render(msg)
	err := a.withRetry(ctx, ref.Conversation.Channel, func() error {
		_, _, _, err := a.api.UpdateMessageContext(ctx, ref.Conversation.Channel, ref.ID,
			slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
	if err != nil {
		return errf("chat.update: %w", classify(err))
	}
	return nil
}

// OpenThread implements bot.Adapter. A Slack thread needs no call: it is
// the root message's ts, and replies carry it as thread_ts.
func (a *Adapter) OpenThread(_ context.Context, root bot.MessageRef, _ string) (bot.Conversation, error) {
	if root.ID == "" || root.Conversation.Channel == "" {
		return bot.Conversation{}, errf("open thread: root without channel or ts")
	}
	return a.conv(root.Conversation.Channel, root.ID), nil
}

// PostEphemeral implements bot.Ephemeral with chat.postEphemeral.
func (a *Adapter) PostEphemeral(ctx context.Context, to bot.User, msg bot.Message) error {
	_, err := a.postEphemeral(ctx, to, msg)
	return err
}

func (a *Adapter) postEphemeral(ctx context.Context, to bot.User, msg bot.Message) (string, error) {
	c := msg.Conversation
	if c.Channel == "" || to.ID == "" {
		return "", errf("post ephemeral: no channel or user")
	}
	blocks, fallback := Render(msg)
	opts := []slack.MsgOption{slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)}
	if c.Thread != "" {
		opts = append(opts, slack.MsgOptionTS(c.Thread))
	}
	var ts string
	err := a.paced(ctx, c.Channel, func() error {
		t, err := a.api.PostEphemeralContext(ctx, c.Channel, to.ID, opts...)
		ts = t
		return err
	})
	if err != nil {
		return "", errf("chat.postEphemeral: %w", classify(err))
	}
	return ts, nil
}

// DirectMessage implements bot.DirectMessenger: conversations.open, then
// chat.postMessage in the direct-message channel.
func (a *Adapter) DirectMessage(ctx context.Context, to bot.User, msg bot.Message) error {
	if to.ID == "" {
		return errf("direct message: no user")
	}
	var ch *slack.Channel
	err := a.withRetry(ctx, "", func() error {
		var err error
		ch, _, _, err = a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{to.ID}, ReturnIM: true})
		return err
	})
	if err != nil {
		return errf("conversations.open: %w", classify(err))
	}
	msg.Conversation = a.conv(ch.ID, "")
	msg.To = nil
	_, err = a.Post(ctx, msg)
	return err
}

// paced runs call in channel's turn (about one message per second per
// channel; a burst waits in line) and retries it like withRetry.
func (a *Adapter) paced(ctx context.Context, channel string, call func() error) error {
	return a.withRetry(ctx, channel, func() error {
		if slot, ok := a.sharedSlot(ctx, channel); ok {
			if err := sleepUntil(ctx, slot); err != nil {
				return err
			}
		} else if err := a.pacer.wait(ctx, channel); err != nil {
			return err
		}
		return call()
	})
}

// withRetry calls call until it succeeds, retrying a 429 after its
// Retry-After (and holding the channel's queue for that long) and a 5xx or
// a connection failure with exponential backoff and jitter.
func (a *Adapter) withRetry(ctx context.Context, channel string, call func() error) error {
	backoff := a.opts.BackoffBase
	var err error
	for attempt := 1; ; attempt++ {
		err = call()
		if err == nil {
			return nil
		}
		if attempt >= a.opts.MaxAttempts || ctx.Err() != nil {
			return err
		}
		var wait time.Duration
		var rl *slack.RateLimitedError
		var sc slack.StatusCodeError
		switch {
		case errors.As(err, &rl):
			wait = min(max(rl.RetryAfter, 100*time.Millisecond), a.opts.MaxRetryAfter)
			if dl, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(dl) {
				// Waiting would outlast the caller: hand the 429 back so
				// the outbox retries after Retry-After instead.
				return err
			}
			if channel != "" {
				a.pacer.hold(channel, wait)
				a.sharedHold(ctx, channel, wait)
			}
			a.log.Warn("slack rate limited; retrying", "channel", channel, "retry_after", rl.RetryAfter, "attempt", attempt)
		case errors.As(err, &sc) && sc.Code >= 500:
			wait = backoff + rand.N(backoff/2+1)
			backoff *= 2
			a.log.Warn("slack server error; backing off", "status", sc.Code, "wait", wait, "attempt", attempt)
		default:
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

// pacer spaces messages per channel: each caller reserves the next free
// slot and sleeps until it, so bursts are delayed in order, never dropped.
type pacer struct {
	interval time.Duration
	mu       sync.Mutex
	next     map[string]time.Time
}

func newPacer(interval time.Duration) *pacer {
	return &pacer{interval: interval, next: map[string]time.Time{}}
}

func (p *pacer) wait(ctx context.Context, channel string) error {
	p.mu.Lock()
	now := time.Now()
	slot := p.next[channel]
	if slot.Before(now) {
		slot = now
	}
	p.next[channel] = slot.Add(p.interval)
	// Forget idle channels now and then so the map does not grow forever.
	if len(p.next) > 10000 {
		for k, v := range p.next {
			if v.Before(now) {
				delete(p.next, k)
			}
		}
	}
	p.mu.Unlock()
	d := time.Until(slot)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// hold pushes the channel's next slot to at least now+d (after a 429).
func (p *pacer) hold(channel string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	until := time.Now().Add(d)
	if p.next[channel].Before(until) {
		p.next[channel] = until
	}
}
