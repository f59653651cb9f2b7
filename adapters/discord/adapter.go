package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/paybot/paybot/bot"
)

var (
	_ bot.Adapter         = (*Adapter)(nil)
	_ bot.Mentioner       = (*Adapter)(nil)
	_ bot.Ephemeral       = (*Adapter)(nil)
	_ bot.DirectMessenger = (*Adapter)(nil)
)

// Options are the non-configuration parts of an adapter.
type Options struct {
	Logger *slog.Logger
	// Now is the clock for the signature freshness window; time.Now by default.
	Now func() time.Time
	// Transport, when set, carries REST requests (before DISCORD_API_URL
	// rewriting). Tests leave it nil.
	Transport http.RoundTripper
	// Refs answers ref autocompletion (the engine); nil offers none.
	Refs bot.RefSource
}

// Adapter is the Discord platform adapter.
type Adapter struct {
	cfg     Config
	session *discordgo.Session
	pubKey  ed25519.PublicKey
	log     *slog.Logger
	now     func() time.Time

	handler atomic.Pointer[handlerBox]
	pending *pendingTokens
	seen    *seenSet

	mu      sync.Mutex
	threads map[string]string // thread id -> parent channel id
	// notThreads caches REST channel lookups: id -> parent ("" for a
	// channel that is not a thread).
	notThreads map[string]string
	botID      string
	refs       bot.RefSource
}

type handlerBox struct{ h bot.Handler }

// New builds an adapter from cfg. It does not connect; Start does.
func New(cfg Config, opts Options) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Adapter{
		cfg:        cfg,
		log:        opts.Logger,
		now:        opts.Now,
		refs:       opts.Refs,
		pending:    newPendingTokens(),
		seen:       newSeenSet(100_000),
		threads:    map[string]string{},
		notThreads: map[string]string{},
		botID:      cfg.AppID, // a bot's user id equals its application id
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.log = a.log.With("platform", Platform)
	if a.now == nil {
		a.now = time.Now
	}
	if cfg.PublicKey != "" {
		b, err := hex.DecodeString(cfg.PublicKey)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, errors.New("discord: DISCORD_PUBLIC_KEY is not a hex Ed25519 public key")
		}
		a.pubKey = ed25519.PublicKey(b)
	}
	token := ""
	if cfg.Token != "" {
		token = "Bot " + cfg.Token
	}
	s, err := discordgo.New(token)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	s.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsMessageContent
	s.ShouldRetryOnRateLimit = true
	s.ShouldReconnectOnError = true
	s.StateEnabled = true
	rt := opts.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	if cfg.APIURL != "" {
		rw, err := newRewriteTransport(cfg.APIURL, rt)
		if err != nil {
			return nil, fmt.Errorf("discord: DISCORD_API_URL: %w", err)
		}
		rt = rw
	}
	s.Client = &http.Client{Timeout: 20 * time.Second, Transport: rt}
	s.AddHandler(a.onReady)
	s.AddHandler(a.onInteractionCreate)
	s.AddHandler(a.onMessageCreate)
	s.AddHandler(a.onThreadCreate)
	a.session = s
	return a, nil
}

// Session exposes the discordgo session (tests, diagnostics).
func (a *Adapter) Session() *discordgo.Session { return a.session }

// Config returns the adapter's configuration after defaults.
func (a *Adapter) Config() Config { return a.cfg }

// Platform implements bot.Adapter.
func (a *Adapter) Platform() string { return Platform }

// Mention implements bot.Mentioner.
func (a *Adapter) Mention(u bot.User) string { return mention(u) }

// SetHandler sets the handler that receives events; Start sets it too. Call
// it before serving HTTP interactions so none arrives without a handler.
func (a *Adapter) SetHandler(h bot.Handler) { a.handler.Store(&handlerBox{h}) }

func (a *Adapter) getHandler() bot.Handler {
	if b := a.handler.Load(); b != nil {
		return b.h
	}
	return nil
}

