package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/paybot/paybot/incidents"
)

// The acknowledgement path: EnqueueEvent hands its event to one of ackConns
// batch writers, each with a connection of its own (ackPool). A writer takes
// every event waiting when it is free, up to maxEnqueueBatch, and records
// them with one call of paybot_enqueue (migration 0160): under load, the
// events that arrive while one commit is in flight share the next commit,
// so a burst costs the database one round trip and one WAL flush per batch
// rather than per event. With no load a batch is one event, sent at once:
// nothing waits to fill a batch.

// maxEnqueueBatch keeps a batch within PostgreSQL's cache of 64
// subtransactions per transaction (paybot_enqueue uses one per event).
const maxEnqueueBatch = 64

// enqueueTimeout bounds one batch's call, whoever is waiting for it.
const enqueueTimeout = 15 * time.Second

type enqueueReq struct {
	ctx     context.Context // a request whose caller gave up is left out
	key     string
	payload []byte
	at      time.Time
	mkeys   []string
	done    chan error // buffered: the writer never blocks on a caller that left
}

// startEnqueuers starts the batch writers; they stop when s.stop closes.
func (s *Store) startEnqueuers() {
	s.enq = make(chan *enqueueReq)
	s.stop = make(chan struct{})
	for range ackConns {
		s.enqDone.Add(1)
		go s.enqueueLoop()
	}
}

func (s *Store) enqueueLoop() {
	defer s.enqDone.Done()
	for {
		var first *enqueueReq
		select {
		case <-s.stop:
			return
		case first = <-s.enq:
		}
		var batch []*enqueueReq
		add := func(r *enqueueReq) {
			if err := r.ctx.Err(); err != nil {
				r.done <- err
				return
			}
			batch = append(batch, r)
		}
		add(first)
	fill:
		for len(batch) < maxEnqueueBatch {
			select {
			case r := <-s.enq:
				add(r)
			default:
				break fill
			}
		}
		if len(batch) > 0 {
			s.writeBatch(batch)
		}
	}
}

// writeBatch records batch and answers each request: nil, ErrDuplicate
// (wrapped) or the error of the call. When the server refuses the whole
// call for something in one event's data, the events are recorded one at
// a time, so that event fails alone.
func (s *Store) writeBatch(batch []*enqueueReq) {
	ctx, cancel := context.WithTimeout(context.Background(), enqueueTimeout)
	defer cancel()
	results, err := s.callEnqueue(ctx, batch)
	var pe *pgconn.PgError
	if err != nil && len(batch) > 1 && errors.As(err, &pe) {
		for _, r := range batch {
			s.writeBatch([]*enqueueReq{r})
		}
		return
	}
	for i, r := range batch {
		switch {
		case err != nil:
			r.done <- err
		case !results[i]:
			r.done <- fmt.Errorf("%w: event %q or a message it carries was received before", incidents.ErrDuplicate, r.key)
		default:
			r.done <- nil
		}
	}
}

// callEnqueue calls paybot_enqueue once for batch and returns whether each
// event was recorded. It tries again, up to five calls in all, after a
// connection that died while idle (the server restarted: the call failed
// without an answer, and the pool drops the connection) and after a
// deadlock or serialisation failure (two batches that lock the same keys
// in opposite orders: the server rolled one back whole). Either retry is
// safe even if a lost attempt committed: its events then read as
// duplicates, they are in the inbox as received, and the sweep processes
// them.
func (s *Store) callEnqueue(ctx context.Context, batch []*enqueueReq) ([]bool, error) {
	evkeys := make([]string, len(batch))
	payloads := make([][]byte, len(batch))
	ats := make([]time.Time, len(batch))
	mstart := make([]int32, len(batch))
	mcount := make([]int32, len(batch))
	var mkeys []string
	for i, r := range batch {
		evkeys[i], payloads[i], ats[i] = r.key, r.payload, r.at.UTC()
		mstart[i], mcount[i] = int32(len(mkeys)+1), int32(len(r.mkeys))
		mkeys = append(mkeys, r.mkeys...)
	}
	var ok []bool
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = s.ackPool.QueryRow(ctx, `SELECT paybot_enqueue($1, $2, $3, $4, $5, $6)`,
			evkeys, payloads, ats, mkeys, mstart, mcount).Scan(&ok)
		if err == nil || ctx.Err() != nil {
			break
		}
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code != "40P01" && pe.Code != "40001" {
			break // the server refused the call itself: trying again changes nothing
		}
	}
	if err == nil && len(ok) != len(batch) {
		err = fmt.Errorf("paybot_enqueue answered %d results for %d events", len(ok), len(batch))
	}
	return ok, err
}
