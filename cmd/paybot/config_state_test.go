package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigCheckRejectsReservedStepIDs: an intake step named after
// Paybot's own incident state (acked_by, resolution, root_cause…) would have
// its answer taken for, or erased by, escalation state; config check says
// so, with the line.
func TestConfigCheckRejectsReservedStepIDs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "paybot.yaml")
	os.WriteFile(file, []byte(strings.Join([]string{
		"intake:",                  // 1
		"  steps:",                 // 2
		"    - category",           // 3
		"    - id: acked_by",       // 4
		"      kind: text",         // 5
		"      prompt: Who acked?", // 6
		"    - confirm",            // 7
	}, "\n")), 0o600)
	code, out, _ := runPaybot(t, "config", "check", file)
	if code == 0 || !strings.Contains(out, "paybot.yaml:4:") || !strings.Contains(out, `"acked_by" is reserved`) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
