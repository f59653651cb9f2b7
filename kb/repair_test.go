package kb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDamagedIndexIsRebuilt: a truncated or overwritten index file is
// detected at Open and the index is rebuilt from its sources on its own;
// Rebuild (kb index) then works too.
func TestDamagedIndexIsRebuilt(t *testing.T) {
	damage := map[string]func(t *testing.T, idxDir string){
		"truncated segment": func(t *testing.T, d string) {
			eachFile(t, d, ".zap", func(p string, fi os.FileInfo) { os.Truncate(p, fi.Size()/2) })
		},
		"overwritten segment": func(t *testing.T, d string) {
			eachFile(t, d, ".zap", func(p string, fi os.FileInfo) { os.WriteFile(p, []byte(strings.Repeat("x", int(fi.Size()))), 0o600) })
		},
		"empty root.bolt": func(t *testing.T, d string) {
			eachFile(t, d, "root.bolt", func(p string, _ os.FileInfo) { os.Truncate(p, 0) })
		},
		"garbage root.bolt": func(t *testing.T, d string) {
			eachFile(t, d, "root.bolt", func(p string, fi os.FileInfo) { os.WriteFile(p, make([]byte, fi.Size()), 0o600) })
		},
		"garbage index_meta": func(t *testing.T, d string) {
			os.WriteFile(filepath.Join(d, "index_meta.json"), []byte("{not json"), 0o644)
		},
		"missing index_meta": func(t *testing.T, d string) { os.Remove(filepath.Join(d, "index_meta.json")) },
		"segments deleted":   func(t *testing.T, d string) { eachFile(t, d, ".zap", func(p string, _ os.FileInfo) { os.Remove(p) }) },
	}
	for name, hurt := range damage {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			ix, err := Open(ctx, dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := ix.Upsert(ctx, Doc{ID: "acq-e0054", Kind: KindCommunity, Title: "Acquirer code E0054 means velocity block", Body: "Wait an hour before retrying the card."}); err != nil {
				t.Fatal(err)
			}
			if err := ix.Optimize(ctx); err != nil {
				t.Fatal(err)
			}
			want, _ := ix.Count()
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			cur, _ := os.ReadFile(filepath.Join(dir, "kb", currentFile))
			hurt(t, filepath.Join(dir, "kb", strings.TrimSpace(string(cur))))

			ix, err = Open(ctx, dir, Options{})
			if err != nil {
				t.Fatalf("open after damage: %v", err)
			}
			defer ix.Close()
			// scorch may fall back to an older snapshot rather than fail;
			// either way every document is back
			if n, _ := ix.Count(); n != want {
				t.Errorf("%d documents after repair, want %d", n, want)
			}
			for _, q := range []string{"e-0054", "stripe do_not_honor"} {
				ids, res := searchTop(t, ix, q, 3)
				if len(ids) == 0 || !res.Confident {
					t.Errorf("%q after repair: %v (repaired: %q)", q, ids, ix.Repaired())
				}
			}
			if err := ix.Rebuild(ctx); err != nil {
				t.Fatalf("kb index after repair: %v", err)
			}
		})
	}
}

func eachFile(t *testing.T, dir, suffix string, fn func(string, os.FileInfo)) {
	t.Helper()
	n := 0
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.HasSuffix(p, suffix) {
			fn(p, fi)
			n++
		}
		return nil
	})
	if n == 0 {
		t.Fatalf("no %s file under %s", suffix, dir)
	}
}
