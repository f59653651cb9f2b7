package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/internal/migrations"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

var _ incidents.Store = (*Store)(nil)

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("sqlite store: closed")

// Store is an incidents.Store in one SQLite file. It is safe for concurrent
// use. All writes go through one goroutine that owns the only write
// connection and commits whatever has queued up meanwhile in one transaction
// (group commit); reads use a separate pool of read-only connections.
type Store struct {
	read  *sql.DB // read-only pool
	write *sql.DB // exactly one connection, used only by the writer goroutine
	w     *writer

	closeOnce sync.Once
	closeErr  error
}

// readConns is the size of the read pool. SQLite in WAL mode lets readers run
// beside the one writer; more readers than cores buys nothing.
const readConns = 4

// Open opens (creating if needed) the SQLite database at path and brings its
// schema up to date. The database runs in WAL mode with synchronous=FULL, so
// a write that returned nil survives a power cut.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("%w: sqlite path %q", incidents.ErrInvalid, path)
	}
	write, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	conn, err := write.Conn(ctx)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrate(ctx, conn); err != nil {
		conn.Close()
		write.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	// Owner-only, even for a database created before with wider modes:
	// it may hold incident details. SQLite gives -wal and -shm the
	// database file's mode, and the ones that exist now are set too.
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(f, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			conn.Close()
			write.Close()
			return nil, fmt.Errorf("sqlite: chmod %s: %w", f, err)
		}
	}

	read, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		conn.Close()
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(readConns)
	read.SetMaxIdleConns(readConns)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		conn.Close()
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &Store{read: read, write: write, w: startWriter(conn)}, nil
}

// dsn builds a modernc.org/sqlite data source name. busy_timeout comes first
// so that the other pragmas wait for a lock instead of failing.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(ON)")
	// Deleted rows (a removed community answer, pruned inbox payloads) are
	// overwritten, not left in free pages for anyone with the file.
	q.Add("_pragma", "secure_delete(ON)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Close waits for queued writes to finish and closes the database. Calling it
// again returns the first result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		werr := s.w.close()
		rerr := s.read.Close()
		cerr := s.write.Close()
		s.closeErr = errors.Join(werr, rerr, cerr)
	})
	return s.closeErr
}

// migrate applies the embedded migrations that schema_migrations does not
// list yet, all in one IMMEDIATE transaction, so two processes opening the
// same new file do not both migrate it and a failed migration leaves nothing
// behind.
func migrate(ctx context.Context, conn *sql.Conn) (err error) {
	ms, err := migrations.Load(migrationFS, "migrations")
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return err
	}
	applied := map[int]bool{}
	rows, err := conn.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return err
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	known := map[int]bool{}
	for _, m := range ms {
		known[m.Version] = true
	}
	for v := range applied {
		if !known[v] {
			return fmt.Errorf("database has schema version %d, which this binary does not know: it was written by a newer paybot", v)
		}
	}
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		if _, err := conn.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
		if _, err := conn.ExecContext(ctx,
			"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.Version, m.Name, time.Now().UnixNano()); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}
