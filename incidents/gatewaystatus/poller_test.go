package gatewaystatus_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/gatewaystatus"
	gst "github.com/paybot/paybot/incidents/gatewaystatus/gatewaystatustest"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestPollerFollowsThePage(t *testing.T) {
	f := gst.NewFakeStatuspage()
	defer f.Close()
	clk := &clock{now: gst.T0}
	p := gatewaystatus.New(gatewaystatus.Config{Clock: clk, Timeout: 2 * time.Second,
		Sources: []gatewaystatus.Source{{Provider: "examplepay", URL: f.URL}}})
	ctx := context.Background()
	poll := func() incidents.GatewaySnapshot {
		t.Helper()
		clk.Advance(time.Minute)
		s, err := p.Poll(ctx, "examplepay")
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		return s
	}
	want := func(s incidents.GatewaySnapshot, rev string) {
		t.Helper()
		got := ""
		for _, e := range s.Events {
			got += e.ID + ":" + e.Revision() + " "
		}
		if strings.TrimSpace(got) != rev {
			t.Fatalf("events %q, want %q", got, rev)
		}
	}
	want(poll(), "")
	f.Set(gst.StageMajor)
	want(poll(), "inc42:u1/investigating")
	// Unchanged page: a conditional request answered 304, same events.
	s := poll()
	want(s, "inc42:u1/investigating")
	if f.NotMod.Load() != 1 || !s.FetchedAt.Equal(clk.Now()) || s.ETag != `"stage-1"` {
		t.Fatalf("304s = %d, snapshot %+v", f.NotMod.Load(), s)
	}
	f.Set(gst.StageUpdate)
	want(poll(), "inc42:u2/identified")
	// A failing page keeps the last events and says why.
	f.Set(gst.Stage500)
	clk.Advance(time.Minute)
	s, err := p.Poll(ctx, "examplepay")
	if err == nil || !strings.Contains(s.Err, "HTTP 500") {
		t.Fatalf("500: err %v, snapshot %+v", err, s)
	}
	want(s, "inc42:u2/identified")
	f.Set(gst.StageResolved)
	want(poll(), "")
	f.Set(gst.StageMaintenance)
	want(poll(), "mnt7:m1/in_progress")
	if _, err := p.Poll(ctx, "nobody"); err == nil {
		t.Fatal("unknown provider polled")
	}
}

