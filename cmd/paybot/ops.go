package main

import (
	"context"
	"encoding/json"
	"fmt"
	discordadapter "github.com/paybot/paybot/adapters/discord"
	slackadapter "github.com/paybot/paybot/adapters/slack"
	"github.com/paybot/paybot/kb/kbstore"
	"github.com/spf13/cobra"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Build information, set with -ldflags "-X main.version=v1.2.3 -X
// main.commit=… -X main.buildTime=…"; without them they come from the
// module's build info (vcs.revision and vcs.time, present when built from a
// git checkout without -buildvcs=false).
var (
	commit    = ""
	buildTime = ""
)

// buildInfo returns version, commit and time, each "unknown" when neither
// -ldflags nor the build info has it. The time is the build time given
// with -ldflags (timeLabel "built"), else the commit's time that go build
// records (vcs.time, timeLabel "committed"): the build info holds no build
// time, and printing a commit's time as "built" would date an old commit's
// fresh build to the commit.
// It is the one source of the version: `paybot version`, `paybot
// --version` and serve's start log all read it.
func buildInfo() (ver, rev, at, timeLabel string) {
	bi, _ := readBuildInfo()
	return buildInfoFrom(bi)
}

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo

// buildInfoFrom is buildInfo reading bi (nil: none).
func buildInfoFrom(bi *debug.BuildInfo) (ver, rev, at, timeLabel string) {
	ver, rev, at, timeLabel = version, commit, buildTime, "built"
	if bi != nil {
		if ver == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.time":
				if at == "" {
					at, timeLabel = s.Value, "committed"
				}
			case "vcs.modified":
				if s.Value == "true" && rev != "" && !strings.HasSuffix(rev, "-dirty") && commit == "" {
					rev += "-dirty"
				}
			}
		}
	}
	if rev == "" {
		rev = "unknown"
	}
	if at == "" {
		at, timeLabel = "unknown", "built"
	}
	return ver, rev, at, timeLabel
}

func printVersion(w io.Writer) {
	io.WriteString(w, versionText())
}

// versionText is what `paybot version` and `paybot --version` print.
func versionText() string {
	ver, rev, at, label := buildInfo()
	return fmt.Sprintf("paybot %s\ncommit %s\n%s %s\n", ver, rev, label, at)
}

// newLogHandler builds the slog handler from PAYBOT_LOG_FORMAT (text, the
// default, or json) and PAYBOT_LOG_LEVEL (debug, info, warn, error). The
// level filters the operational log only: audit records (auditContext)
// are written at every level, since the audit trail of incident actions
// must not vanish when an operator quiets the log.
func newLogHandler(w io.Writer, format, level string) (slog.Handler, error) {
	var lv slog.Level
	if level != "" {
		if err := lv.UnmarshalText([]byte(level)); err != nil {
			return nil, fmt.Errorf("PAYBOT_LOG_LEVEL=%q: use debug, info, warn or error", level)
		}
	}
	opts := &slog.HandlerOptions{Level: slog.Level(-1 << 20)} // levelGate decides
	switch strings.ToLower(format) {
	case "", "text":
		return levelGate{slog.NewTextHandler(w, opts), lv}, nil
	case "json":
		return levelGate{slog.NewJSONHandler(w, opts), lv}, nil
	}
	return nil, fmt.Errorf("PAYBOT_LOG_FORMAT=%q: use json or text", format)
}

// routeLibraryLog sends what libraries write to Go's standard logger
// through l, as warnings marked from=library. bleve's index (scorch) writes
// there when it meets a damaged segment; raw lines on stderr broke a log
// read as JSON (PAYBOT_LOG_FORMAT=json) and skipped PAYBOT_LOG_LEVEL.
func routeLibraryLog(l *slog.Logger) {
	log.SetFlags(0)
	log.SetOutput(libraryLog{l})
}

// libraryLog is an io.Writer that turns each standard-logger line into a
// slog record.
type libraryLog struct{ l *slog.Logger }

func (w libraryLog) Write(p []byte) (int, error) {
	w.l.Warn(strings.TrimSpace(string(p)), "from", "library")
	return len(p), nil
}

type auditKey struct{}

// auditContext marks ctx's log records as audit records, which
// PAYBOT_LOG_LEVEL does not filter.
func auditContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, auditKey{}, true)
}

// levelGate passes records at min or above, and audit records always.
type levelGate struct {
	slog.Handler
	min slog.Level
}

func (g levelGate) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= g.min || (ctx != nil && ctx.Value(auditKey{}) != nil)
}

func (g levelGate) WithAttrs(as []slog.Attr) slog.Handler {
	return levelGate{g.Handler.WithAttrs(as), g.min}
}

func (g levelGate) WithGroup(name string) slog.Handler {
	return levelGate{g.Handler.WithGroup(name), g.min}
}

