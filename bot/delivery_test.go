package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/sqlite"
)

// scripted is an adapter whose calls a test can fail, delay or hold.
type scripted struct {
	mu      sync.Mutex
	posts   []Message
	threads int
	replies []string // texts sent through Respond
	// postErr, when set, answers a post instead of the platform.
	postErr func(m Message) error
	// threadErr, when set, answers OpenThread.
	threadErr func() error
	// hold, when set, is waited on by posts to its channel.
	hold map[string]chan struct{}
	// delay is slept by every post, respecting ctx.
	delay time.Duration
	// sleep is slept by every post, ignoring ctx (a stuck call).
	sleep time.Duration
}

func (a *scripted) Platform() string { return "fake" }

func (a *scripted) Post(ctx context.Context, m Message) (MessageRef, error) {
	a.mu.Lock()
	h := a.hold[m.Conversation.Channel]
	f := a.postErr
	a.mu.Unlock()
	if h != nil {
		select {
		case <-h:
		case <-ctx.Done():
			return MessageRef{}, ctx.Err()
		}
	}
	if a.delay > 0 {
		select {
		case <-time.After(a.delay):
		case <-ctx.Done():
			return MessageRef{}, ctx.Err()
		}
	}
	time.Sleep(a.sleep)
	if f != nil {
		if err := f(m); err != nil {
			return MessageRef{}, err
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.posts = append(a.posts, m)
	return MessageRef{Conversation: m.Conversation, ID: fmt.Sprintf("m%d", len(a.posts))}, nil
}

func (a *scripted) Update(context.Context, MessageRef, Message) error { return nil }

func (a *scripted) OpenThread(_ context.Context, root MessageRef, _ string) (Conversation, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.threadErr != nil {
		if err := a.threadErr(); err != nil {
			return Conversation{}, err
		}
	}
	a.threads++
	c := root.Conversation
	c.Thread = root.ID
	return c, nil
}

func (a *scripted) Start(ctx context.Context, _ Handler) error { <-ctx.Done(); return nil }

func (a *scripted) Respond(_ context.Context, token string, m Message) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.replies = append(a.replies, token+" "+m.Text)
	return nil
}

func (a *scripted) count(kind MessageKind, channel string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, m := range a.posts {
		if m.Kind == kind && (channel == "" || m.Conversation.Channel == channel) {
			n++
		}
	}
	return n
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type rig struct {
	t     *testing.T
	path  string
	store *sqlite.Store
	clock *testClock
	a     *scripted
	e     *Engine
	n     int
}

func newRig(t *testing.T, cfg Config) *rig {
	r := &rig{t: t, path: filepath.Join(t.TempDir(), "paybot.db"), clock: &testClock{now: time.Date(2026, 11, 26, 14, 30, 0, 0, time.UTC)}, a: &scripted{}}
	r.open(cfg)
	t.Cleanup(func() { r.store.Close() })
	return r
}

func (r *rig) open(cfg Config) {
	st, err := sqlite.Open(context.Background(), r.path)
	if err != nil {
		r.t.Fatal(err)
	}
	r.store = st
	cfg.Store = st
	if cfg.Clock == nil {
		cfg.Clock = r.clock
	}
	r.e = NewEngine(cfg)
	r.e.AddAdapter(r.a)
}

// restart builds a new engine on the same database, as a new process would.
func (r *rig) restart(cfg Config) {
	r.store.Close()
	r.open(cfg)
}

func (r *rig) command(channel, text string) Event {
	r.n++
	return Event{ID: fmt.Sprintf("fake:ev%d", r.n), Kind: EventCommand, Text: text, ReplyToken: fmt.Sprintf("tok%d", r.n),
		Conversation: Conversation{Platform: "fake", Channel: channel}, User: User{Platform: "fake", ID: "alice", Name: "alice"}}
}

func (r *rig) incidents() []*incidents.Incident {
	list, err := r.store.ListIncidents(context.Background(), incidents.ListFilter{})
	if err != nil {
		r.t.Fatal(err)
	}
	return list
}

func (r *rig) flush() {
	if _, err := r.e.FlushOutbox(context.Background()); err != nil {
		r.t.Fatal(err)
	}
}

// A process killed after the commit and before any delivery: the restart
// posts the card exactly once, threads it and links it.
func TestKillBetweenCommitAndDelivery(t *testing.T) {
	r := newRig(t, Config{})
	ctx := context.Background()
	for i := range 3 {
		if err := r.e.handle(ctx, r.command("C1", fmt.Sprintf("checkout failing %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.a.count(KindCard, ""); n != 0 {
		t.Fatalf("event handling posted %d cards itself", n)
	}
	r.restart(Config{})
	r.flush()
	r.flush()
	for _, inc := range r.incidents() {
		if inc.CardMessage == "" || inc.Conversation.IsZero() {
			t.Errorf("%s has no card or thread after restart: %+v", inc.Ref, inc)
		}
	}
	if n := r.a.count(KindCard, ""); n != 3 {
		t.Fatalf("%d cards, want 3", n)
	}
	if n := r.a.count(KindQuestion, ""); n != 3 {
		t.Fatalf("%d first questions, want 3", n)
	}
}

// The card was posted, then the thread failed (or the process died): the
// retry opens the thread on the recorded card and never posts a second one.
func TestCardPostedThreadFailsRetryUpdatesNotReposts(t *testing.T) {
	r := newRig(t, Config{})
	fails := 1
	r.a.threadErr = func() error {
		if fails > 0 {
			fails--
			return errors.New("502 bad gateway")
		}
		return nil
	}
	if err := r.e.HandleEvent(context.Background(), r.command("C1", "refunds stuck")); err != nil {
		t.Fatal(err)
	}
	inc := r.incidents()[0]
	if inc.CardMessage == "" || !inc.Conversation.IsZero() {
		t.Fatalf("after the failed thread: card %q conv %+v", inc.CardMessage, inc.Conversation)
	}
	r.restart(Config{})
	r.clock.Advance(2 * time.Second)
	r.flush()
	inc = r.incidents()[0]
	if r.a.count(KindCard, "") != 1 || inc.Conversation.IsZero() || r.a.count(KindQuestion, "") != 1 {
		t.Fatalf("cards %d, questions %d, conv %+v", r.a.count(KindCard, ""), r.a.count(KindQuestion, ""), inc.Conversation)
	}
}

// not_in_channel: the reporter is told what to do through the reply route,
// the incident is parked visibly, retries make no second incident, and
// after the invite the card is posted exactly once.
func TestNotInChannelParksAndRetryPostsOnce(t *testing.T) {
	r := newRig(t, Config{})
	ctx := context.Background()
	var invited atomic.Bool
	r.a.postErr = func(m Message) error {
		if m.Conversation.Channel == "CPAY" && !invited.Load() {
			return CannotPost(ReasonNotInChannel, errors.New("not_in_channel"))
		}
		return nil
	}
	r.e.HandleEvent(ctx, r.command("CPAY", "payouts delayed"))
	list := r.incidents()
	if len(list) != 1 || list[0].Details.CardProblem == "" || list[0].CardMessage != "" || list[0].Status != incidents.StatusIntake {
		t.Fatalf("incidents %+v", list)
	}
	if len(r.a.replies) != 1 || !strings.HasPrefix(r.a.replies[0], "tok1 ") || !strings.Contains(r.a.replies[0], "/invite @Paybot") {
		t.Fatalf("reply route: %q", r.a.replies)
	}
	// Visible in list and status, from a channel the bot is in.
	r.e.HandleEvent(ctx, r.command("COPS", "list"))
	r.e.HandleEvent(ctx, r.command("COPS", "status "+list[0].Ref))
	for _, m := range r.a.posts[len(r.a.posts)-2:] {
		if !strings.Contains(m.Text, "parked") {
			t.Fatalf("not shown as parked: %q", m.Text)
		}
	}
	// The same command again, still not invited: no second incident.
	r.e.HandleEvent(ctx, r.command("CPAY", "payouts delayed"))
	if n := len(r.incidents()); n != 1 {
		t.Fatalf("%d incidents after the retry", n)
	}
	if len(r.a.replies) != 2 {
		t.Fatalf("second retry not answered: %q", r.a.replies)
	}
	invited.Store(true)
	r.e.HandleEvent(ctx, r.command("CPAY", "payouts delayed"))
	r.flush()
	list = r.incidents()
	if len(list) != 1 || list[0].Conversation.IsZero() || list[0].Details.CardProblem != "" {
		t.Fatalf("after invite: %+v", list)
	}
	if n := r.a.count(KindCard, "CPAY"); n != 1 {
		t.Fatalf("%d cards after invite, want 1", n)
	}
}

// A 429 with Retry-After: 20 s is retried after 20 s, once.
func TestRetryAfter20sDeliveredOnce(t *testing.T) {
	r := newRig(t, Config{})
	calls := 0
	r.a.postErr = func(m Message) error {
		if m.Kind != KindCard {
			return nil
		}
		calls++
		if calls == 1 {
			return &RetryAfterError{After: 20 * time.Second, Err: errors.New("429")}
		}
		return nil
	}
	r.e.HandleEvent(context.Background(), r.command("C1", "3DS failing"))
	r.clock.Advance(19 * time.Second)
	r.flush()
	if r.a.count(KindCard, "") != 0 {
		t.Fatal("retried before Retry-After")
	}
	r.clock.Advance(time.Second)
	r.flush()
	r.clock.Advance(time.Minute)
	r.flush()
	if n := r.a.count(KindCard, ""); n != 1 || calls != 2 {
		t.Fatalf("cards %d after %d calls, want 1 after 2", n, calls)
	}
}

// A delivery slower than the lease is not claimed by another worker: the
// lease is extended while it runs.
func TestSlowDeliveryOutlivesLeaseOnce(t *testing.T) {
	cfg := Config{OutboxLease: 300 * time.Millisecond, Clock: incidents.SystemClock{}}
	r := newRig(t, cfg)
	r.a.sleep = time.Second // a stuck call that ignores its context
	if err := r.e.handle(context.Background(), r.command("C1", "slow platform")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	// Two workers, as two replicas would run.
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); r.e.RunOutbox(ctx, 20*time.Millisecond) }()
	}
	other := NewEngine(Config{Store: r.store, OutboxLease: cfg.OutboxLease})
	other.AddAdapter(r.a)
	wg.Add(1)
	go func() { defer wg.Done(); other.RunOutbox(ctx, 20*time.Millisecond) }()
	deadline := time.Now().Add(10 * time.Second)
	for r.a.count(KindQuestion, "") == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	cancel()
	wg.Wait()
	if n := r.a.count(KindCard, ""); n != 1 {
		t.Fatalf("%d cards, want 1", n)
	}
	if n := r.a.count(KindQuestion, ""); n != 1 {
		t.Fatalf("%d first questions, want 1", n)
	}
}

// One channel flooded with 10,000 messages and stuck on its first one does
// not delay another channel's card; the flooded channel keeps its order.
func TestFloodedChannelDoesNotDelayAnother(t *testing.T) {
	r := newRig(t, Config{})
	ctx := context.Background()
	release := make(chan struct{})
	r.a.hold = map[string]chan struct{}{"CFLOOD": release}
	var ns []incidents.Notification
	now := r.clock.Now()
	for i := range 10000 {
		m := Message{Conversation: Conversation{Platform: "fake", Channel: "CFLOOD"}, Kind: KindText, Text: fmt.Sprintf("flood %05d", i)}
		raw, _ := json.Marshal(outPayload{Message: m})
		ns = append(ns, incidents.Notification{Kind: incidents.NotifyThreadPost, Payload: raw, DedupeKey: fmt.Sprintf("flood/%d", i),
			ChannelKey: channelKey(m.Conversation), NextAttemptAt: now})
	}
	if err := r.store.QueueNotifications(ctx, ns); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); r.e.Run(rctx) }()
	if err := r.e.Accept(ctx, r.command("CQUIET", "payment page down")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.a.count(KindQuestion, "CQUIET") == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if r.a.count(KindCard, "CQUIET") != 1 || r.a.count(KindQuestion, "CQUIET") != 1 {
		t.Fatalf("the quiet channel waited for the flooded one: cards %d", r.a.count(KindCard, "CQUIET"))
	}
	if n := r.a.count(KindText, "CFLOOD"); n != 0 {
		t.Fatalf("%d flood messages went out while the channel was held", n)
	}
	close(release)
	for r.a.count(KindText, "CFLOOD") < 30 && time.Now().Before(deadline.Add(10*time.Second)) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	r.a.mu.Lock()
	defer r.a.mu.Unlock()
	last := -1
	for _, m := range r.a.posts {
		if m.Conversation.Channel != "CFLOOD" {
			continue
		}
		var i int
		fmt.Sscanf(m.Text, "flood %d", &i)
		if i != last+1 {
			t.Fatalf("flooded channel out of order: %d after %d", i, last)
		}
		last = i
	}
	if last < 29 {
		t.Fatalf("only %d flood messages after release", last+1)
	}
}

// The synchronous HandleEvent (console, tests) returns only once its replies
// are out, even when the background outbox claimed them first.
func TestHandleEventWaitsForBackgroundDelivery(t *testing.T) {
	r := newRig(t, Config{Tick: time.Millisecond, Clock: incidents.SystemClock{}})
	r.a.delay = 2 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.e.RunOutbox(ctx, time.Millisecond) }()
	defer func() { cancel(); <-done }()
	for i := range 30 {
		if err := r.e.HandleEvent(context.Background(), r.command(fmt.Sprintf("C%d", i), "checkout failing")); err != nil {
			t.Fatal(err)
		}
		if n := r.a.count(KindQuestion, fmt.Sprintf("C%d", i)); n != 1 {
			t.Fatalf("round %d: HandleEvent returned before the first question was out (%d)", i, n)
		}
	}
}

// A platform that keeps failing: after a few attempts the reporter is told,
// once, that the incident is saved and the card is late; when the platform
// recovers the card is posted once.
func TestCardLateReporterToldOnce(t *testing.T) {
	r := newRig(t, Config{})
	var down atomic.Bool
	down.Store(true)
	r.a.postErr = func(m Message) error {
		if m.Kind == KindCard && down.Load() {
			return errors.New("503 service unavailable")
		}
		return nil
	}
	r.e.HandleEvent(context.Background(), r.command("C1", "checkout failing"))
	for range 6 {
		r.clock.Advance(5 * time.Minute)
		r.flush()
	}
	late := 0
	for _, s := range r.a.replies {
		if strings.Contains(s, "is saved") {
			late++
		}
	}
	if late != 1 {
		t.Fatalf("late notices %d, want 1: %q", late, r.a.replies)
	}
	down.Store(false)
	r.clock.Advance(5 * time.Minute)
	r.flush()
	if n := r.a.count(KindCard, ""); n != 1 || r.incidents()[0].Conversation.IsZero() {
		t.Fatalf("cards %d after recovery", n)
	}
}

// A reply to an event that changes no incident (help) commits with the
// event's "processed" mark: killed before delivery, the restart delivers
// it once, and the redelivered event adds nothing.
func TestReplyCommitsWithEventMark(t *testing.T) {
	r := newRig(t, Config{})
	ev := r.command("C1", "help")
	if err := r.e.handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if len(r.a.posts) != 0 {
		t.Fatal("handling posted by itself")
	}
	r.restart(Config{})
	if err := r.e.HandleEvent(context.Background(), ev); err != nil { // the platform redelivers
		t.Fatal(err)
	}
	r.flush()
	if n := r.a.count(KindText, "C1"); n != 1 || !strings.Contains(r.a.posts[0].Text, "Commands") {
		t.Fatalf("%d help replies, want 1: %+v", n, r.a.posts)
	}
}
