package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paybot/paybot/adapters/console"
	"github.com/paybot/paybot/adapters/email"
	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/sqlite"
	"github.com/paybot/paybot/kb"
)

// openStore opens the embedded store in the data directory.
func (a *app) openStore(ctx context.Context) (incidents.Store, error) {
	if err := os.MkdirAll(a.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	return sqlite.Open(ctx, filepath.Join(a.dataDir, "paybot.db"))
}

// openKB opens the knowledge-base index; without it the bot still runs
// incidents, and says so when asked a question.
func (a *app) openKB(ctx context.Context) (*kb.Index, error) {
	return a.openKBReport(ctx) // kb_more.go: also reports skipped articles and repairs
}

// newEngine wires the store, the knowledge base and the configuration.
func (a *app) newEngine(ctx context.Context, log *slog.Logger) (*bot.Engine, func(), error) {
	store, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	closers := []func(){func() { store.Close() }}
	cfg := bot.Config{Store: store, Flow: a.cfg.flow, Location: a.cfg.location, Logger: log, Policy: a.cfg.policy, Tick: a.cfg.tick}
	if a.cfg.SMTP.Host != "" {
		sc := a.cfg.SMTP
		if pw := a.getenv("PAYBOT_SMTP_PASSWORD"); pw != "" {
			sc.Password = pw
		}
		cfg.Mailer = email.New(sc)
	}
	index, err := a.openKB(ctx)
	if err != nil {
		log.Warn("knowledge base unavailable", "err", err)
		fmt.Fprintf(a.stderr, "paybot: knowledge base unavailable: %v\n", err)
	} else {
		cfg.KB = &kbSearcher{index: index}
		closers = append(closers, func() { index.Close() })
	}
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	return bot.NewEngine(cfg), closeAll, nil
}

func (a *app) chat(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	jsonMode := fs.Bool("json", false, "read JSON lines {\"user\",\"text\",\"thread\"} (or plain text) and write one JSON object per bot message")
	thread := fs.String("thread", "", "start in the thread of this incident ref")
	user := fs.String("user", "", "who is typing (default: $USER)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, closeLog, err := a.logger(true)
	if err != nil {
		return err
	}
	defer closeLog()
	eng, closeAll, err := a.newEngine(ctx, log)
	if err != nil {
		return err
	}
	defer closeAll()
	name := *user
	if name == "" {
		name = a.getenv("USER")
	}
	interactive := false
	if fi, err := os.Stdin.Stat(); err == nil && a.stdin == os.Stdin {
		interactive = fi.Mode()&os.ModeCharDevice != 0
	}
	c := console.New(console.Options{In: a.stdin, Out: a.stdout, JSON: *jsonMode, User: name, Thread: *thread, Prompt: interactive})
	eng.AddAdapter(c)
	if interactive && !*jsonMode {
		fmt.Fprintln(a.stdout, "Paybot console. Type /payissue <summary> to open an incident, /payissue help for commands, :thread REF to switch threads, Ctrl-D to quit.")
	}
	// Ladder steps, SLA timers and the outbox run while the console waits
	// for input.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go eng.RunScheduler(ctx, a.cfg.tick)
	go eng.RunOutbox(ctx, a.cfg.tick)
	if err := c.Start(ctx, eng); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func (a *app) serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, _, err := a.logger(false)
	if err != nil {
		return err
	}
	eng, closeAll, err := a.newEngine(ctx, log)
	if err != nil {
		return err
	}
	defer closeAll()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	deps := platformDeps{Lookup: a.lookup, Mux: mux, Engine: eng, Async: eng.Async(), Logger: log}
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
		return errors.New("no chat platform is configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, or DISCORD_BOT_TOKEN and DISCORD_APP_ID (see README), or run 'paybot chat'")
	}
	go func() {
		if err := eng.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("engine stopped", "err", err)
		}
	}()
	addr := a.lookup("PAYBOT_HTTP_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Info("paybot serving", "addr", ln.Addr().String(), "adapters", strings.Join(started, ","), "version", version)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	case err := <-errc:
		return err
	}
}
