package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/paybot/paybot/incidents"
)

// Searcher answers troubleshooting questions. cmd/paybot wraps kb.Index to
// satisfy it, so the core never imports the index.
type Searcher interface {
	// Ask returns the best hits for question and whether they are good
	// enough to show as answers.
	Ask(ctx context.Context, question string, limit int) (hits []Hit, confident bool, err error)
}

// CodeFinder is an optional ability of a Searcher: the keys
// (paycode.Canonical) of the codes in a text that its documents hold as
// codes, such as an acquirer's E0054, SEPA's AM04 or a gateway's GW-31,
// which incidents.ExtractCodes does not know by their system.
type CodeFinder interface {
	KnownCodes(ctx context.Context, text string) []string
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
	// InboxRetention is how long processed event keys are kept for dedupe
	// before they are pruned; defaults to 7 days.
	InboxRetention time.Duration
	// OutboxRetention is how long sent notifications are kept, and
	// DeadRetention how long those given up are kept for an operator to
	// look at; JobRetention is how long done and cancelled jobs are kept
	// (those of active incidents stay while it is active). Defaults: 7, 30
	// and 7 days (prune.go).
	OutboxRetention time.Duration
	DeadRetention   time.Duration
	JobRetention    time.Duration
	// OutboxLease is how long a claimed notification stays claimed unless
	// the delivering worker extends it (every third of it); after a crash a
	// claimed notification waits this long. Defaults to 15 seconds.
	OutboxLease time.Duration
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

	in *inbox

	retention time.Duration
	keep      retention // prune.go: outbox and jobs
	lease     time.Duration
	busy      inFlight // RunOutbox's deliveries in flight

	policy *incidents.Policy
	mailer Mailer
	tick   time.Duration
	kick   chan struct{}
	gw     *gatewayState // bot/gateway.go
	review reviewState   // review.go
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

		retention: cfg.InboxRetention,
		keep:      retentionOf(cfg),
		lease:     cfg.OutboxLease,
	}
	if e.retention <= 0 {
		e.retention = defaultInboxRetention
	}
	if e.lease <= 0 {
		e.lease = defaultOutboxLease
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
	e.in = newInbox(workers, depth)
	e.registerCoreCommands()
	e.registerEscalationCommands()
	e.registerGatewayCommands()
	e.registerWorkflowCommands()
	e.registerReviewCommands()
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
		return nil, fmt.Errorf("%w %q", errNoAdapter, platform)
	}
	return a, nil
}

// Run processes accepted events, runs due jobs and delivers the outbox
// until ctx is done. At start it picks up events that were accepted but not
// processed before a crash, and delivers what was pending. When ctx ends it
// takes no more work, finishes the events and deliveries in flight, and
// returns.
func (e *Engine) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	e.runWorkers(ctx, &wg)
	wg.Add(3)
	go func() { defer wg.Done(); e.RunScheduler(ctx, e.tick) }()
	go func() { defer wg.Done(); e.RunOutbox(ctx, e.tick) }()
	go func() { defer wg.Done(); e.RunPrune(ctx, 0) }()
	wg.Wait()
	return ctx.Err()
}

func (e *Engine) process(ctx context.Context, ev Event) error {
	ev.At = e.clock.Now()
	for attempt := 1; ; attempt++ {
		r := &reply{e: e, ev: ev}
		if len(ev.Masked) > 0 { // RedactEvent masked these at the door
			r.add(maskNotice(ev, ev.Masked))
			r.pre = append(r.pre, r.msgs...)
			if attempt == 1 {
				e.log.Info("masked sensitive data", "event", ev.ID, "findings", len(ev.Masked))
			}
		}
		routeErr := e.guard("event", ev.ID, func() error {
			if err := e.route(ctx, r, ev); err != nil || r.write == nil {
				return err
			}
			return r.flush(ctx)
		})
		// The outbox records card and thread ids on the incident while
		// people talk in its thread: a change that lost that race is made
		// again on the fresh incident rather than refused.
		if errors.Is(routeErr, incidents.ErrConflict) && !r.marked && attempt < maxConflictRetries {
			continue
		}
		err := r.finish(ctx, routeErr)
		// Wake the outbox: what this event queued goes out at once.
		e.kickOutbox()
		return err
	}
}

// maxConflictRetries is how often an event is handled again after losing
// a race for its incident (a version conflict) before the sender is told.
const maxConflictRetries = 4

func maskNotice(ev Event, labels []string) Message {
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

// errNoAdapter: this process does not run the platform's adapter (a
// console sharing the data directory with `paybot serve`). The outbox
// leaves such messages for a process that does, never giving up on them.
var errNoAdapter = errors.New("no adapter in this process for platform")

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
	case errors.Is(err, ErrInternal):
		return "I hit a bug handling that and nothing was changed; it is logged for the maintainers. Please rephrase, or use /payissue escalate if this is urgent."
	default:
		return "Something went wrong on my side and nothing was changed. Please try again in a moment."
	}
}
