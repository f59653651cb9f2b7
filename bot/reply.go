package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
)

// reply collects what an event produces: the incident change it makes and
// the messages it answers with. Nothing is written or sent while the event
// is handled; finish commits the change, the "event processed" mark and the
// messages (as outbox notifications) in one transaction, so a message
// exists exactly when the state it describes does.
type reply struct {
	e    *Engine
	ev   Event
	msgs []Message
	// pre are messages owed whatever happens (the masking notice); they
	// are in msgs too.
	pre []Message
	// cardUpdate, when set, is the incident whose card must be re-rendered.
	cardUpdate *incidents.Incident
	// write is the incident change to commit with the messages.
	write *pendingWrite
	// marked is true once a commit carried the event's key.
	marked bool
	// seq numbers the event's notifications for their dedupe keys.
	seq int
}

type pendingWrite struct {
	inc    *incidents.Incident
	ch     incidents.Change
	create bool
}

func (r *reply) say(kind MessageKind, text string) *Message {
	r.msgs = append(r.msgs, Message{Conversation: r.ev.Conversation, Kind: kind, Text: text, ReplyToken: r.ev.ReplyToken})
	return &r.msgs[len(r.msgs)-1]
}

func (r *reply) add(m Message) {
	if m.Conversation.IsZero() {
		m.Conversation = r.ev.Conversation
	}
	if m.ReplyToken == "" && m.Conversation == r.ev.Conversation {
		m.ReplyToken = r.ev.ReplyToken
	}
	r.msgs = append(r.msgs, m)
}

// save commits an incident change, marking the event processed with it.
func (r *reply) save(ctx context.Context, inc *incidents.Incident, entries ...incidents.TimelineEntry) error {
	return r.commit(ctx, inc, incidents.Change{Timeline: entries})
}

// commit records inc with ch (adding the SLA and reminder timers the change
// implies) to be committed with the event's messages when the event is
// done. An event that changes two incidents commits the first one now,
// with the messages gathered so far.
func (r *reply) commit(ctx context.Context, inc *incidents.Incident, ch incidents.Change) error {
	r.e.trackSLA(inc, r.ev.User, r.ev.At, &ch)
	r.e.lifecycle(inc, &ch)
	if r.write != nil {
		if err := r.flush(ctx); err != nil {
			return err
		}
	}
	r.write = &pendingWrite{inc: inc, ch: ch}
	return nil
}

// create records a new incident, committed like commit.
func (r *reply) create(ctx context.Context, inc *incidents.Incident, ch incidents.Change) error {
	if r.write != nil {
		if err := r.flush(ctx); err != nil {
			return err
		}
	}
	r.write = &pendingWrite{inc: inc, ch: ch, create: true}
	return nil
}

// flush commits the pending write with the messages gathered so far.
func (r *reply) flush(ctx context.Context) error {
	w := r.write
	r.write = nil
	ch := w.ch
	if !r.marked {
		ch.EventKey = r.ev.ID
	}
	notes, err := r.notes()
	if err != nil {
		return err
	}
	ch.Notify = append(ch.Notify, notes...)
	if w.create {
		err = r.e.store.CreateIncident(ctx, w.inc, ch)
	} else {
		err = r.e.store.UpdateIncident(ctx, w.inc, ch)
	}
	if err != nil {
		return err
	}
	r.marked = true
	r.msgs, r.cardUpdate = nil, nil
	return nil
}

// finish commits what the event produced, or, when handling failed, the
// answer that says so. It returns nil for a duplicate event.
func (r *reply) finish(ctx context.Context, routeErr error) error {
	e := r.e
	if routeErr == nil && r.write != nil {
		routeErr = r.flush(ctx)
	}
	if errors.Is(routeErr, incidents.ErrDuplicate) {
		return nil
	}
	if routeErr != nil {
		var ue *userError
		if !errors.As(routeErr, &ue) {
			e.log.Error("handling event", "event", r.ev.ID, "kind", r.ev.Kind, "err", routeErr)
		}
		// Nothing of the failed change goes out: only the masking notice
		// and the sentence that says what failed.
		r.write, r.cardUpdate, r.msgs = nil, nil, nil
		r.msgs = append(r.msgs, r.pre...)
		r.say(KindNotice, userMessage(routeErr)).To = &r.ev.User
	}
	if len(r.msgs) == 0 && r.cardUpdate == nil && (r.marked || r.ev.ID == "") {
		return nil
	}
	notes, err := r.notes()
	if err != nil {
		return err
	}
	ch := incidents.Change{Notify: notes}
	if !r.marked {
		ch.EventKey = r.ev.ID
	}
	if err := e.store.CommitEvent(ctx, ch); err != nil && !errors.Is(err, incidents.ErrDuplicate) {
		return err
	}
	r.marked = true
	return nil
}

// notes turns the gathered messages and card update into notifications.
func (r *reply) notes() ([]incidents.Notification, error) {
	var out []incidents.Notification
	now := r.e.clock.Now()
	for _, m := range r.msgs {
		n, err := r.e.messageNote(m, r.key(), now)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	if inc := r.cardUpdate; inc != nil {
		out = append(out, r.e.cardNote(inc, now))
	}
	return out, nil
}

// key returns a dedupe key for the event's next notification.
func (r *reply) key() string {
	r.seq++
	id := r.ev.ID
	if id == "" {
		id = "local:" + uuid.NewString()
	}
	return fmt.Sprintf("reply/%s/%d", id, r.seq)
}

// messageNote queues m as a thread post (a notice to one person goes
// privately where the adapter can), in the queue of m's channel.
func (e *Engine) messageNote(m Message, key string, now time.Time) (incidents.Notification, error) {
	raw, err := json.Marshal(outPayload{Message: m})
	if err != nil {
		return incidents.Notification{}, fmt.Errorf("%w: message: %v", incidents.ErrInvalid, err)
	}
	return incidents.Notification{Kind: incidents.NotifyThreadPost, Payload: raw, DedupeKey: key,
		ChannelKey: channelKey(m.Conversation), ReplyToken: m.ReplyToken, NextAttemptAt: now, CreatedAt: now}, nil
}

// channelKey names a conversation's delivery queue: its channel, threads
// included, since platforms pace posts per channel.
func channelKey(c Conversation) string { return c.Platform + ":" + c.Channel }
