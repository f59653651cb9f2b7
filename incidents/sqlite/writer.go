package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxBatch caps how many queued writes share one transaction. A bigger batch
// saves fsyncs but makes the first writer in it wait longer.
const maxBatch = 128

// writer owns the store's only write connection. Callers hand it a function;
// it runs the functions that queued up while the previous commit was
// syncing, each inside its own SAVEPOINT, and commits them together. A
// function that fails is rolled back to its savepoint alone, so every
// request is still atomic on its own, and one fsync covers the whole batch.
type writer struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt // prepared on conn, owned by the writer goroutine

	reqs   chan *request
	mu     sync.RWMutex // held for reading while sending on reqs
	closed bool
	quit   chan struct{}
	exited chan struct{}
}

type request struct {
	ctx  context.Context
	fn   func(*wtx) error
	err  error
	done chan error
}

// wtx runs statements inside the writer's current transaction.
type wtx struct{ w *writer }

func startWriter(conn *sql.Conn) *writer {
	w := &writer{
		conn:   conn,
		stmts:  map[string]*sql.Stmt{},
		reqs:   make(chan *request, maxBatch),
		quit:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	go w.run()
	return w
}

// do runs fn in a write transaction and returns its error, or the commit's.
// A nil result means the change is durable. Once fn has been handed to the
// writer, do waits for the outcome even if ctx ends meanwhile, so a non-nil
// result always means that nothing was written; a request still queued when
// ctx ends is skipped with ctx.Err().
func (w *writer) do(ctx context.Context, fn func(*wtx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &request{ctx: ctx, fn: fn, done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return ErrClosed
	}
	select {
	case w.reqs <- r:
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	w.mu.RUnlock()
	return <-r.done
}

func (w *writer) close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	close(w.quit)
	<-w.exited
	for _, st := range w.stmts {
		st.Close()
	}
	return w.conn.Close()
}

func (w *writer) run() {
	defer close(w.exited)
	batch := make([]*request, 0, maxBatch)
	for {
		select {
		case r := <-w.reqs:
			batch = append(batch[:0], r)
		case <-w.quit:
			// No sender is left (close took the lock); finish what is queued.
			for {
				select {
				case r := <-w.reqs:
					w.commit([]*request{r})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-w.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		w.commit(batch)
		clear(batch)
	}
}

// commit runs one batch in one transaction and reports to every request.
func (w *writer) commit(batch []*request) {
	t := &wtx{w}
	fail := func(err error) {
		_, _ = w.conn.ExecContext(context.Background(), "ROLLBACK")
		for _, r := range batch {
			r.done <- err
		}
	}
	if _, err := t.exec("BEGIN IMMEDIATE"); err != nil {
		fail(err)
		return
	}
	single := len(batch) == 1
	applied := 0
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		if !single {
			if _, err := t.exec("SAVEPOINT req"); err != nil {
				fail(err)
				return
			}
		}
		r.err = r.fn(t)
		if r.err == nil {
			applied++
		}
		if single {
			break
		}
		if r.err != nil {
			if _, err := t.exec("ROLLBACK TO req"); err != nil {
				fail(errors.Join(r.err, err))
				return
			}
		}
		if _, err := t.exec("RELEASE req"); err != nil {
			fail(err)
			return
		}
	}
	end := "COMMIT"
	if applied == 0 {
		end = "ROLLBACK"
	}
	if _, err := t.exec(end); err != nil {
		fail(err)
		return
	}
	for _, r := range batch {
		r.done <- r.err
	}
}

func (t *wtx) stmt(query string) (*sql.Stmt, error) {
	if st, ok := t.w.stmts[query]; ok {
		return st, nil
	}
	st, err := t.w.conn.PrepareContext(context.Background(), query)
	if err != nil {
		return nil, err
	}
	t.w.stmts[query] = st
	return st, nil
}

func (t *wtx) exec(query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(context.Background(), args...)
}

func (t *wtx) queryRow(query string, args ...any) *sql.Row {
	st, err := t.stmt(query)
	if err != nil {
		// sql.Row cannot be built with an error from outside; use the
		// connection so the same error surfaces from Scan.
		return t.w.conn.QueryRowContext(context.Background(), query, args...)
	}
	return st.QueryRowContext(context.Background(), args...)
}
