package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
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

// defaultOutboxLease is how long a claimed notification stays claimed: a
// worker that dies mid-delivery leaves it to be reclaimed this much later.
// A live worker extends the lease every third of it while it delivers
// (heartbeat), so a slow call (a 429 with Retry-After: 20) is never
// delivered a second time by another worker.
const defaultOutboxLease = 15 * time.Second

// deliveryTimeout bounds one delivery, so a hung call cannot hold its
// channel forever; it is then retried with backoff.
const deliveryTimeout = 2 * time.Minute

// drainGrace is how long a shutdown waits for deliveries in flight before
// cutting them short and releasing them for the next start.
const drainGrace = 10 * time.Second

// maxAttempts is how many deliveries the outbox tries before giving up.
const maxAttempts = 12

// maxInFlight bounds how many channels are delivered to at once.
const maxInFlight = 32

// outPayload is a notification's payload: what to deliver, and where.
type outPayload struct {
	Message Message     `json:"message"`
	To      *User       `json:"to,omitempty"`  // dm recipient
	Ref     *MessageRef `json:"ref,omitempty"` // card_update target
	Email   *outEmail   `json:"email,omitempty"`
	// Respond sends the message through the event's reply route
	// (Notification.ReplyToken) when the adapter has one: for answers that
	// must reach the person even where the bot cannot post.
	Respond bool `json:"respond,omitempty"`
}

type outEmail struct {
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	Body    string   `json:"body"`
}

// notification builds an outbox entry of inc, queued in the channel it
// goes to.
func notification(inc *incidents.Incident, kind incidents.NotifyKind, key string, p outPayload, now time.Time) incidents.Notification {
	raw, _ := json.Marshal(p)
	var channel string
	switch {
	case kind == incidents.NotifyEmail && p.Email != nil:
		channel = fmt.Sprintf("email:%v", p.Email.To)
	case kind == incidents.NotifyDM && p.To != nil:
		channel = p.To.Platform + ":dm:" + p.To.ID
	case kind == incidents.NotifyCardUpdate || kind == incidents.NotifyCard:
		channel = channelKey(inc.Origin)
	default:
		channel = channelKey(p.Message.Conversation)
	}
	return incidents.Notification{IncidentID: inc.ID, Kind: kind, Payload: raw, DedupeKey: key, ChannelKey: channel,
		NextAttemptAt: now, CreatedAt: now}
}

// FlushOutbox delivers, in the caller's goroutine, every notification that
// is due now (channel by channel, in queue order) and returns how many were
// delivered. Delivery failures are rescheduled with backoff. Tests and the
// synchronous HandleEvent use it; the running engine delivers with
// RunOutbox.
func (e *Engine) FlushOutbox(ctx context.Context) (int, error) {
	sent := 0
	for {
		batch, err := e.store.ClaimNotifications(ctx, e.clock.Now(), e.lease, 50)
		if err != nil {
			return sent, err
		}
		if len(batch) == 0 {
			return sent, nil
		}
		for _, n := range batch {
			if e.deliverOne(ctx, n) {
				sent++
			}
		}
	}
}

// RunOutbox delivers notifications until ctx is done: at once when a commit
// kicks it, else every tick. Each channel has at most one delivery in
// flight (the store hands out only the head of each channel's queue), and
// up to maxInFlight channels are delivered in parallel, so a channel that
// is paced, rate limited or flooded holds up only itself. When ctx ends it
// claims nothing more and waits for the deliveries in flight, each bounded
// by deliveryTimeout; one cut short is released for the next start.
//
// A claim that found nothing is not repeated within idleClaimGap, however
// often commits kick: in a burst every channel's head is usually in flight,
// waiting for its pacing slot, and each kick would cost the store a claim
// that returns nothing (a third of the database's time at 300 requests/s
// over three replicas). A channel is paced at one message a second on
// Slack, so the gap delays no message noticeably.
func (e *Engine) RunOutbox(ctx context.Context, tick time.Duration) error {
	if tick <= 0 {
		tick = time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		busy int
	)
	// Deliveries outlive a shutdown request by up to drainGrace, so a
	// message in flight is finished rather than cut off mid-call.
	dctx, cut := context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(drainGrace):
			e.log.Warn("outbox: cutting deliveries short for shutdown; they are released for the next start")
			cut()
			<-done
		}
		cut()
	}()
	var idleUntil time.Time // real time: no claim before this after an empty one
	for {
		mu.Lock()
		free := maxInFlight - busy
		mu.Unlock()
		if wait := time.Until(idleUntil); wait > 0 && free > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		if free > 0 && ctx.Err() == nil {
			// A claim counts as in flight from before it starts, so a
			// synchronous HandleEvent never misses what this worker took.
			e.busy.add(1)
			batch, err := e.store.ClaimNotifications(ctx, e.clock.Now(), e.lease, free)
			idleUntil = time.Time{}
			if len(batch) == 0 {
				idleUntil = time.Now().Add(idleClaimGap)
			}
			if err != nil && ctx.Err() == nil {
				e.log.Error("outbox", "err", err)
			}
			e.busy.add(len(batch) - 1)
			for _, n := range batch {
				mu.Lock()
				busy++
				mu.Unlock()
				wg.Add(1)
				go func(n incidents.Notification) {
					defer wg.Done()
					e.deliverOne(dctx, n)
					mu.Lock()
					busy--
					mu.Unlock()
					e.busy.add(-1)
					e.kickOutbox() // the channel's next message is claimable now
				}(n)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-e.kick:
		}
	}
}

