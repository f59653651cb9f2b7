package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDatabaseURLNeverShown: whatever the database password holds, no
// command that reads PAYBOT_DATABASE_URL (or database_url in the config
// file) prints it or a piece of it, whether the URL cannot be parsed, is
// parsed with a piece of the password as its port or host, or names a
// server that does not answer; and no such command exits 0.
func TestDatabaseURLNeverShown(t *testing.T) {
	const head, tail = "Xk9vLongSecretPart1", "Rest2Secret"
	pieces := []string{head, tail, "LongSecret", "Xk9v", "Rest2"}
	var urls []string
	for _, sep := range []string{"/", "#", "?", "@", ":", "%", "%zz", "/?#@:%"} {
		pw := head + sep + tail
		urls = append(urls,
			"postgres://paybot:"+pw+"@db.internal:5432/paybot",
			"postgres://paybot:"+pw+"@127.0.0.1:1/paybot?connect_timeout=1",
			"postgres://paybot@127.0.0.1:1/paybot?connect_timeout=1&password="+pw,
			"host=127.0.0.1 port=1 connect_timeout=1 user=paybot password="+pw,
			"host=127.0.0.1 port=x user=paybot password="+pw,
		)
	}
	urls = append(urls,
		"host=127.0.0.1 port=1 connect_timeout=1 password='"+head+" "+tail+"'",
		"host=127.0.0.1 password="+head+" "+tail,
		"mysql://paybot:"+head+"@db.internal/paybot",
	)
	slack := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PAYBOT_HTTP_ADDR": "127.0.0.1:0"}
	good := filepath.Join(t.TempDir(), "good.jsonl")
	os.WriteFile(good, []byte(`{"id": "g1", "title": "Good", "body": "a good line"}`+"\n"), 0o600)
	commands := [][]string{{"incidents", "list"}, {"serve"}, {"chat"}, {"kb", "search", "refund"}, {"kb", "import", good}, {"report"}}
	for i, u := range urls {
		// Named by number: the temporary directories are named after
		// the test, and would hold the password.
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			for _, args := range commands {
				data := filepath.Join(t.TempDir(), "data")
				env := map[string]string{"PAYBOT_DATABASE_URL": u, "PAYBOT_DATA": data}
				if args[0] == "serve" {
					for k, v := range slack {
						env[k] = v
					}
				}
				code, out, errOut := runPaybotEnv(t, env, args...)
				if code == 0 {
					t.Errorf("%v: exit 0", args)
				}
				for _, p := range pieces {
					if strings.Contains(out+errOut, p) {
						t.Errorf("%s: %v shows %q:\n%s%s", u, args, p, out, errOut)
					}
				}
				if _, err := os.Stat(data); err == nil {
					t.Errorf("%v left a data directory", args)
				}
			}
			// The same URL in the config file.
			cfg := filepath.Join(t.TempDir(), "paybot.yaml")
			os.WriteFile(cfg, []byte("database_url: '"+strings.ReplaceAll(u, "'", "''")+"'\n"), 0o600)
			for _, args := range [][]string{{"config", "check", cfg}, {"--config", cfg, "incidents", "list"}} {
				code, out, errOut := runPaybotEnv(t, map[string]string{"PAYBOT_DATA": t.TempDir()}, args...)
				if code == 0 && args[0] != "config" {
					t.Errorf("%v: exit 0", args)
				}
				for _, p := range pieces {
					if strings.Contains(out+errOut, p) {
						t.Errorf("%v shows %q:\n%s%s", args, p, out, errOut)
					}
				}
			}
		})
	}
}
