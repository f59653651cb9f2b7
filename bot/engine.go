package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/redact"
)

// Searcher answers troubleshooting questions. cmd/paybot wraps kb.Index to
// satisfy it, so the core never imports the index.
type Searcher interface {
	// Ask returns the best hits for question and whether they are good
	// enough to show as answers.
	Ask(ctx context.Context, question string, limit int) (hits []Hit, confident bool, err error)
}

// Config wires an Engine.
type Config struct {
	Store    incidents.Store
	Clock    incidents.Clock // defaults to the system clock
	Flow     *incidents.Flow // defaults to incidents.DefaultFlow()
	Location *time.Location  // for parsing "14:05"; defaults to UTC
	KB       Searcher        // optional
	Logger   *slog.Logger    // optional
	// Workers is the number of background workers for Accept; events of
	// one conversation always go to the same worker, so they stay in order.
	Workers int
	// QueueDepth is how many accepted events each worker may hold before
	// further ones wait in the store's inbox for the sweep.
	QueueDepth int
	// Policy is the escalation and SLA policy; defaults to
	// incidents.DefaultPolicy(). Mailer, when set, emails contacts.
	Policy *incidents.Policy
	Mailer Mailer
	// Tick is the scheduler and outbox period for Run; defaults to 1s.
	Tick time.Duration
}

// Engine is the core: it turns Events into domain calls and Messages.
type Engine struct {
	store    incidents.Store
	clock    incidents.Clock
	flow     *incidents.Flow
	loc      *time.Location
	kb       Searcher
	log      *slog.Logger
	commands map[string]*command
	order    []*command

	mu       sync.RWMutex
	adapters map[string]Adapter

	locks [64]sync.Mutex // striped per conversation: one event at a time per thread

	queues []chan Event
	// queued holds the ids of accepted events sitting in a queue, so the
	// sweep of pending events doesn't queue them twice.
	queuedMu sync.Mutex
	queued   map[string]bool
	overflow atomic.Bool // an accepted event found its queue full
	started  sync.Once

	policy *incidents.Policy
	mailer Mailer
	tick   time.Duration
	kick   chan struct{}
}

// NewEngine returns an engine; add adapters before starting them.
func NewEngine(cfg Config) *Engine {
	e := &Engine{
		store:    cfg.Store,
		clock:    cfg.Clock,
		flow:     cfg.Flow,
		loc:      cfg.Location,
		kb:       cfg.KB,
		log:      cfg.Logger,
		adapters: map[string]Adapter{},
		commands: map[string]*command{},
		policy:   cfg.Policy,
		mailer:   cfg.Mailer,
		tick:     cfg.Tick,
		kick:     make(chan struct{}, 1),
		queued:   map[string]bool{},
	}
	if e.policy == nil {
		e.policy = incidents.DefaultPolicy()
	}
	if e.clock == nil {
		e.clock = incidents.SystemClock{}
	}
	if e.flow == nil {
		e.flow = incidents.DefaultFlow()
	}
	if e.loc == nil {
		e.loc = time.UTC
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = 8
	}
	depth := cfg.QueueDepth
	if depth <= 0 {
		depth = defaultQueueDepth
	}
	e.queues = make([]chan Event, workers)
	for i := range e.queues {
		e.queues[i] = make(chan Event, depth)
	}
	e.registerCoreCommands()
	e.registerEscalationCommands()
	e.registerKBCommands()
	return e
}

// AddAdapter registers a platform's adapter; replies to events from that
// platform go through it.
func (e *Engine) AddAdapter(a Adapter) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.adapters[a.Platform()] = a
}

func (e *Engine) adapter(platform string) (Adapter, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	a, ok := e.adapters[platform]
	if !ok {
		return nil, fmt.Errorf("no adapter for platform %q", platform)
	}
	return a, nil
}

