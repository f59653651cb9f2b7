package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

var _ incidents.Store = (*Store)(nil)

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("postgres store: closed")

// defaultMaxConns is the pool size unless the DSN sets pool_max_conns.
const defaultMaxConns = 10

// ackConns is the size of the pool kept for recording inbound events
// (EnqueueEvent), the one database call a platform's acknowledgement
// waits for. Background work (the event workers, up to 32 outbox
// deliveries, the scheduler, the index follower) shares the main pool and,
// in a burst, keeps every one of its connections busy; with its own pool
// an acknowledgement never queues behind it. Each connection has a batch
// writer (enqueue.go).
const ackConns = 3

// defaultConnectTimeout bounds one connection attempt unless the DSN sets
// connect_timeout, so that a database that is down fails Open within
// seconds instead of hanging.
const defaultConnectTimeout = 5 * time.Second

// Store is an incidents.Store in PostgreSQL, shared by any number of Paybot
// replicas. It is safe for concurrent use.
//
// Connections come from pgxpool, which checks a connection's health before
// handing it out and replaces dead ones (after a server restart, say).
type Store struct {
	pool    *pgxpool.Pool
	ackPool *pgxpool.Pool // EnqueueEvent's batch writers only (see ackConns)
	closed  atomic.Bool

	enq     chan *enqueueReq // to the batch writers (enqueue.go)
	stop    chan struct{}    // closed by Close: the writers stop
	enqDone sync.WaitGroup
}

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string; pool_max_conns=N sets the pool size, default 10, to
// which a pool of 3 for recording inbound events is added, and one LISTEN
// connection while KBNotifications runs;
// connect_timeout=S bounds a connection attempt, default 5 s; a search_path
// parameter selects the schema), pings it and brings the schema up to date.
// Replicas that start together migrate one at a time, serialised by an
// advisory lock. Errors: ErrInvalid for a malformed dsn; a wrapped
// connection error when the server cannot be reached.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := parseDSN(dsn) // dsn.go: its errors never hold the password
	if err != nil {
		return nil, err
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	applyBounds(cfg)
	// What pgx says on connecting names the server, the user and the
	// database, not the password; it is scrubbed all the same (scrubbed),
	// in case a password was also given where pgx did not expect one.
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, scrubbed(fmt.Errorf("postgres: %w", err), dsn)
	}
	s := &Store{pool: p}
	err = p.AcquireFunc(ctx, func(c *pgxpool.Conn) error { return migrate(ctx, c.Conn()) })
	if err != nil {
		p.Close()
		return nil, scrubbed(fmt.Errorf("postgres: connect and migrate (%s): %w", serverName(cfg.ConnConfig), err), dsn)
	}
	ackCfg := cfg.Copy()
	ackCfg.MaxConns, ackCfg.MinConns = ackConns, 1
	if s.ackPool, err = pgxpool.NewWithConfig(ctx, ackCfg); err != nil {
		p.Close()
		return nil, scrubbed(fmt.Errorf("postgres: %w", err), dsn)
	}
	s.startEnqueuers()
	return s, nil
}

// serverName names the server without the password, for error messages.
func serverName(c *pgx.ConnConfig) string {
	return fmt.Sprintf("host=%s port=%d database=%s user=%s", c.Host, c.Port, c.Database, c.User)
}

// Close closes the pool, waiting for connections in use to be released.
func (s *Store) Close() error {
	if s.closed.CompareAndSwap(false, true) {
		close(s.stop)
		s.enqDone.Wait()
		s.ackPool.Close()
		s.pool.Close()
	}
	return nil
}

// Ping checks that the database answers, within ctx, on a connection of
// the acknowledgement pool: the path a platform's request takes. The main
// pool can be busy with background work for a while under a burst, which
// says nothing about whether requests can be accepted. Errors: ErrClosed,
// or the connection error.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return s.ackPool.Ping(ctx)
}

// tx runs fn in a READ COMMITTED transaction on a pooled connection.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// migrate applies missing migrations in one transaction, holding an
// advisory lock scoped to the current schema. Its statements are not held
// to statementTimeout (see unbounded).
func migrate(ctx context.Context, c *pgx.Conn) error {
	ctx = unbounded(ctx)
	ms, err := migrations.Load(migrationFS, "migrations")
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		var schema *string
		if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			return err
		}
		if schema == nil {
			return errors.New("no schema to create the tables in: the search_path names a schema that does not exist (CREATE SCHEMA it first) or that this user may not use")
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.paybot_migrations'))`); err != nil {
			if ctx.Err() != nil {
				// Connected, but another session holds the lock for longer
				// than the start may wait: say so, not "unreachable".
				return fmt.Errorf("gave up waiting for the schema's migration lock, which another session holds (a paybot migrating, or one stuck: see pg_locks where locktype = 'advisory'): %w", err)
			}
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return err
		}
		done := map[int]bool{}
		known := map[int]bool{}
		for _, m := range ms {
			known[m.Version] = true
		}
		for _, v := range applied {
			done[int(v)] = true
			if !known[int(v)] {
				return fmt.Errorf("database has schema version %d, which this binary does not know: it was written by a newer paybot", v)
			}
		}
		for _, m := range ms {
			if done[m.Version] {
				continue
			}
			// No arguments: the simple protocol runs every statement of the file.
			if _, err := tx.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
		}
		return nil
	})
}
