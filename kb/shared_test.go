package kb

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// sharedDir locates ../shared relative to the repository root (the directory
// holding go.mod), or $PAYBOT_SHARED. It skips the test when absent.
func sharedDir(t testing.TB) string {
	t.Helper()
	if d := sharedDirNoSkip(); d != "" {
		return d
	}
	if d := os.Getenv("PAYBOT_SHARED"); d != "" {
		if _, err := os.Stat(d); err == nil {
			return d
		}
		t.Skipf("PAYBOT_SHARED=%s does not exist; skipping (needs the shared corpus and eval questions)", d)
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("SKIP: go.mod not found above the package; cannot locate ../shared")
		}
		dir = parent
	}
	sh := filepath.Join(filepath.Dir(dir), "shared")
	if _, err := os.Stat(filepath.Join(sh, "corpus", "reference-codes.jsonl")); err != nil {
		t.Skipf("SKIP: %s not found (set PAYBOT_SHARED); relevance evaluation needs ../shared/corpus and ../shared/eval", sh)
	}
	return sh
}

// openTemp opens a fresh index (starter KB) in a temporary data dir.
func openTemp(t testing.TB) (*Index, string) {
	t.Helper()
	dir := t.TempDir()
	ix, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	return ix, dir
}

// importFile imports a JSONL file into ix.
func importFile(t testing.TB, ix *Index, path string) []Doc {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs, probs := ImportJSONL(f)
	if len(probs) > 0 {
		t.Fatalf("import %s: %v", path, probs)
	}
	if err := ix.Upsert(context.Background(), docs...); err != nil {
		t.Fatal(err)
	}
	return docs
}

// sharedDirNoSkip returns the shared directory or "".
func sharedDirNoSkip() string {
	if d := os.Getenv("PAYBOT_SHARED"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "corpus", "reference-codes.jsonl")); err == nil {
			return d
		}
		return ""
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	sh := filepath.Join(filepath.Dir(dir), "shared")
	if _, err := os.Stat(filepath.Join(sh, "corpus", "reference-codes.jsonl")); err != nil {
		return ""
	}
	return sh
}
