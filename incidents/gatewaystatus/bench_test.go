package gatewaystatus_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents/gatewaystatus"
	gst "github.com/paybot/paybot/incidents/gatewaystatus/gatewaystatustest"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchRounds polls 20 loopback pages b.N times (one round = every provider
// once, concurrently, as Run does) and reports the process CPU time per
// round and what that is as a share of one core at one round every 30 s.
// The fake pages run in the same process, so the figure includes their
// side too: an upper bound for the poller.
func benchRounds(b *testing.B, tlsPages, keepAlive, etag bool) {
	const n = 20
	var srcs []gatewaystatus.Source
	var tr *http.Transport
	for i := 0; i < n; i++ {
		var f *gst.FakeStatuspage
		if tlsPages {
			f = gst.NewFakeStatuspageTLS()
			if tr == nil {
				tr = f.Client().Transport.(*http.Transport).Clone()
			}
		} else {
			f = gst.NewFakeStatuspage()
		}
		f.NoETag = !etag
		f.Set(gst.StageUpdate)
		defer f.Close()
		srcs = append(srcs, gatewaystatus.Source{Provider: fmt.Sprintf("p%02d", i), URL: f.URL, Interval: 30 * time.Second})
	}
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	tr.DisableKeepAlives = !keepAlive
	tr.MaxIdleConnsPerHost = 2
	p := gatewaystatus.New(gatewaystatus.Config{Sources: srcs, Client: &http.Client{Transport: tr}})
	round := func() {
		var wg sync.WaitGroup
		for _, s := range srcs {
			wg.Add(1)
			go func(name string) {
				defer wg.Done()
				if _, err := p.Poll(context.Background(), name); err != nil {
					b.Error(err)
				}
			}(s.Provider)
		}
		wg.Wait()
	}
	round() // first fetch: full bodies, connections opened
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		round()
	}
	cpu := cpuTime() - start
	b.StopTimer()
	per := cpu / time.Duration(b.N)
	b.ReportMetric(float64(per.Microseconds())/1000, "cpu-ms/round")
	b.ReportMetric(per.Seconds()/30*100, "%core@30s")
}

// Typical: keep-alive connections, conditional requests answered 304.
func BenchmarkPoll20Providers304(b *testing.B) { benchRounds(b, false, true, true) }

// Full summary.json bodies parsed every round.
func BenchmarkPoll20ProvidersFull(b *testing.B) { benchRounds(b, false, true, false) }

// Worst case: a new TLS connection and a full body for every poll.
func BenchmarkPoll20ProvidersTLSNoKeepAlive(b *testing.B) { benchRounds(b, true, false, false) }
