package console

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/bot"
)

// Platform is the platform name of console users and conversations.
const Platform = "console"

// Channel is the one channel of the console.
const Channel = "console"

// Options configure the console.
type Options struct {
	In     io.Reader
	Out    io.Writer
	JSON   bool   // JSON lines in and out, for scripts
	User   string // who is typing; defaults to "you"
	Thread string // thread to start in (an incident ref)
	// Prompt shows "> " before each line in interactive text mode.
	Prompt bool
}

// Adapter is the terminal chat.
type Adapter struct {
	opts Options

	mu       sync.Mutex
	current  string // the thread plain lines go to
	resuming bool   // Start is re-asking unfinished intakes
	seq      int
	quit     bool // :quit was typed
}

var (
	_ bot.Adapter         = (*Adapter)(nil)
	_ bot.Mentioner       = (*Adapter)(nil)
	_ bot.DirectMessenger = (*Adapter)(nil)
	_ bot.NameMessenger   = (*Adapter)(nil)
)

// New returns a console adapter.
func New(opts Options) *Adapter {
	if opts.User == "" {
		opts.User = "you"
	}
	return &Adapter{opts: opts, current: strings.ToUpper(opts.Thread)}
}

// Platform implements bot.Adapter.
func (a *Adapter) Platform() string { return Platform }

// Mention implements bot.Mentioner.
func (a *Adapter) Mention(u bot.User) string { return "@" + u.ID }

// output is one line of --json output.
type output struct {
	Incident string       `json:"incident"`
	Thread   string       `json:"thread"`
	Kind     string       `json:"kind"`
	Text     string       `json:"text"`
	Expects  string       `json:"expects"`
	Choices  []bot.Choice `json:"choices"`
	Multi    bool         `json:"multi,omitempty"`
	Hits     []bot.Hit    `json:"hits,omitempty"`
	To       string       `json:"to,omitempty"`
	DM       bool         `json:"dm,omitempty"`
	Card     *bot.Card    `json:"card,omitempty"`
}

func (a *Adapter) write(m bot.Message, dm *bot.User) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.writeLocked(m, dm)
}

// writeLocked writes with a.mu held.
func (a *Adapter) writeLocked(m bot.Message, dm ...*bot.User) {
	var to *bot.User
	if len(dm) > 0 {
		to = dm[0]
	}
	// Lines go to the thread whose question was asked last while the
	// intakes are resumed (the newest, shown last), else to the first
	// thread that asks one while none is current.
	if m.Kind == bot.KindQuestion && m.Conversation.Thread != "" && (a.current == "" || a.resuming) {
		a.current = m.Conversation.Thread
	}
	if a.opts.JSON {
		o := output{Incident: m.Incident, Thread: m.Conversation.Thread, Kind: string(m.Kind), Text: m.Text,
			Expects: m.Expects, Choices: m.Choices, Multi: m.Multi, Hits: m.Hits, Card: m.Card}
		if o.Choices == nil {
			o.Choices = []bot.Choice{}
		}
		if m.To != nil {
			o.To = m.To.ID
		}
		if to != nil {
			o.To, o.DM = to.ID, true
		}
		b, _ := json.Marshal(o)
		fmt.Fprintf(a.opts.Out, "%s\n", b)
		return
	}
	if m.Kind == bot.KindCard && m.Card != nil && m.Card.Gateway != "" {
		m.Text += "\nGateway status: " + m.Card.Gateway
	}
	prefix := "[bot]"
	switch {
	case to != nil:
		prefix = "[dm → " + displayName(*to) + "]"
	case m.Conversation.Thread != "":
		prefix = "[" + m.Conversation.Thread + "]"
	}
	text := m.Text
	if m.Kind == bot.KindNotice {
		text = "⚠ " + text
	}
	fmt.Fprintf(a.opts.Out, "%s %s\n", prefix, strings.ReplaceAll(text, "\n", "\n    "))
}

func displayName(u bot.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.ID
}

// Post implements bot.Adapter. A card's id is its incident ref, and so is
// the id of the thread opened on it.
func (a *Adapter) Post(_ context.Context, m bot.Message) (bot.MessageRef, error) {
	a.write(m, nil)
	id := m.Incident
	if m.Kind != bot.KindCard || id == "" {
		a.mu.Lock()
		a.seq++
		id = fmt.Sprintf("m%d", a.seq)
		a.mu.Unlock()
	}
	return bot.MessageRef{Conversation: m.Conversation, ID: id}, nil
}

// Update implements bot.Adapter: the console reprints the card.
func (a *Adapter) Update(_ context.Context, _ bot.MessageRef, m bot.Message) error {
	m.Text = "(updated) " + m.Text
	a.write(m, nil)
	return nil
}

// OpenThread implements bot.Adapter and makes the new thread current.
func (a *Adapter) OpenThread(_ context.Context, root bot.MessageRef, _ string) (bot.Conversation, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.current = root.ID
	return bot.Conversation{Platform: Platform, Channel: Channel, Thread: root.ID}, nil
}

