package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/paybot/paybot/adapters/internal/replyseal"
	"github.com/paybot/paybot/bot"
)

// Platform is the name used in bot.User.Platform and bot.Conversation.Platform.
const Platform = "slack"

var (
	_ bot.Adapter         = (*Adapter)(nil)
	_ bot.Mentioner       = (*Adapter)(nil)
	_ bot.Ephemeral       = (*Adapter)(nil)
	_ bot.DirectMessenger = (*Adapter)(nil)
)

// Options configure an Adapter. BotToken is required; SigningSecret is
// required for the HTTP transport, AppToken selects Socket Mode.
type Options struct {
	BotToken      string // SLACK_BOT_TOKEN (xoxb-…)
	SigningSecret string // SLACK_SIGNING_SECRET
	AppToken      string // SLACK_APP_TOKEN (xapp-…), enables Socket Mode
	// APIURL points the Web API client elsewhere (tests, Enterprise, a
	// proxy). A trailing '/' is added when missing.
	APIURL string
	Logger *slog.Logger
	// HTTPClient is used for Web API calls; defaults to a client with a
	// 30-second timeout.
	HTTPClient *http.Client
	// ChannelInterval is the minimum gap between two messages posted to the
	// same channel (default 1s, Slack's "about one per second").
	ChannelInterval time.Duration
	// Pacer, when set, decides per-channel pacing in the shared store
	// across replicas; without it each process paces on its own.
	Pacer ChannelPacer
	// MaxBodyBytes caps inbound request bodies (default 1 MiB).
	MaxBodyBytes int64
	// AckTimeout bounds the handler call made before acknowledging Slack
	// (default 2.5s; Slack gives up after 3s).
	AckTimeout time.Duration
	// MaxAttempts bounds Web API attempts on 429 and 5xx (default 6).
	MaxAttempts int
	// BackoffBase is the first 5xx backoff, doubled on each attempt
	// (default 250ms).
	BackoffBase time.Duration
	// MaxRetryAfter caps a single Retry-After wait (default 2 minutes).
	MaxRetryAfter time.Duration
	// ReplyKey is the secret (PAYBOT_REPLY_KEY) from which the key that
	// seals response_url into Event.ReplyToken is derived; empty uses
	// BotToken. Every replica needs the same one.
	ReplyKey string
}

// Adapter is the Slack platform adapter.
type Adapter struct {
	opts    Options
	api     *slack.Client
	log     *slog.Logger
	handler atomic.Pointer[handlerBox]

	// pacer paces this process's posts when there is no shared Pacer (one
	// process), or when the store cannot be reached: per process on
	// purpose, the shared Pacer is what holds across replicas.
	pacer *pacer

	// sealer seals response_url into Event.ReplyToken (and opens it), so
	// the route travels through the inbox and the outbox without the store
	// ever holding it in clear (adapters/internal/replyseal).
	sealer *replyseal.Sealer

	// socketUp is whether Socket Mode is connected (Connected, /readyz):
	// this process's own connection.
	socketUp atomic.Bool

	// botUserID is the bot's own user id (from auth.test or the event's
	// authorizations), used to recognise mentions: a per-process cache
	// that any replica fills the same way.
	botMu     sync.RWMutex
	botUserID string
}

type handlerBox struct{ h bot.Handler }

// New returns an adapter. It makes no network call.
func New(opts Options) (*Adapter, error) {
	if opts.BotToken == "" {
		return nil, errors.New("slack: SLACK_BOT_TOKEN is required")
	}
	if opts.SigningSecret == "" && opts.AppToken == "" {
		return nil, errors.New("slack: SLACK_SIGNING_SECRET is required (or SLACK_APP_TOKEN for Socket Mode)")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.ChannelInterval == 0 {
		opts.ChannelInterval = time.Second
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.AckTimeout <= 0 {
		opts.AckTimeout = 2500 * time.Millisecond
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 6
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = 250 * time.Millisecond
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = 2 * time.Minute
	}
	apiOpts := []slack.Option{slack.OptionHTTPClient(opts.HTTPClient)}
	if opts.APIURL != "" {
		if !strings.HasSuffix(opts.APIURL, "/") {
			opts.APIURL += "/"
		}
		apiOpts = append(apiOpts, slack.OptionAPIURL(opts.APIURL))
	}
	if opts.AppToken != "" {
		apiOpts = append(apiOpts, slack.OptionAppLevelToken(opts.AppToken))
	}
	secret := opts.ReplyKey
	if secret == "" {
		secret = opts.BotToken
	}
	sealer, err := replyseal.New(secret, Platform)
	if err != nil {
		return nil, fmt.Errorf("slack: reply key: %w", err)
	}
	a := &Adapter{
		opts:   opts,
		sealer: sealer,
		api:    slack.New(opts.BotToken, apiOpts...),
		log:    opts.Logger.With("adapter", Platform),
		pacer:  newPacer(opts.ChannelInterval),
	}
	return a, nil
}

// Platform implements bot.Adapter.
func (a *Adapter) Platform() string { return Platform }

// SocketMode reports whether Start connects over Socket Mode.
func (a *Adapter) SocketMode() bool { return a.opts.AppToken != "" }

// SetHandler sets the handler that HTTP requests are delivered to. Start
// sets it too; calling it before the HTTP server serves avoids a window in
// which requests are answered 503.
func (a *Adapter) SetHandler(h bot.Handler) { a.handler.Store(&handlerBox{h}) }

func (a *Adapter) currentHandler() bot.Handler {
	if b := a.handler.Load(); b != nil {
		return b.h
	}
	return nil
}

// Start delivers events to h until ctx is done. Over HTTP the routes do the
// work (see Routes) and Start only waits; with an app token it runs the
// Socket Mode connection, reconnecting as needed.
func (a *Adapter) Start(ctx context.Context, h bot.Handler) error {
	a.SetHandler(h)
	a.learnBotUser(ctx)
	if a.SocketMode() {
		return a.runSocketMode(ctx, h)
	}
	<-ctx.Done()
	return nil
}

// learnBotUser asks auth.test who the bot is, so that mentions of it are
// recognised. Failure is logged and tolerated: event payloads carry the
// bot's user id in their authorizations as well.
func (a *Adapter) learnBotUser(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := a.api.AuthTestContext(ctx)
	if err != nil {
		a.log.Warn("slack auth.test failed; mentions are recognised from event payloads only", "err", err)
		return
	}
	a.setBotUser(resp.UserID)
}

func (a *Adapter) setBotUser(id string) {
	if id == "" {
		return
	}
	a.botMu.Lock()
	a.botUserID = id
	a.botMu.Unlock()
}

func (a *Adapter) botUser() string {
	a.botMu.RLock()
	defer a.botMu.RUnlock()
	return a.botUserID
}

// Mention implements bot.Mentioner.
func (a *Adapter) Mention(u bot.User) string {
	if u.ID == "" {
		return u.Name
	}
	return "<@" + u.ID + ">"
}

func (a *Adapter) user(id, name string) bot.User {
	return bot.User{Platform: Platform, ID: id, Name: name}
}

func (a *Adapter) conv(channel, thread string) bot.Conversation {
	return bot.Conversation{Platform: Platform, Channel: channel, Thread: thread}
}

func errf(format string, args ...any) error { return fmt.Errorf("slack: "+format, args...) }
