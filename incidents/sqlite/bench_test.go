package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/sqlite"
)

// answerChange applies one intake answer to inc the way the engine does:
// new details, the next intake step, one timeline entry and the platform
// event key, all in one UpdateIncident.
func answerChange(inc *incidents.Incident, n int, now time.Time) incidents.Change {
	inc.UpdatedAt = now
	inc.Details.ErrorMessages = fmt.Sprintf("card_declined / do_not_honor on about 12%% of Visa traffic since 09:10, answer %d", n)
	inc.Details.Codes = []incidents.Code{{System: "stripe", Value: "do_not_honor"}, {System: "iso8583", Value: "05"}}
	inc.Intake.History = append(inc.Intake.History[:0], "category", "provider", "environment")
	inc.Intake.Step = "impact"
	return incidents.Change{
		EventKey: fmt.Sprintf("slack:Ev%s:%d", inc.ID, n),
		Timeline: []incidents.TimelineEntry{{
			IncidentID: inc.ID, At: now, Kind: incidents.EventAnswer,
			Actor: incidents.User{Platform: "slack", ID: "U0ALICE", Name: "Alice"},
			Text:  "error_messages: " + inc.Details.ErrorMessages,
			Data:  map[string]string{"step": "error_messages"},
		}},
	}
}

func seed(b testing.TB, s *sqlite.Store, n int) []*incidents.Incident {
	b.Helper()
	now := time.Now()
	incs := make([]*incidents.Incident, n)
	for i := range incs {
		inc := incidents.New(fmt.Sprintf("Declines spike %d", i),
			incidents.User{Platform: "slack", ID: "U0ALICE", Name: "Alice"},
			incidents.Conversation{Platform: "slack", Channel: "C-payments"}, now)
		inc.Conversation = incidents.Conversation{Platform: "slack", Channel: "C-payments", Thread: fmt.Sprint(i)}
		inc.Details.Category = incidents.CategoryDeclines
		inc.Details.Provider = "stripe"
		if err := s.CreateIncident(context.Background(), inc, incidents.Change{}); err != nil {
			b.Fatal(err)
		}
		incs[i] = inc
	}
	return incs
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkUpdateIncident is one writer answering one intake step at a
// time: every answer is its own durable (fsynced) commit.
func BenchmarkUpdateIncident(b *testing.B) {
	s := openAt(b, b.TempDir())
	defer s.Close()
	inc := seed(b, s, 1)[0]
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		ch := answerChange(inc, n, time.Now())
		t0 := time.Now()
		if err := s.UpdateIncident(ctx, inc, ch); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	reportLatency(b, lat)
}

// BenchmarkUpdateIncidentParallel is 100 incidents answered at once, one
// goroutine per incident, as when 100 threads are in intake together. Group
// commit shares each fsync among the answers queued meanwhile.
func BenchmarkUpdateIncidentParallel(b *testing.B) {
	const incidentsN = 100
	s := openAt(b, b.TempDir())
	defer s.Close()
	incs := seed(b, s, incidentsN)
	ctx := context.Background()
	var (
		next atomic.Int64
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, b.N)
	)
	b.SetParallelism((incidentsN + 1) / 2) // GOMAXPROCS=2 → 100 goroutines
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		inc := incs[int(next.Add(1)-1)%incidentsN]
		mine := make([]time.Duration, 0, 1024)
		n := 0
		for pb.Next() {
			n++
			ch := answerChange(inc, n, time.Now())
			t0 := time.Now()
			if err := s.UpdateIncident(ctx, inc, ch); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	reportLatency(b, lat)
}

// BenchmarkUpdateIncidentAt1000PerSecond offers the target load instead of
// saturating the store: answers arrive at 1000/s, spread over 100 incidents
// (each answered every 100 ms). Latency is that of the UpdateIncident call,
// so waiting for the writer and for the batch's fsync counts, but the
// harness's own timer wake-up delay (about 0.5 ms on a small VM) does not.
// Run it with a fixed count, e.g. -benchtime=5000x (5 s of load).
func BenchmarkUpdateIncidentAt1000PerSecond(b *testing.B) {
	const (
		incidentsN = 100
		rate       = 1000 // answers per second, all incidents together
	)
	s := openAt(b, b.TempDir())
	defer s.Close()
	incs := seed(b, s, incidentsN)
	ctx := context.Background()
	per := b.N / incidentsN
	if per == 0 {
		per = 1
	}
	interval := time.Second * incidentsN / rate
	lat := make([][]time.Duration, incidentsN)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i, inc := range incs {
		offset := interval * time.Duration(i) / incidentsN // stagger the incidents
		wg.Go(func() {
			mine := make([]time.Duration, 0, per)
			for n := range per {
				due := start.Add(offset + time.Duration(n)*interval)
				time.Sleep(time.Until(due))
				ch := answerChange(inc, n+1, time.Now())
				t0 := time.Now()
				if err := s.UpdateIncident(ctx, inc, ch); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			lat[i] = mine
		})
	}
	wg.Wait()
	b.StopTimer()
	reportLatency(b, slices.Concat(lat...))
}

// BenchmarkDiskSync is the floor under every durable commit: one 12 KiB
// write and fsync, as a WAL commit of one answer does. Compare its p99 with
// the store's before blaming the store for a slow tail.
func BenchmarkDiskSync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "sync.dat"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 12<<10)
	lat := make([]time.Duration, 0, b.N)
	i := int64(0)
	for b.Loop() {
		t0 := time.Now()
		if _, err := f.WriteAt(buf, i*int64(len(buf))); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		i++
	}
	reportLatency(b, lat)
}
