package kb

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// Bulk import.
//
// ImportStream reads JSON Lines and indexes them as it goes: lines are
// parsed by GOMAXPROCS workers, batches of importBatch documents are
// written to the sources log with one write and one fsync, and indexed as
// one bleve batch (scorch analyses a batch's documents in parallel). The
// whole file is never held in memory, and there is no commit per document.
// RunImportBench compares the rate with SQLite FTS5's load.

// importBatch is the number of documents per sources write and index batch
// in ImportStream: large enough that the per-batch fsync and segment
// introduction are paid rarely, small enough to keep memory flat (5,000
// pushed the heap into the CLI's 200 MB soft limit on 100,000 documents).
const importBatch = 2000

// ImportStats counts one ImportStream.
type ImportStats struct {
	Lines    int `json:"lines"`    // lines read, blank ones included
	Imported int `json:"imported"` // documents written (a repeated id counts each time)
	Rejected int `json:"rejected"` // lines rejected (see the LineErrors)
}

// ImportProgress is called after each indexed batch with the bytes read so
// far and the stats.
type ImportProgress func(bytesRead int64, s ImportStats)

type parsedLine struct {
	line   int
	doc    Doc
	reason string // "" ok, "-" blank, else the rejection reason
}

// ImportStream imports the JSON Lines of r into the index (the format of
// ImportJSONL). Bad lines are returned with their 1-based line numbers and
// do not stop the import; a later line with the same id replaces an
// earlier one. It returns early with ctx's error or the index's.
func (ix *Index) ImportStream(ctx context.Context, r io.Reader, progress ImportProgress) (ImportStats, []LineError, error) {
	var st ImportStats
	var problems []LineError
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, 1<<20)

	type chunk struct {
		first int
		lines [][]byte
		out   []parsedLine
		done  chan struct{}
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan *chunk, workers*2)
	ordered := make(chan *chunk, workers*2)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				c.out = make([]parsedLine, len(c.lines))
				for i, raw := range c.lines {
					n := c.first + i
					if n == 1 {
						raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
					}
					d, reason := parseJSONLine(raw)
					c.out[i] = parsedLine{line: n, doc: d, reason: reason}
				}
				close(c.done)
			}
		}()
	}
	readErr := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(ordered)
		defer close(jobs)
		line := 0
		const per = 500
		c := &chunk{first: 1, done: make(chan struct{})}
		send := func() bool {
			if len(c.lines) == 0 {
				return true
			}
			select {
			case ordered <- c:
			case <-ctx.Done():
				return false
			}
			select {
			case jobs <- c:
			case <-ctx.Done():
				return false
			}
			c = &chunk{first: line + 1, done: make(chan struct{})}
			return true
		}
		for {
			raw, err := br.ReadBytes('\n')
			if len(raw) > 0 {
				line++
				c.lines = append(c.lines, raw)
				if len(c.lines) == per && !send() {
					readErr <- ctx.Err()
					return
				}
			}
			if err != nil {
				if !send() {
					readErr <- ctx.Err()
					return
				}
				if errors.Is(err, io.EOF) {
					readErr <- nil
				} else {
					readErr <- err
				}
				return
			}
		}
	}()

	bw, err := ix.newBulkWriter(ctx)
	if err != nil {
		cancel()
		for c := range ordered {
			<-c.done
		}
		wg.Wait()
		<-readErr
		return st, nil, err
	}
	batch := make([]Doc, 0, importBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := bw.add(batch); err != nil {
			return err
		}
		st.Imported += len(batch)
		batch = make([]Doc, 0, importBatch) // the writer still indexes the old one
		if progress != nil {
			progress(cr.n.Load(), st)
		}
		return nil
	}
	var failed error
	for c := range ordered {
		<-c.done
		if failed != nil {
			continue
		}
		for _, p := range c.out {
			st.Lines = p.line
			switch p.reason {
			case "-":
			case "":
				batch = append(batch, p.doc)
			default:
				st.Rejected++
				problems = append(problems, LineError{Line: p.line, Reason: p.reason})
			}
		}
		if len(batch) >= importBatch {
			if err := flush(); err != nil {
				failed = err
				cancel()
			}
		}
	}
	wg.Wait()
	if err := <-readErr; err != nil && failed == nil {
		failed = err
	}
	if failed == nil {
		failed = flush()
	}
	if err := bw.close(); err != nil && failed == nil {
		failed = err
	}
	if failed == nil && progress != nil {
		progress(cr.n.Load(), st)
	}
	return st, problems, failed
}

