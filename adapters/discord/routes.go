package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// How an interaction is answered when several replicas share one store.
//
// Everything a later delivery needs to answer an interaction travels with
// it: the route (application id, interaction id, token, channel, user, when
// it arrived, whether the original is a deferred "thinking…") is sealed into
// Event.ReplyToken (replyseal: AES-256-GCM, key by HKDF from PAYBOT_REPLY_KEY
// or DISCORD_BOT_TOKEN), so it reaches the outbox's reply_token and any
// replica can open it. What replicas must agree on lives in the store's
// reply_state (ReplyStore), each row expiring with the token:
//
//	discord:orig:<interaction id>        the deferred original is claimed (filled once)
//	discord:msg:<message id>             the sealed route that sent the message (edits go through its webhook)
//	discord:last:<channel id>:<user id>  the person's newest sealed route in the channel (private notices)
//
// Only one thing stays in the memory of the receiving process: whether its
// initial response has gone out (acks). Another replica cannot know; it
// calls again when Discord refuses a token younger than the 3-second
// acknowledgement window (early).

// tokenLife is how long Discord accepts an interaction token for follow-ups
// (15 minutes), less a margin for clock skew and slow requests.
const tokenLife = 15*time.Minute - 30*time.Second

// ackWindow is how long Discord waits for an interaction's first response.
const ackWindow = 3 * time.Second

// ReplyStore keeps the short-lived reply state every replica must see.
// incidents/sqlite and incidents/postgres implement it (table reply_state,
// conformance suite storetest.RunReplyState). Without one the adapter keeps
// the state in its own memory, which is right for a single process only.
type ReplyStore interface {
	// ClaimReplyState inserts key until expires unless an unexpired row
	// holds it; claimed reports whether this call wrote it.
	ClaimReplyState(ctx context.Context, key string, value []byte, now, expires time.Time) (claimed bool, err error)
	// PutReplyState sets key unless the stored row expires later.
	PutReplyState(ctx context.Context, key string, value []byte, expires time.Time) error
	// ReplyState returns key's value while it has not expired at now.
	ReplyState(ctx context.Context, key string, now time.Time) (value []byte, ok bool, err error)
	// DeleteReplyState removes key.
	DeleteReplyState(ctx context.Context, key string) error
}

func origKey(interaction string) string   { return "discord:orig:" + interaction }
func msgKey(message string) string        { return "discord:msg:" + message }
func lastKey(channel, user string) string { return "discord:last:" + channel + ":" + user }

// route is one interaction that can still be answered: what a delivery on
// any replica needs. It travels sealed (Event.ReplyToken, reply_state
// values), never in clear.
type route struct {
	ID       string `json:"i"`           // interaction id
	App      string `json:"a"`           // application id
	Token    string `json:"t"`           // interaction token: a bearer credential for 15 minutes
	Channel  string `json:"c"`           // channel the interaction happened in
	User     string `json:"u"`           // who interacted
	At       int64  `json:"at"`          // when this adapter received it, unix milliseconds
	Deferred bool   `json:"d,omitempty"` // answered with type 5: the original is a "thinking…" message
}

func (r *route) received() time.Time { return time.UnixMilli(r.At) }
func (r *route) expires() time.Time  { return r.received().Add(tokenLife) }
func (r *route) interaction() *discordgo.Interaction {
	return &discordgo.Interaction{ID: r.ID, AppID: r.App, Token: r.Token}
}

// seal returns r sealed: the Event.ReplyToken and reply_state value form.
func (a *Adapter) seal(r *route) string {
	b, _ := json.Marshal(r)
	return a.sealer.Seal(b)
}

// openRoute returns the route sealed in replyToken while its token lives;
// nil for "", a token this process cannot open (sealed under another key),
// or an expired one.
func (a *Adapter) openRoute(replyToken string) *route {
	if replyToken == "" {
		return nil
	}
	plain, err := a.sealer.Open(replyToken)
	if err != nil {
		a.log.Info("an interaction's reply token cannot be opened here (sealed under another key, or queued before an upgrade): give every replica the same PAYBOT_REPLY_KEY or DISCORD_BOT_TOKEN; answering without it")
		return nil
	}
	var r route
	if json.Unmarshal(plain, &r) != nil || r.ID == "" || r.App == "" || r.Token == "" {
		return nil
	}
	if a.now().Sub(r.received()) > tokenLife {
		return nil
	}
	return &r
}

// claimOriginal reports whether the caller may fill r's deferred original:
// true for exactly one caller on any replica. Errors: the store's.
func (a *Adapter) claimOriginal(ctx context.Context, r *route) (bool, error) {
	now := a.now()
	if !r.Deferred || !r.expires().After(now) {
		return false, nil
	}
	ok, err := a.replies.ClaimReplyState(ctx, origKey(r.ID), nil, now, r.expires())
	if err != nil {
		return false, fmt.Errorf("discord: claiming the deferred original: %w", err)
	}
	return ok, nil
}

// releaseOriginal gives the claim back after filling the original failed,
// so the retry may fill it.
func (a *Adapter) releaseOriginal(ctx context.Context, r *route) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := a.replies.DeleteReplyState(ctx, origKey(r.ID)); err != nil {
		a.log.Warn("releasing the claim on a deferred original", "interaction", r.ID, "err", err)
	}
}

