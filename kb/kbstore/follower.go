package kbstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/kb"
)

// StateFile is the name of the follower's position file, beside the index
// (<dir>/kb/follow.json).
const StateFile = "follow.json"

// pageSize is how many changes one read takes from the store.
const pageSize = 5000

// Notifier is optionally implemented by a Store that can wake followers
// as soon as a change commits (PostgreSQL LISTEN/NOTIFY). The channel
// receives a value after changes, and is closed when ctx ends; followers
// poll all the same, so a lost notification only delays a change until the
// next poll.
type Notifier interface {
	KBNotifications(ctx context.Context) (<-chan struct{}, error)
}

// Options tune a Follower.
type Options struct {
	// Dir is the directory the index was opened in (the data directory,
	// or the spare directory OpenIndex returned); the position is kept in
	// Dir/kb/follow.json. Required.
	Dir string
	// ArticlesDir is the index's articles directory: its documents are
	// not in the store, and the first follow must not copy them there.
	ArticlesDir string
	// Interval between polls of the store. Default 500 ms.
	Interval time.Duration
	// Clock, for the lag figures and document stamps. Default time.Now.
	Clock func() time.Time
	// Logger. Default slog.Default().
	Logger *slog.Logger
}

// position is what follow.json holds: the store followed, the highest
// change sequence applied to the index, and the rebuild generation the
// index was built for.
type position struct {
	StoreID    string `json:"store_id"`
	Seq        int64  `json:"seq"`
	Generation int64  `json:"generation"`
}

// Follower keeps a local index following the store's documents. Its methods
// are safe for concurrent use.
type Follower struct {
	ix   *kb.Index
	st   Store
	opts Options

	mu  sync.Mutex // one catch-up at a time; guards pos
	pos position

	started     atomic.Bool
	applied     atomic.Int64
	storeSeq    atomic.Int64
	behindSince atomic.Int64 // unix nanoseconds when first seen behind; 0: caught up
	lastPoll    atomic.Int64 // unix nanoseconds of the last successful read of the store
	progress    atomic.Int64 // unix nanoseconds of the last page applied or poll completed
	rebuilding  atomic.Bool  // a rebuild runs beside the live index
	rebuilds    atomic.Int64
}

// New returns a follower of st for ix. Call Start, then Run.
func New(ix *kb.Index, st Store, opts Options) *Follower {
	if opts.Interval <= 0 {
		opts.Interval = 500 * time.Millisecond
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Follower{ix: ix, st: st, opts: opts}
}

// Index returns the followed index.
func (f *Follower) Index() *kb.Index { return f.ix }

func (f *Follower) stateFile() string { return filepath.Join(f.opts.Dir, "kb", StateFile) }

// Start catches the index up with the store. On the first follow of an
// index (no follow.json) the documents the index holds from before (its
// sources file) that the store lacks are copied into the store, so an
// upgrade loses no learned answer; when the index followed another store
// before, the documents that store gave it are dropped instead. A rebuild
// requested while the process was down is done here. Errors: the store's
// or the index's.
func (f *Follower) Start(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.st.KBState(ctx)
	if err != nil {
		return err
	}
	old, had, err := f.readPosition()
	if err != nil {
		return err
	}
	f.pos = old
	// A position beyond the store's last change means the database was
	// restored from an older copy: start over as for another store.
	if !had || old.StoreID != st.StoreID || old.Seq > st.Seq {
		if err := f.reconcile(ctx, !had); err != nil {
			return err
		}
		// A fresh index (or one of another store) was built for no
		// generation of this store: catching up from 0 is all it needs.
		f.pos = position{StoreID: st.StoreID, Generation: st.Generation}
	}
	if err := f.catchUp(ctx); err != nil {
		return err
	}
	f.started.Store(true)
	return nil
}

// Sync applies every change committed so far, and rebuilds when a rebuild
// was requested. Errors: the store's or the index's.
func (f *Follower) Sync(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.catchUp(ctx)
}

// Run polls the store every Interval until ctx ends, and sooner when the
// store notifies a change (Notifier). A failed poll is logged and retried
// at the next tick.
func (f *Follower) Run(ctx context.Context) {
	t := time.NewTicker(f.opts.Interval)
	defer t.Stop()
	var notes <-chan struct{}
	if n, ok := f.st.(Notifier); ok {
		if ch, err := n.KBNotifications(ctx); err == nil {
			notes = ch
		}
	}
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case _, ok := <-notes:
			if !ok {
				notes = nil // polling alone from now on
				continue
			}
		}
		err := f.Sync(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			f.opts.Logger.Warn("kb follower: catching up with the store failed; retrying", "err", err)
			failing = true
		case err == nil && failing:
			f.opts.Logger.Info("kb follower: caught up with the store again")
			failing = false
		}
	}
}