// inFlight counts the background worker's deliveries in flight, so the
// synchronous HandleEvent can wait for one it raced with.
type inFlight struct {
	mu   sync.Mutex
	cond *sync.Cond
	n    int
}

func (f *inFlight) add(d int) {
	f.mu.Lock()
	if f.cond == nil {
		f.cond = sync.NewCond(&f.mu)
	}
	f.n += d
	f.mu.Unlock()
	f.cond.Broadcast()
}

// wait blocks until no delivery is in flight, and reports whether it had
// to wait.
func (f *inFlight) wait() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	waited := false
	for f.n > 0 {
		f.cond.Wait()
		waited = true
	}
	return waited
}

// deliverAll delivers everything due, including what the background worker
// is delivering at the same moment (and what that queues in turn), before
// returning: the synchronous HandleEvent answers only once its replies are
// out.
func (e *Engine) deliverAll(ctx context.Context) error {
	for {
		n, err := e.FlushOutbox(ctx)
		if err != nil {
			return err
		}
		if !e.busy.wait() && n == 0 {
			return nil
		}
	}
}

// idleClaimGap is the least time between an outbox claim that found
// nothing and the next (see RunOutbox).
const idleClaimGap = 100 * time.Millisecond

// kickOutbox wakes the outbox worker without blocking.
func (e *Engine) kickOutbox() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// deliverOne delivers a claimed notification and records the outcome. It
// reports whether the notification was delivered.
func (e *Engine) deliverOne(ctx context.Context, n incidents.Notification) bool {
	dctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	stop := e.heartbeat(n.ID)
	err := e.guard("delivery", n.DedupeKey, func() error { return e.deliverNotification(dctx, n) })
	stop()
	cancel()
	// The outcome is recorded even when the delivery was cut short.
	ctx = context.WithoutCancel(ctx)
	now := e.clock.Now()
	if err != nil && dctx.Err() != nil && ctx.Err() == nil && errors.Is(err, context.Canceled) {
		// Cut short by a shutdown: release it for the next start, at once,
		// with its attempt uncounted.
		if err := e.store.ReleaseClaim(ctx, n.ID, now); err != nil {
			e.log.Error("releasing notification", "key", n.DedupeKey, "err", err)
		}
		return false
	}
	if errors.Is(err, errNoAdapter) {
		// Another process runs that platform (a console or a replica
		// configured with fewer platforms on the same store): hand it back
		// untouched, a little later. Counting the claim as an attempt would
		// spend the retries and grow the backoff of the process that can
		// deliver it, so that its first real failure could be its last.
		e.log.Debug("notification left for a process that runs its platform", "key", n.DedupeKey, "err", err)
		if err := e.store.ReleaseClaim(ctx, n.ID, now.Add(2*time.Second)); err != nil {
			e.log.Error("releasing notification", "key", n.DedupeKey, "err", err)
		}
		return false
	}
	if err == nil {
		if err := e.store.MarkSent(ctx, n.ID, now); err != nil {
			e.log.Error("marking notification sent", "key", n.DedupeKey, "err", err)
		}
		return true
	}
	wait := backoff(n.Attempts)
	var ra *RetryAfterError
	if errors.As(err, &ra) && ra.After > wait {
		wait = ra.After
	}
	permanent := errors.Is(err, ErrCannotPost) || errors.Is(err, ErrUnsupported)
	dead := permanent || n.Attempts >= maxAttempts
	e.log.Warn("notification failed", "key", n.DedupeKey, "kind", n.Kind, "attempt", n.Attempts, "retry_in", wait, "dead", dead, "err", err)
	if dead && n.Kind == incidents.NotifyCard {
		// The card will not be posted: park the incident and tell the
		// reporter what to do, so it is never an orphan.
		if perr := e.parkIncident(ctx, n, err); perr != nil {
			e.log.Error("parking incident", "key", n.DedupeKey, "err", perr)
			dead = false // try again; parking must happen
		}
	}
	if !dead && n.Kind == incidents.NotifyCard && n.Attempts == cardDelayNoticeAfter {
		e.cardDelayed(ctx, n, now)
	}
	retryAt := now.Add(wait)
	if dead {
		retryAt = now // kept as when it was given up: the prune ages dead rows by it
	}
	if err := e.store.MarkFailed(ctx, n.ID, retryAt, err.Error(), dead); err != nil {
		e.log.Error("marking notification failed", "key", n.DedupeKey, "err", err)
	}
	return false
}