// DirectMessage implements bot.DirectMessenger by printing "[dm → name]".
func (a *Adapter) DirectMessage(_ context.Context, to bot.User, m bot.Message) error {
	a.write(m, &to)
	return nil
}

// MessagesByName implements bot.NameMessenger: the terminal shows a direct
// message to anyone, "[dm → Stripe support] …".
func (a *Adapter) MessagesByName() bool { return true }

// IDsAreNames implements bot.NameIdentifier: a console user's id is the
// name typed with --user, so "/payissue lead carol" names carol.
func (a *Adapter) IDsAreNames() bool { return true }

// input is one line of --json input.
type input struct {
	ID     string `json:"id"`
	User   string `json:"user"`
	Text   string `json:"text"`
	Thread string `json:"thread"`
}

// consoleHelp is what :help prints.
const consoleHelp = "Console commands: :thread PAY-1 (talk in an incident's thread; :thread alone leaves it), " +
	":help (this text), :quit (leave). Everything else goes to the bot: /payissue help lists its commands."

func (a *Adapter) quitting() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.quit
}

// Resumer is implemented by the engine: re-ask unfinished intakes.
type Resumer interface {
	Resume(ctx context.Context, platform string) error
}

// Start reads lines until the input ends or ctx is done. Each line is
// handled before the next is read, so piped scripts see replies in order.
// Routing is decided by what was shown before the line was read: the
// handler delivers an event's replies (the card, the thread's first
// question) before it returns, and Resume the re-asked questions, so a
// plain line always goes to the thread of the question shown last (or
// the one chosen with :thread or "thread"), never, by a race with the
// outbox, to the channel.
func (a *Adapter) Start(ctx context.Context, h bot.Handler) error {
	if r, ok := h.(Resumer); ok && a.current == "" {
		a.mu.Lock()
		a.resuming = true
		a.mu.Unlock()
		err := r.Resume(ctx, Platform)
		a.mu.Lock()
		a.resuming = false
		a.mu.Unlock()
		if err != nil {
			return err
		}
	}
	sc := bufio.NewScanner(a.opts.In)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for {
		if a.opts.Prompt && !a.opts.JSON {
			fmt.Fprint(a.opts.Out, "> ")
		}
		if !sc.Scan() {
			return sc.Err()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		line++
		ev, ok := a.parse(sc.Text(), line)
		if a.quitting() {
			return nil
		}
		if !ok {
			continue
		}
		if err := h.HandleEvent(ctx, ev); err != nil {
			a.write(bot.Message{Kind: bot.KindNotice, Text: "error: " + err.Error()}, nil)
		}
	}
}

// parse turns a typed line into an event. Lines starting with ":" steer the
// console itself.
func (a *Adapter) parse(raw string, line int) (bot.Event, bool) {
	in := input{Text: raw}
	trimmed := strings.TrimSpace(raw)
	if a.opts.JSON && strings.HasPrefix(trimmed, "{") {
		if err := json.Unmarshal([]byte(trimmed), &in); err != nil {
			a.write(bot.Message{Kind: bot.KindNotice, Text: fmt.Sprintf("line %d: not valid JSON (%v); send {\"text\": \"...\"} or plain text", line, err)}, nil)
			return bot.Event{}, false
		}
	}
	text := strings.TrimSpace(in.Text)
	if text == "" {
		return bot.Event{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if in.Thread != "" {
		a.current = strings.ToUpper(in.Thread)
	}
	if rest, ok := strings.CutPrefix(text, ":thread"); ok {
		a.current = strings.ToUpper(strings.TrimSpace(rest))
		return bot.Event{}, false
	}
	// The console's own commands are never notes or questions.
	if strings.HasPrefix(text, ":") && !strings.HasPrefix(text, "::") {
		switch strings.ToLower(strings.Fields(text)[0]) {
		case ":help", ":h", ":?":
			a.writeLocked(bot.Message{Kind: bot.KindNotice, Text: consoleHelp})
		case ":quit", ":q", ":exit":
			a.quit = true
		default:
			a.writeLocked(bot.Message{Kind: bot.KindNotice, Text: fmt.Sprintf("unknown console command %q; try :help", strings.Fields(text)[0])})
		}
		return bot.Event{}, false
	}
	user := in.User
	if user == "" {
		user = a.opts.User
	}
	ev := bot.Event{
		ID:           in.ID,
		Kind:         bot.EventMessage,
		User:         bot.User{Platform: Platform, ID: user, Name: user},
		Conversation: bot.Conversation{Platform: Platform, Channel: Channel, Thread: a.current},
		Text:         text,
		At:           time.Now(),
	}
	if ev.ID == "" {
		ev.ID = uuid.NewString()
	}
	ev.ID = "console:" + ev.ID
	if strings.HasPrefix(text, "/payissue") {
		ev.Kind = bot.EventCommand
		ev.Text = strings.TrimSpace(strings.TrimPrefix(text, "/payissue"))
	} else if ev.Conversation.Thread == "" {
		ev.Mention = true // outside a thread, everything typed is addressed to the bot
	}
	return ev, true
}
