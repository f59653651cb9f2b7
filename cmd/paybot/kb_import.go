package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/paybot/paybot/incidents/sqlite"
	"github.com/paybot/paybot/kb"
	"github.com/paybot/paybot/kb/kbstore"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// kb import: streamed (kb.Index.ImportStream), with a progress bar on a
// terminal. The bar is schollz/progressbar: a maintained library that draws
// on stderr, throttles its redraws and knows byte counts; it is left out
// when stderr is not a terminal (pipes, CI, tests), so logs stay clean.

// rejectedError is the exit error of an import that rejected lines.
type rejectedError struct{ n int }

func (e rejectedError) Error() string {
	return fmt.Sprintf("%d lines rejected (see the line numbers above); the other lines were imported", e.n)
}

// isTerminal reports whether w (a reader or a writer) is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// importInput is one FILE of kb import, opened once. A regular file is
// read by the preflight and read again from its start; any other file
// (stdin as "-", /dev/stdin, a pipe, a FIFO, /dev/fd/N of a process
// substitution) can be read only once, so the import goes on where the
// preflight stopped, and its lines are held in memory only: an import
// file may hold card numbers, which the importer masks, so nothing of it
// is written to disk as it is.
type importInput struct {
	name    string    // as shown in messages: the FILE, "stdin" for -
	r       io.Reader // what the import reads
	file    *os.File  // closed at the end (nil for -)
	seek    bool      // a regular file: rewound after the preflight
	size    int64     // a regular file's size, for the progress bar; else -1
	skipped int       // lines the preflight read before r's first one
	early   []kb.LineError
}

// openImportInputs opens every FILE of kb import once, before anything
// else is opened or created: a FILE that cannot be read, a directory, or
// - given twice fails the command. Opening a FIFO waits for its writer,
// and reading a stream for its data, until ctx ends (Ctrl-C, SIGTERM).
func (a *app) openImportInputs(ctx context.Context, files []string) ([]*importInput, error) {
	var ins []*importInput
	fail := func(err error) ([]*importInput, error) {
		closeImportInputs(ins)
		return nil, err
	}
	stdin := false
	for _, name := range files {
		if name == "-" {
			if stdin {
				return fail(usageError{"kb import: - (stdin) is given twice; it can be read once"})
			}
			stdin = true
			if isTerminal(a.stdin) {
				fmt.Fprintln(a.stderr, "paybot: reading JSON Lines from the terminal; end with Ctrl-D")
			}
			ins = append(ins, &importInput{name: "stdin", r: newCtxReader(ctx, a.stdin), size: -1})
			continue
		}
		fi, err := os.Stat(name)
		if err != nil {
			return fail(err)
		}
		if fi.IsDir() {
			return fail(fmt.Errorf("%s is a directory: give JSON Lines files", name))
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(name)
			if err != nil {
				return fail(err)
			}
			ins = append(ins, &importInput{name: name, r: f, file: f, seek: true, size: fi.Size()})
			continue
		}
		f, err := openCtx(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				return fail(fmt.Errorf("%s: interrupted while waiting for a writer to open it", name))
			}
			return fail(err)
		}
		ins = append(ins, &importInput{name: name, r: newCtxReader(ctx, f), file: f, size: -1})
	}
	return ins, nil
}

func closeImportInputs(ins []*importInput) {
	for _, in := range ins {
		if in.file != nil {
			in.file.Close()
		}
	}
}

