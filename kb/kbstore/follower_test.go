package kbstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paybot/paybot/incidents/postgres"
	"github.com/paybot/paybot/incidents/sqlite"
	"github.com/paybot/paybot/kb"
	"github.com/paybot/paybot/kb/kbstore"
)

// storeOpener opens one more handle on the same database (a replica).
type storeOpener func(t testing.TB) kbstore.Store

// startFollower opens an index in a new temporary folder and starts a
// follower of st on it (opts.Dir is that folder's); the index closes when
// the test ends, after the cleanups the test registers later.
func startFollower(ctx context.Context, t *testing.T, st kbstore.Store, opts kbstore.Options) (*kb.Index, *kbstore.Follower) {
	t.Helper()
	ix, dir, _, err := kbstore.OpenIndex(ctx, t.TempDir(), kb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	opts.Dir = dir
	f := kbstore.New(ix, st, opts)
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return ix, f
}

func sqliteStores(t testing.TB) storeOpener {
	path := filepath.Join(t.TempDir(), "paybot.db")
	return func(t testing.TB) kbstore.Store {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

// postgresStores gives handles on one fresh schema, or skips without a
// server (PAYBOT_TEST_POSTGRES).
func postgresStores(t testing.TB) storeOpener {
	dsn := os.Getenv("PAYBOT_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	admin, err := pgx.Connect(cctx, dsn)
	if err != nil {
		t.Skipf("PostgreSQL not reachable (PAYBOT_TEST_POSTGRES): %v", err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "paybot_kbtest_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", "4")
	u.RawQuery = q.Encode()
	return func(t testing.TB) kbstore.Store {
		s, err := postgres.Open(ctx, u.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

type replica struct {
	ix *kb.Index
	f  *kbstore.Follower
}

// startReplica opens the index of dataDir (or a spare) and follows st,
// polling every 100 ms until the test ends.
func startReplica(t *testing.T, st kbstore.Store, dataDir string) *replica {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ix, dir, _, err := kbstore.OpenIndex(ctx, dataDir, kb.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	f := kbstore.New(ix, st, kbstore.Options{Dir: dir, Interval: 100 * time.Millisecond})
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		ix.Close()
	})
	return &replica{ix: ix, f: f}
}

func found(t *testing.T, ix *kb.Index, query, id string) bool {
	t.Helper()
	res, err := ix.Search(context.Background(), query, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if h.ID == id {
			return true
		}
	}
	return false
}

// within polls cond every 20 ms for up to d.
func within(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

var zebraDoc = kb.Doc{ID: "community:zebra", Kind: "community", Title: "Refund stuck with quasar zebra error",
	Body: "Restart the quasar zebra reconciler, then retry the refund."}

func forStores(t *testing.T, fn func(t *testing.T, open storeOpener)) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, sqliteStores(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, postgresStores(t)) })
}

// An answer learned through one replica is found through another within
// 2 s; a delete follows the same way. Each replica has its own data
// directory and store handle on one database.
func TestLearnedOnOneFoundOnOther(t *testing.T) {
	forStores(t, func(t *testing.T, open storeOpener) {
		a := startReplica(t, open(t), t.TempDir())
		b := startReplica(t, open(t), t.TempDir())
		ctx := context.Background()
		if err := a.f.Upsert(ctx, zebraDoc); err != nil {
			t.Fatal(err)
		}
		if !found(t, a.ix, "quasar zebra refund", zebraDoc.ID) {
			t.Fatal("the writing replica does not find its own answer at once")
		}
		start := time.Now()
		if !within(2*time.Second, func() bool { return found(t, b.ix, "quasar zebra refund", zebraDoc.ID) }) {
			t.Fatalf("the other replica did not find the answer within 2 s (lag %+v)", b.f.Lag())
		}
		t.Logf("found on the other replica after %s", time.Since(start).Round(time.Millisecond))
		if err := b.f.Delete(ctx, zebraDoc.ID); err != nil {
			t.Fatal(err)
		}
		if !within(2*time.Second, func() bool { return !found(t, a.ix, "quasar zebra refund", zebraDoc.ID) }) {
			t.Fatal("a delete through one replica did not reach the other within 2 s")
		}
		// The index applies a change a moment before the position moves.
		if !within(time.Second, func() bool { l := a.f.Lag(); return l.Behind == 0 && l.Applied >= 2 }) {
			t.Fatalf("lag after catching up = %+v", a.f.Lag())
		}
	})
}

// Two followers on the same data directory: the second gets a spare index
// and still finds what the first learned.
func TestSameDataDirGetsSpareIndex(t *testing.T) {
	forStores(t, func(t *testing.T, open storeOpener) {
		data := t.TempDir()
		a := startReplica(t, open(t), data)
		ix, dir, spare, err := kbstore.OpenIndex(context.Background(), data, kb.Options{Timeout: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ix.Close()
		if !spare || dir != filepath.Join(data, "kb-replicas", "1") {
			t.Fatalf("OpenIndex on a held data directory = %s spare %v", dir, spare)
		}
		b := startReplica(t, open(t), data)
		if err := a.f.Upsert(context.Background(), zebraDoc); err != nil {
			t.Fatal(err)
		}
		if !within(2*time.Second, func() bool { return found(t, b.ix, "quasar zebra", zebraDoc.ID) }) {
			t.Fatal("the spare index did not follow")
		}
	})
}

// A rebuild requested through the store is done by every follower, which
// keeps its documents.
func TestRebuildRequestReachesFollowers(t *testing.T) {
	forStores(t, func(t *testing.T, open storeOpener) {
		st := open(t)
		a := startReplica(t, st, t.TempDir())
		if err := a.f.Upsert(context.Background(), zebraDoc); err != nil {
			t.Fatal(err)
		}
		if _, err := st.RequestKBRebuild(context.Background()); err != nil {
			t.Fatal(err)
		}
		if !within(2*time.Second, func() bool { return a.f.Lag().Rebuilds == 1 }) {
			t.Fatalf("no rebuild after the request: %+v", a.f.Lag())
		}
		if !found(t, a.ix, "quasar zebra", zebraDoc.ID) {
			t.Fatal("the rebuilt index lost a store document")
		}
	})
}

// A process that was down catches up at start; an index from before the
// store held documents hands its own to the store.
func TestCatchUpAndMigrate(t *testing.T) {
	forStores(t, func(t *testing.T, open storeOpener) {
		ctx := context.Background()
		legacyDir := t.TempDir()
		legacy, err := kb.Open(ctx, legacyDir, kb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		old := kb.Doc{ID: "community:old", Title: "Old answer about pelican payouts", Body: "Pelican payouts settle on Tuesdays."}
		if err := legacy.Upsert(ctx, old); err != nil {
			t.Fatal(err)
		}
		legacy.Close()
		st := open(t)
		if _, err := kbstore.Write(ctx, st, time.Now(), zebraDoc); err != nil {
			t.Fatal(err)
		}
		r := startReplica(t, st, legacyDir)
		if !found(t, r.ix, "quasar zebra", zebraDoc.ID) || !found(t, r.ix, "pelican payouts", old.ID) {
			t.Fatal("start did not catch up, or lost the legacy document")
		}
		other := startReplica(t, open(t), t.TempDir())
		if !found(t, other.ix, "pelican payouts", old.ID) {
			t.Fatal("the legacy document was not copied into the store")
		}
	})
}

// A bad document is refused before it reaches the store.
func TestWriteRefusesBadDocuments(t *testing.T) {
	st := sqliteStores(t)(t)
	_, err := kbstore.Write(context.Background(), st, time.Now(), zebraDoc, kb.Doc{ID: "x", Title: "no body"})
	if err == nil {
		t.Fatal("a document without body was accepted")
	}
	if s, err := st.KBState(context.Background()); err != nil || s.Seq != 0 {
		t.Fatalf("state %+v %v: something was written", s, err)
	}
}

// The store never holds a card number or a secret from a document.
func TestWriteMasksCardData(t *testing.T) {
	st := sqliteStores(t)(t)
	ctx := context.Background()
	d := kb.Doc{ID: "community:card", Title: "Customer pasted 4111 1111 1111 1111", Body: "key sk_live_51HxAbCdEfGhIjKlMnOpQrStUv was in the ticket"}
	if _, err := kbstore.Write(ctx, st, time.Now(), d); err != nil {
		t.Fatal(err)
	}
	ch, err := st.KBChanges(ctx, 0, 10)
	if err != nil || len(ch) != 1 {
		t.Fatalf("%v %v", ch, err)
	}
	for _, bad := range []string{"4111 1111 1111 1111", "4111111111111111", "sk_live_51HxAbCdEfGhIjKlMnOpQrStUv"} {
		if strings.Contains(string(ch[0].Fields), bad) {
			t.Fatalf("the store holds %q: %s", bad, ch[0].Fields)
		}
	}
}

// On PostgreSQL a follower is woken by NOTIFY: with a 10 s poll interval a
// change from another handle still arrives within a second.
func TestPostgresNotifyWakesFollower(t *testing.T) {
	open := postgresStores(t)
	ctx, cancel := context.WithCancel(context.Background())
	ix, f := startFollower(ctx, t, open(t), kbstore.Options{Interval: 10 * time.Second})
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	time.Sleep(300 * time.Millisecond) // LISTEN is set up
	if _, err := kbstore.Write(ctx, open(t), time.Now(), zebraDoc); err != nil {
		t.Fatal(err)
	}
	if !within(time.Second, func() bool { return found(t, ix, "quasar zebra", zebraDoc.ID) }) {
		t.Fatal("no NOTIFY wake-up: the change waited for the 10 s poll")
	}
}

// A database restored from an older copy (the index is ahead of it, and
// nothing was written since the restore) is followed from the start again:
// the documents it lacks are dropped and its new changes are not skipped.
func TestRestoredStoreStartsOver(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbDir := t.TempDir()
	db := filepath.Join(dbDir, "paybot.db")
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	old := kb.Doc{ID: "community:old", Title: "Pelican payouts settle on Tuesdays", Body: "Pelican payouts settle on Tuesdays."}
	if _, err := kbstore.Write(ctx, st, time.Now(), old); err != nil {
		t.Fatal(err)
	}
	st.Close()
	backup, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	r := startReplica(t, st, dir)
	if err := r.f.Upsert(ctx, zebraDoc); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// Stop that replica before the restore.
	r.ix.Close()
	if err := os.WriteFile(db, backup, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(db + "-wal")
	os.Remove(db + "-shm")
	st2 := sqliteAt(t, db)
	r2 := startReplica(t, st2, dir)
	if found(t, r2.ix, "quasar zebra", zebraDoc.ID) || !found(t, r2.ix, "pelican payouts", old.ID) {
		t.Fatal("after the restore the index does not match the restored database")
	}
	if err := r2.f.Upsert(ctx, kb.Doc{ID: "community:new", Title: "Heron refunds need a second approval", Body: "Ask a second approver for heron refunds."}); err != nil {
		t.Fatal(err)
	}
	if !found(t, r2.ix, "heron refunds approval", "community:new") {
		t.Fatal("a change of the restored database was skipped")
	}
}

func sqliteAt(t *testing.T, path string) kbstore.Store {
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
