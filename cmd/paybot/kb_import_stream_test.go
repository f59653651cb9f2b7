package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runPaybotIn is runPaybotEnv with stdin.
func runPaybotIn(t *testing.T, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

const (
	streamGood1 = `{"id": "st-1", "title": "Stream one", "body": "first streamed document"}`
	streamGood2 = `{"id": "st-2", "title": "Stream two", "body": "second streamed document"}`
)

// TestKBImportStdin: FILE - reads stdin once, as a file would be read: the
// same line numbers and exit codes on a new data directory (where the
// preflight reads up to the first good line) and on an existing one, and
// a stream with nothing to import creates no data directory.
func TestKBImportStdin(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		code     int
		imported string   // "" when nothing is imported
		lines    []string // rejected lines reported on stderr
	}{
		{"good lines", streamGood1 + "\n" + streamGood2 + "\n", 0, "imported 2 documents", nil},
		{"bad first", "not json\n\n" + streamGood1 + "\nworse\n" + streamGood2, exitPartial, "imported 2 documents, rejected 2 lines", []string{"stdin:1:", "stdin:4:"}},
		{"byte order mark", "\xef\xbb\xbf" + streamGood1 + "\n", 0, "imported 1 documents", nil},
		{"only bad", "not json\n\n{\"id\": \"x\"}\n", exitPartial, "", []string{"stdin:1:", "stdin:3:"}},
		{"only blank", "\n\n", 0, "", nil},
		{"empty", "", 0, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, existing := range []bool{false, true} {
				data := filepath.Join(t.TempDir(), "data")
				if existing {
					os.MkdirAll(data, 0o700)
				}
				code, out, errOut := runPaybotIn(t, nil, tc.in, "--data", data, "kb", "import", "-")
				if code != tc.code {
					t.Fatalf("existing %v: exit %d, want %d\n%s%s", existing, code, tc.code, out, errOut)
				}
				if tc.imported != "" && !strings.Contains(out, "stdin: "+tc.imported) {
					t.Errorf("existing %v: want %q:\n%s", existing, tc.imported, out)
				}
				for _, l := range tc.lines {
					if !strings.Contains(errOut, l) {
						t.Errorf("existing %v: no %q on stderr:\n%s", existing, l, errOut)
					}
				}
				if strings.Count(errOut, "stdin:") != len(tc.lines) {
					t.Errorf("existing %v: rejected lines reported:\n%s", existing, errOut)
				}
				_, err := os.Stat(data)
				if created := err == nil; created != (existing || tc.imported != "") {
					t.Errorf("existing %v: data directory there: %v", existing, created)
				}
				if tc.imported != "" {
					if code, out, _ := runPaybot(t, "--data", data, "kb", "show", "st-1"); code != 0 || !strings.Contains(out, "first streamed document") {
						t.Errorf("existing %v: the streamed document is not in the knowledge base: %d %s", existing, code, out)
					}
				}
			}
		})
	}
	if code, _, errOut := runPaybotIn(t, nil, streamGood1, "--data", t.TempDir(), "kb", "import", "-", "-"); code != exitUsage || !strings.Contains(errOut, "twice") {
		t.Errorf("- twice: exit %d %s", code, errOut)
	}
}

// TestKBImportStdinKeepsNoRawCopy: a card number read from stdin is stored
// masked; neither the data directory nor the temporary directory holds it
// as it was read.
func TestKBImportStdinKeepsNoRawCopy(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	data := filepath.Join(t.TempDir(), "data")
	const card = "4242424242424242"
	in := "not json " + card + "\n" + `{"id": "card-1", "title": "Declined 4242 4242 4242 4242", "body": "card ` + card + ` declined"}` + "\n"
	code, out, errOut := runPaybotIn(t, nil, in, "--data", data, "kb", "import", "-")
	if code != exitPartial || !strings.Contains(out, "imported 1 documents") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, dir := range []string{data, tmp} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, []byte(card)) || bytes.Contains(b, []byte("4242 4242 4242 4242")) {
				t.Errorf("%s holds the card number as it was read", p)
			}
			return nil
		})
	}
	if strings.Contains(out+errOut, card) {
		t.Errorf("the output shows the card number:\n%s%s", out, errOut)
	}
}

