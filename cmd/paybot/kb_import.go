package main

import (
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

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// kbImportPreflight runs before kb import opens or creates anything: every
// FILE must open as a file, and when the data directory does not exist
// yet, at least one line of them must be importable (kb.FirstImportable,
// which reads each file only up to its first good line). Otherwise the
// command fails, or reports the rejected lines (exit 3), and no data
// directory (nor database) is left behind. An import into an existing
// data directory reports bad lines as it goes, as before. proceed is false
// when the preflight has said everything (the files hold nothing to
// import).
func (a *app) kbImportPreflight(files []string) (proceed bool, err error) {
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return false, err
		}
		fi, err := f.Stat()
		f.Close()
		if err != nil {
			return false, err
		}
		if fi.IsDir() {
			return false, fmt.Errorf("%s is a directory: give JSON Lines files", name)
		}
	}
	if _, err := os.Stat(a.dataDir); !errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	rejected := 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return false, err
		}
		line, problems, err := kb.FirstImportable(f)
		f.Close()
		if err != nil {
			return false, fmt.Errorf("%s: %w", name, err)
		}
		if line > 0 {
			return true, nil
		}
		for _, p := range problems {
			fmt.Fprintf(a.stderr, "%s:%d: %s\n", name, p.Line, p.Reason)
		}
		fmt.Fprintf(a.stdout, "%s: imported 0 documents, rejected %d lines\n", name, len(problems))
		rejected += len(problems)
	}
	fmt.Fprintf(a.stdout, "summary: 0 imported, %d rejected; no data directory was created (%s)\n", rejected, a.dataDir)
	if rejected > 0 {
		return false, exitError{exitPartial, fmt.Errorf("%d lines rejected (see the line numbers above); nothing was imported", rejected)}
	}
	return false, nil
}

func (a *app) kbImport(ctx context.Context, index *kb.Index, files []string) error {
	total, bad := 0, 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		var bar *progressbar.ProgressBar
		var progress kb.ImportProgress
		if isTerminal(a.stderr) {
			size := int64(-1)
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				size = fi.Size()
			}
			bar = progressbar.NewOptions64(size,
				progressbar.OptionSetWriter(a.stderr),
				progressbar.OptionSetDescription("importing "+name),
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
		st, problems, err := a.kbImportStream(ctx, index, f, progress) // kb_follow.go: through the store
		secs := time.Since(start).Seconds()
		f.Close()
		if bar != nil {
			_ = bar.Finish()
		}
		for _, p := range problems {
			fmt.Fprintf(a.stderr, "%s:%d: %s\n", name, p.Line, p.Reason)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(a.stdout, "%s: imported %d documents, rejected %d lines (%.1fs, %.0f documents/s)\n", name, st.Imported, st.Rejected, secs, float64(st.Imported)/max(secs, 1e-9))
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
