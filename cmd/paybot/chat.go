package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paybot/paybot/adapters/console"
	discordadapter "github.com/paybot/paybot/adapters/discord"
	"github.com/paybot/paybot/adapters/email"
	"github.com/paybot/paybot/bot"
)

// newEngine wires the store, the knowledge base and the configuration.
func (a *app) newEngine(ctx context.Context, log *slog.Logger) (*bot.Engine, func(), error) {
	raw, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	closers := []func(){func() { raw.Close() }}
	// The decorator writes the audit log of incident actions and feeds
	// the metrics; the engine sees an ordinary store.
	store := newOpsStore(raw, log, a.metrics)
	a.store = store
	if a.metrics != nil {
		a.metrics.collectStore(raw, time.Now, log)
	}
	cfg := bot.Config{Store: store, Flow: a.cfg.flow, Location: a.cfg.location, Logger: log, Policy: a.cfg.policy, Tick: a.cfg.tick,
		InboxRetention: a.cfg.retention, OutboxRetention: a.cfg.keep.sent, DeadRetention: a.cfg.keep.dead, JobRetention: a.cfg.keep.jobs}
	if a.cfg.SMTP.Host != "" {
		sc := a.cfg.SMTP
		if pw := a.getenv("PAYBOT_SMTP_PASSWORD"); pw != "" {
			sc.Password = pw
		}
		cfg.Mailer = email.New(sc)
	}
	follow, closeKB, err := a.openKBFollowing(ctx, raw, log) // kb_follow.go
	if err != nil {
		a.operatorWarn(log, fmt.Sprintf("knowledge base unavailable: %v", err), "knowledge base unavailable", "err", err) // kb_follow.go
	} else {
		cfg.KB = &kbSearcher{index: follow.Index(), follow: follow, metrics: a.metrics}
		a.kbOpen, a.kbFollow = true, follow
		closers = append(closers, closeKB)
	}
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	return bot.NewEngine(cfg), closeAll, nil
}

func init() { addCommand(newChatCmd) }

// chatOptions are the flags of `paybot chat`.
type chatOptions struct {
	json   bool
	thread string
	user   string
}

