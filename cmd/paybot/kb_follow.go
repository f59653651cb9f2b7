package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paybot/paybot/kb"
	"github.com/paybot/paybot/kb/kbstore"
)

// The knowledge base follows the store (kb/kbstore): documents written by
// any process — `kb import`, a /payissue learn on any replica, a resolved
// incident — go into the store, and every process's local index catches up
// at start and polls for changes. A process that finds the data
// directory's index held by another (a running `serve`) uses a spare index
// under <data>/kb-replicas/N that follows the same way.

// kbReadyStale is how long the follower may go without reading the store,
// or stay behind it, before /readyz reports the index as not caught up.
const kbReadyStale = 10 * time.Second

// openKBFollowing opens the index (or a spare) and starts its follower of
// store. The returned func stops the follower and closes the index.
func (a *app) openKBFollowing(ctx context.Context, store fullStore, log *slog.Logger) (*kbstore.Follower, func(), error) {
	ks, ok := store.(kbstore.Store)
	if !ok {
		return nil, nil, fmt.Errorf("the %s store keeps no knowledge-base documents", a.storeKind())
	}
	ix, dir, spare, err := kbstore.OpenIndex(ctx, a.dataDir, kb.Options{ArticlesDir: a.cfg.KB.ArticlesDir})
	if err != nil {
		return nil, nil, err
	}
	a.reportKB(ix, log)
	if spare {
		log.Info("knowledge base: the data directory's index is held by another paybot; this process follows the store in a spare index", "dir", dir)
	}
	f := kbstore.New(ix, ks, kbstore.Options{Dir: dir, ArticlesDir: a.cfg.KB.ArticlesDir, Logger: log})
	if err := f.Start(ctx); err != nil {
		ix.Close()
		return nil, nil, fmt.Errorf("knowledge base: catching up with the store: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); f.Run(runCtx) }()
	if a.metrics != nil {
		a.metrics.reg.MustRegister(kbLagCollector{f})
	}
	return f, func() {
		cancel()
		<-done
		ix.Close()
	}, nil
}

// kbCLI is what a kb subcommand works on: an index following the store.
type kbCLI struct {
	index *kb.Index
	spare bool // the data directory's index is held by a running paybot
}

// openKBCLI opens the store and an index following it for a kb
// subcommand, and sets a.kbFollow so that writes go through the store. The
// returned func closes both.
func (a *app) openKBCLI(ctx context.Context) (*kbCLI, func(), error) {
	return a.openKBCLIMode(ctx, false)
}

// openKBCLIRead is openKBCLI for the commands that only read (kb search,
// eval, show, list): when the store cannot be opened they warn and read
// the local index as it is, rather than fail.
func (a *app) openKBCLIRead(ctx context.Context) (*kbCLI, func(), error) {
	return a.openKBCLIMode(ctx, true)
}

func (a *app) openKBCLIMode(ctx context.Context, readOnly bool) (*kbCLI, func(), error) {
	tuneGCForIndexing()
	store, err := a.openStore(ctx)
	if err != nil && readOnly && !kb.Exists(a.dataDir) {
		// Nothing local to answer from (with PostgreSQL the data directory
		// need not exist): the store's error, and no empty index created.
		return nil, nil, err
	}
	if err != nil && readOnly {
		ix, _, spare, ierr := kbstore.OpenIndex(ctx, a.dataDir, kb.Options{ArticlesDir: a.cfg.KB.ArticlesDir})
		if ierr != nil {
			return nil, nil, errors.Join(err, ierr)
		}
		fmt.Fprintf(a.stderr, "paybot: warning: the store is unavailable (%v); answering from the local index, which may be behind\n", err)
		return &kbCLI{index: ix, spare: spare}, func() { ix.Close() }, nil
	}
	if err != nil {
		return nil, nil, err
	}
	ks, ok := store.(kbstore.Store)
	if !ok {
		store.Close()
		return nil, nil, fmt.Errorf("the %s store keeps no knowledge-base documents", a.storeKind())
	}
	ix, dir, spare, err := kbstore.OpenIndex(ctx, a.dataDir, kb.Options{ArticlesDir: a.cfg.KB.ArticlesDir})
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	a.reportKB(ix, nil)
	f := kbstore.New(ix, ks, kbstore.Options{Dir: dir, ArticlesDir: a.cfg.KB.ArticlesDir, Logger: slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err := f.Start(ctx); err != nil {
		ix.Close()
		store.Close()
		return nil, nil, fmt.Errorf("knowledge base: catching up with the store: %w", err)
	}
	a.kbFollow = f
	return &kbCLI{index: ix, spare: spare}, func() {
		a.kbFollow = nil
		ix.Close()
		store.Close()
	}, nil
}

// kbRebuild rebuilds index beside the live one and swaps it in. When index
// follows the store the rebuild is requested through it, so that every
// running paybot rebuilds and swaps its own index too.
func (a *app) kbRebuild(ctx context.Context, index *kb.Index) error {
	if f := a.kbFollowing(index); f != nil {
		gen, err := f.RequestRebuild(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "rebuild generation %d requested: every running paybot rebuilds its index beside the live one and swaps it in\n", gen)
		return nil
	}
	return index.Rebuild(ctx)
}

// kbNote says where a CLI's writes went when a running paybot holds the
// data directory's index.
func (a *app) kbNote(c *kbCLI) {
	if c.spare {
		fmt.Fprintln(a.stdout, "note: a running paybot holds this data directory's index; the documents are in the store and it indexes them within a second")
	}
}

// upsert writes a document the engine learned: through the store when the
// knowledge base follows it.
func (s *kbSearcher) upsert(ctx context.Context, doc kb.Doc) error {
	if s.follow != nil {
		return s.follow.Upsert(ctx, doc)
	}
	return s.index.Upsert(ctx, doc)
}

// checkKB is the knowledge-base part of /readyz: open, and caught up with
// the store.
func (r *readiness) checkKB(fail func(k, why string), out map[string]string) {
	switch {
	case !r.kbOpen:
		fail("knowledge_base", "not open")
	case r.kbFollow != nil:
		if ok, why := r.kbFollow.Ready(kbReadyStale); !ok {
			fail("knowledge_base", why)
			return
		}
		out["knowledge_base"] = "ok"
	default:
		out["knowledge_base"] = "ok"
	}
}

// kbLagCollector reports how far the local index is behind the store.
type kbLagCollector struct{ f *kbstore.Follower }

var (
	descKBLagSeconds = prometheus.NewDesc("paybot_kb_index_lag_seconds",
		"How long this process's knowledge-base index has been behind the store (0: caught up).", nil, nil)
	descKBBehind = prometheus.NewDesc("paybot_kb_index_changes_behind",
		"Store changes not yet applied to this process's knowledge-base index, as of the last poll.", nil, nil)
	descKBRebuilds = prometheus.NewDesc("paybot_kb_index_rebuilds_total",
		"Index rebuilds done for a request through the store (paybot kb index) since start.", nil, nil)
)

func (c kbLagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descKBLagSeconds
	ch <- descKBBehind
	ch <- descKBRebuilds
}

func (c kbLagCollector) Collect(ch chan<- prometheus.Metric) {
	l := c.f.Lag()
	ch <- prometheus.MustNewConstMetric(descKBLagSeconds, prometheus.GaugeValue, l.Seconds)
	ch <- prometheus.MustNewConstMetric(descKBBehind, prometheus.GaugeValue, float64(l.Behind))
	ch <- prometheus.MustNewConstMetric(descKBRebuilds, prometheus.CounterValue, float64(l.Rebuilds))
}

// kbFollowing returns the follower of index, or nil when index does not
// follow the store.
func (a *app) kbFollowing(index *kb.Index) *kbstore.Follower {
	if f := a.kbFollow; f != nil && f.Index() == index {
		return f
	}
	return nil
}

// learn stores a community answer (kb.Index.Learn's checks): through the
// store when the knowledge base follows it.
func (s *kbSearcher) learn(ctx context.Context, question, answer, authorID, name string, at time.Time, extra kb.Doc) error {
	if s.follow == nil {
		_, err := s.index.Learn(ctx, question, answer, authorID, name, at, extra)
		return err
	}
	d, err := kb.AnswerDoc(question, answer, authorID, name, at, extra)
	if err != nil {
		return err
	}
	return s.follow.Upsert(ctx, d)
}

// removeCommunity removes a community answer (kb.Index.RemoveCommunity's
// checks): through the store when the knowledge base follows it, so every
// replica drops it.
func (s *kbSearcher) removeCommunity(ctx context.Context, id, by string, manager bool) (kb.Doc, error) {
	if s.follow == nil {
		return s.index.RemoveCommunity(ctx, id, by, manager)
	}
	d, err := s.index.MayRemoveCommunity(ctx, id, by, manager)
	if err != nil {
		return kb.Doc{}, err
	}
	return d, s.follow.Delete(ctx, d.ID)
}

// kbImportStream imports JSON Lines from r: into the store when index
// follows it, and into this process's index in the same pass
// (kbstore.Follower.Import; every other process indexes them at its next
// poll), else straight into index (kb.Index.ImportStream). Line numbers in
// the problems are the file's.
func (a *app) kbImportStream(ctx context.Context, index *kb.Index, r io.Reader, progress kb.ImportProgress) (kb.ImportStats, []kb.LineError, error) {
	if f := a.kbFollowing(index); f != nil {
		return f.Import(ctx, r, progress)
	}
	return index.ImportStream(ctx, r, progress)
}

// reportKB says what opening the index skipped (bad or symlinked
// articles) and repaired (a damaged index rebuilt): through log in serve
// and chat (operatorWarn), as plain lines on stderr for the kb commands
// (log nil).
func (a *app) reportKB(index *kb.Index, log *slog.Logger) {
	if r := index.Repaired(); r != "" {
		a.operatorWarn(log, "knowledge base: "+r, "knowledge base: index repaired", "detail", r)
	}
	for _, p := range index.ArticleProblems() {
		a.operatorWarn(log, fmt.Sprintf("articles_dir: %s (skipped)", p), "articles_dir: article skipped", "problem", p.String())
	}
}

// operatorWarn reports a problem to whoever runs paybot. In serve and
// chat (log set) it is a log record: on stderr for serve, in paybot.log
// for the console chat, whose user also gets the plain line on stderr
// unless PAYBOT_LOG_FORMAT is json; so with JSON logs nothing but JSON
// records reaches stderr. Without log (the kb commands) it is the plain
// line "paybot: <plain>" on stderr.
func (a *app) operatorWarn(log *slog.Logger, plain, msg string, args ...any) {
	if log == nil {
		fmt.Fprintf(a.stderr, "paybot: %s\n", plain)
		return
	}
	log.Warn(msg, args...)
	if a.consoleNotes {
		fmt.Fprintf(a.stderr, "paybot: %s\n", plain)
	}
}
