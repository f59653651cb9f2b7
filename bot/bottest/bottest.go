// Package bottest is the conversation harness: a fake adapter, a fake clock
// and a temporary store around a real Engine, so a whole conversation is a
// ten-line test.
package bottest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/sqlite"
)

// Clock is a fake clock that only moves when told.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now implements incidents.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Platform is the fake adapter's platform name.
const Platform = "fake"

// Adapter records everything the engine sends.
type Adapter struct {
	mu      sync.Mutex
	Posts   []bot.Message
	Updates []bot.Message
	Private []bot.Message
	DMs     []bot.Message
	// Log holds posts, private messages and DMs in the order sent.
	Log      []bot.Message
	threads  int
	messages int
}

var (
	_ bot.Adapter         = (*Adapter)(nil)
	_ bot.Ephemeral       = (*Adapter)(nil)
	_ bot.DirectMessenger = (*Adapter)(nil)
)

func (a *Adapter) Platform() string { return Platform }

// Messages returns a copy of Log, safe while deliveries run.
func (a *Adapter) Messages() []bot.Message {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]bot.Message(nil), a.Log...)
}

// IDsAreNames implements bot.NameIdentifier: fake users' ids are their names.
func (a *Adapter) IDsAreNames() bool { return true }

func (a *Adapter) Post(_ context.Context, m bot.Message) (bot.MessageRef, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.messages++
	a.Posts = append(a.Posts, m)
	a.Log = append(a.Log, m)
	return bot.MessageRef{Conversation: m.Conversation, ID: fmt.Sprintf("msg%d", a.messages)}, nil
}

func (a *Adapter) Update(_ context.Context, _ bot.MessageRef, m bot.Message) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Updates = append(a.Updates, m)
	return nil
}

func (a *Adapter) OpenThread(_ context.Context, root bot.MessageRef, _ string) (bot.Conversation, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.threads++
	c := root.Conversation
	c.Thread = root.ID
	return c, nil
}

func (a *Adapter) Start(ctx context.Context, _ bot.Handler) error {
	<-ctx.Done()
	return nil
}

func (a *Adapter) PostEphemeral(_ context.Context, to bot.User, m bot.Message) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Private = append(a.Private, m)
	a.Log = append(a.Log, m)
	return nil
}

func (a *Adapter) DirectMessage(_ context.Context, to bot.User, m bot.Message) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.DMs = append(a.DMs, m)
	a.Log = append(a.Log, m)
	return nil
}

// Harness runs conversations against a real engine and sqlite store.
type Harness struct {
	T       testing.TB
	Dir     string
	Clock   *Clock
	Adapter *Adapter
	Store   incidents.Store
	Engine  *bot.Engine
	Config  bot.Config
	// Thread is the conversation plain messages go to: set by Open.
	Thread bot.Conversation
	seq    int
}

// Channel is the channel incidents are opened in.
var Channel = bot.Conversation{Platform: Platform, Channel: "C1"}

// New returns a harness; cfg may set Flow, KB and Location.
func New(t testing.TB, cfg bot.Config) *Harness {
	t.Helper()
	h := &Harness{T: t, Dir: t.TempDir(), Clock: NewClock(time.Date(2026, 11, 26, 14, 30, 0, 0, time.UTC)), Adapter: &Adapter{}, Config: cfg}
	h.open()
	t.Cleanup(func() { h.Store.Close() })
	return h
}

func (h *Harness) open() {
	h.T.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(h.Dir, "paybot.db"))
	if err != nil {
		h.T.Fatalf("opening store: %v", err)
	}
	h.Store = st
	cfg := h.Config
	cfg.Store = st
	cfg.Clock = h.Clock
	h.Engine = bot.NewEngine(cfg)
	h.Engine.AddAdapter(h.Adapter)
}

// Restart closes the store and builds a new engine on the same files, as a
// process restart would.
func (h *Harness) Restart() {
	h.T.Helper()
	if err := h.Store.Close(); err != nil {
		h.T.Fatalf("closing store: %v", err)
	}
	h.open()
}

// Snapshot is a harness frozen after a conversation: a copy of its store's
// files and what the harness itself remembers (the clock, the current
// thread, the counters behind event ids and message ids, what the fake
// adapter recorded). FromSnapshot
// opens harnesses that carry on from there, each on its own copy, so a
// setup that takes a dozen durable commits is played once and then costs a
// file copy per test (the permission matrix: one setup per state, not one
// per case). A Snapshot is read-only and safe to share between parallel
// tests.
type Snapshot struct {
	files   map[string][]byte // paybot.db and its -wal, by name
	now     time.Time
	thread  bot.Conversation
	seq     int
	adapter Adapter // what it recorded, and its id counters
}

