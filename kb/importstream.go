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
// ParseStream reads JSON Lines and hands over batches of parsed documents
// as it goes: lines are parsed (and masked, RedactDoc) by GOMAXPROCS
// workers, and the whole file is never held in memory. A Bulk indexes such
// batches: each is appended to the sources log with one write and one
// fsync, in order, and indexed as one bleve batch, with bulkInFlight
// batches at once (scorch builds a batch's segment in the caller's
// goroutine, so one batch at a time leaves the second core idle).
// ImportStream is the two together;
// kb/kbstore puts the store write between them. RunImportBench compares
// the rate with SQLite FTS5's load.

// importBatch is the number of documents per sources write and index batch
// of a bulk import: large enough that the per-batch fsync and segment
// introduction are paid rarely, small enough to keep memory flat with
// bulkInFlight batches at once (5,000 pushed the heap into the CLI's 200 MB
// soft limit on 100,000 documents).
const importBatch = 2000

// ImportBatch is the number of documents ParseStream hands over at a time
// in ImportStream and kb import.
const ImportBatch = importBatch

// ImportStats counts one ImportStream.
type ImportStats struct {
	Lines    int `json:"lines"`    // lines read, blank ones included
	Imported int `json:"imported"` // documents written (a repeated id counts each time)
	Rejected int `json:"rejected"` // lines rejected (see the LineErrors)
}

// ImportProgress is called after each batch with the bytes read so far and
// the stats.
type ImportProgress func(bytesRead int64, s ImportStats)

type parsedLine struct {
	line   int
	doc    Doc
	json   []byte // doc's JSON object
	reason string // "" ok, "-" blank, else the rejection reason
}

// Parsed is a batch of documents from ParseStream: masked and checked as
// Normalise would, each with its JSON encoding (the store's and the
// sources log's record). Only ParseStream makes one, so Bulk.AddParsed
// takes it as it is, without masking and encoding it again.
type Parsed struct {
	docs []Doc
	json [][]byte
}

// Docs returns the batch's documents.
func (p Parsed) Docs() []Doc { return p.docs }

// JSON returns the JSON object of Docs()[i] (no trailing newline).
func (p Parsed) JSON(i int) []byte { return p.json[i] }

// Len is the number of documents.
func (p Parsed) Len() int { return len(p.docs) }

// ImportStream imports the JSON Lines of r into the index (the format of
// ImportJSONL). Bad lines are returned with their 1-based line numbers and
// do not stop the import; a later line with the same id replaces an
// earlier one. It returns early with ctx's error or the index's.
func (ix *Index) ImportStream(ctx context.Context, r io.Reader, progress ImportProgress) (ImportStats, []LineError, error) {
	b, err := ix.Bulk(ctx)
	if err != nil {
		return ImportStats{}, nil, err
	}
	st, problems, err := ParseStream(ctx, r, importBatch, progress, b.AddParsed)
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	return st, problems, err
}

