package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKBCLIShowListRemoveAndArticleProblems: kb show prints a whole
// article, kb list --kind community lists learned answers, kb remove takes
// one away, config check reports a bad and a symlinked article by file
// name while the knowledge base still opens, and kb index repairs a
// damaged index instead of failing.
func TestKBCLIShowListRemoveAndArticleProblems(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	arts := filepath.Join(dir, "articles")
	os.MkdirAll(arts, 0o755)
	os.WriteFile(filepath.Join(arts, "good.md"), []byte("---\ntitle: Acquirer code E0054 velocity block\n---\n## Cause\n- Too many tries.\n\n## What to do\n- Wait an hour.\n"), 0o644)
	os.WriteFile(filepath.Join(arts, "bad.md"), []byte("no front matter"), 0o644)
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("---\ntitle: secret\n---\nhunter2\n"), 0o600)
	symlinks := os.Symlink(filepath.Join(dir, "secret.txt"), filepath.Join(arts, "leak.md")) == nil
	cfg := filepath.Join(dir, "paybot.yaml")
	os.WriteFile(cfg, []byte("kb:\n  articles_dir: "+arts+"\n"), 0o644)

	code, out, _ := runPaybot(t, "config", "check", cfg)
	if code == 0 || !strings.Contains(out, "bad.md: missing front matter") || (symlinks && !strings.Contains(out, "leak.md: symbolic link")) {
		t.Errorf("config check: exit %d\n%s", code, out)
	}
	// kb search reads an existing data directory; kb index makes one.
	if code, out, _ := runPaybot(t, "--config", cfg, "--data", data, "kb", "index"); code != 0 {
		t.Fatalf("kb index: exit %d\n%s", code, out)
	}
	code, out, stderr := runPaybot(t, "--config", cfg, "--data", data, "kb", "search", "e-0054")
	if code != 0 || !strings.Contains(out, "E0054") || !strings.Contains(stderr, "bad.md") {
		t.Errorf("search with a bad article: exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, _ = runPaybot(t, "--data", data, "kb", "show", "stripe-do-not-honor")
	if code != 0 || !strings.Contains(out, "## What to do") || !strings.Contains(out, "## What to tell the customer") {
		t.Errorf("kb show: exit %d\n%s", code, out)
	}
	if code, _, stderr = runPaybot(t, "--data", data, "kb", "show", "nope"); code == 0 || !strings.Contains(stderr, "no such") {
		t.Errorf("kb show unknown: exit %d %s", code, stderr)
	}

	// a community answer learned in the console
	msgs := chatRunRaw(t, data, `{"text": "/payissue learn what is the paypal sandbox password? :: It is in the team vault."}`)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "saved") {
		t.Fatalf("learn: %+v", msgs)
	}
	code, out, _ = runPaybot(t, "--data", data, "kb", "list", "--kind", "community", "--json")
	var docs []struct {
		ID, Title, Author string
	}
	if code != 0 || json.Unmarshal([]byte(out), &docs) != nil || len(docs) != 1 || docs[0].Author != "ana" {
		t.Fatalf("kb list: exit %d %s", code, out)
	}
	if code, out, _ = runPaybot(t, "--data", data, "kb", "remove", docs[0].ID); code != 0 || !strings.Contains(out, "removed") {
		t.Fatalf("kb remove: exit %d %s", code, out)
	}
	if _, out, _ = runPaybot(t, "--data", data, "kb", "list", "--kind", "community"); !strings.Contains(out, "0 documents") {
		t.Errorf("after remove: %s", out)
	}

	// damage the index: kb index repairs it
	cur, _ := os.ReadFile(filepath.Join(data, "kb", "CURRENT"))
	os.WriteFile(filepath.Join(data, "kb", strings.TrimSpace(string(cur)), "index_meta.json"), []byte("garbage"), 0o644)
	code, out, stderr = runPaybot(t, "--data", data, "kb", "index")
	if code != 0 || !strings.Contains(out, "index rebuilt") || !strings.Contains(stderr, "damaged") {
		t.Errorf("kb index on a damaged index: exit %d\n%s\n%s", code, out, stderr)
	}
}