// HandleEvent processes ev synchronously and posts the replies. A
// redelivered ev.ID has no effect.
func (e *Engine) HandleEvent(ctx context.Context, ev Event) error {
	unlock := e.lock(ev.Conversation)
	defer unlock()
	if ev.ID != "" {
		done, err := e.store.EventProcessed(ctx, ev.ID)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
	return e.process(ctx, ev)
}

// Accept durably enqueues ev and processes it in the background, for
// adapters that must acknowledge the platform within a deadline. It returns
// nil for a duplicate: the platform may stop retrying. Run must be running.
func (e *Engine) Accept(ctx context.Context, ev Event) error {
	if ev.ID == "" {
		return fmt.Errorf("%w: event without id", incidents.ErrInvalid)
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	if err := e.store.EnqueueEvent(ctx, ev.ID, payload, e.clock.Now()); err != nil {
		if errors.Is(err, incidents.ErrDuplicate) {
			return nil
		}
		return err
	}
	if !e.enqueue(ev, false) {
		// The event is durable; the sweep picks it up once the queue drains.
		e.overflow.Store(true)
	}
	return nil
}

// defaultQueueDepth is how many accepted events each worker may have waiting. A
// burst beyond it stays in the store's inbox and is swept in later, so an
// acknowledgement never waits for the workers.
const defaultQueueDepth = 8192

// enqueue hands ev to its conversation's worker unless it is already
// queued. With block=false it gives up when the queue is full.
func (e *Engine) enqueue(ev Event, block bool) bool {
	e.queuedMu.Lock()
	if e.queued[ev.ID] {
		e.queuedMu.Unlock()
		return true
	}
	e.queued[ev.ID] = true
	e.queuedMu.Unlock()
	q := e.queues[e.shard(ev.Conversation)]
	if block {
		q <- ev
		return true
	}
	select {
	case q <- ev:
		return true
	default:
		e.queuedMu.Lock()
		delete(e.queued, ev.ID)
		e.queuedMu.Unlock()
		return false
	}
}

// sweep queues accepted events that are not processed and not queued:
// those that overflowed, and those whose processing failed.
func (e *Engine) sweep(ctx context.Context) {
	pending, err := e.store.PendingEvents(ctx, 10000)
	if err != nil {
		e.log.Error("reading pending events", "err", err)
		return
	}
	for _, p := range pending {
		var ev Event
		if err := json.Unmarshal(p.Payload, &ev); err != nil {
			e.log.Error("unreadable pending event", "event", p.Key, "err", err)
			continue
		}
		select {
		case <-ctx.Done():
			return
		default:
		}
		e.enqueue(ev, true)
	}
}

// Async returns a Handler that accepts events durably and processes them in
// the background; give it to adapters bound by an acknowledgement deadline.
func (e *Engine) Async() Handler { return asyncHandler{e} }

type asyncHandler struct{ e *Engine }

func (a asyncHandler) HandleEvent(ctx context.Context, ev Event) error { return a.e.Accept(ctx, ev) }

// Run processes accepted events until ctx is done. At start it picks up
// events that were accepted but not processed before a crash.
func (e *Engine) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, q := range e.queues {
		wg.Add(1)
		go func(q chan Event) {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case ev := <-q:
					if err := e.HandleEvent(context.WithoutCancel(ctx), ev); err != nil {
						e.log.Error("event failed", "event", ev.ID, "err", err)
					}
					e.queuedMu.Lock()
					delete(e.queued, ev.ID)
					e.queuedMu.Unlock()
				}
			}
		}(q)
	}
	wg.Add(2)
	go func() { defer wg.Done(); e.RunScheduler(ctx, e.tick) }()
	go func() { defer wg.Done(); e.RunOutbox(ctx, e.tick) }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.sweep(ctx) // events accepted before a crash
		fast := time.NewTicker(time.Second)
		defer fast.Stop()
		for n := 1; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-fast.C:
				// Overflow is swept at once; failed events every 30 s.
				if e.overflow.Swap(false) || n%30 == 0 {
					e.sweep(ctx)
				}
			}
		}
	}()
	wg.Wait()
	return ctx.Err()
}

func (e *Engine) shard(c Conversation) int {
	h := fnv.New32a()
	h.Write([]byte(c.String()))
	return int(h.Sum32() % uint32(len(e.queues)))
}

func (e *Engine) lock(c Conversation) func() {
	h := fnv.New32a()
	h.Write([]byte(c.String()))
	m := &e.locks[h.Sum32()%uint32(len(e.locks))]
	m.Lock()
	return m.Unlock
}