// ParseStream reads the JSON Lines of r (the format of ImportJSONL) and
// calls fn with the good documents in file order, per documents at a time
// (the last batch may be smaller); fn owns the batch. The documents are
// what Normalise returns: masked, kind lower-case and defaulted; the
// workers that parse them also encode them. Bad lines are returned with
// their 1-based line numbers and do not stop the stream; progress
// (optional) is called after each fn. It returns early with ctx's error,
// a read error or fn's error; Imported counts the documents fn accepted.
func ParseStream(ctx context.Context, r io.Reader, per int, progress ImportProgress, fn func(Parsed) error) (ImportStats, []LineError, error) {
	var st ImportStats
	var problems []LineError
	per = max(per, 1)
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
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			for c := range jobs {
				c.out = make([]parsedLine, len(c.lines))
				for i, raw := range c.lines {
					n := c.first + i
					if n == 1 {
						raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
					}
					d, reason := parseJSONLine(raw) // masks (RedactDoc) and checks what normaliseDoc checks
					var js []byte
					if reason == "" {
						buf.Reset()
						if err := enc.Encode(d); err != nil {
							reason = "cannot encode the document: " + err.Error()
						} else {
							js = bytes.Clone(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
						}
					}
					c.out[i] = parsedLine{line: n, doc: d, json: js, reason: reason}
				}
				c.lines = nil
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
		const perChunk = 500
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
				// queued for the consumer but no worker will parse it:
				// it is done, with nothing in it
				close(c.done)
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
				if len(c.lines) == perChunk && !send() {
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

	newBatch := func() Parsed { return Parsed{docs: make([]Doc, 0, per), json: make([][]byte, 0, per)} }
	batch := newBatch()
	flush := func() error {
		if batch.Len() == 0 {
			return nil
		}
		if err := fn(batch); err != nil {
			return err
		}
		st.Imported += batch.Len()
		batch = newBatch() // fn owns the old one
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
				batch.docs = append(batch.docs, p.doc)
				batch.json = append(batch.json, p.json)
			default:
				st.Rejected++
				problems = append(problems, LineError{Line: p.line, Reason: p.reason})
			}
			if batch.Len() >= per {
				if err := flush(); err != nil {
					failed = err
					cancel()
					break
				}
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

// Bulk is one bulk load into the index (kb import): Add hands over
// batches, Close waits for them. Other writers of the index wait until
// Close; searches go on, and see each batch once it is indexed.
//
// Each batch is masked (normaliseDoc) and encoded in its own goroutine,
// appended to the sources log (one write, one fsync) in the order of Add,
// then indexed as one bleve batch; up to bulkInFlight batches are indexed
// at once, and one more is masked and logged meanwhile. A batch that
// shares an id with an earlier one still in flight waits for it, so the
// last Add of an id wins. The sources offset is recorded once, at Close:
// a crash in between replays the log from the previous offset.
type Bulk struct {
	ix    *Index
	ctx   context.Context
	g     *generation
	slots chan struct{} // batches handed over and not indexed yet
	busy  chan struct{} // batches being indexed
	wg    sync.WaitGroup

	mu     sync.Mutex
	err    error
	size   int64
	last   *bulkBatch // the batch added last (its sources write is the next one's turn)
	flight []*bulkBatch
	closed bool
}

type bulkBatch struct {
	ids      map[string]bool
	appended chan struct{} // closed once its sources write is done (or failed)
	done     chan struct{} // closed once indexed (or failed)
}

// bulkInFlight is how many batches a Bulk indexes at once. scorch analyses
// a batch's documents on its worker goroutines but builds the batch's
// segment in the caller's, so with one batch at a time a second core
// idles through much of every segment build. On two cores, 100,000
// documents, the author's runs of `paybot kb import` on a quiet machine:
// one at a time about 9,000 docs/s, two about 11,000, for about 20 MB
// more heap.
const bulkInFlight = 2

// Bulk starts a bulk load. Errors: ErrClosed.
func (ix *Index) Bulk(ctx context.Context) (*Bulk, error) {
	if ix.closed.Load() {
		return nil, ErrClosed
	}
	ix.mu.Lock()
	if ix.closed.Load() {
		ix.mu.Unlock()
		return nil, ErrClosed
	}
	g := ix.cur.Load()
	return &Bulk{ix: ix, ctx: ctx, g: g, slots: make(chan struct{}, bulkInFlight+1), busy: make(chan struct{}, bulkInFlight)}, nil
}

// Add hands over a batch of documents, which Bulk owns from now on. It
// returns once the batch is on its way (waiting while bulkInFlight batches
// are indexed and one more is prepared), or the first error of an earlier
// batch. Documents are masked and checked as by Upsert; a document that
// fails the check fails the load.
func (b *Bulk) Add(docs []Doc) error {
	return b.add(Parsed{docs: docs}, false)
}

// AddParsed is Add for a batch from ParseStream, which is masked, checked
// and encoded already.
func (b *Bulk) AddParsed(p Parsed) error {
	return b.add(p, true)
}

func (b *Bulk) add(p Parsed, parsed bool) error {
	if p.Len() == 0 {
		return b.firstErr()
	}
	select {
	case b.slots <- struct{}{}:
	case <-b.ctx.Done():
		return b.ctx.Err()
	}
	b.mu.Lock()
	if b.err != nil || b.closed {
		err := b.err
		b.mu.Unlock()
		<-b.slots
		if err == nil {
			err = ErrClosed
		}
		return err
	}
	prev := b.last
	me := &bulkBatch{appended: make(chan struct{}), done: make(chan struct{})}
	b.last = me
	b.mu.Unlock()
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer func() { <-b.slots }()
		defer close(me.done)
		if err := b.index(prev, me, p, parsed); err != nil {
			b.fail(err)
		}
	}()
	return nil
}

// index masks (unless parsed), logs and indexes one batch (its goroutine).
func (b *Bulk) index(prev, me *bulkBatch, p Parsed, parsed bool) error {
	appended := false
	defer func() {
		if !appended {
			close(me.appended)
		}
	}()
	docs := p.docs
	var data []byte
	if parsed {
		size := 0
		for _, j := range p.json {
			size += len(j) + 1
		}
		data = make([]byte, 0, size)
		for _, j := range p.json {
			data = append(append(data, j...), '\n')
		}
	} else {
		for i, d := range docs {
			nd, err := normaliseDoc(d)
			if err != nil {
				return fmt.Errorf("kb: import: %w", err)
			}
			docs[i] = nd
		}
		var err error
		if data, err = encodeSources(docs); err != nil {
			return err
		}
	}
	ids := make(map[string]bool, len(docs))
	for _, d := range docs {
		ids[d.ID] = true
	}
	me.ids = ids
	if prev != nil {
		<-prev.appended
	}
	if err := b.firstErr(); err != nil {
		return err
	}
	size, err := b.ix.appendSourcesData(data)
	if err != nil {
		return err
	}
	// the batches still in flight that were added before this one
	b.mu.Lock()
	b.size = size
	var wait []*bulkBatch
	live := b.flight[:0]
	for _, f := range b.flight {
		select {
		case <-f.done:
			continue
		default:
		}
		live = append(live, f)
		for id := range ids {
			if f.ids[id] {
				wait = append(wait, f)
				break
			}
		}
	}
	b.flight = append(live, me)
	b.mu.Unlock()
	close(me.appended)
	appended = true
	for _, f := range wait {
		<-f.done
	}
	select {
	case b.busy <- struct{}{}:
	case <-b.ctx.Done():
		return b.ctx.Err()
	}
	defer func() { <-b.busy }()
	return indexDocs(b.ctx, b.g.idx, docs, -1)
}

func (b *Bulk) fail(err error) {
	b.mu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.mu.Unlock()
}

func (b *Bulk) firstErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// Close waits for every batch, records the sources offset and releases the
// index to other writers. It returns the first error of the load. Calling
// it again does nothing.
func (b *Bulk) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	b.wg.Wait()
	defer b.ix.mu.Unlock()
	defer b.ix.writes.Add(1)
	if b.err != nil {
		return b.err
	}
	if b.size == 0 {
		return nil
	}
	batch := b.g.idx.NewBatch()
	batch.SetInternal(offsetKey, []byte(strconv.FormatInt(b.size, 10)))
	return b.g.idx.Batch(batch)
}
