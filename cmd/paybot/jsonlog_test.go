package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// damagedKB makes a data directory whose index is damaged, and a config
// file whose articles_dir holds an article that is skipped (a symbolic
// link): the two things opening the knowledge base reports.
func damagedKB(t *testing.T) (data, cfg string) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	good := filepath.Join(dir, "good.jsonl")
	os.WriteFile(good, []byte(`{"id": "g1", "title": "Good", "body": "a good line"}`+"\n"), 0o600)
	if code, out, errOut := runPaybot(t, "--data", data, "kb", "import", good); code != 0 {
		t.Fatalf("kb import: %d %s%s", code, out, errOut)
	}
	cur, _ := os.ReadFile(filepath.Join(data, "kb", "CURRENT"))
	os.WriteFile(filepath.Join(data, "kb", strings.TrimSpace(string(cur)), "index_meta.json"), []byte("garbage"), 0o644)
	arts := filepath.Join(dir, "articles")
	os.MkdirAll(arts, 0o755)
	os.Symlink(good, filepath.Join(arts, "linked.md"))
	cfg = filepath.Join(dir, "paybot.yaml")
	os.WriteFile(cfg, []byte("kb:\n  articles_dir: "+arts+"\n"), 0o600)
	return data, cfg
}

// jsonLines fails on any line of out that is not a JSON object, and
// returns the records.
func jsonLines(t *testing.T, what, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Errorf("%s: a line that is not JSON: %q", what, l)
			continue
		}
		recs = append(recs, rec)
	}
	return recs
}

// has reports whether a record's message or any value holds sub.
func has(recs []map[string]any, sub string) bool {
	for _, r := range recs {
		b, _ := json.Marshal(r)
		if strings.Contains(string(b), sub) {
			return true
		}
	}
	return false
}

// TestJSONLogsKeepStderrJSON: with PAYBOT_LOG_FORMAT=json every line serve
// and chat write to stderr is a JSON record: the repaired index and the
// skipped article (once plain "paybot: knowledge base: …" lines), and the
// error a failing serve or chat exits with. The console chat with text
// logs still tells its user on stderr, plainly.
func TestJSONLogsKeepStderrJSON(t *testing.T) {
	t.Run("serve", func(t *testing.T) {
		data, cfg := damagedKB(t)
		_, logs := startServe(t, map[string]string{"PAYBOT_DATA": data, "PAYBOT_CONFIG": cfg, "PAYBOT_LOG_FORMAT": "json",
			"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": okSlackAPI(t)})
		recs := jsonLines(t, "serve", logs.String())
		if !has(recs, "damaged") || !has(recs, "linked.md") {
			t.Errorf("serve's log does not report the repair and the skipped article:\n%s", logs)
		}
	})
	t.Run("chat", func(t *testing.T) {
		data, cfg := damagedKB(t)
		code, _, errOut := runPaybotEnv(t, map[string]string{"PAYBOT_LOG_FORMAT": "json"}, "--data", data, "--config", cfg, "chat")
		if code != 0 {
			t.Fatalf("chat: exit %d %s", code, errOut)
		}
		jsonLines(t, "chat's stderr", errOut)
		logFile, _ := os.ReadFile(filepath.Join(data, "paybot.log"))
		if recs := jsonLines(t, "paybot.log", string(logFile)); !has(recs, "damaged") || !has(recs, "linked.md") {
			t.Errorf("paybot.log does not report the repair and the skipped article:\n%s", logFile)
		}
	})
	t.Run("chat text", func(t *testing.T) {
		data, cfg := damagedKB(t)
		code, _, errOut := runPaybotEnv(t, nil, "--data", data, "--config", cfg, "chat")
		if code != 0 || !strings.Contains(errOut, "paybot: knowledge base: the index") || !strings.Contains(errOut, "paybot: articles_dir:") {
			t.Errorf("the console user is not told: exit %d\n%s", code, errOut)
		}
	})
	t.Run("failing", func(t *testing.T) {
		slack := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
		for _, tc := range []struct {
			args []string
			env  map[string]string
		}{
			{[]string{"serve"}, nil}, // no platform
			{[]string{"serve"}, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}}, // half configured
			{[]string{"serve"}, map[string]string{"PAYBOT_DATABASE_URL": "mysql://x@y/z"}},
			{[]string{"serve", "extra"}, nil}, // usage
			{[]string{"chat"}, map[string]string{"PAYBOT_DATABASE_URL": "postgres://paybot:pw@127.0.0.1:1/x?connect_timeout=1"}},
			{[]string{}, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}},
		} {
			env := map[string]string{"PAYBOT_LOG_FORMAT": "json", "PAYBOT_DATA": filepath.Join(t.TempDir(), "data"), "PAYBOT_HTTP_ADDR": "127.0.0.1:0"}
			for k, v := range tc.env {
				env[k] = v
			}
			if tc.env["PAYBOT_DATABASE_URL"] != "" && tc.args[0] == "serve" {
				for k, v := range slack {
					env[k] = v
				}
			}
			code, _, errOut := runPaybotEnv(t, env, tc.args...)
			recs := jsonLines(t, strings.Join(append([]string{"paybot"}, tc.args...), " "), errOut)
			if code == 0 || len(recs) == 0 || recs[len(recs)-1]["level"] != "ERROR" || recs[len(recs)-1]["exit"] != float64(code) {
				t.Errorf("%v: exit %d, stderr:\n%s", tc.args, code, errOut)
			}
		}
	})
}