func newChatCmd(a *app) *cobra.Command {
	var o chatOptions
	cmd := &cobra.Command{
		Use:   "chat",
		Short: "The console chat (the default without platform credentials)",
		Long: `The console chat: type /payissue <summary> to open an incident, :thread REF to
switch threads, Ctrl-D to quit. With --json it reads one line per message
(plain text or {"user","text","thread"}) and writes one JSON object per bot
message, for scripts.

Environment:
  USER                   who is typing when --user is not given
  PAYBOT_SMTP_PASSWORD   password for the smtp section of the config`,
		Args: exactArgs(0, "takes no arguments (did you mean /payissue inside the chat?)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.chat(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.json, "json", false, "read JSON lines {\"user\",\"text\",\"thread\"} (or plain text) and write one JSON object per bot message")
	f.StringVar(&o.thread, "thread", "", "start in the thread of this incident `REF`")
	f.StringVar(&o.user, "user", "", "who is typing (default: $USER)")
	return cmd
}

func (a *app) chat(ctx context.Context, o chatOptions) error {
	if a.databaseURL() != "" {
		// The log file below makes the data directory: a PostgreSQL that
		// is down or refuses the schema fails first, leaving none behind.
		s, err := a.openStore(ctx)
		if err != nil {
			return err
		}
		s.Close()
	}
	log, closeLog, err := a.logger(true)
	if err != nil {
		return err
	}
	defer closeLog()
	// The log goes to paybot.log: what the person at the console must
	// know is also said on stderr, plainly, unless logs are JSON
	// (operatorWarn).
	a.consoleNotes = !jsonLogs(a.getenv)
	eng, closeAll, err := a.newEngine(ctx, log)
	if err != nil {
		return err
	}
	defer closeAll()
	name := o.user
	if name == "" {
		name = a.getenv("USER")
	}
	interactive := false
	if fi, err := os.Stdin.Stat(); err == nil && a.stdin == os.Stdin {
		interactive = fi.Mode()&os.ModeCharDevice != 0
	}
	c := console.New(console.Options{In: a.stdin, Out: a.stdout, JSON: o.json, User: name, Thread: o.thread, Prompt: interactive})
	eng.AddAdapter(c)
	if interactive && !o.json {
		fmt.Fprintln(a.stdout, "Paybot console. Type /payissue <summary> to open an incident, /payissue help for commands, :thread REF to switch threads, Ctrl-D to quit.")
	}
	// Ladder steps, SLA timers and the outbox run while the console waits
	// for input.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go eng.RunScheduler(ctx, a.cfg.tick)
	go eng.RunOutbox(ctx, a.cfg.tick)
	go eng.RunPrune(ctx, 0) // finished rows, at start and hourly, as serve does
	a.startGateway(ctx, eng, log)
	if err := c.Start(ctx, eng); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func init() { addCommand(newServeCmd) }

var errNoPlatform = errors.New("no chat platform is configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, or DISCORD_BOT_TOKEN and DISCORD_APP_ID (see README), or run 'paybot chat'")

// servePreflight checks the platform settings without starting anything:
// at least one platform configured, none half-configured or malformed.
func (a *app) servePreflight() error {
	_, slackOn, err := slackSettingsFrom(a.lookup)
	if err != nil {
		return err
	}
	_, discordOn, err := discordadapter.ConfigFromLookup(a.lookup)
	if discordOn && err != nil {
		return err
	}
	if !slackOn && !discordOn {
		return errNoPlatform
	}
	if k := strings.TrimSpace(a.lookup("PAYBOT_REPLY_KEY")); k != "" && len(k) < minReplyKey {
		return fmt.Errorf("PAYBOT_REPLY_KEY is %d bytes: give at least %d random bytes (openssl rand -hex 32), the same on every replica; it seals the reply routes in the store", len(k), minReplyKey)
	}
	if pa := a.lookup("PAYBOT_PPROF_ADDR"); pa != "" {
		if err := checkPprofAddr(pa); err != nil {
			return err
		}
	}
	return nil
}

// minReplyKey is the least length of PAYBOT_REPLY_KEY: HKDF does not slow
// down guessing, so a short key would let a copy of the database give up
// the reply routes sealed in it.
const minReplyKey = 32

// serveEnv lists every environment variable `paybot serve` reads; the
// test TestServeHelpListsEnv checks it against the code.
const serveEnv = `Environment (each SLACK_* and DISCORD_* setting can also be given in the
config file's slack: or discord: section, lower-cased without the prefix;
the environment wins):
  PAYBOT_DATA            data directory (same as --data)
  PAYBOT_CONFIG          YAML config file (same as --config)
  PAYBOT_HTTP_ADDR       listen address (default :8080; config http_addr)
  PAYBOT_SMTP_PASSWORD   password for the smtp section of the config
  PAYBOT_DATABASE_URL    postgres://… selects PostgreSQL (config database_url); default SQLite
  PAYBOT_LOG_FORMAT      text (default) or json
  PAYBOT_LOG_LEVEL       debug, info (default), warn or error
  PAYBOT_DASHBOARD_TOKEN turns on the read-only dashboard at /dashboard/ (bearer token)
  PAYBOT_PUBLIC_URL      the address people reach this server at, for dashboard links
  PAYBOT_PPROF_ADDR      serves Go's profiles (/debug/pprof/) on this loopback address; off by default
  PAYBOT_REPLY_KEY       secret (32+ bytes) sealing Slack response_urls and Discord interaction tokens
                         in the store (default: the platform's bot token); same on every replica
  SLACK_BOT_TOKEN        bot token (xoxb-…); with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN
  SLACK_SIGNING_SECRET   HTTP mode: /slack/commands, /slack/events, /slack/interactions
  SLACK_APP_TOKEN        Socket Mode app-level token (xapp-…); no public URL needed
  SLACK_API_URL          Web API base URL (a fake API, Enterprise, a proxy)
  SLACK_CHANNEL_INTERVAL gap between two posts in one channel (default 1s)
  DISCORD_BOT_TOKEN      bot token (gateway, threads, registration)
  DISCORD_APP_ID         application id (registers /payissue)
  DISCORD_PUBLIC_KEY     serves POST /discord/interactions, checked with this key
  DISCORD_GUILD_ID       registers /payissue in this guild only (instant updates)
  DISCORD_MODE           gateway, http or both (default both with a bot token)
  DISCORD_API_URL        REST base URL (a fake API, a proxy)`

func newServeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Start the configured Slack and Discord adapters",
		Long:  "Start every configured chat platform and the HTTP server (/healthz, /readyz,\n/metrics and the platform routes). A half-configured platform fails fast.\n\n" + serveEnv,
		Args:  exactArgs(0, "takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.serve(cmd.Context())
		},
	}
}

func (a *app) serve(ctx context.Context) error {
	log, _, err := a.logger(false)
	if err != nil {
		return err
	}
	// What can be wrong with the settings is found before the store opens,
	// so a serve that cannot start leaves no new data directory behind.
	if err := a.servePreflight(); err != nil {
		return err
	}
	addr := a.lookup("PAYBOT_HTTP_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	defer ln.Close() // Serve closes it; this covers the returns before
	if pa := a.lookup("PAYBOT_PPROF_ADDR"); pa != "" {
		if err := startPprof(ctx, pa, log); err != nil {
			return err
		}
	}
	a.metrics = newMetrics()
	eng, closeAll, err := a.newEngine(ctx, log)
	if err != nil {
		return err
	}
	defer closeAll()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	mux := http.NewServeMux()
	ready := a.opsRoutes(mux, log)
	deps := platformDeps{Lookup: a.lookup, Mux: mux, Engine: eng, Async: countingHandler{eng.Async(), a.metrics}, Logger: log,
		Pacer: a.sharedPacer(), Replies: a.replyStore(), Ready: ready}
	mux.Handle("/dashboard/", a.dashboard(eng, log)) // dashboard.go: off (404) without PAYBOT_DASHBOARD_TOKEN
	var started []string
	for _, p := range []struct {
		name  string
		setup platformSetup
	}{{"slack", setupSlack}, {"discord", setupDiscord}} {
		ok, err := p.setup(ctx, deps)
		if err != nil {
			return err // each platform's error names it
		}
		if ok {
			started = append(started, p.name)
		}
	}
	if len(started) == 0 {
		return errNoPlatform
	}
	a.startGateway(ctx, eng, log)
	// The engine stops after the HTTP server, so every request already
	// acknowledged is processed and its replies delivered (or released for
	// the next start) before the store closes.
	engCtx, stopEngine := context.WithCancel(context.WithoutCancel(ctx))
	defer stopEngine()
	engDone := make(chan struct{})
	go func() {
		defer close(engDone)
		if err := eng.Run(engCtx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("engine stopped", "err", err)
		}
	}()
	gate := &storeGate{}
	go gate.run(ctx, a.store.Ping, time.Second, log)
	srv := newHTTPServer(a.metrics.instrumentAck(gate.wrap(mux)))
	ver, rev, _, _ := buildInfo() // ops.go: what `paybot version` prints
	log.Info("paybot serving", "addr", ln.Addr().String(), "adapters", strings.Join(started, ","), "version", ver, "commit", rev,
		"store", a.storeKind())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var serveErr error
	select {
	case <-ctx.Done():
		// SIGTERM drains: no new requests, the engine finishes what it
		// accepted and the outbox what it has in flight.
		log.Info("shutting down: no new requests; finishing accepted events and deliveries in flight")
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		serveErr = srv.Shutdown(shutdown)
	case serveErr = <-errc:
	}
	stopEngine()
	<-engDone
	log.Info("stopped")
	return serveErr
}
