package discord

import (
	"context"
	"flag"
	"testing"
	"time"
)

var loadDuration = flag.Duration("load", 0, "run the full ack-latency load test for this long (e.g. 60s)")

// TestLoadSmoke runs the load generator for 2 s at 300 req/s in process;
// -load=60s runs the full target (p99 ≤ 50 ms, zero errors and duplicates).
func TestLoadSmoke(t *testing.T) {
	d := 2 * time.Second
	if *loadDuration > 0 {
		d = *loadDuration
	}
	rep, err := RunLoad(context.Background(), LoadConfig{Rate: 300, Duration: d, ReplayEvery: 50})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if rep.Errors != 0 || rep.Duplicates != 0 || rep.Sent != int(300*d.Seconds()) {
		t.Fatalf("load: %v (%s)", rep, rep.FirstError)
	}
	if rep.P99 > 50*time.Millisecond {
		t.Errorf("p99 %s > 50ms", rep.P99)
	}
}