// connectedReporter is what an adapter with a long-lived connection (Socket
// Mode, the Discord gateway) may implement for /readyz; adapters without it
// count as connected once started.
type connectedReporter interface {
	Connected() bool
}

// readiness answers /readyz: the store answers a ping within a second (its
// migrations ran when it opened), the knowledge base is open, and each
// started platform is connected.
type readiness struct {
	store     fullStore
	storeKind string
	kbOpen    bool
	kbFollow  *kbstore.Follower // nil: not following a store
	log       *slog.Logger
	storeDown atomic.Bool // the last check found the store unreachable

	mu        sync.Mutex
	platforms map[string]any // name → adapter
}

func (r *readiness) addPlatform(name string, adapter any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.platforms == nil {
		r.platforms = map[string]any{}
	}
	r.platforms[name] = adapter
}

// check returns each check's state ("ok" or the reason) and whether all
// passed.
func (r *readiness) check(ctx context.Context) (map[string]string, bool) {
	out := map[string]string{}
	ok := true
	fail := func(k, why string) { out[k] = why; ok = false }
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := r.store.Ping(pctx); err != nil {
		// The cause goes to the log, not to an unauthenticated endpoint;
		// once per outage, since anyone who reaches /readyz (through the
		// proxy, a balancer every few seconds) could otherwise write a
		// line per request.
		if !r.storeDown.Swap(true) {
			r.log.Warn("readyz: store unreachable", "store", r.storeKind, "err", err)
		}
		fail("store", r.storeKind+" unreachable")
		fail("migrations", "unknown while the store is unreachable")
	} else {
		r.storeDown.Store(false)
		out["store"] = "ok (" + r.storeKind + ")"
		out["migrations"] = "ok"
	}
	r.checkKB(fail, out) // kb_follow.go: open and caught up with the store
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, a := range r.platforms {
		if c, has := a.(connectedReporter); has && !c.Connected() {
			fail("platform_"+name, "not connected")
			continue
		}
		out["platform_"+name] = "ok"
	}
	return out, ok
}

func (r *readiness) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		checks, ok := r.check(req.Context())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		status := "ready"
		if !ok {
			status = "not ready"
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		json.NewEncoder(w).Encode(map[string]any{"status": status, "checks": checks})
	})
}

// opsRoutes serves /healthz (the process lives), /readyz and /metrics on
// mux, and returns the readiness for the platforms to join.
func (a *app) opsRoutes(mux *http.ServeMux, log *slog.Logger) *readiness {
	ready := &readiness{store: a.store, storeKind: a.storeKind(), kbOpen: a.kbOpen, kbFollow: a.kbFollow, log: log}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("GET /readyz", ready.handler())
	if a.metrics != nil {
		mux.Handle("GET /metrics", a.metrics.handler())
	}
	return ready
}

// sharedPacer returns the store as the Slack channel pacer when several
// replicas may share it (PostgreSQL); one SQLite process paces in memory.
func (a *app) sharedPacer() slackadapter.ChannelPacer {
	if a.storeKind() != "postgres" || a.store == nil {
		return nil
	}
	return a.store
}

// replyStore returns the store as Discord's reply state, on SQLite too: the
// state (a claim per interaction, a sealed route per message sent through
// one) is small, and a second process on the same database file sees it.
func (a *app) replyStore() discordadapter.ReplyStore {
	if a.store == nil {
		return nil
	}
	return a.store
}

// healthcheck runs `paybot healthcheck [--url URL]`: it asks the local
// server's /readyz (PAYBOT_HTTP_ADDR) and fails unless it answers 200 within
// 3 s. Container images without a shell or curl use it as their health check.
func init() { addCommand(newHealthcheckCmd) }

func newHealthcheckCmd(a *app) *cobra.Command {
	var target string
	cmd := markSkipConfig(&cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the local server's /readyz answers 200 (for container health checks)",
		Long: `Ask the local server's /readyz (at PAYBOT_HTTP_ADDR, default :8080) and fail
unless it answers 200 within 3 s. Container images without a shell or curl
use it as their health check.`,
		Args: exactArgs(0, "takes no arguments (give --url to check another address)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.healthcheck(cmd.Context(), &target)
		},
	})
	cmd.Flags().StringVar(&target, "url", "", "URL to check (default http://127.0.0.1:<port of PAYBOT_HTTP_ADDR>/readyz)")
	return cmd
}

func (a *app) healthcheck(ctx context.Context, target *string) error {
	if *target == "" {
		addr := a.lookup("PAYBOT_HTTP_ADDR")
		if addr == "" {
			addr = ":8080"
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("healthcheck: PAYBOT_HTTP_ADDR=%q: %w", addr, err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		*target = "http://" + net.JoinHostPort(host, port) + "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *target, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d: %s", *target, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(a.stdout, "ready")
	return nil
}
