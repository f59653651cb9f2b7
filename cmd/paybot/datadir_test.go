package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func runPaybotEnv(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

// badInput is a way to run a command that fails on what it was given.
type badInput struct {
	args []string
	env  map[string]string
	code int // the exit code expected (0: any failure)
}

// TestFailingCommandsCreateNoDataDir: every command of the tree, run with
// input it refuses on a --data directory that does not exist, fails and
// leaves no directory (nor database) behind. Each runnable command needs
// an entry: a new command is checked the day it is added. A bad config
// file is tried on every command that reads one.
func TestFailingCommandsCreateNoDataDir(t *testing.T) {
	files := t.TempDir()
	bad := filepath.Join(files, "bad.jsonl")
	os.WriteFile(bad, []byte("not json\n{\"id\": \"x\"}\n"), 0o600)
	empty := filepath.Join(files, "empty.jsonl")
	os.WriteFile(empty, nil, 0o600)
	good := filepath.Join(files, "good.jsonl")
	os.WriteFile(good, []byte(`{"id": "g1", "title": "Good", "body": "a good line"}`+"\n"), 0o600)
	badCfg := filepath.Join(files, "bad.yaml")
	os.WriteFile(badCfg, []byte("timezone: Mars/Olympus\n"), 0o600)
	missing := filepath.Join(files, "missing.jsonl")

	half := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}
	inputs := map[string][]badInput{
		"paybot":      {{env: half}},
		"paybot chat": {}, // no input of its own beyond flags: the bad config below
		"paybot serve": {{}, {env: half}, {env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_CHANNEL_INTERVAL": "fast"}}, {env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PAYBOT_HTTP_ADDR": "not-an-address"}}, {env: map[string]string{"DISCORD_PUBLIC_KEY": "zz"}},
			{env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PAYBOT_REPLY_KEY": "short"}},
			{env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PAYBOT_PPROF_ADDR": "0.0.0.0:6060"}}},
		"paybot kb import":             {{args: []string{missing}}, {args: []string{files}}, {args: []string{good, missing}}, {args: []string{bad}, code: exitPartial}},
		"paybot kb remove":             {{args: []string{"community:nope"}}},
		"paybot kb index":              {},
		"paybot kb search":             {{args: []string{"do_not_honor"}}},
		"paybot kb eval":               {{args: []string{"--questions", missing}}},
		"paybot kb show":               {{args: []string{"nope"}}},
		"paybot kb list":               {{args: []string{"--kind", "banana"}}},
		"paybot kb bench":              {{args: []string{"--docs", "0"}}, {args: []string{"--docs", "10", "--write-jsonl", filepath.Join(missing, "x.jsonl")}}},
		"paybot incidents list":        {{}},
		"paybot incidents show":        {{args: []string{"PAY-1"}}},
		"paybot incidents export":      {{args: []string{"PAY-1"}}},
		"paybot report":                {{}, {args: []string{"--since", "forever"}}},
		"paybot config check":          {{args: []string{missing}}},
		"paybot diagnose":              {{args: []string{"no-such-provider"}}},
		"paybot webhook verify":        {{args: []string{"--provider", "stripe", "--payload", missing}}},
		"paybot healthcheck":           {{args: []string{"--url", "http://127.0.0.1:1/readyz"}}},
		"paybot discord register":      {{}},
		"paybot version":               {},
		"paybot completion bash":       {},
		"paybot completion zsh":        {},
		"paybot completion fish":       {},
		"paybot completion powershell": {},
		"paybot help":                  {{args: []string{"nope"}}},
	}
	root := newRootCmd(&app{getenv: func(string) string { return "" }})
	for _, c := range allCommands(root) {
		if !c.Runnable() || (c.HasSubCommands() && c != root) {
			continue // groups: TestEveryCommandRefusesUnknownArguments
		}
		name := c.CommandPath()
		tries, ok := inputs[name]
		if !ok {
			t.Errorf("%s: no bad input listed for it in this test", name)
			continue
		}
		path := strings.Fields(name)[1:]
		if !skipsConfig(c) {
			// Arguments that are fine, so that the config is what fails.
			tries = append(tries, badInput{args: append([]string{"--config", badCfg}, configArgs[name]...)})
		}
		for _, in := range tries {
			data := filepath.Join(t.TempDir(), "data")
			args := append(append([]string{"--data", data}, path...), in.args...)
			code, out, errOut := runPaybotEnv(t, in.env, args...)
			if code == 0 || (in.code != 0 && code != in.code) {
				t.Errorf("%v (env %v): exit %d, want a failure (%d)\nstdout %.300s\nstderr %.300s", args, in.env, code, in.code, out, errOut)
			}
			if entries, err := os.ReadDir(data); err == nil {
				t.Errorf("%v (env %v) failed (exit %d) but created %s with %d entries\nstderr %.300s", args, in.env, code, data, len(entries), errOut)
			}
		}
	}
	// A database that is down is bad input too: every command that opens
	// the store fails on it (arguments that are fine otherwise) and leaves
	// no data directory behind.
	questions := filepath.Join(files, "q.jsonl")
	os.WriteFile(questions, []byte(`{"q": "refund", "gold": ["x"]}`+"\n"), 0o600)
	downDB := map[string]string{"PAYBOT_DATABASE_URL": "postgres://postgres@" + freeAddr(t) + "/test?sslmode=disable&connect_timeout=1",
		"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PAYBOT_HTTP_ADDR": "127.0.0.1:0"}
	for name, args := range map[string][]string{
		"paybot": nil, "paybot chat": nil, "paybot serve": nil,
		"paybot kb import": {good}, "paybot kb index": nil, "paybot kb search": {"refund"}, "paybot kb remove": {"community:x"},
		"paybot kb show": {"x"}, "paybot kb list": nil, "paybot kb eval": {"--questions", questions},
		"paybot incidents list": nil, "paybot incidents show": {"PAY-1"}, "paybot incidents export": {"PAY-1"}, "paybot report": nil,
	} {
		env := downDB
		if name == "paybot" || name == "paybot chat" {
			env = map[string]string{"PAYBOT_DATABASE_URL": downDB["PAYBOT_DATABASE_URL"]}
		}
		data := filepath.Join(t.TempDir(), "data")
		full := append(append([]string{"--data", data}, strings.Fields(name)[1:]...), args...)
		code, _, errOut := runPaybotEnv(t, env, full...)
		if code == 0 || !strings.Contains(errOut, "PostgreSQL is unreachable") {
			t.Errorf("%v with the database down: exit %d, stderr %.300s", full, code, errOut)
		}
		if _, err := os.Stat(data); err == nil {
			t.Errorf("%v failed on a database that is down but created %s", full, data)
		}
	}
	// The same inputs on an existing data directory keep working as before:
	// the bad lines are reported and the good ones imported.
	data := filepath.Join(t.TempDir(), "data")
	if code, _, errOut := runPaybot(t, "--data", data, "kb", "import", good, bad); code != exitPartial || !strings.Contains(errOut, "bad.jsonl:1: not a JSON object") {
		t.Fatalf("import of good and bad lines: exit %d %s", code, errOut)
	}
	if code, out, _ := runPaybot(t, "--data", data, "kb", "show", "g1"); code != 0 || !strings.Contains(out, "a good line") {
		t.Fatalf("the good line was not imported: exit %d %s", code, out)
	}
	// Files with nothing in them, on a new directory: nothing to do, nothing made.
	data = filepath.Join(t.TempDir(), "data")
	if code, out, errOut := runPaybot(t, "--data", data, "kb", "import", empty); code != 0 || !strings.Contains(out, "no data directory was created") {
		t.Fatalf("empty import: exit %d %s %s", code, out, errOut)
	}
	if _, err := os.Stat(data); err == nil {
		t.Fatal("an empty import created the data directory")
	}
}

// configArgs are arguments each command accepts, for the bad-config run.
var configArgs = map[string][]string{
	"paybot kb import":        {"x.jsonl"},
	"paybot kb remove":        {"community:x"},
	"paybot kb search":        {"x"},
	"paybot kb show":          {"x"},
	"paybot kb eval":          {"--questions", "q.jsonl"},
	"paybot incidents show":   {"PAY-1"},
	"paybot incidents export": {"PAY-1"},
	"paybot diagnose":         {"stripe"},
	"paybot webhook verify":   {"--provider", "stripe", "--payload", "p.json"},
}

// skipsConfig reports whether c runs without reading --config.
func skipsConfig(c *cobra.Command) bool {
	for ; c != nil; c = c.Parent() {
		if c.Annotations[skipConfig] != "" {
			return true
		}
	}
	return false
}