// Snapshot closes the store (so every commit is in its files), copies the
// files, and opens the store again, as Restart does.
func (h *Harness) Snapshot() *Snapshot {
	h.T.Helper()
	if err := h.Store.Close(); err != nil {
		h.T.Fatalf("closing store: %v", err)
	}
	s := &Snapshot{files: map[string][]byte{}, now: h.Clock.Now(), thread: h.Thread, seq: h.seq}
	for _, name := range []string{"paybot.db", "paybot.db-wal"} {
		b, err := os.ReadFile(filepath.Join(h.Dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			h.T.Fatalf("snapshot: %v", err)
		}
		s.files[name] = b
	}
	s.adapter = h.Adapter.copy()
	h.open()
	return s
}

// copy returns a copy of what a recorded, with its id counters.
func (a *Adapter) copy() Adapter {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := func(m []bot.Message) []bot.Message { return append([]bot.Message(nil), m...) }
	return Adapter{Posts: c(a.Posts), Updates: c(a.Updates), Private: c(a.Private), DMs: c(a.DMs), Log: c(a.Log),
		threads: a.threads, messages: a.messages}
}

// FromSnapshot returns a harness on a copy of s, with cfg (which may set
// Flow, KB, Location and Policy, like New's; give the one the snapshot was
// made with, or a fresh KB of the same kind), a clock at the snapshot's
// time, the snapshot's thread, and event and message ids that carry on
// where it stopped, so nothing collides with what the copy holds.
func FromSnapshot(t testing.TB, s *Snapshot, cfg bot.Config) *Harness {
	t.Helper()
	ad := s.adapter.copy() // each harness its own slices
	h := &Harness{T: t, Dir: t.TempDir(), Clock: NewClock(s.now), Config: cfg, Thread: s.thread, seq: s.seq, Adapter: &ad}
	for name, b := range s.files {
		if err := os.WriteFile(filepath.Join(h.Dir, name), b, 0o600); err != nil {
			t.Fatalf("snapshot copy: %v", err)
		}
	}
	h.open()
	t.Cleanup(func() { h.Store.Close() })
	return h
}

// Send delivers an event and returns the messages posted while handling it.
func (h *Harness) Send(ev bot.Event) []bot.Message {
	h.T.Helper()
	if ev.ID == "" {
		h.seq++
		ev.ID = fmt.Sprintf("fake:ev%d", h.seq)
	}
	if ev.User.ID == "" {
		ev.User = User("alice")
	}
	h.Adapter.mu.Lock()
	before := len(h.Adapter.Log)
	h.Adapter.mu.Unlock()
	if err := h.Engine.HandleEvent(context.Background(), ev); err != nil {
		h.T.Fatalf("HandleEvent(%q): %v", ev.Text, err)
	}
	h.Adapter.mu.Lock()
	defer h.Adapter.mu.Unlock()
	return append([]bot.Message(nil), h.Adapter.Log[before:]...)
}

// User returns a fake user.
func User(id string) bot.User { return bot.User{Platform: Platform, ID: id, Name: id} }

// Command runs "/payissue <text>" in the channel (or in the current thread
// when inThread).
func (h *Harness) Command(text string) []bot.Message {
	h.T.Helper()
	conv := Channel
	msgs := h.Send(bot.Event{Kind: bot.EventCommand, Conversation: conv, Text: text})
	for _, m := range msgs {
		if m.Kind == bot.KindQuestion && !m.Conversation.IsZero() {
			h.Thread = m.Conversation
			break
		}
	}
	return msgs
}

// ThreadCommand runs "/payissue <text>" inside the current thread.
func (h *Harness) ThreadCommand(text string) []bot.Message {
	h.T.Helper()
	return h.Send(bot.Event{Kind: bot.EventCommand, Conversation: h.Thread, Text: text})
}

// Say posts a plain message in the current thread.
func (h *Harness) Say(text string) []bot.Message {
	h.T.Helper()
	return h.Send(bot.Event{Kind: bot.EventMessage, Conversation: h.Thread, Text: text})
}

// Press clicks a button or picks select values in the current thread.
func (h *Harness) Press(action string, values ...string) []bot.Message {
	h.T.Helper()
	return h.Send(bot.Event{Kind: bot.EventAction, Conversation: h.Thread, Action: action, Values: values})
}

// Expects returns the step id awaited by the last question in msgs, or "".
func Expects(msgs []bot.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Expects != "" {
			return msgs[i].Expects
		}
	}
	return ""
}

// Incident returns the incident of the current thread.
func (h *Harness) Incident() *incidents.Incident {
	h.T.Helper()
	inc, err := h.Store.IncidentByConversation(context.Background(), h.Thread)
	if err != nil {
		h.T.Fatalf("incident of %v: %v", h.Thread, err)
	}
	return inc
}