// Start delivers events to h until ctx is done. In gateway and both modes it
// connects to the gateway, retrying with backoff until it succeeds; discordgo
// then reconnects and resumes by itself. In http mode it only waits.
func (a *Adapter) Start(ctx context.Context, h bot.Handler) error {
	a.SetHandler(h)
	if !a.cfg.Gateway() {
		<-ctx.Done()
		return nil
	}
	backoff := time.Second
	for {
		err := a.session.Open()
		if err == nil {
			a.log.Info("discord gateway connected")
			break
		}
		a.log.Warn("discord gateway connect failed, retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 2*time.Minute)
	}
	<-ctx.Done()
	return a.session.Close()
}

func (a *Adapter) onReady(_ *discordgo.Session, r *discordgo.Ready) {
	if r.User != nil {
		a.mu.Lock()
		a.botID = r.User.ID
		a.mu.Unlock()
	}
}

func (a *Adapter) onThreadCreate(_ *discordgo.Session, t *discordgo.ThreadCreate) {
	if t.Channel != nil && t.ParentID != "" {
		a.rememberThread(t.ID, t.ParentID)
	}
}

func (a *Adapter) botUserID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.botID
}

func (a *Adapter) rememberThread(thread, parent string) {
	a.mu.Lock()
	a.threads[thread] = parent
	a.mu.Unlock()
}

// conversationOf maps a Discord channel id to a neutral conversation: a
// thread becomes {Channel: parent, Thread: thread}.
//
// Only gateway messages (lookup=true) may ask Discord about an unknown
// channel; interactions must be acknowledged without a REST round trip.
func (a *Adapter) conversationOf(channelID string, hint *channelHint, lookup bool) bot.Conversation {
	conv := bot.Conversation{Platform: Platform, Channel: channelID}
	if hint != nil && hint.ID == channelID && hint.ParentID != "" && isThread(hint.Type) {
		a.rememberThread(channelID, hint.ParentID)
		return bot.Conversation{Platform: Platform, Channel: hint.ParentID, Thread: channelID}
	}
	a.mu.Lock()
	parent, ok := a.threads[channelID]
	a.mu.Unlock()
	if ok {
		return bot.Conversation{Platform: Platform, Channel: parent, Thread: channelID}
	}
	if ch, err := a.session.State.Channel(channelID); err == nil {
		if ch.IsThread() && ch.ParentID != "" {
			a.rememberThread(channelID, ch.ParentID)
			return bot.Conversation{Platform: Platform, Channel: ch.ParentID, Thread: channelID}
		}
		return conv
	}
	if !lookup {
		return conv
	}
	if parent := a.lookupParent(channelID); parent != "" {
		return bot.Conversation{Platform: Platform, Channel: parent, Thread: channelID}
	}
	return conv
}

