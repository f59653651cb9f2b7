package postgres_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/postgres"
	"github.com/paybot/paybot/incidents/storetest"
)

const defaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testDSN() string {
	if v := os.Getenv("PAYBOT_TEST_POSTGRES"); v != "" {
		return v
	}
	return defaultDSN
}

// admin connects for schema set-up, or skips the test when no server is
// reachable.
func admin(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		t.Skipf("PostgreSQL not reachable at %s (set PAYBOT_TEST_POSTGRES to a postgres:// URL): %v", testDSN(), err)
	}
	return c
}

// schemaFor names the schema of the store whose data "lives" at dir.
func schemaFor(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return "paybot_test_" + hex.EncodeToString(sum[:8])
}

// openAt opens a store in a schema of its own, named after dir, and drops
// the schema when the test ends, so runs never collide.
func openAt(t *testing.T, dir string) incidents.Store {
	t.Helper()
	s, err := openErr(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func schemaOf(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return "paybot_test_" + hex.EncodeToString(sum[:8])
}

// openErr is openAt returning the error of Open, safe to call from any
// goroutine.
func openErr(t *testing.T, dir string) (*postgres.Store, error) {
	t.Helper()
	schema := schemaOf(dir)
	ctx := context.Background()
	a := admin(t)
	defer a.Close(ctx)
	if _, err := a.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil && !isDupSchema(err) {
		return nil, err
	}
	t.Cleanup(func() {
		c := admin(t)
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(testDSN())
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", "4")
	q.Set("application_name", appName(dir))
	u.RawQuery = q.Encode()
	return postgres.Open(ctx, u.String())
}

// isDupSchema: CREATE SCHEMA IF NOT EXISTS can still fail with a unique
// violation when two sessions create the same schema at once.
func isDupSchema(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P06")
}

// appName tags a test store's connections so a test can find them in
// pg_stat_activity.
func appName(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return "paybot_test_" + hex.EncodeToString(sum[:6])
}

func TestStore(t *testing.T) {
	admin(t).Close(context.Background())
	storetest.Run(t, openAt)
}

func TestGatewayStore(t *testing.T) {
	admin(t).Close(context.Background())
	storetest.RunGateway(t, openAt)
}

func TestPacing(t *testing.T) {
	admin(t).Close(context.Background())
	storetest.RunPacing(t, openAt)
}

func TestReplyState(t *testing.T) {
	admin(t).Close(context.Background())
	storetest.RunReplyState(t, openAt)
}

func TestStats(t *testing.T) {
	admin(t).Close(context.Background())
	storetest.RunStats(t, openAt)
}

func TestJobs(t *testing.T) {
	admin(t).Close(context.Background())
	storetest.RunJobs(t, openAt)
}

func TestSystemJobs(t *testing.T) {
	admin(t).Close(context.Background())
	storetest.RunSystemJobs(t, openAt)
}

// TestPoolSurvivesTerminatedConnections kills every server connection of the
// store's pool, as a server restart does, and then expects every call to
// succeed: pgxpool drops dead connections instead of handing them out.
func TestPoolSurvivesTerminatedConnections(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openAt(t, dir)
	defer s.Close()
	// Warm the pool so there are idle connections to kill.
	for range 4 {
		if _, err := s.ListIncidents(ctx, incidents.ListFilter{Limit: 1}); err != nil {
			t.Fatal(err)
		}
	}
	a := admin(t)
	defer a.Close(ctx)
	tag, err := a.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1 AND pid <> pg_backend_pid()`, appName(dir))
	if err != nil {
		t.Fatal(err)
	}
	if tag.RowsAffected() == 0 {
		t.Fatal("no connection was terminated")
	}
	// pgxpool pings a connection idle for more than a second before handing
	// it out; a server restart takes longer than that.
	time.Sleep(1100 * time.Millisecond)
	failed := 0
	for range 6 {
		if _, err := s.ListIncidents(ctx, incidents.ListFilter{Limit: 1}); err != nil {
			failed++
			t.Logf("after terminate: %v", err)
		}
	}
	if failed > 0 {
		t.Fatalf("%d of 6 calls failed after the server dropped the pool's connections", failed)
	}
}

// TestConcurrentMigrate starts several stores at once on one fresh schema,
// as replicas starting together do: the advisory lock lets one migrate and
// the others find the schema current.
func TestConcurrentMigrate(t *testing.T) {
	admin(t).Close(context.Background())
	dir := t.TempDir()
	const n = 6
	type result struct {
		s   *postgres.Store
		err error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			s, err := openErr(t, dir)
			results <- result{s, err}
		}()
	}
	for range n {
		r := <-results
		if r.err != nil {
			t.Errorf("concurrent Open: %v", r.err)
			continue
		}
		r.s.Close()
	}
	a := admin(t)
	defer a.Close(context.Background())
	var versions, files int
	if err := a.QueryRow(context.Background(), "SELECT count(*) FROM "+schemaOf(dir)+".schema_migrations").Scan(&versions); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir("migrations")
	files = len(entries)
	if versions != files {
		t.Fatalf("schema_migrations has %d rows, want %d (one per migration file)", versions, files)
	}
}

// TestOpenErrorsKeepSecrets: a malformed URL or DSN is ErrInvalid and the
// message does not repeat the password; a search_path naming no schema is
// explained.
func TestOpenErrorsKeepSecrets(t *testing.T) {
	ctx := context.Background()
	for _, dsn := range []string{
		"postgres://u:s3cret@host:badport/db",
		"host=x password=s3cret port=zz",
		"postgres://u:s3cret@127.0.0.1:5432/db?pool_max_conns=0",
	} {
		_, err := postgres.Open(ctx, dsn)
		if !errors.Is(err, incidents.ErrInvalid) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(%q) = %v; want ErrInvalid without the password", dsn, err)
		}
	}
	admin(t).Close(ctx)
	u, _ := url.Parse(testDSN())
	q := u.Query()
	q.Set("search_path", "paybot_no_such_schema")
	u.RawQuery = q.Encode()
	if _, err := postgres.Open(ctx, u.String()); err == nil || !strings.Contains(err.Error(), "CREATE SCHEMA") {
		t.Errorf("Open with a missing schema = %v", err)
	}
}

func TestKBDocStore(t *testing.T) {
	admin(t).Close(context.Background())
	storetest.RunKBDocs(t, openAt)
}

// TestEnqueueBadEventFailsAlone: an event the server refuses (a NUL byte
// cannot be stored in text) fails on its own; the events that share its
// batch are recorded.
func TestEnqueueBadEventFailsAlone(t *testing.T) {
	s, err := openErr(t, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	at := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Go(func() {
			key := fmt.Sprintf("good-%d", i)
			if i == 20 {
				key = "bad\x00key"
			}
			errs[i] = s.EnqueueEvent(ctx, key, []byte("{}"), at, "m-"+key)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i == 20 {
			if err == nil {
				t.Error("an event with a NUL byte in its key was accepted")
			} else {
				t.Log(err)
			}
			continue
		}
		if err != nil {
			t.Errorf("event %d failed with its batch: %v", i, err)
		}
	}
}

// TestOpenWaitingForMigrationLockSaysSo: a start that cannot get the
// migration lock in time (another session holds it) names the lock, not
// an unreachable server.
func TestOpenWaitingForMigrationLockSaysSo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := openErr(t, dir) // creates and migrates the schema
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	holder := admin(t)
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1 || '.paybot_migrations'))`, schemaOf(dir)); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(testDSN())
	q := u.Query()
	q.Set("search_path", schemaOf(dir))
	u.RawQuery = q.Encode()
	octx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if s, err := postgres.Open(octx, u.String()); err == nil {
		s.Close()
		t.Fatal("opened while another session holds the migration lock")
	} else if !strings.Contains(err.Error(), "migration lock") {
		t.Fatalf("error does not name the lock: %v", err)
	}
}

// TestDSNErrorsNeverShowThePassword: whatever a password holds (the
// characters that end a part of a URL: / # ? @ : %, and spaces and quotes
// in a key=value string), no error of CheckDSN or Open shows it or a piece
// of it: not when the URL cannot be parsed, not when the parser reads a
// piece of the password as the port, host or database, not when the
// server cannot be reached.
func TestDSNErrorsNeverShowThePassword(t *testing.T) {
	ctx := context.Background()
	const head, tail = "Xk9vLongSecretPart1", "Rest2Secret"
	pieces := []string{head, tail, "LongSecret", "Xk9v", "Rest2"}
	var cases []string
	for _, sep := range []string{"/", "#", "?", "@", ":", "%", "%zz", "%2F", "/?#@:%"} {
		pw := head + sep + tail
		cases = append(cases,
			"postgres://paybot:"+pw+"@127.0.0.1:1/paybot?connect_timeout=1",
			"postgresql://paybot:"+pw+"@db.internal:5432/paybot",
			"postgres://paybot:"+pw+"@127.0.0.1:1",
			"postgres://paybot@127.0.0.1:1/paybot?connect_timeout=1&password="+pw,
			"postgres://paybot@127.0.0.1:1/paybot?password="+pw+"&sslmode=bogus",
			"host=127.0.0.1 port=1 connect_timeout=1 user=paybot password="+pw,
			"host=127.0.0.1 port=x user=paybot password="+pw,
			"mysql://paybot:"+pw+"@db.internal/paybot",
		)
	}
	cases = append(cases,
		// a numeric first piece parses as the port
		"postgres://paybot:123456/"+tail+"@127.0.0.1:1/paybot",
		"postgres://paybot:123456?x=y@127.0.0.1:1/paybot",
		"postgres://paybot:"+head+"/"+tail+"?connect_timeout=1",
		// key=value: quoted with spaces, an escaped quote, spaces around
		// '=', unquoted with a space, unterminated, the password last
		"host=127.0.0.1 port=1 connect_timeout=1 password='"+head+" "+tail+"'",
		"host=127.0.0.1 port=1 connect_timeout=1 password = '"+head+`\' `+tail+"'",
		"host=127.0.0.1 port=zz password='"+head+" "+tail+"'",
		"host=127.0.0.1 password="+head+" "+tail+" dbname=x",
		"host=127.0.0.1 password='"+head+" "+tail,
		"host=127.0.0.1 sslpassword="+head+" port=zz",
		"host=127.0.0.1 port=1 password="+head+`\ `+tail+" pool_max_conns=0",
	)
	for _, dsn := range cases {
		t.Run(dsn, func(t *testing.T) {
			for name, err := range map[string]error{"CheckDSN": postgres.CheckDSN(dsn), "Open": func() error { _, err := postgres.Open(ctx, dsn); return err }()} {
				if err == nil {
					if name == "Open" {
						t.Errorf("Open: no error")
					}
					continue
				}
				for _, p := range pieces {
					if strings.Contains(err.Error(), p) {
						t.Errorf("%s shows %q: %v", name, p, err)
					}
				}
				if strings.Contains(err.Error(), "123456") {
					t.Errorf("%s shows the password's first piece: %v", name, err)
				}
			}
		})
	}
	// Random passwords of those characters: no four of them in a row.
	r := rand.New(rand.NewPCG(1, 2))
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/#?@:% '\\"
	for i := 0; i < 300; i++ {
		b := make([]byte, 12+r.IntN(12))
		for j := range b {
			b[j] = chars[r.IntN(len(chars))]
		}
		pw := string(b)
		for _, dsn := range []string{
			"postgres://paybot:" + pw + "@127.0.0.1:1/paybot?connect_timeout=1",
			"host=127.0.0.1 port=1 connect_timeout=1 password=" + pw,
			"host=127.0.0.1 port=1 connect_timeout=1 password='" + pw + "'",
		} {
			err := postgres.CheckDSN(dsn)
			if err == nil {
				continue // parses: Open's connection errors are tried above
			}
			for k := 0; k+4 <= len(pw); k++ {
				if piece := pw[k : k+4]; strings.Trim(piece, " /#?@:%'\\") == piece && strings.Contains(err.Error(), piece) {
					t.Fatalf("CheckDSN(%q) shows %q: %v", dsn, piece, err)
				}
			}
		}
	}
}

// TestCheckDSN: the forms Open takes pass, without connecting; others are
// ErrInvalid with the reason.
func TestCheckDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn  string
		want string // "" passes
	}{
		{"postgres://paybot:s3cret@db.internal:5432/paybot?sslmode=disable", ""},
		{"postgresql://paybot:a%2Fb%40c%3Fd%23e%25f@db.internal/paybot", ""},
		{"postgres://paybot:Xk9v#Rest2@db.internal/paybot", ""}, // '#' and '?' end no part of the user:password for pgx
		{"postgres://db.internal/paybot?user=ana@example&pool_max_conns=3", ""},
		{"postgres://[::1]:5432,db2:5433/paybot", ""},
		{"host=db.internal dbname=paybot password = 'a b\\'c' pool_max_conns=4", ""},
		{"mysql://x@y/z", `the scheme "mysql" is not PostgreSQL's`},
		{"", "empty"},
		{"db.internal:5432", "neither a postgres:// URL nor key=value"},
		{"postgres://paybot:Xk9v/Rest@db.internal/paybot", "an '@' follows the host"},
		{"postgres://paybot:Xk9v%zz@db.internal/paybot", "the user name or password cannot be read"},
		{"postgres://db.internal:port/paybot", "the port is not a number"},
		{"host=db.internal port=zz", "invalid port"},
		{"postgres://db.internal/paybot?sslmode=bogus", "sslmode is invalid"},
		{"postgres://db.internal/paybot?pool_max_conns=0", "pool_max_conns"},
	} {
		err := postgres.CheckDSN(tc.dsn)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckDSN(%q) = %v", tc.dsn, err)
		case tc.want != "" && (!errors.Is(err, incidents.ErrInvalid) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckDSN(%q) = %v, want ErrInvalid saying %q", tc.dsn, err, tc.want)
		}
	}
}

// TestConnectionsPerProcess: the most connections one process's store
// opens is pool_max_conns, plus the 3 of the acknowledgement pool, plus
// the knowledge base's LISTEN connection (outside both pools) while
// KBNotifications runs: what the README tells operators to size
// max_connections for.
func TestConnectionsPerProcess(t *testing.T) {
	admin(t).Close(context.Background())
	dir := t.TempDir()
	s, err := openErr(t, dir) // pool_max_conns=4
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	count := func() int {
		a := admin(t)
		defer a.Close(context.Background())
		var n int
		if err := a.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, appName(dir)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := s.KBNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	held, release, err := postgres.HoldConns(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if held != 4+3 {
		t.Fatalf("the pools hold %d connections, want pool_max_conns 4 + 3", held)
	}
	want := 4 + 3 + 1
	var n int
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if n = count(); n >= want {
			break
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n = count(); n != want {
		t.Fatalf("%d connections with both pools full and LISTEN on, want %d = pool_max_conns + 3 + 1", n, want)
	}
	cancel() // the LISTEN connection closes with its context
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end) && n > want-1; time.Sleep(50 * time.Millisecond) {
		n = count()
	}
	if n != want-1 {
		t.Errorf("%d connections after KBNotifications ended, want %d", n, want-1)
	}
}
