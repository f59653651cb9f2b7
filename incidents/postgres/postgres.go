package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

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

// Store is an incidents.Store in PostgreSQL, shared by any number of Paybot
// replicas. It is safe for concurrent use.
type Store struct {
	pool      *pool
	closeOnce sync.Once
}

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string; pool_max_conns=N sets the pool size, default 10; a
// search_path parameter selects the schema) and brings the schema up to
// date. Replicas that start together migrate one at a time, serialised by an
// advisory lock.
func Open(ctx context.Context, dsn string) (*Store, error) {
	dsn, maxConns, err := takeMaxConns(dsn)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: postgres dsn: %v", incidents.ErrInvalid, err)
	}
	s := &Store{pool: newPool(cfg, maxConns)}
	c, err := s.pool.acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	err = migrate(ctx, c)
	s.pool.release(c)
	if err != nil {
		s.pool.close()
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	return s, nil
}

// takeMaxConns removes pool_max_conns from a URL or key=value DSN.
func takeMaxConns(dsn string) (string, int, error) {
	n := defaultMaxConns
	parse := func(v string) error {
		i, err := strconv.Atoi(v)
		if err != nil || i < 1 {
			return fmt.Errorf("%w: pool_max_conns=%q", incidents.ErrInvalid, v)
		}
		n = i
		return nil
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", 0, fmt.Errorf("%w: postgres dsn: %v", incidents.ErrInvalid, err)
		}
		q := u.Query()
		if v := q.Get("pool_max_conns"); v != "" {
			if err := parse(v); err != nil {
				return "", 0, err
			}
			q.Del("pool_max_conns")
			u.RawQuery = q.Encode()
		}
		return u.String(), n, nil
	}
	var keep []string
	for _, f := range strings.Fields(dsn) {
		if v, ok := strings.CutPrefix(f, "pool_max_conns="); ok {
			if err := parse(v); err != nil {
				return "", 0, err
			}
			continue
		}
		keep = append(keep, f)
	}
	return strings.Join(keep, " "), n, nil
}

// Close closes idle connections; connections in use close when released.
func (s *Store) Close() error {
	s.closeOnce.Do(s.pool.close)
	return nil
}

// tx runs fn in a READ COMMITTED transaction on a pooled connection.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	c, err := s.conn(ctx)
	if err != nil {
		return err
	}
	defer s.pool.release(c)
	return pgx.BeginFunc(ctx, c, fn)
}

func (s *Store) conn(ctx context.Context) (*pgx.Conn, error) {
	s.pool.mu.Lock()
	closed := s.pool.closed
	s.pool.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	return s.pool.acquire(ctx)
}

// migrate applies missing migrations in one transaction, holding an
// advisory lock scoped to the current schema.
func migrate(ctx context.Context, c *pgx.Conn) error {
	ms, err := migrations.Load(migrationFS, "migrations")
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.paybot_migrations'))`); err != nil {
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
