package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paybot/paybot/incidents"
)

// The inbox: every inbound event is recorded with its envelope id and its
// message keys before it takes effect, so a redelivery, or the same message
// under a second envelope id, has no effect. A processed event keeps only
// its keys (the store clears the payload when it marks it processed), and
// keys older than the retention window are pruned.

// defaultQueueDepth is how many accepted events each worker may have waiting. A
// burst beyond it stays in the store's inbox and is swept in later, so an
// acknowledgement never waits for the workers.
const defaultQueueDepth = 8192

// inbox holds the in-memory side of accepted events: per-conversation
// worker queues and the ids already queued.
type inbox struct {
	locks [64]sync.Mutex // striped per conversation: one event at a time per thread
	// queues are made on first use (Accept, Run): at the default depth they
	// take tens of MB, which an engine that only handles events
	// synchronously (the console, tests) never needs.
	queuesOnce sync.Once
	workers    int
	depth      int
	queuesMade []chan Event
	// queued holds the ids of accepted events sitting in a queue, so the
	// sweep of pending events doesn't queue them twice.
	queuedMu sync.Mutex
	queued   map[string]bool
	overflow atomic.Bool // an accepted event found its queue full
}

func newInbox(workers, depth int) *inbox {
	return &inbox{workers: workers, depth: depth, queued: map[string]bool{}}
}

// queues returns the worker queues, making them the first time.
func (in *inbox) queues() []chan Event {
	in.queuesOnce.Do(func() {
		in.queuesMade = make([]chan Event, in.workers)
		for i := range in.queuesMade {
			in.queuesMade[i] = make(chan Event, in.depth)
		}
	})
	return in.queuesMade
}

func convHash(c Conversation) uint32 {
	h := fnv.New32a()
	h.Write([]byte(c.String()))
	return h.Sum32()
}

func (in *inbox) shard(c Conversation) int { return int(convHash(c) % uint32(in.workers)) }

func (e *Engine) lock(c Conversation) func() {
	m := &e.in.locks[convHash(c)%uint32(len(e.in.locks))]
	m.Lock()
	return m.Unlock
}

// HandleEvent processes ev synchronously and delivers the replies it
// queued before returning (the console and tests wait for them). A
// redelivered ev.ID, or a message whose MessageKeys were seen before, has
// no effect.
func (e *Engine) HandleEvent(ctx context.Context, ev Event) error {
	RedactEvent(&ev) // the door: nothing below sees the raw text
	if len(ev.MessageKeys) > 0 {
		// Record the message keys with the event, atomically, first.
		if err := e.receive(ctx, ev); err != nil {
			if errors.Is(err, incidents.ErrDuplicate) {
				return nil
			}
			return err
		}
	}
	if err := e.handle(ctx, ev); err != nil {
		return err
	}
	if err := e.deliverAll(ctx); err != nil {
		e.log.Error("outbox", "err", err)
	}
	return nil
}

// Commit processes ev and commits its effects together with its replies,
// queued in the outbox, without delivering them: the running outbox (Run,
// RunOutbox) or FlushOutbox does. A redelivered ev.ID has no effect.
// Message keys are not recorded: use HandleEvent or Accept for events that
// have them.
func (e *Engine) Commit(ctx context.Context, ev Event) error { return e.handle(ctx, ev) }

// handle processes an event recorded in the inbox, or one without message
// keys; the outbox delivers what it queued.
func (e *Engine) handle(ctx context.Context, ev Event) error {
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

// receive records ev in the inbox with its message keys. Errors:
// incidents.ErrDuplicate when its id or a message key was seen before.
func (e *Engine) receive(ctx context.Context, ev Event) error {
	if ev.ID == "" {
		return fmt.Errorf("%w: event without id", incidents.ErrInvalid)
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return e.store.EnqueueEvent(ctx, ev.ID, payload, e.clock.Now(), ev.MessageKeys...)
}

// Accept durably enqueues ev and processes it in the background, for
// adapters that must acknowledge the platform within a deadline. It returns
// nil for a duplicate (the same id, or a message seen under another id):
// the platform may stop retrying. Run must be running.
func (e *Engine) Accept(ctx context.Context, ev Event) error {
	RedactEvent(&ev) // the door: the inbox payload holds no card or secret
	if err := e.receive(ctx, ev); err != nil {
		if errors.Is(err, incidents.ErrDuplicate) {
			return nil
		}
		return err
	}
	if !e.enqueue(ev, false) {
		// The event is durable; the sweep picks it up once the queue drains.
		e.in.overflow.Store(true)
	}
	return nil
}

// enqueue hands ev to its conversation's worker unless it is already
// queued. With block=false it gives up when the queue is full.
func (e *Engine) enqueue(ev Event, block bool) bool {
	in := e.in
	in.queuedMu.Lock()
	if in.queued[ev.ID] {
		in.queuedMu.Unlock()
		return true
	}
	in.queued[ev.ID] = true
	in.queuedMu.Unlock()
	q := in.queues()[in.shard(ev.Conversation)]
	if block {
		q <- ev
		return true
	}
	select {
	case q <- ev:
		return true
	default:
		in.queuedMu.Lock()
		delete(in.queued, ev.ID)
		in.queuedMu.Unlock()
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

// runWorkers processes accepted events, each conversation on one worker so
// its events stay in order, until ctx is done; an event being processed is
// finished first. Workers never deliver: the outbox does.
func (e *Engine) runWorkers(ctx context.Context, wg *sync.WaitGroup) {
	for _, q := range e.in.queues() {
		wg.Add(1)
		go func(q chan Event) {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case ev := <-q:
					if err := e.handle(context.WithoutCancel(ctx), ev); err != nil {
						e.log.Error("event failed", "event", ev.ID, "err", err)
					}
					e.in.queuedMu.Lock()
					delete(e.in.queued, ev.ID)
					e.in.queuedMu.Unlock()
				}
			}
		}(q)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.sweep(ctx) // events accepted before a crash
		e.pruneReplyState(ctx)
		fast := time.NewTicker(time.Second)
		defer fast.Stop()
		for n := 1; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-fast.C:
				// Overflow is swept at once; failed events every 30 s.
				if e.in.overflow.Swap(false) || n%30 == 0 {
					e.sweep(ctx)
				}
				if n%300 == 0 {
					e.pruneReplyState(ctx)
				}
			}
		}
	}()
}

// replyStatePruner is a store holding the adapters' short-lived reply state
// (table reply_state: Discord's claims on deferred originals and sealed
// interaction routes, each expiring with its token). Both stores are.
type replyStatePruner interface {
	PruneReplyState(ctx context.Context, now time.Time) (int64, error)
}

// pruneReplyState deletes expired reply state; Run calls it every 5 minutes
// on every replica (a delete of expired rows is harmless twice over).
func (e *Engine) pruneReplyState(ctx context.Context) {
	p, ok := e.store.(replyStatePruner)
	if !ok {
		return
	}
	n, err := p.PruneReplyState(ctx, e.clock.Now())
	if err != nil && ctx.Err() == nil {
		e.log.Error("pruning expired reply state", "err", err)
	} else if n > 0 {
		e.log.Debug("pruned expired reply state", "rows", n)
	}
}
