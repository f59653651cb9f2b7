package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/paybot/paybot/incidents"
)

// Mailer sends email. adapters/email implements it over SMTP.
type Mailer interface {
	SendMail(ctx context.Context, to []string, subject, body string) error
}

// RetryAfterError is returned by an adapter or mailer that was told to slow
// down (HTTP 429 Retry-After, SMTP 4xx): the outbox retries no sooner.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// outboxLease is how long a claimed notification stays claimed: a worker
// that dies mid-delivery leaves it to be reclaimed this much later.
const outboxLease = 15 * time.Second

// maxAttempts is how many deliveries the outbox tries before giving up.
const maxAttempts = 12

// outPayload is a notification's payload: what to deliver, and where.
type outPayload struct {
	Message Message     `json:"message"`
	To      *User       `json:"to,omitempty"`  // dm recipient
	Ref     *MessageRef `json:"ref,omitempty"` // card_update target
	Email   *outEmail   `json:"email,omitempty"`
}

type outEmail struct {
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	Body    string   `json:"body"`
}

func notification(inc *incidents.Incident, kind incidents.NotifyKind, key string, p outPayload, now time.Time) incidents.Notification {
	raw, _ := json.Marshal(p)
	return incidents.Notification{IncidentID: inc.ID, Kind: kind, Payload: raw, DedupeKey: key, NextAttemptAt: now, CreatedAt: now}
}

func (e *Engine) outbox() (incidents.OutboxStore, bool) {
	ob, ok := e.store.(incidents.OutboxStore)
	return ob, ok
}

// FlushOutbox delivers every notification that is due now, and returns how
// many were delivered. Delivery failures are rescheduled with backoff.
func (e *Engine) FlushOutbox(ctx context.Context) (int, error) {
	ob, ok := e.outbox()
	if !ok {
		return 0, nil
	}
	sent := 0
	for {
		batch, err := ob.ClaimNotifications(ctx, e.clock.Now(), outboxLease, 50)
		if err != nil {
			return sent, err
		}
		if len(batch) == 0 {
			return sent, nil
		}
		for _, n := range batch {
			err := e.deliverNotification(ctx, n)
			now := e.clock.Now()
			if err == nil {
				if err := ob.MarkSent(ctx, n.ID, now); err != nil {
					e.log.Error("marking notification sent", "key", n.DedupeKey, "err", err)
				}
				sent++
				continue
			}
			wait := backoff(n.Attempts)
			var ra *RetryAfterError
			if errors.As(err, &ra) && ra.After > wait {
				wait = ra.After
			}
			dead := n.Attempts >= maxAttempts || errors.Is(err, ErrUnsupported)
			e.log.Warn("notification failed", "key", n.DedupeKey, "attempt", n.Attempts, "retry_in", wait, "dead", dead, "err", err)
			if err := ob.MarkFailed(ctx, n.ID, now.Add(wait), err.Error(), dead); err != nil {
				e.log.Error("marking notification failed", "key", n.DedupeKey, "err", err)
			}
		}
		if len(batch) < 50 {
			return sent, nil
		}
	}
}

// backoff is 1s, 2s, 4s… capped at 5 minutes.
func backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 9 {
		return 5 * time.Minute
	}
	d := time.Second << (attempt - 1)
	if d > 5*time.Minute {
		d = 5 * time.Minute
	}
	return d
}

func (e *Engine) deliverNotification(ctx context.Context, n incidents.Notification) error {
	var p outPayload
	if err := json.Unmarshal(n.Payload, &p); err != nil {
		return fmt.Errorf("%w: unreadable payload: %v", ErrUnsupported, err)
	}
	switch n.Kind {
	case incidents.NotifyEmail:
		if e.mailer == nil || p.Email == nil {
			return fmt.Errorf("%w: no mailer configured", ErrUnsupported)
		}
		return e.mailer.SendMail(ctx, p.Email.To, p.Email.Subject, p.Email.Body)
	}
	platform := p.Message.Conversation.Platform
	if p.To != nil {
		platform = p.To.Platform
	}
	a, err := e.adapter(platform)
	if err != nil {
		return err
	}
	switch n.Kind {
	case incidents.NotifyThreadPost:
		_, err := a.Post(ctx, p.Message)
		return err
	case incidents.NotifyDM:
		dm, ok := a.(DirectMessenger)
		if !ok || p.To == nil {
			return ErrUnsupported
		}
		return dm.DirectMessage(ctx, *p.To, p.Message)
	case incidents.NotifyCardUpdate:
		if p.Ref == nil || p.Ref.ID == "" {
			return nil
		}
		return a.Update(ctx, *p.Ref, p.Message)
	}
	return fmt.Errorf("%w: notification kind %q", ErrUnsupported, n.Kind)
}

// RunOutbox delivers notifications every tick, and at once when an event
// queued some, until ctx is done.
func (e *Engine) RunOutbox(ctx context.Context, tick time.Duration) error {
	if tick <= 0 {
		tick = time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		if _, err := e.FlushOutbox(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-e.kick:
		}
	}
}

// kickOutbox wakes the outbox worker without blocking.
func (e *Engine) kickOutbox() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}
