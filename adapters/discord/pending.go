package discord

import (
	"sync"
	"time"
)

// tokenLife is how long Discord accepts an interaction token for follow-ups
// (15 minutes), less a margin for clock skew and slow requests.
const tokenLife = 15*time.Minute - 30*time.Second

// pendingIx is one interaction whose token can still answer it.
type pendingIx struct {
	id, appID, token  string
	channelID, userID string
	created           time.Time
	deferredMessage   bool // answered with type 5: the original is a "thinking…" message

	mu           sync.Mutex
	originalUsed bool
	acked        chan struct{}
	ackOnce      sync.Once
}

// claimOriginal reports whether the caller may fill the deferred original.
func (p *pendingIx) claimOriginal() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.deferredMessage || p.originalUsed {
		return false
	}
	p.originalUsed = true
	return true
}

func (p *pendingIx) originalClaimed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.originalUsed
}

func (p *pendingIx) releaseOriginal() {
	p.mu.Lock()
	p.originalUsed = false
	p.mu.Unlock()
}

// ack marks the initial response as sent: the token can be used.
func (p *pendingIx) ack() { p.ackOnce.Do(func() { close(p.acked) }) }

// waitAcked waits until the initial response went out, so that a fast
// engine does not edit an original Discord has not seen yet.
func (p *pendingIx) waitAcked(max time.Duration) {
	select {
	case <-p.acked:
	case <-time.After(max):
	}
}

// pendingTokens keeps interaction tokens keyed by the Event.ReplyToken the
// adapter set (the interaction id), and the messages sent through them.
type pendingTokens struct {
	mu        sync.Mutex
	byToken   map[string]*pendingIx
	byMessage map[string]*pendingIx
	lastSweep time.Time
}

func newPendingTokens() *pendingTokens {
	return &pendingTokens{byToken: map[string]*pendingIx{}, byMessage: map[string]*pendingIx{}}
}

func (t *pendingTokens) add(p *pendingIx) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byToken[p.id] = p
	if p.created.Sub(t.lastSweep) > time.Minute {
		t.lastSweep = p.created
		for k, v := range t.byToken {
			if p.created.Sub(v.created) > tokenLife {
				delete(t.byToken, k)
			}
		}
		for k, v := range t.byMessage {
			if p.created.Sub(v.created) > tokenLife {
				delete(t.byMessage, k)
			}
		}
	}
}

func (t *pendingTokens) remove(id string) {
	t.mu.Lock()
	delete(t.byToken, id)
	t.mu.Unlock()
}

// live returns the interaction for a reply token while its token lives.
func (t *pendingTokens) live(replyToken string, now time.Time) *pendingIx {
	if replyToken == "" {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.byToken[replyToken]
	if p == nil || now.Sub(p.created) > tokenLife {
		return nil
	}
	return p
}

// own records that message id was sent through p's token.
func (t *pendingTokens) own(msgID string, p *pendingIx) {
	t.mu.Lock()
	t.byMessage[msgID] = p
	t.mu.Unlock()
}

// owner returns the live interaction whose token sent message id.
func (t *pendingTokens) owner(msgID string, now time.Time) *pendingIx {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.byMessage[msgID]
	if p == nil || now.Sub(p.created) > tokenLife {
		return nil
	}
	return p
}

// latestFor returns the newest live interaction of user in channel.
func (t *pendingTokens) latestFor(userID, channel string, now time.Time) *pendingIx {
	t.mu.Lock()
	defer t.mu.Unlock()
	var best *pendingIx
	for _, p := range t.byToken {
		if p.userID == userID && p.channelID == channel && now.Sub(p.created) <= tokenLife && (best == nil || p.created.After(best.created)) {
			best = p
		}
	}
	return best
}

// seenSet remembers the last n event ids handed to the handler, so that a
// redelivered interaction or message has no second effect even before it
// reaches the durable inbox.
type seenSet struct {
	mu    sync.Mutex
	ids   map[string]struct{}
	order []string
	next  int
}

func newSeenSet(n int) *seenSet {
	return &seenSet{ids: make(map[string]struct{}, n), order: make([]string, n)}
}

// claim marks id as seen and reports whether it was new.
func (s *seenSet) claim(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ids[id]; ok {
		return false
	}
	if old := s.order[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.order[s.next] = id
	s.next = (s.next + 1) % len(s.order)
	s.ids[id] = struct{}{}
	return true
}

// release forgets id, after the handler refused it, so a retry is handled.
func (s *seenSet) release(id string) {
	s.mu.Lock()
	delete(s.ids, id)
	s.mu.Unlock()
}