// reply collects the messages an event produces; they are posted after the
// state change has committed.
type reply struct {
	e    *Engine
	ev   Event
	msgs []Message
	// cardUpdate, when set, is the incident whose card must be re-rendered.
	cardUpdate *incidents.Incident
	// marked is true once ev.ID has been recorded as processed.
	marked bool
	// notified is true once a commit queued outbox notifications.
	notified bool
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

func (e *Engine) process(ctx context.Context, ev Event) error {
	ev.At = e.clock.Now()
	r := &reply{e: e, ev: ev}

	text, findings := redact.Redact(ev.Text)
	ev.Text = text
	r.ev.Text = text
	if len(findings) > 0 {
		r.add(maskNotice(ev, findings))
		e.log.Info("masked sensitive data", "event", ev.ID, "findings", len(findings))
	}
	for i, v := range ev.Values {
		ev.Values[i] = redact.String(v)
	}

	err := e.route(ctx, r, ev)
	if errors.Is(err, incidents.ErrDuplicate) {
		return nil
	}
	if err != nil {
		var ue *userError
		if !errors.As(err, &ue) {
			e.log.Error("handling event", "event", ev.ID, "kind", ev.Kind, "err", err)
		}
		r.say(KindNotice, userMessage(err)).To = &r.ev.User
	}
	if !r.marked && ev.ID != "" {
		if err := e.store.MarkEventProcessed(ctx, ev.ID, ev.At); err != nil && !errors.Is(err, incidents.ErrDuplicate) {
			return err
		}
	}
	e.deliver(ctx, r)
	if r.notified {
		// Deliver now what this event queued; the outbox worker retries.
		if _, err := e.FlushOutbox(ctx); err != nil {
			e.log.Error("outbox", "err", err)
		}
		e.kickOutbox()
	}
	return nil
}

func (e *Engine) deliver(ctx context.Context, r *reply) {
	if r.cardUpdate != nil && r.cardUpdate.CardMessage != "" {
		if a, err := e.adapter(r.cardUpdate.Origin.Platform); err == nil {
			ref := MessageRef{Conversation: r.cardUpdate.Origin, ID: r.cardUpdate.CardMessage}
			if err := a.Update(ctx, ref, cardMessage(r.cardUpdate)); err != nil {
				e.log.Warn("updating card", "incident", r.cardUpdate.Ref, "err", err)
			}
		}
	}
	for _, m := range r.msgs {
		e.post(ctx, m)
	}
}

// post sends one message, privately when the adapter can and the message is
// addressed to one person.
func (e *Engine) post(ctx context.Context, m Message) (MessageRef, error) {
	a, err := e.adapter(m.Conversation.Platform)
	if err != nil {
		e.log.Error("posting", "err", err)
		return MessageRef{}, err
	}
	if m.To != nil {
		if eph, ok := a.(Ephemeral); ok {
			err := eph.PostEphemeral(ctx, *m.To, m)
			if err == nil {
				return MessageRef{}, nil
			}
			if !errors.Is(err, ErrUnsupported) {
				e.log.Warn("ephemeral post failed, posting in the open", "err", err)
			}
		}
	}
	ref, err := a.Post(ctx, m)
	if err != nil {
		e.log.Error("posting", "platform", m.Conversation.Platform, "conversation", m.Conversation.String(), "err", err)
	}
	return ref, err
}

func maskNotice(ev Event, findings []redact.Finding) Message {
	var labels []string
	for _, f := range findings {
		labels = append(labels, f.Label)
	}
	u := ev.User
	return Message{
		Conversation: ev.Conversation,
		Kind:         KindNotice,
		Text: fmt.Sprintf("I masked sensitive data in your message before storing it (%s). "+
			"Please delete the original message: card numbers and secrets must never be posted in chat.",
			strings.Join(labels, ", ")),
		To:         &u,
		ReplyToken: ev.ReplyToken,
	}
}

// userError carries a sentence meant for the person who sent the event.
type userError struct{ msg string }

func (u *userError) Error() string { return u.msg }

func userErrorf(format string, args ...any) error { return &userError{fmt.Sprintf(format, args...)} }

func userMessage(err error) string {
	var ue *userError
	switch {
	case errors.As(err, &ue):
		return ue.msg
	case errors.Is(err, incidents.ErrNotFound):
		return "I couldn't find that incident. Check the ref (for example PAY-12) or run /payissue list."
	case errors.Is(err, incidents.ErrConflict):
		return "Someone else changed this incident at the same moment. Please try again."
	case errors.Is(err, incidents.ErrTransition):
		return "That isn't possible in the incident's current status."
	default:
		return "Something went wrong on my side and nothing was changed. Please try again in a moment."
	}
}
