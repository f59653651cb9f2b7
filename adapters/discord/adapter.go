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

	"github.com/paybot/paybot/adapters/internal/replyseal"
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
	// Replies is the store's reply state, shared by every replica (see
	// routes.go); nil keeps it in this process's memory.
	Replies ReplyStore
	// ReplyKey is the secret (PAYBOT_REPLY_KEY) from which the key that
	// seals interaction tokens into Event.ReplyToken is derived; empty uses
	// the bot token, and without either the key is random to this process
	// (another replica, or this one after a restart, cannot answer then).
	ReplyKey string
}

// Adapter is the Discord platform adapter.
type Adapter struct {
	cfg     Config
	session *discordgo.Session
	pubKey  ed25519.PublicKey
	log     *slog.Logger
	now     func() time.Time

	handler atomic.Pointer[handlerBox]
	replies ReplyStore        // reply state every replica sees (routes.go)
	sealer  *replyseal.Sealer // seals routes into Event.ReplyToken
	acks    *ackSet           // interactions this process received: answered yet?
	seen    *seenSet          // per-process dedupe cache in front of the inbox

	mu sync.Mutex
	// threads and notThreads are per-process caches that are safe to miss:
	// a miss is answered from the interaction's channel object, the
	// gateway's state or one REST lookup, on any replica.
	threads map[string]string // thread id -> parent channel id
	// notThreads caches REST channel lookups: id -> parent ("" for a
	// channel that is not a thread).
	notThreads map[string]string
	botID      string // this process's gateway session (READY); the app id until then
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
		replies:    opts.Replies,
		acks:       newAckSet(),
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
	if a.replies == nil {
		a.replies = newMemReplies()
	}
	secret := opts.ReplyKey
	if secret == "" {
		secret = cfg.Token
	}
	sealer, err := replyseal.New(secret, Platform)
	if err != nil {
		return nil, fmt.Errorf("discord: reply key: %w", err)
	}
	a.sealer = sealer
	if sealer.Ephemeral() {
		a.log.Warn("discord: neither PAYBOT_REPLY_KEY nor DISCORD_BOT_TOKEN is set: interaction tokens are sealed under a key of this process only, so another replica, or this one after a restart, cannot answer an interaction")
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
// in the same channel it answers through the interaction (filling the
// deferred original once, on whichever replica, then follow-ups); otherwise
// it sends channel messages. Errors: the platform's (classified), and the
// reply store's, before anything was sent, so the outbox retries.
func (a *Adapter) Post(ctx context.Context, msg bot.Message) (bot.MessageRef, error) {
	return a.post(ctx, msg, a.openRoute(msg.ReplyToken), false)
}

// post sends msg, through r when r answers in msg's channel. holding says
// the caller has claimed r's deferred original, which the first part fills.
func (a *Adapter) post(ctx context.Context, msg bot.Message, r *route, holding bool) (bot.MessageRef, error) {
	target := channelID(msg.Conversation)
	if target == "" {
		return bot.MessageRef{}, errors.New("discord: post: no channel")
	}
	parts := render(msg)
	if r != nil && r.Channel != target {
		if err := a.pointOriginal(ctx, r, target, holding); err != nil {
			return bot.MessageRef{}, err
		}
		r = nil
	}
	var first *discordgo.Message
	for k, part := range parts {
		var m *discordgo.Message
		var err error
		if r != nil {
			m, err = a.replyThrough(ctx, r, part, 0, holding && k == 0)
			if isTokenGone(err) {
				a.log.Info("interaction token no longer usable, posting to the channel", "interaction", r.ID, "err", err)
				r = nil
			}
		}
		if r == nil {
			m, err = a.session.ChannelMessageSendComplex(target, &discordgo.MessageSend{
				Content: part.Content, Embeds: part.Embeds, Components: part.Components, AllowedMentions: allowed(part.Content),
			}, discordgo.WithContext(ctx))
			err = classify(err)
		}
		if err != nil {
			return bot.MessageRef{}, fmt.Errorf("discord: post to %s: %w", target, err)
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

// replyThrough sends one part through the interaction's token: without
// flags, the first part after a deferred command replaces the "thinking…"
// original (claimed in the reply store, so exactly once across replicas;
// holding: the caller has claimed it), the rest are follow-ups. Errors
// never carry the token.
func (a *Adapter) replyThrough(ctx context.Context, r *route, part outMsg, flags discordgo.MessageFlags, holding bool) (*discordgo.Message, error) {
	fill := false
	if flags == 0 && r.Deferred {
		fill = holding
		if !fill {
			var err error
			if fill, err = a.claimOriginal(ctx, r); err != nil {
				return nil, err
			}
		}
	}
	a.waitAcked(r)
	i := r.interaction()
	var m *discordgo.Message
	err := a.early(ctx, r, func() (err error) {
		if fill {
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
			return err
		}
		m, err = a.session.FollowupMessageCreate(i, true, &discordgo.WebhookParams{
			Content: part.Content, Embeds: part.Embeds, Components: part.Components, AllowedMentions: allowed(part.Content), Flags: flags,
		}, discordgo.WithContext(ctx))
		return err
	})
	if err != nil {
		if fill {
			a.releaseOriginal(ctx, r)
		}
		return nil, replyseal.Hide(err, r.Token)
	}
	if m == nil || m.ID == "" {
		return nil, errNoMessage
	}
	a.own(ctx, m.ID, r)
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
// reply in its own channel will fill with a pointer to where the answer went
// (holding: the caller has claimed it). Errors: the reply store's; a
// refused edit is only logged.
func (a *Adapter) pointOriginal(ctx context.Context, r *route, target string, holding bool) error {
	if !holding {
		ok, err := a.claimOriginal(ctx, r)
		if err != nil || !ok {
			return err
		}
	}
	a.waitAcked(r)
	content := "↪ <#" + target + ">"
	empty := []discordgo.MessageComponent{}
	err := a.early(ctx, r, func() error {
		_, err := a.session.InteractionResponseEdit(r.interaction(),
			&discordgo.WebhookEdit{Content: &content, Components: &empty}, discordgo.WithContext(ctx))
		return err
	})
	if err != nil {
		a.log.Debug("could not edit the deferred original", "interaction", r.ID, "err", replyseal.Hide(err, r.Token))
	}
	return nil
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
	// A message sent through an interaction is edited through its webhook
	// while the token lives, whichever replica sent it.
	r, err := a.owner(ctx, ref.ID)
	if err != nil {
		return wrap("update", err)
	}
	if r != nil {
		_, err := a.session.WebhookMessageEdit(r.App, r.Token, ref.ID, &discordgo.WebhookEdit{
			Content: &content, Embeds: &embeds, Components: &comps, AllowedMentions: allowed(content),
		}, discordgo.WithContext(ctx))
		if err == nil || !isTokenGone(err) {
			return wrap("update", replyseal.Hide(err, r.Token))
		}
	}
	_, err = a.session.ChannelMessageEditComplex(&discordgo.MessageEdit{
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
// person in that channel is live (received by any replica), the notice goes
// as an ephemeral follow-up. Otherwise it returns bot.ErrUnsupported and the
// core posts it plainly.
func (a *Adapter) PostEphemeral(ctx context.Context, to bot.User, msg bot.Message) error {
	target := channelID(msg.Conversation)
	// The event's own interaction answers wherever the person clicked;
	// otherwise their latest live interaction in the target channel.
	r := a.openRoute(msg.ReplyToken)
	if r == nil || r.User != to.ID {
		var err error
		if r, err = a.latestFor(ctx, to.ID, target); err != nil {
			return wrap("ephemeral", err)
		}
	}
	if r == nil {
		return bot.ErrUnsupported
	}
	// After a deferred command the original ("thinking…") is public, and
	// filling it would show the notice (a refusal, a masking warning) to
	// the whole channel. The notice's claim on it deletes it instead, and
	// the notice goes as an ephemeral follow-up; later public answers are
	// follow-ups of their own.
	claimed, err := a.claimOriginal(ctx, r)
	if err != nil {
		return wrap("ephemeral", err)
	}
	if claimed {
		a.waitAcked(r)
		i := r.interaction()
		if err := a.early(ctx, r, func() error { return a.session.InteractionResponseDelete(i, discordgo.WithContext(ctx)) }); err != nil && !isTokenGone(err) {
			a.releaseOriginal(ctx, r)
			return wrap("ephemeral", replyseal.Hide(err, r.Token))
		}
	}
	for _, part := range render(msg) {
		if _, err := a.replyThrough(ctx, r, part, discordgo.MessageFlagsEphemeral, false); err != nil {
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
