package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runPaybot(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errOut, func(string) string { return "" })
	return code, out.String(), errOut.String()
}

// TestConfigCheckReportsLines: every problem comes with its line number,
// all at once, and a good file says OK.
func TestConfigCheckReportsLines(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Join([]string{
		"timezone: Mars/Olympus", // 1
		"colour: blue",           // 2
		"slack:",                 // 3
		"  bot_tokn: xoxb-1",     // 4
		"intake:",                // 5
		"  steps:",               // 6
		"    - id: category",     // 7
		"      kind: dropdown",   // 8
		"      prompt: What?",    // 9
	}, "\n")), 0o600)
	code, out, _ := runPaybot(t, "config", "check", bad)
	if code == 0 {
		t.Fatalf("bad config passed:\n%s", out)
	}
	for _, want := range []string{"bad.yaml:1:11: timezone", "bad.yaml:2:1: unknown key \"colour\"", "bad.yaml:4:3: unknown slack setting", "bad.yaml:8: step category"} {
		if !strings.Contains(out, want) {
			t.Errorf("no problem reported at %s:\n%s", want, out)
		}
	}
	code, out, _ = runPaybot(t, "config", "check", filepath.Join("..", "..", "paybot.example.yaml"))
	if code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("example config: exit %d\n%s", code, out)
	}
}

func TestCLIBadInput(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "no-such-dir")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--data", data, "incidents", "show", "PAY-404"}, 1, "PAY-404: no such incident"},
		{[]string{"--data", data, "incidents", "show"}, 2, "give one REF"},
		{[]string{"--data", data, "frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"--data"}, 2, "flag needs an argument: --data"},
		{[]string{"--data", data, "kb", "eval"}, 2, "--questions FILE is required"},
		{[]string{"--data", missing, "incidents", "list"}, 1, "data directory " + missing + " does not exist"},
	} {
		code, _, stderr := runPaybot(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}

func TestKBImportReportsBadLines(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "docs.jsonl")
	os.WriteFile(file, []byte(strings.Join([]string{
		`{"id": "a1", "title": "Refunds stuck", "body": "Check the refund status."}`,
		`{"id": "a2", "title": "no body"}`,
		`not json`,
	}, "\n")), 0o600)
	code, out, stderr := runPaybot(t, "--data", filepath.Join(dir, "data"), "kb", "import", file)
	// The good line is imported; exit 3 tells a script that some were not.
	if code != exitPartial || !strings.Contains(out, "imported 1 documents, rejected 2 lines") {
		t.Errorf("exit %d, out %q", code, out)
	}
	for _, want := range []string{"docs.jsonl:2:", "docs.jsonl:3:", "2 lines rejected"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q: %q", want, stderr)
		}
	}
}

// TestRetentionSettings: the retentions of what the store prunes are read
// from the config, and a value under an hour (or not a duration) is a
// problem with its line.
func TestRetentionSettings(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("inbox_retention: 2d\noutbox_retention: 3d\noutbox_dead_retention: 60d\njob_retention: 12h\n"), 0o600)
	cfg, probs, err := readConfig(good)
	if err != nil || len(probs) > 0 {
		t.Fatalf("readConfig: %v %v", probs, err)
	}
	if cfg.retention != 48*time.Hour || cfg.keep.sent != 72*time.Hour || cfg.keep.dead != 60*24*time.Hour || cfg.keep.jobs != 12*time.Hour {
		t.Fatalf("retentions: inbox %v, keep %+v", cfg.retention, cfg.keep)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("outbox_retention: 30m\njob_retention: soon\n"), 0o600)
	code, out, _ := runPaybot(t, "config", "check", bad)
	if code != 1 || !strings.Contains(out, "bad.yaml:1:19: outbox_retention \"30m\" is not a duration of an hour or more") ||
		!strings.Contains(out, "bad.yaml:2:16: job_retention \"soon\"") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
