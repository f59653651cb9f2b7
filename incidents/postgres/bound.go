package postgres

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// No call waits on the server without a bound. A connection whose peer
// went away without closing it (a network partition, a host that died, a
// proxy that keeps the client side open) never answers and never fails:
// without a deadline a read on it waits forever, and the goroutine, its
// pooled connection and everything queued behind them (the outbox, the
// scheduler, the index follower) stay stuck after the database is back.
// Three bounds cover the ways a store call reaches the server:
//
//   - every statement (Query, QueryRow, Exec, transaction control and
//     pipelined batches, on both pools and the LISTEN connection) gets at
//     most statementTimeout, through pgx's tracer hooks, whose returned
//     context is the one the call runs under; a caller's earlier deadline
//     still wins. pgx then breaks the connection off and the pool replaces
//     it;
//   - the liveness ping pgxpool makes before handing out an idle
//     connection gets pingTimeout (a frozen idle connection is dropped and
//     another taken);
//   - the LISTEN connection checks that it still answers after
//     listenCheck without a notification, and reconnects when it does not.
//
// The bounds are atomic because tests shorten them while goroutines of
// stores opened earlier (a LISTEN loop winding down, a pool's background
// health check) may still read them.
var (
	statementTimeout = newBound(30 * time.Second)
	pingTimeout      = newBound(5 * time.Second)
	listenCheck      = newBound(30 * time.Second)
)

// bound is a duration read and replaced atomically.
type bound struct{ ns atomic.Int64 }

func newBound(d time.Duration) *bound {
	b := &bound{}
	b.set(d)
	return b
}

func (b *bound) get() time.Duration  { return time.Duration(b.ns.Load()) }
func (b *bound) set(d time.Duration) { b.ns.Store(int64(d)) }

// boundTracer gives each statement and batch its deadline (see above).
type boundTracer struct{}

var (
	_ pgx.QueryTracer = boundTracer{}
	_ pgx.BatchTracer = boundTracer{}
)

type cancelKey struct{}

// unboundedKey marks a context whose statements keep only the caller's
// deadline (see unbounded).
type unboundedKey struct{}

// unbounded exempts ctx's statements from statementTimeout. Schema
// migrations use it: building an index over a large table can take longer
// than any one request's bound, and a start cut short there would leave a
// replica unable to come up at all. They are bounded instead by the
// caller's context and the migration lock's own wait.
func unbounded(ctx context.Context) context.Context {
	return context.WithValue(ctx, unboundedKey{}, true)
}

func (boundTracer) start(ctx context.Context) context.Context {
	if ctx.Value(unboundedKey{}) != nil {
		return ctx
	}
	ctx, cancel := context.WithTimeout(ctx, statementTimeout.get())
	return context.WithValue(ctx, cancelKey{}, cancel)
}

func (boundTracer) end(ctx context.Context) {
	if cancel, ok := ctx.Value(cancelKey{}).(context.CancelFunc); ok {
		cancel()
	}
}

// TraceQueryStart implements pgx.QueryTracer.
func (b boundTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return b.start(ctx)
}

// TraceQueryEnd implements pgx.QueryTracer.
func (b boundTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	b.end(ctx)
}

// TraceBatchStart implements pgx.BatchTracer.
func (b boundTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return b.start(ctx)
}

// TraceBatchQuery implements pgx.BatchTracer.
func (boundTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd implements pgx.BatchTracer.
func (b boundTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchEndData) {
	b.end(ctx)
}

// applyBounds sets the statement and ping bounds on a pool's config (and
// so on every connection config copied from it).
func applyBounds(cfg *pgxpool.Config) {
	cfg.ConnConfig.Tracer = boundTracer{}
	cfg.PingTimeout = pingTimeout.get()
}