// Upsert writes docs to the store and applies them to the local index
// before returning, so this process finds them at once; the other
// processes find them at their next poll. Errors: as Write, or the index's.
func (f *Follower) Upsert(ctx context.Context, docs ...kb.Doc) error {
	if len(docs) == 0 {
		return nil
	}
	if _, err := Write(ctx, f.st, f.opts.Clock().UTC(), docs...); err != nil {
		return err
	}
	return f.Sync(ctx)
}

// Delete writes tombstones for ids and applies them locally.
func (f *Follower) Delete(ctx context.Context, ids ...string) error {
	if _, err := Remove(ctx, f.st, f.opts.Clock().UTC(), ids...); err != nil {
		return err
	}
	return f.Sync(ctx)
}

// RequestRebuild asks every follower (this one included, at once) to
// rebuild its index beside the live one and swap it in. It returns the new
// generation.
func (f *Follower) RequestRebuild(ctx context.Context) (int64, error) {
	gen, err := f.st.RequestKBRebuild(ctx)
	if err != nil {
		return 0, err
	}
	return gen, f.Sync(ctx)
}

// Lag is how far the index is behind the store, as of the last poll.
type Lag struct {
	Applied  int64   // highest sequence applied to the index
	StoreSeq int64   // highest sequence the store had committed
	Behind   int64   // StoreSeq - Applied
	Seconds  float64 // how long the index has been behind (0: caught up)
	Rebuilds int64   // rebuilds done for a request since start
}

// Lag returns the lag as of the last poll.
func (f *Follower) Lag() Lag {
	l := Lag{Applied: f.applied.Load(), StoreSeq: f.storeSeq.Load(), Rebuilds: f.rebuilds.Load()}
	l.Behind = max(l.StoreSeq-l.Applied, 0)
	if since := f.behindSince.Load(); since != 0 {
		l.Seconds = f.opts.Clock().Sub(time.Unix(0, since)).Seconds()
	}
	return l
}

// Ready says whether the index has caught up since start and follows the
// store: it read from it within the last staleAfter, and when behind it
// made progress (applied a page of changes) within staleAfter; why
// explains a false. An index working through a backlog, after a bulk
// import say, or rebuilding beside the live one for kb index, is ready:
// every replica falls behind such a write at the same moment, and a
// balancer that reads readiness would otherwise take them all out of
// service together while searches still answer.
func (f *Follower) Ready(staleAfter time.Duration) (ok bool, why string) {
	if !f.started.Load() {
		return false, "catching up with the store"
	}
	if f.rebuilding.Load() {
		return true, ""
	}
	now := f.opts.Clock()
	if age := now.Sub(time.Unix(0, f.lastPoll.Load())); age > staleAfter {
		return false, fmt.Sprintf("no change read from the store for %s", age.Round(time.Second))
	}
	if l := f.Lag(); l.Seconds > staleAfter.Seconds() && now.Sub(time.Unix(0, f.progress.Load())) > staleAfter {
		return false, fmt.Sprintf("%d changes behind the store for %.0fs without progress", l.Behind, l.Seconds)
	}
	return true, ""
}

// catchUp applies changes until none is left, then honours a rebuild
// request. f.mu is held.
func (f *Follower) catchUp(ctx context.Context) error {
	st, err := f.st.KBState(ctx)
	if err != nil {
		return err
	}
	f.storeSeq.Store(st.Seq)
	if f.pos.Seq < st.Seq && f.behindSince.Load() == 0 {
		f.behindSince.Store(f.opts.Clock().UnixNano())
	}
	for {
		ch, err := f.st.KBChanges(ctx, f.pos.Seq, pageSize)
		if err != nil {
			return err
		}
		f.lastPoll.Store(f.opts.Clock().UnixNano())
		if len(ch) == 0 {
			break
		}
		if err := f.apply(ctx, ch); err != nil {
			return err
		}
		f.pos.Seq = ch[len(ch)-1].Seq
		if err := f.writePosition(); err != nil {
			return err
		}
		f.applied.Store(f.pos.Seq)
		if f.pos.Seq > f.storeSeq.Load() {
			f.storeSeq.Store(f.pos.Seq)
		}
		f.progress.Store(f.opts.Clock().UnixNano())
		if len(ch) < pageSize {
			break
		}
	}
	if st.Generation != f.pos.Generation {
		f.rebuilding.Store(true)
		err := f.ix.Rebuild(ctx)
		// The rebuild started from a read of the store: its time counts
		// as read, so readiness holds from the flag to the end of the poll.
		now := f.opts.Clock().UnixNano()
		f.lastPoll.Store(now)
		f.progress.Store(now)
		f.rebuilding.Store(false)
		if err != nil {
			return fmt.Errorf("kb: rebuild for generation %d: %w", st.Generation, err)
		}
		f.pos.Generation = st.Generation
		if err := f.writePosition(); err != nil {
			return err
		}
		f.rebuilds.Add(1)
		f.opts.Logger.Info("kb follower: index rebuilt and swapped in", "generation", st.Generation)
	}
	f.applied.Store(f.pos.Seq)
	if f.pos.Seq >= f.storeSeq.Load() {
		f.behindSince.Store(0)
	}
	now := f.opts.Clock().UnixNano()
	f.lastPoll.Store(now)
	f.progress.Store(now)
	return nil
}