// TestKBImportStreamFiles: the files that can be read only once, named on
// the command line (the real binary, its stdin a pipe): /dev/stdin, a FIFO
// and /dev/fd/N (a process substitution) are read once, from a new data
// directory's preflight on, with their line numbers.
func TestKBImportStreamFiles(t *testing.T) {
	bin := buildPaybot(t)
	in := "not json\n" + streamGood1 + "\n\n{\"id\": 1}\n" + streamGood2 + "\n"
	for _, kind := range []string{"/dev/stdin", "fifo", "/dev/fd/3"} {
		t.Run(strings.ReplaceAll(kind, "/", "_"), func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			name := kind
			cmd := exec.Command(bin, "--data", data, "kb", "import")
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			switch kind {
			case "/dev/stdin":
				cmd.Stdin = r
			case "/dev/fd/3":
				cmd.ExtraFiles = []*os.File{r}
			case "fifo":
				name = filepath.Join(t.TempDir(), "docs.fifo")
				if err := syscall.Mkfifo(name, 0o600); err != nil {
					t.Fatal(err)
				}
				r.Close()
				w.Close()
			}
			cmd.Args = append(cmd.Args, name)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if kind == "fifo" {
				if w, err = os.OpenFile(name, os.O_WRONLY, 0); err != nil {
					t.Fatal(err)
				}
			} else {
				r.Close()
			}
			// Written slowly, in pieces, as a pipe delivers.
			for _, part := range []string{in[:5], in[5:40], in[40:]} {
				w.WriteString(part)
				time.Sleep(50 * time.Millisecond)
			}
			w.Close()
			err = cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != exitPartial {
				t.Fatalf("exit %d (%v)\n%s%s", code, err, out.String(), errOut.String())
			}
			for _, want := range []string{name + ":1:", name + ":4:"} {
				if !strings.Contains(errOut.String(), want) {
					t.Errorf("no %q:\n%s", want, errOut.String())
				}
			}
			if !strings.Contains(out.String(), name+": imported 2 documents, rejected 2 lines") {
				t.Errorf("want 2 imported, 2 rejected:\n%s", out.String())
			}
		})
	}
}

// TestKBImportStreamInterrupted: Ctrl-C or SIGTERM stops kb import while
// it waits on a stream: for a FIFO's writer, for the data of a FIFO or a
// pipe that stays open. It exits 1 within seconds, and the preflight's
// wait leaves no data directory.
func TestKBImportStreamInterrupted(t *testing.T) {
	bin := buildPaybot(t)
	for _, tc := range []struct {
		name   string
		sig    syscall.Signal
		writer string // "" no writer; else what is written before the wait
		stdin  bool
	}{
		{"fifo without writer, SIGINT", syscall.SIGINT, "", false},
		{"fifo without writer, SIGTERM", syscall.SIGTERM, "", false},
		{"fifo open, nothing written, SIGINT", syscall.SIGINT, "\n", false},
		{"fifo open, a good line, SIGTERM", syscall.SIGTERM, streamGood1 + "\n", false},
		{"stdin open, nothing written, SIGINT", syscall.SIGINT, "\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			fifo := filepath.Join(t.TempDir(), "docs.fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			file := fifo
			cmd := exec.Command(bin, "--data", data, "kb", "import")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			var w io.WriteCloser
			if tc.stdin {
				file = "-"
				pw, err := cmd.StdinPipe()
				if err != nil {
					t.Fatal(err)
				}
				w = pw
			}
			cmd.Args = append(cmd.Args, file)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if tc.writer != "" && !tc.stdin {
				// O_RDWR: never waits for the reader; the writer side
				// stays open as long as f.
				f, err := os.OpenFile(fifo, os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				w = f
			}
			if w != nil {
				defer w.Close()
				io.WriteString(w, tc.writer)
			}
			time.Sleep(time.Second)
			cmd.Process.Signal(tc.sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("kb import did not stop on %v:\n%s", tc.sig, out.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != exitFailure {
				t.Errorf("exit %d, want %d:\n%s", code, exitFailure, out.String())
			}
			if !strings.Contains(out.String(), "interrupted") {
				t.Errorf("does not say it was interrupted:\n%s", out.String())
			}
			if tc.writer != streamGood1+"\n" {
				if _, err := os.Stat(data); err == nil {
					t.Errorf("the interrupted preflight left a data directory")
				}
			}
		})
	}
}