// heartbeat extends n's lease every third of it until stop is called.
func (e *Engine) heartbeat(id int64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(e.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := e.store.ExtendClaim(context.Background(), id, e.clock.Now().Add(e.lease)); err != nil {
					e.log.Warn("extending an outbox lease", "id", id, "err", err)
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
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
	p.Message.ReplyToken = n.ReplyToken
	switch n.Kind {
	case incidents.NotifyEmail:
		if e.mailer == nil || p.Email == nil {
			return fmt.Errorf("%w: no mailer configured", ErrUnsupported)
		}
		return e.mailer.SendMail(ctx, p.Email.To, p.Email.Subject, p.Email.Body)
	case incidents.NotifyCard:
		return e.deliverCard(ctx, n)
	case incidents.NotifyCardUpdate:
		return e.deliverCardUpdate(ctx, n, p)
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
		return e.post(ctx, a, p)
	case incidents.NotifyDM:
		dm, ok := a.(DirectMessenger)
		if !ok || p.To == nil {
			return ErrUnsupported
		}
		return dm.DirectMessage(ctx, *p.To, p.Message)
	}
	return fmt.Errorf("%w: notification kind %q", ErrUnsupported, n.Kind)
}

// post sends one message: through the reply route when asked to, privately
// when the adapter can and the message is addressed to one person, else in
// the open.
func (e *Engine) post(ctx context.Context, a Adapter, p outPayload) error {
	m := p.Message
	if p.Respond && m.ReplyToken != "" {
		if rs, ok := a.(Responder); ok {
			err := rs.Respond(ctx, m.ReplyToken, m)
			if err == nil {
				return nil
			}
			e.log.Warn("reply route failed, posting instead", "err", err)
		}
	}
	if m.To != nil {
		if eph, ok := a.(Ephemeral); ok {
			err := eph.PostEphemeral(ctx, *m.To, m)
			if errors.Is(err, ErrCannotPost) {
				// The channel is closed to the bot (a slash command in a
				// channel it was never added to): the notice (a refused
				// answer, a masking warning) still reaches its person
				// privately, never in the open.
				err = e.postPrivately(ctx, a, m, err)
			}
			if err == nil || !errors.Is(err, ErrUnsupported) {
				return err
			}
		}
	}
	_, err := a.Post(ctx, m)
	if err == nil || !errors.Is(err, ErrCannotPost) {
		return err
	}
	// The channel is closed to the bot. An answer to a command still
	// reaches its sender through the command's reply route…
	if rs, ok := a.(Responder); ok && m.ReplyToken != "" && !p.Respond {
		if rerr := rs.Respond(ctx, m.ReplyToken, m); rerr == nil {
			return nil
		}
	}
	// …and a notice for one person through a direct message.
	if dm, ok := a.(DirectMessenger); ok && p.Respond && m.To != nil {
		m.ReplyToken = ""
		return dm.DirectMessage(ctx, *m.To, m)
	}
	return err
}

// postPrivately delivers a notice for m.To whose channel is closed to the
// bot: through the command's reply route (private: Slack's response_url
// answers ephemerally, Discord's follow-up is ephemeral), else as a direct
// message. It returns cause when neither works.
func (e *Engine) postPrivately(ctx context.Context, a Adapter, m Message, cause error) error {
	if rs, ok := a.(Responder); ok && m.ReplyToken != "" {
		if err := rs.Respond(ctx, m.ReplyToken, m); err == nil {
			return nil
		}
	}
	if dm, ok := a.(DirectMessenger); ok {
		m.ReplyToken = ""
		if err := dm.DirectMessage(ctx, *m.To, m); err == nil {
			return nil
		}
	}
	return cause
}

// deliverCardUpdate re-renders the card from the incident as stored now, so
// updates are idempotent and a late one never shows an older state. A card
// not posted yet needs no update: it is rendered when posted.
func (e *Engine) deliverCardUpdate(ctx context.Context, n incidents.Notification, p outPayload) error {
	inc, err := e.store.Incident(ctx, n.IncidentID)
	if errors.Is(err, incidents.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if inc.CardMessage == "" {
		return nil
	}
	a, err := e.adapter(inc.Origin.Platform)
	if err != nil {
		return err
	}
	return a.Update(ctx, MessageRef{Conversation: inc.Origin, ID: inc.CardMessage}, cardMessage(inc))
}