// lookupParent asks Discord once per channel the state does not know (for
// example a thread opened before a restart) whether it is a thread.
func (a *Adapter) lookupParent(channelID string) string {
	a.mu.Lock()
	parent, known := a.notThreads[channelID]
	a.mu.Unlock()
	if known || a.cfg.Token == "" || channelID == "" {
		return parent
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ch, err := a.session.Channel(channelID, discordgo.WithContext(ctx))
	if err != nil {
		return "" // not cached: try again next time
	}
	if ch.IsThread() && ch.ParentID != "" {
		parent = ch.ParentID
		a.rememberThread(channelID, parent)
	}
	a.mu.Lock()
	if len(a.notThreads) > 10000 {
		a.notThreads = map[string]string{}
	}
	a.notThreads[channelID] = parent
	a.mu.Unlock()
	return parent
}

func isThread(t discordgo.ChannelType) bool {
	return t == discordgo.ChannelTypeGuildPublicThread || t == discordgo.ChannelTypeGuildPrivateThread || t == discordgo.ChannelTypeGuildNewsThread
}

// channelID is where a message to conv goes: the thread when there is one.
func channelID(conv bot.Conversation) string {
	if conv.Thread != "" {
		return conv.Thread
	}
	return conv.Channel
}

// refChannel is the channel holding the message ref names. A thread's
// starter message has the thread's id and lives in the parent channel.
func refChannel(ref bot.MessageRef) string {
	if ref.Conversation.Thread != "" && ref.Conversation.Thread == ref.ID && ref.Conversation.Channel != "" {
		return ref.Conversation.Channel
	}
	return channelID(ref.Conversation)
}

// Post implements bot.Adapter. With msg.ReplyToken naming a live interaction
// in the same channel it answers through the interaction (editing the
// deferred original, then follow-ups); otherwise it sends channel messages.
func (a *Adapter) Post(ctx context.Context, msg bot.Message) (bot.MessageRef, error) {
	target := channelID(msg.Conversation)
	if target == "" {
		return bot.MessageRef{}, errors.New("discord: post: no channel")
	}
	parts := render(msg)
	ix := a.pending.live(msg.ReplyToken, a.now())
	if ix != nil && ix.channelID != target {
		a.pointOriginal(ctx, ix, target)
		ix = nil
	}
	var first *discordgo.Message
	for _, part := range parts {
		var m *discordgo.Message
		var err error
		if ix != nil {
			m, err = a.replyThrough(ctx, ix, part, 0)
			if isTokenGone(err) {
				a.log.Info("interaction token no longer usable, posting to the channel", "interaction", ix.id, "err", err)
				ix = nil
			}
		}
		if ix == nil {
			m, err = a.session.ChannelMessageSendComplex(target, &discordgo.MessageSend{
				Content: part.Content, Embeds: part.Embeds, Components: part.Components, AllowedMentions: allowed(part.Content),
			}, discordgo.WithContext(ctx))
		}
		if err != nil {
			return bot.MessageRef{}, fmt.Errorf("discord: post to %s: %w", target, classify(err))
		}
		if first == nil {
			first = m
		}
	}
	ref := bot.MessageRef{Conversation: msg.Conversation, ID: first.ID}
	if ref.Conversation.Platform == "" {
		ref.Conversation.Platform = Platform
	}
	return ref, nil
}

// replyThrough sends one part through the interaction token: the first part
// after a deferred command replaces the "thinking…" original, the rest are
// follow-ups.
func (a *Adapter) replyThrough(ctx context.Context, ix *pendingIx, part outMsg, flags discordgo.MessageFlags) (*discordgo.Message, error) {
	ix.waitAcked(3 * time.Second)
	i := &discordgo.Interaction{ID: ix.id, AppID: ix.appID, Token: ix.token}
	var m *discordgo.Message
	var err error
	if flags == 0 && ix.claimOriginal() {
		content, embeds, comps := part.Content, part.Embeds, part.Components
		if embeds == nil {
			embeds = []*discordgo.MessageEmbed{}
		}
		if comps == nil {
			comps = []discordgo.MessageComponent{}
		}
		m, err = a.session.InteractionResponseEdit(i, &discordgo.WebhookEdit{
			Content: &content, Embeds: &embeds, Components: &comps, AllowedMentions: allowed(content),
		}, discordgo.WithContext(ctx))
		if err != nil {
			ix.releaseOriginal()
		}
	} else {
		m, err = a.session.FollowupMessageCreate(i, true, &discordgo.WebhookParams{
			Content: part.Content, Embeds: part.Embeds, Components: part.Components, AllowedMentions: allowed(part.Content), Flags: flags,
		}, discordgo.WithContext(ctx))
	}
	if err != nil {
		return nil, err
	}
	if m == nil || m.ID == "" {
		return nil, errNoMessage
	}
	a.pending.own(m.ID, ix)
	return m, nil
}

var errNoMessage = errors.New("discord: interaction reply returned no message")

// isTokenGone reports errors after which the channel path should be used:
// the token expired or is unknown, or the reply came back without a message.
func isTokenGone(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, errNoMessage) {
		return true
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		switch re.Response.StatusCode {
		case http.StatusUnauthorized, http.StatusNotFound:
			return true
		}
	}
	return false
}

// pointOriginal replaces a deferred command's "thinking…" original that no
// reply in its own channel will fill with a pointer to where the answer went.
func (a *Adapter) pointOriginal(ctx context.Context, ix *pendingIx, target string) {
	if !ix.claimOriginal() {
		return
	}
	ix.waitAcked(3 * time.Second)
	content := "↪ <#" + target + ">"
	empty := []discordgo.MessageComponent{}
	_, err := a.session.InteractionResponseEdit(&discordgo.Interaction{ID: ix.id, AppID: ix.appID, Token: ix.token},
		&discordgo.WebhookEdit{Content: &content, Components: &empty}, discordgo.WithContext(ctx))
	if err != nil {
		a.log.Debug("could not edit the deferred original", "err", err)
	}
}