// own records that message id was sent through r, so that Update edits it
// through r's webhook while the token lives. The message is out already: a
// failure is logged, and Update then edits through the channel.
func (a *Adapter) own(ctx context.Context, id string, r *route) {
	if err := a.replies.PutReplyState(ctx, msgKey(id), []byte(a.seal(r)), r.expires()); err != nil {
		a.log.Warn("recording which interaction sent a message", "message", id, "err", err)
	}
}

// owner returns the live route that sent message id, or nil.
func (a *Adapter) owner(ctx context.Context, id string) (*route, error) {
	return a.storedRoute(ctx, msgKey(id))
}

// rememberLatest records r as user's newest interaction in its channel.
func (a *Adapter) rememberLatest(ctx context.Context, r *route, sealed string) {
	if err := a.replies.PutReplyState(ctx, lastKey(r.Channel, r.User), []byte(sealed), r.expires()); err != nil {
		a.log.Warn("recording a person's latest interaction", "interaction", r.ID, "err", err)
	}
}

// latestFor returns user's newest live route in channel, or nil.
func (a *Adapter) latestFor(ctx context.Context, user, channel string) (*route, error) {
	if user == "" || channel == "" {
		return nil, nil
	}
	return a.storedRoute(ctx, lastKey(channel, user))
}

func (a *Adapter) storedRoute(ctx context.Context, key string) (*route, error) {
	v, ok, err := a.replies.ReplyState(ctx, key, a.now())
	if err != nil {
		return nil, fmt.Errorf("discord: reading reply state: %w", err)
	}
	if !ok {
		return nil, nil
	}
	return a.openRoute(string(v)), nil
}

// early runs call and, while r is younger than the acknowledgement window
// and was received by another process, calls again every 100 ms after
// Discord refuses its token (401, 404): that process's initial response
// may not have reached Discord yet. The wait is bounded by the window, in
// wall-clock time.
func (a *Adapter) early(ctx context.Context, r *route, call func() error) error {
	err := call()
	if !isTokenGone(err) || a.acks.get(r.ID) != nil {
		return err
	}
	// The window left, never more than the whole window (a receiving
	// replica whose clock runs ahead makes the route look younger).
	deadline := time.Now().Add(min(ackWindow, ackWindow-a.now().Sub(r.received())))
	for isTokenGone(err) && time.Now().Before(deadline) {
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		err = call()
	}
	return err
}

// waitAcked waits, for an interaction this process received, until its
// initial response went out, so that a fast engine does not edit an
// original Discord has not seen yet.
func (a *Adapter) waitAcked(r *route) {
	if e := a.acks.get(r.ID); e != nil {
		e.wait(ackWindow)
	}
}

// ackSet holds, per interaction this process received in the last minute, a
// channel closed once the initial response is on its way. It is per
// process by nature (only the receiver knows when it answered); missing it
// costs another replica at most the retries of early.
type ackSet struct {
	mu        sync.Mutex
	m         map[string]*ackEntry
	lastSweep time.Time
}

type ackEntry struct {
	at   time.Time
	ch   chan struct{}
	once sync.Once
}

func newAckSet() *ackSet { return &ackSet{m: map[string]*ackEntry{}} }

// add starts waiting for interaction id's initial response.
func (s *ackSet) add(id string, now time.Time) *ackEntry {
	e := &ackEntry{at: now, ch: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = e
	if now.Sub(s.lastSweep) > time.Minute {
		s.lastSweep = now
		for k, v := range s.m {
			if now.Sub(v.at) > time.Minute {
				delete(s.m, k)
			}
		}
	}
	return e
}

func (s *ackSet) get(id string) *ackEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[id]
}

func (s *ackSet) remove(id string) {
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

// done marks the initial response as sent: the token can be used.
func (e *ackEntry) done() { e.once.Do(func() { close(e.ch) }) }

func (e *ackEntry) wait(max time.Duration) {
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-e.ch:
	case <-t.C:
	}
}

// memReplies is the ReplyStore of an adapter without a store: one process.
type memReplies struct {
	mu        sync.Mutex
	rows      map[string]memRow
	lastSweep time.Time
}

type memRow struct {
	value   []byte
	expires time.Time
}

func newMemReplies() *memReplies { return &memReplies{rows: map[string]memRow{}} }

var errNoKey = errors.New("discord: reply state without key")

func (m *memReplies) sweep(now time.Time) {
	if now.Sub(m.lastSweep) < time.Minute {
		return
	}
	m.lastSweep = now
	for k, r := range m.rows {
		if !r.expires.After(now) {
			delete(m.rows, k)
		}
	}
}

func (m *memReplies) ClaimReplyState(_ context.Context, key string, value []byte, now, expires time.Time) (bool, error) {
	if key == "" || !expires.After(now) {
		return false, errNoKey
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	if r, ok := m.rows[key]; ok && r.expires.After(now) {
		return false, nil
	}
	m.rows[key] = memRow{append([]byte(nil), value...), expires}
	return true, nil
}

func (m *memReplies) PutReplyState(_ context.Context, key string, value []byte, expires time.Time) error {
	if key == "" {
		return errNoKey
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.rows[key]; ok && r.expires.After(expires) {
		return nil
	}
	m.rows[key] = memRow{append([]byte(nil), value...), expires}
	return nil
}

func (m *memReplies) ReplyState(_ context.Context, key string, now time.Time) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rows[key]
	if !ok || !r.expires.After(now) {
		return nil, false, nil
	}
	return append([]byte(nil), r.value...), true, nil
}

func (m *memReplies) DeleteReplyState(_ context.Context, key string) error {
	m.mu.Lock()
	delete(m.rows, key)
	m.mu.Unlock()
	return nil
}