// apply indexes one page of changes. Each id appears once in a page, so
// the upserts and deletes need no ordering between them. A document the
// index refuses (written by a newer or older paybot) is logged and
// skipped: one bad row must not stop the follower.
func (f *Follower) apply(ctx context.Context, ch []incidents.KBDoc) error {
	var up []kb.Doc
	var del []string
	for _, c := range ch {
		if c.Deleted {
			del = append(del, c.ID)
			continue
		}
		var d kb.Doc
		if err := json.Unmarshal(c.Fields, &d); err != nil {
			f.opts.Logger.Warn("kb follower: skipping an unreadable document", "id", c.ID, "seq", c.Seq, "err", err)
			continue
		}
		d.ID = c.ID
		if _, err := kb.Normalise(d); err != nil {
			f.opts.Logger.Warn("kb follower: skipping a document the index refuses", "id", c.ID, "seq", c.Seq, "err", err)
			continue
		}
		up = append(up, d)
	}
	if err := f.ix.Upsert(ctx, up...); err != nil {
		return err
	}
	return f.ix.Delete(ctx, del...)
}

// reconcile runs on the first follow of an index (migrate: copy local
// documents the store lacks into it) or when the index followed another
// store (drop them). Articles are never touched.
func (f *Follower) reconcile(ctx context.Context, migrate bool) error {
	inStore := map[string]bool{}
	var after int64
	for {
		ch, err := f.st.KBChanges(ctx, after, pageSize)
		if err != nil {
			return err
		}
		for _, c := range ch {
			inStore[c.ID] = true
		}
		if len(ch) < pageSize {
			break
		}
		after = ch[len(ch)-1].Seq
	}
	articles, err := f.articleIDs()
	if err != nil {
		return err
	}
	docs, err := f.ix.Docs()
	if err != nil {
		return err
	}
	var missing []kb.Doc
	var ids []string
	for _, d := range docs {
		if articles[d.ID] || inStore[d.ID] {
			continue
		}
		missing = append(missing, d)
		ids = append(ids, d.ID)
	}
	if len(missing) == 0 {
		return nil
	}
	if migrate {
		f.opts.Logger.Info("kb follower: copying the index's own documents into the store", "documents", len(missing))
		_, err := Write(ctx, f.st, f.opts.Clock().UTC(), missing...)
		return err
	}
	f.opts.Logger.Info("kb follower: the index followed another store; dropping its documents", "documents", len(ids))
	return f.ix.Delete(ctx, ids...)
}

func (f *Follower) articleIDs() (map[string]bool, error) {
	arts, err := kb.StarterArticles()
	if err != nil {
		return nil, err
	}
	if f.opts.ArticlesDir != "" {
		more, err := kb.LoadArticlesDir(f.opts.ArticlesDir)
		if err != nil {
			return nil, err
		}
		arts = append(arts, more...)
	}
	ids := make(map[string]bool, len(arts))
	for _, a := range arts {
		ids[a.ID] = true
	}
	return ids, nil
}

func (f *Follower) readPosition() (position, bool, error) {
	var p position
	data, err := os.ReadFile(f.stateFile())
	if errors.Is(err, os.ErrNotExist) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("kb: %w", err)
	}
	if err := json.Unmarshal(data, &p); err != nil {
		// A torn file: start over from the store; nothing is lost.
		f.opts.Logger.Warn("kb follower: unreadable position file; catching up from the start", "file", f.stateFile(), "err", err)
		return position{}, true, nil
	}
	return p, true, nil
}

// writePosition records the position after the index has the changes: the
// index's own log (sources.jsonl) is synced before Upsert returns, so a
// crash between the two only replays a few changes.
func (f *Follower) writePosition() error {
	data, _ := json.Marshal(f.pos)
	tmp := f.stateFile() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("kb: %w", err)
	}
	if err := os.Rename(tmp, f.stateFile()); err != nil {
		return fmt.Errorf("kb: %w", err)
	}
	return nil
}

// Store returns the followed store.
func (f *Follower) Store() Store { return f.st }