// openCtx opens name, giving up when ctx ends: opening a FIFO for reading
// waits until a writer opens it, and open(2) cannot be interrupted, so it
// runs in a goroutine of its own that is left to the process's exit (it
// closes what it opens too late).
func openCtx(ctx context.Context, name string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(name)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// ctxReader reads a stream in a goroutine of its own, one chunk ahead of
// its reader, so that a read waiting on a pipe, a FIFO or a terminal
// returns ctx's error when ctx ends (read(2) on such a file cannot be
// interrupted; the goroutine is left to the process's exit). The chunks
// are in memory only.
type ctxReader struct {
	ctx  context.Context
	ch   chan readChunk
	rest []byte
	err  error
}

type readChunk struct {
	b   []byte
	err error
}

func newCtxReader(ctx context.Context, r io.Reader) *ctxReader {
	c := &ctxReader{ctx: ctx, ch: make(chan readChunk)}
	go func() {
		for {
			b := make([]byte, 64<<10)
			n, err := r.Read(b)
			select {
			case c.ch <- readChunk{b[:n], err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return c
}

func (c *ctxReader) Read(p []byte) (int, error) {
	for len(c.rest) == 0 && c.err == nil {
		select {
		case ch := <-c.ch:
			c.rest, c.err = ch.b, ch.err
		case <-c.ctx.Done():
			return 0, c.ctx.Err()
		}
	}
	n := copy(p, c.rest)
	c.rest = c.rest[n:]
	if len(c.rest) == 0 && c.err != nil {
		return n, c.err
	}
	return n, nil
}

// kbImportPreflight runs before kb import opens or creates anything: when
// the data directory does not exist yet, at least one line of the inputs
// must be importable (kb.ReadToFirstImportable, which reads each input
// only up to its first good line). Otherwise the command reports the
// rejected lines (exit 3) and no data directory (nor database) is left
// behind. An import into an existing data directory reports bad lines as
// it goes, as before. proceed is false when the preflight has said
// everything (the inputs hold nothing to import).
func (a *app) kbImportPreflight(ins []*importInput) (proceed bool, err error) {
	if _, err := os.Stat(a.dataDir); !errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	rejected := 0
	for _, in := range ins {
		br := bufio.NewReaderSize(in.r, 64*1024)
		line, raw, problems, err := kb.ReadToFirstImportable(br)
		if err != nil {
			return false, fmt.Errorf("%s: %w", in.name, readErr(err))
		}
		if in.seek {
			if _, err := in.file.Seek(0, io.SeekStart); err != nil {
				return false, fmt.Errorf("%s: %w", in.name, err)
			}
		} else {
			// Read once: the import takes the good line and the rest
			// of the buffered stream, numbered from that line on, and
			// reports the problems found before it.
			in.r = io.MultiReader(bytes.NewReader(raw), br)
			in.skipped, in.early = max(line-1, 0), problems
		}
		if line > 0 {
			return true, nil
		}
		for _, p := range problems {
			fmt.Fprintf(a.stderr, "%s:%d: %s\n", in.name, p.Line, p.Reason)
		}
		fmt.Fprintf(a.stdout, "%s: imported 0 documents, rejected %d lines\n", in.name, len(problems))
		rejected += len(problems)
	}
	fmt.Fprintf(a.stdout, "summary: 0 imported, %d rejected; no data directory was created (%s)\n", rejected, a.dataDir)
	if rejected > 0 {
		return false, exitError{exitPartial, fmt.Errorf("%d lines rejected (see the line numbers above); nothing was imported", rejected)}
	}
	return false, nil
}

// readErr names an interrupted read as such.
func readErr(err error) error {
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted")
	}
	return err
}

func (a *app) kbImport(ctx context.Context, index *kb.Index, ins []*importInput) error {
	total, bad := 0, 0
	for _, in := range ins {
		var bar *progressbar.ProgressBar
		var progress kb.ImportProgress
		if isTerminal(a.stderr) {
			bar = progressbar.NewOptions64(in.size,
				progressbar.OptionSetWriter(a.stderr),
				progressbar.OptionSetDescription("importing "+in.name),
				progressbar.OptionShowBytes(true),
				progressbar.OptionShowCount(),
				progressbar.OptionThrottle(100_000_000), // 100 ms
				progressbar.OptionClearOnFinish(),
			)
			// The clock starts now: started at the first update, the
			// first rate was the reader's read-ahead over microseconds
			// ("314 GB/s").
			bar.StartWithoutRender()
			progress = func(read int64, _ kb.ImportStats) { _ = bar.Set64(read) }
		}
		start := time.Now()
		st, problems, err := a.kbImportStream(ctx, index, in.r, progress) // kb_follow.go: through the store
		secs := time.Since(start).Seconds()
		if bar != nil {
			_ = bar.Finish()
		}
		for _, p := range in.early {
			fmt.Fprintf(a.stderr, "%s:%d: %s\n", in.name, p.Line, p.Reason)
		}
		for _, p := range problems {
			fmt.Fprintf(a.stderr, "%s:%d: %s\n", in.name, p.Line+in.skipped, p.Reason)
		}
		st.Rejected += len(in.early)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return fmt.Errorf("%s: interrupted; %d documents of it were imported before", in.name, st.Imported)
			}
			return fmt.Errorf("%s: %w", in.name, err)
		}
		fmt.Fprintf(a.stdout, "%s: imported %d documents, rejected %d lines (%.1fs, %.0f documents/s)\n", in.name, st.Imported, st.Rejected, secs, float64(st.Imported)/max(secs, 1e-9))
		total += st.Imported
		bad += st.Rejected
	}
	if total > 0 {
		// A bulk import leaves many small segments; one merge keeps searches fast.
		start := time.Now()
		if err := index.Optimize(ctx); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "merged the index in %.1fs\n", time.Since(start).Seconds())
	}
	n, _ := index.Count()
	fmt.Fprintf(a.stdout, "summary: %d imported, %d rejected, %d documents in the index\n", total, bad, n)
	if bad > 0 {
		return exitError{exitPartial, rejectedError{bad}}
	}
	return nil
}

// writeSynth writes the benchmark's synthetic corpus as JSON Lines.
func writeSynth(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := kb.WriteSynthJSONL(f, n); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// benchImportTarget is what kb bench times as kb import: a fresh SQLite
// store under dir with an index following it, imported into by
// kbstore.Follower.Import, the path of `paybot kb import`.
func benchImportTarget(ctx context.Context, dir string) (kb.ImportTarget, error) {
	st, err := sqlite.Open(ctx, filepath.Join(dir, "paybot.db"))
	if err != nil {
		return kb.ImportTarget{}, err
	}
	ix, idir, _, err := kbstore.OpenIndex(ctx, dir, kb.Options{})
	if err != nil {
		st.Close()
		return kb.ImportTarget{}, err
	}
	f := kbstore.New(ix, st, kbstore.Options{Dir: idir, Logger: slog.New(slog.DiscardHandler)})
	if err := f.Start(ctx); err != nil {
		ix.Close()
		st.Close()
		return kb.ImportTarget{}, err
	}
	return kb.ImportTarget{
		Index: ix,
		Import: func(ctx context.Context, r io.Reader) (kb.ImportStats, []kb.LineError, error) {
			return f.Import(ctx, r, nil)
		},
		Close: func() error { return errors.Join(ix.Close(), st.Close()) },
	}, nil
}