// countingReader counts the bytes read, for progress.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// WriteSynthJSONL writes the synthetic corpus (SynthStream, seed 1) as JSON
// Lines, the input of a kb import benchmark.
func WriteSynthJSONL(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := SynthStream(1, n, func(_ int, d Doc) error { return enc.Encode(d) }); err != nil {
		return err
	}
	return bw.Flush()
}

// bulkWriter indexes the batches of one import: each batch is appended to
// the sources log (one write, one fsync) in order, then indexed while the
// next one is parsed and logged, with up to bulkInFlight bleve batches at
// once. A batch that
// shares an id with one still in flight waits for it, so the last line of
// an id wins. The sources offset is recorded once, after every batch is
// in: a crash in between replays the log from the previous offset.
type bulkWriter struct {
	ix     *Index
	ctx    context.Context
	g      *generation
	sem    chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
	size   int64
	flight []*bulkBatch
}

type bulkBatch struct {
	ids  map[string]bool
	done chan struct{}
}

// bulkInFlight is 1: on two cores, a second batch in flight bought no
// speed and cost 40% more CPU and memory (more garbage collection under
// the CLI's soft memory limit); scorch analyses each batch in parallel.
const bulkInFlight = 1

func (ix *Index) newBulkWriter(ctx context.Context) (*bulkWriter, error) {
	if ix.closed.Load() {
		return nil, ErrClosed
	}
	ix.mu.Lock()
	if ix.closed.Load() {
		ix.mu.Unlock()
		return nil, ErrClosed
	}
	return &bulkWriter{ix: ix, ctx: ctx, g: ix.cur.Load(), sem: make(chan struct{}, bulkInFlight)}, nil
}

func (w *bulkWriter) add(docs []Doc) error {
	w.mu.Lock()
	err := w.err
	w.mu.Unlock()
	if err != nil {
		return err
	}
	recs := make([]sourceRec, len(docs))
	ids := make(map[string]bool, len(docs))
	for i, d := range docs {
		nd, err := normaliseDoc(d)
		if err != nil {
			return fmt.Errorf("kb: import: %w", err)
		}
		docs[i] = nd
		recs[i] = sourceRec{Doc: nd}
		ids[nd.ID] = true
	}
	size, err := w.ix.appendSources(recs)
	if err != nil {
		return err
	}
	w.size = size
	// wait for in-flight batches that hold one of these ids
	live := w.flight[:0]
	for _, f := range w.flight {
		select {
		case <-f.done:
			continue
		default:
		}
		for id := range ids {
			if f.ids[id] {
				<-f.done
				break
			}
		}
		live = append(live, f)
	}
	w.flight = live
	me := &bulkBatch{ids: ids, done: make(chan struct{})}
	w.flight = append(w.flight, me)
	w.sem <- struct{}{}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer func() { <-w.sem }()
		defer close(me.done)
		if err := indexDocs(w.ctx, w.g.idx, docs, -1); err != nil {
			w.mu.Lock()
			if w.err == nil {
				w.err = err
			}
			w.mu.Unlock()
		}
	}()
	return nil
}

// close waits for every batch, records the sources offset and releases the
// index's writer lock.
func (w *bulkWriter) close() error {
	w.wg.Wait()
	defer w.ix.mu.Unlock()
	defer w.ix.writes.Add(1)
	if w.err != nil {
		return w.err
	}
	if w.size == 0 {
		return nil
	}
	b := w.g.idx.NewBatch()
	b.SetInternal(offsetKey, []byte(strconv.FormatInt(w.size, 10)))
	return w.g.idx.Batch(b)
}
