package slack

import (
	"context"
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paybot/paybot/adapters/slack/loadgen"
)

var slackLoad = flag.Bool("slackload", false, "run the 60-second, 300 req/s acknowledgement benchmark")

// TestLoadSmoke drives the real handlers with a fake inbox: 2 seconds at
// 200 req/s by default, 60 seconds at 300 req/s with -slackload. It
// isolates the adapter's own cost (verification, parsing, translation).
func TestLoadSmoke(t *testing.T) {
	h := newHarness(t)
	rate, dur := 200, 2*time.Second
	if *slackLoad {
		rate, dur = 300, loadDuration()
	}
	rep, err := loadgen.RunLoad(context.Background(), loadgen.LoadConfig{
		BaseURL: h.srv.URL, SigningSecret: testSecret, Rate: rate, Duration: dur, RetryEvery: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if rep.Errors != 0 {
		t.Fatalf("errors: %v", rep.FirstErrors)
	}
	evs := h.h.Events()
	if len(evs) != rep.Commands+rep.Events {
		t.Fatalf("%d distinct events reached the handler, want %d", len(evs), rep.Commands+rep.Events)
	}
	if int(h.h.calls.Load()) != rep.Sent {
		t.Fatalf("handler deliveries %d, requests %d", h.h.calls.Load(), rep.Sent)
	}
	cmds := 0
	for _, e := range evs {
		if strings.HasPrefix(e.Text, "loadtest "+rep.RunID) {
			cmds++
		}
	}
	if cmds != rep.Commands {
		t.Fatalf("%d commands delivered, want %d", cmds, rep.Commands)
	}
	// Latency is asserted by the opt-in benchmark (TestLoad -slackload);
	// here, on a shared CI machine, it is only reported.
	if rep.P99 > 50*time.Millisecond {
		t.Logf("note: p99 %s over 50ms on this machine", rep.P99)
	}
}

// loadDuration is 60s, or PAYBOT_SLACKLOAD_SECONDS for a shorter look.
func loadDuration() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("PAYBOT_SLACKLOAD_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 60 * time.Second
}