// Update implements bot.Adapter.
func (a *Adapter) Update(ctx context.Context, ref bot.MessageRef, msg bot.Message) error {
	parts := render(msg)
	part := parts[0]
	if len(parts) > 1 {
		// An updated message stays one message: keep the last part's
		// components and the first part's text and embeds.
		part.Components = parts[len(parts)-1].Components
	}
	content, embeds, comps := part.Content, part.Embeds, part.Components
	if embeds == nil {
		embeds = []*discordgo.MessageEmbed{}
	}
	if comps == nil {
		comps = []discordgo.MessageComponent{}
	}
	if ix := a.pending.owner(ref.ID, a.now()); ix != nil {
		_, err := a.session.WebhookMessageEdit(ix.appID, ix.token, ref.ID, &discordgo.WebhookEdit{
			Content: &content, Embeds: &embeds, Components: &comps, AllowedMentions: allowed(content),
		}, discordgo.WithContext(ctx))
		if err == nil || !isTokenGone(err) {
			return wrap("update", err)
		}
	}
	_, err := a.session.ChannelMessageEditComplex(&discordgo.MessageEdit{
		ID: ref.ID, Channel: refChannel(ref),
		Content: &content, Embeds: &embeds, Components: &comps, AllowedMentions: allowed(content),
	}, discordgo.WithContext(ctx))
	return wrap("update", classify(err))
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("discord: %s: %w", op, err)
}

// OpenThread implements bot.Adapter: a public thread on the root message
// (MessageThreadStartComplex). The conversation names the parent channel and
// the thread.
func (a *Adapter) OpenThread(ctx context.Context, root bot.MessageRef, name string) (bot.Conversation, error) {
	parent := refChannel(root)
	if root.Conversation.Thread != "" && root.Conversation.Thread != root.ID {
		return bot.Conversation{}, errors.New("discord: cannot open a thread inside a thread")
	}
	if name == "" {
		name = "incident"
	}
	ch, err := a.session.MessageThreadStartComplex(parent, root.ID, &discordgo.ThreadStart{
		Name: truncate(name, maxThreadName), AutoArchiveDuration: 1440, Type: discordgo.ChannelTypeGuildPublicThread,
	}, discordgo.WithContext(ctx))
	if threadExists(err) {
		// Opened before (a retry after a crash): a message's thread has the
		// message's id.
		err, ch = nil, &discordgo.Channel{ID: root.ID}
	}
	if err != nil {
		return bot.Conversation{}, wrap("open thread", classify(err))
	}
	id := ch.ID
	if id == "" {
		id = root.ID
	}
	a.rememberThread(id, parent)
	return bot.Conversation{Platform: Platform, Channel: parent, Thread: id}, nil
}

// PostEphemeral implements bot.Ephemeral: while an interaction from the
// person in that channel is live, the notice goes as an ephemeral follow-up.
// Otherwise it returns bot.ErrUnsupported and the core posts it plainly.
func (a *Adapter) PostEphemeral(ctx context.Context, to bot.User, msg bot.Message) error {
	target := channelID(msg.Conversation)
	// The event's own interaction answers wherever the person clicked;
	// otherwise their latest live interaction in the target channel.
	ix := a.pending.live(msg.ReplyToken, a.now())
	if ix == nil || ix.userID != to.ID {
		ix = a.pending.latestFor(to.ID, target, a.now())
	}
	if ix == nil {
		return bot.ErrUnsupported
	}
	// After a deferred command the first follow-up takes the deferral's
	// (public) visibility, so a notice that is the only answer fills the
	// "thinking…" original instead of leaving it hanging.
	if ix.deferredMessage && !ix.originalClaimed() {
		msg.ReplyToken = ix.id
		_, err := a.Post(ctx, msg)
		return err
	}
	for _, part := range render(msg) {
		if _, err := a.replyThrough(ctx, ix, part, discordgo.MessageFlagsEphemeral); err != nil {
			if isTokenGone(err) {
				return bot.ErrUnsupported
			}
			return wrap("ephemeral", err)
		}
	}
	return nil
}

// DirectMessage implements bot.DirectMessenger.
func (a *Adapter) DirectMessage(ctx context.Context, to bot.User, msg bot.Message) error {
	if a.cfg.Token == "" {
		return bot.ErrUnsupported
	}
	ch, err := a.session.UserChannelCreate(to.ID, discordgo.WithContext(ctx))
	if err != nil {
		return wrap("direct message", err)
	}
	msg.Conversation = bot.Conversation{Platform: Platform, Channel: ch.ID}
	msg.ReplyToken = ""
	_, err = a.Post(ctx, msg)
	return err
}
