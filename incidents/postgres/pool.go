package postgres

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"
)

// pool is a small connection pool over pgx.Conn. It stands in for pgxpool,
// which needs github.com/jackc/puddle/v2 in go.mod; swapping it in later
// changes only this file and Store.tx.
type pool struct {
	cfg  *pgx.ConnConfig
	sem  chan struct{}  // one token per open or opening connection
	idle chan *pgx.Conn // idle connections, at most cap(sem)

	mu     sync.Mutex
	closed bool
}

func newPool(cfg *pgx.ConnConfig, max int) *pool {
	return &pool{cfg: cfg, sem: make(chan struct{}, max), idle: make(chan *pgx.Conn, max)}
}

func (p *pool) acquire(ctx context.Context) (*pgx.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	select {
	case c := <-p.idle:
		return c, nil
	case p.sem <- struct{}{}:
		c, err := pgx.ConnectConfig(ctx, p.cfg)
		if err != nil {
			<-p.sem
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release returns c to the pool, or closes it when it is broken or left
// inside a transaction.
func (p *pool) release(c *pgx.Conn) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed || c.IsClosed() || c.PgConn().IsBusy() || c.PgConn().TxStatus() != 'I' {
		c.Close(context.Background())
		<-p.sem
		return
	}
	p.idle <- c
}

func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	for {
		select {
		case c := <-p.idle:
			c.Close(context.Background())
			<-p.sem
		default:
			return
		}
	}
}
