package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestConsoleRestartRoutesToNewestIntake: `paybot chat --json` restarted
// with two unfinished intakes re-asks both (oldest first) and routes the
// first plain line to the newest one's thread, whatever the outbox worker
// is doing: every run, not most.
func TestConsoleRestartRoutesToNewestIntake(t *testing.T) {
	dir := t.TempDir()
	chat := func(lines ...string) []map[string]any {
		t.Helper()
		var out strings.Builder
		code := run(t.Context(), []string{"--data", dir, "chat", "--json"}, strings.NewReader(strings.Join(lines, "\n")+"\n"),
			&out, &strings.Builder{}, func(string) string { return "" })
		if code != 0 {
			t.Fatalf("chat exit %d", code)
		}
		var msgs []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%v: %s", err, l)
			}
			msgs = append(msgs, m)
		}
		return msgs
	}
	chat("/payissue declines spiking at checkout", "1", "/payissue open payouts to the bank are late")
	for i := 0; i < 3; i++ {
		msgs := chat("1") // PAY-2's category; PAY-1 waits for its gateway
		var asked []string
		for _, m := range msgs {
			if m["kind"] == "question" {
				asked = append(asked, m["thread"].(string)+":"+m["expects"].(string))
			}
		}
		// Re-asked PAY-1 (provider) and PAY-2 (category), then PAY-2's
		// next question answers the line.
		if i == 0 && strings.Join(asked, " ") != "PAY-1:provider PAY-2:category PAY-2:provider" {
			t.Fatalf("restart %d: questions %v", i, asked)
		}
		if i > 0 && (len(asked) == 0 || asked[len(asked)-1] != "PAY-2:"+nextStep(i)) {
			t.Fatalf("restart %d: questions %v", i, asked)
		}
	}
}

// nextStep is the step PAY-2 asks after its i-th answer "1" (category,
// then provider, then environment).
func nextStep(i int) string { return []string{"provider", "environment", "started_at"}[i] }
