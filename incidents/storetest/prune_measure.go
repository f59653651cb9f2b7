package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
)

// PruneFigures is what MeasurePrune saw.
type PruneFigures struct {
	Rows    int64         // notifications pruned
	Total   time.Duration // the whole prune
	Writes  int           // writes made while it ran
	P50     time.Duration // their median latency
	P99     time.Duration
	Slowest time.Duration // the slowest of them
}

func (f PruneFigures) String() string {
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
	return fmt.Sprintf("%d rows pruned in %v; %d writes meanwhile: p50 %v, p99 %v, slowest %v",
		f.Rows, f.Total.Round(time.Millisecond), f.Writes, r(f.P50), r(f.P99), r(f.Slowest))
}

// MeasurePrune prunes the sent notifications the caller seeded in s (sent
// before base, as seeded by the store's own test), batch rows per
// transaction, while another goroutine queues one notification every
// 2 ms, as a running bot would: the slowest of those writes is how long
// the prune held the store's write locks at a stretch.
func MeasurePrune(t testing.TB, s incidents.Store, batch int) PruneFigures {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var (
		wg  sync.WaitGroup
		lat []time.Duration
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			start := time.Now()
			err := s.QueueNotifications(context.Background(), []incidents.Notification{{Kind: incidents.NotifyThreadPost,
				Payload: []byte(`{}`), DedupeKey: fmt.Sprintf("measure/%d/%d", batch, i), ChannelKey: "slack:C1", NextAttemptAt: base}})
			if err != nil {
				t.Error(err)
				return
			}
			lat = append(lat, time.Since(start))
			time.Sleep(2 * time.Millisecond)
		}
	}()
	time.Sleep(20 * time.Millisecond) // the writer is going
	start := time.Now()
	n, err := s.PruneOutbox(context.Background(), base, base, batch)
	total := time.Since(start)
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	f := PruneFigures{Rows: n, Total: total, Writes: len(lat)}
	if len(lat) > 0 {
		slices.Sort(lat)
		f.P50, f.P99, f.Slowest = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	}
	return f
}

// Base is the suite's clock start, for stores' own seeding.
func Base() time.Time { return base }
