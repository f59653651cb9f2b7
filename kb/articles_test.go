package kb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodArticle = "---\ntitle: Acquirer code E0054 velocity block\ncodes: [E0054]\n---\n## Cause\n- Too many attempts.\n\n## What to do\n- Wait an hour, then retry once.\n"

// TestBadArticleIsSkippedAndSymlinksRefused: one malformed article is
// reported with its file name and skipped, the others are served; a
// symbolic link (to a secret outside the folder, or inside it) is refused.
func TestBadArticleIsSkippedAndSymlinksRefused(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	arts := filepath.Join(base, "articles")
	os.MkdirAll(filepath.Join(arts, "sub"), 0o755)
	secret := filepath.Join(base, "secret.md")
	os.WriteFile(secret, []byte("---\ntitle: Our secret\n---\nsk_live_secret_thing password hunter2\n"), 0o600)
	os.WriteFile(filepath.Join(arts, "good.md"), []byte(goodArticle), 0o644)
	os.WriteFile(filepath.Join(arts, "broken.md"), []byte("---\ntitle: [unclosed\n---\nbody\n"), 0o644)
	os.WriteFile(filepath.Join(arts, "sub", "nofront.md"), []byte("just text"), 0o644)
	os.WriteFile(filepath.Join(arts, "zdup.md"), []byte("---\nid: good\ntitle: Again\n---\nbody\n"), 0o644)
	if err := os.Symlink(secret, filepath.Join(arts, "leak.md")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	os.Symlink(filepath.Join(arts, "good.md"), filepath.Join(arts, "alias.md"))
	os.Symlink(base, filepath.Join(arts, "up"))

	docs, probs, err := CheckArticlesDir(arts)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].ID != "good" {
		t.Fatalf("docs = %+v", docs)
	}
	want := map[string]string{"broken.md": "front matter", "sub/nofront.md": "missing front matter", "zdup.md": "already used by good.md",
		"leak.md": "outside the articles folder", "alias.md": "symbolic link refused", "up": "outside the articles folder"}
	got := map[string]string{}
	for _, p := range probs {
		got[p.File] = p.Reason
	}
	for f, w := range want {
		if !strings.Contains(got[f], w) {
			t.Errorf("%s: problem %q, want one mentioning %q (all: %v)", f, got[f], w, probs)
		}
	}

	ix, err := Open(ctx, filepath.Join(base, "data"), Options{ArticlesDir: arts})
	if err != nil {
		t.Fatalf("one bad article took the knowledge base down: %v", err)
	}
	defer ix.Close()
	if len(ix.ArticleProblems()) != len(want) {
		t.Errorf("ArticleProblems = %v", ix.ArticleProblems())
	}
	if ids, res := searchTop(t, ix, "e-0054", 3); len(ids) == 0 || ids[0] != "good" || !res.Confident {
		t.Errorf("good article not served: %v", ids)
	}
	if ids, _ := searchTop(t, ix, "hunter2 sk_live_secret_thing", 3); len(ids) > 0 && ids[0] == "leak" {
		t.Errorf("the secret behind a symlink is served")
	}
	if _, err := ix.Get(ctx, "leak"); err == nil {
		t.Errorf("the symlinked secret is in the index")
	}
}

// TestStarterArticlesSections: every starter article says what to do and
// when to escalate, each in a section of its own.
func TestStarterArticlesSections(t *testing.T) {
	arts, err := StarterArticles()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		kinds := map[string]int{}
		for _, s := range Sections(a.Body) {
			kinds[s.Kind] += len(s.Passages)
		}
		if kinds[SectionAction] == 0 || kinds[SectionEscalate] == 0 {
			t.Errorf("%s: %d action and %d escalation passages, want both", a.ID, kinds[SectionAction], kinds[SectionEscalate])
		}
	}
}