// A page that hangs for 10 seconds times out on its own and never holds up
// the other providers: their first snapshots arrive while it still hangs.
func TestPollerHangDoesNotDelayOthers(t *testing.T) {
	slow := gst.NewFakeStatuspage()
	slow.Set(gst.StageHang)
	defer slow.Close()
	var fast []*gst.FakeStatuspage
	srcs := []gatewaystatus.Source{{Provider: "slow", URL: slow.URL, Interval: time.Hour}}
	for i := 0; i < 3; i++ {
		f := gst.NewFakeStatuspage()
		f.Set(gst.StageMajor)
		defer f.Close()
		fast = append(fast, f)
		srcs = append(srcs, gatewaystatus.Source{Provider: fmt.Sprintf("fast%d", i), URL: f.URL, Interval: time.Hour})
	}
	type got struct {
		provider string
		at       time.Duration
		err      string
	}
	ch := make(chan got, 10)
	start := time.Now()
	p := gatewaystatus.New(gatewaystatus.Config{Sources: srcs, Timeout: 1500 * time.Millisecond,
		OnSnapshot: func(_ context.Context, s incidents.GatewaySnapshot) {
			ch <- got{s.Provider, time.Since(start), s.Err}
		}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	seen := map[string]got{}
	for len(seen) < 4 {
		select {
		case g := <-ch:
			seen[g.provider] = g
		case <-time.After(5 * time.Second):
			t.Fatalf("only %v after 5s", seen)
		}
	}
	for i := 0; i < 3; i++ {
		g := seen[fmt.Sprintf("fast%d", i)]
		if g.err != "" || g.at > time.Second {
			t.Errorf("fast%d: %+v; want a snapshot well before the slow page's timeout", i, g)
		}
	}
	if g := seen["slow"]; !strings.Contains(g.err, "no answer within") || g.at < 1400*time.Millisecond {
		t.Errorf("slow: %+v; want a timeout after 1.5s", g)
	}
}

// The validators survive a restart through the store, so the first poll
// after it is conditional.
type memGateway struct {
	mu    sync.Mutex
	snaps map[string]incidents.GatewaySnapshot
}

func (m *memGateway) SaveGatewaySnapshot(_ context.Context, s incidents.GatewaySnapshot) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snaps[s.Provider] = s
	return nil
}

func (m *memGateway) GatewaySnapshots(context.Context) ([]incidents.GatewaySnapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []incidents.GatewaySnapshot
	for _, s := range m.snaps {
		out = append(out, s)
	}
	return out, nil
}

func (m *memGateway) ClaimGatewayPost(context.Context, string, string, uuid.UUID, time.Time) (bool, error) {
	return true, nil
}

func TestPollerConditionalAcrossRestart(t *testing.T) {
	f := gst.NewFakeStatuspage()
	f.Set(gst.StageMajor)
	defer f.Close()
	st := &memGateway{snaps: map[string]incidents.GatewaySnapshot{}}
	cfg := gatewaystatus.Config{Store: st, Sources: []gatewaystatus.Source{{Provider: "examplepay", URL: f.URL}}}
	if _, err := gatewaystatus.New(cfg).Poll(context.Background(), "examplepay"); err != nil {
		t.Fatal(err)
	}
	s, err := gatewaystatus.New(cfg).Poll(context.Background(), "examplepay")
	if err != nil || f.NotMod.Load() != 1 || len(s.Events) != 1 {
		t.Fatalf("after restart: %v, 304s %d, %+v", err, f.NotMod.Load(), s)
	}
	_ = http.StatusOK
}

// A failing page is retried with growing delays (not every interval), and
// polled at its interval again once it recovers.
func TestPollerBacksOff(t *testing.T) {
	f := gst.NewFakeStatuspage()
	defer f.Close()
	f.Set(gst.Stage500)
	p := gatewaystatus.New(gatewaystatus.Config{Sources: []gatewaystatus.Source{{Provider: "x", URL: f.URL, Interval: 20 * time.Millisecond}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	time.Sleep(700 * time.Millisecond)
	failing := f.Requests.Load()
	// Without backoff: ~35 requests. With 20 ms doubling to at most 200 ms: about 7.
	if failing < 3 || failing > 14 {
		t.Errorf("%d requests in 700 ms of failures, want backoff (3..14)", failing)
	}
	f.Set(gst.StageNone)
	time.Sleep(700 * time.Millisecond)
	cancel()
	<-done
	if recovered := f.Requests.Load() - failing; recovered < 10 {
		t.Errorf("%d requests in 700 ms after recovery, want polling at the 20 ms interval again", recovered)
	}
}

// A feed served with Last-Modified is re-asked with If-Modified-Since and
// its 304 keeps the events.
func TestPollerFeedLastModified(t *testing.T) {
	rss, err := os.ReadFile("testdata/statuspage.rss")
	if err != nil {
		t.Fatal(err)
	}
	const lm = "Mon, 30 Nov 2026 08:10:00 GMT"
	var notMod atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-Modified-Since") == lm {
			notMod.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", lm)
		w.Write(rss)
	}))
	defer srv.Close()
	clk := &clock{now: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	p := gatewaystatus.New(gatewaystatus.Config{Clock: clk, Sources: []gatewaystatus.Source{{Provider: "examplepay", URL: srv.URL + "/history.rss"}}})
	for i := 0; i < 2; i++ {
		s, err := p.Poll(context.Background(), "examplepay")
		if err != nil || len(s.Events) != 1 || s.Events[0].Status != "identified" {
			t.Fatalf("poll %d: %v %+v", i, err, s)
		}
	}
	if notMod.Load() != 1 {
		t.Fatalf("%d 304s, want 1", notMod.Load())
	}
	// Four days later the unresolved item has aged out, even on a 304.
	clk.Advance(96 * time.Hour)
	if s, _ := p.Poll(context.Background(), "examplepay"); len(s.Events) != 0 {
		t.Fatalf("aged item still active: %+v", s.Events)
	}
}
