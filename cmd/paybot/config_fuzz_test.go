package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadConfig: any file gives problems with positions inside it, never
// a panic, never Go type names.
func FuzzReadConfig(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "config", "*.yaml"))
	for _, s := range seeds {
		b, _ := os.ReadFile(s)
		f.Add(string(b))
	}
	f.Add("smtp: [1, 2]\nkb: 3\nslack: {a: [b]}\n")
	f.Add("&x {timezone: *x}")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data string) {
		path := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		_, probs, err := readConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(data, "\n") + 1
		for _, p := range probs {
			if p.Line > lines+1 || strings.Contains(p.Msg, "main.") {
				t.Fatalf("problem %+v in a %d-line file", p, lines)
			}
		}
	})
}
