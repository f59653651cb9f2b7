package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybot/paybot/adapters/slack/loadgen"
)

// BenchmarkAckThreeReplicasPostgres is the production shape under load:
// three `paybot serve` processes on one PostgreSQL schema behind a
// round-robin reverse proxy, driven open loop at 300 signed Slack requests/s
// (half slash commands that open incidents, half channel messages, every
// 10th redelivered). It reports the acknowledgement latency seen through the
// proxy. PAYBOT_BENCH_SECONDS sets the duration (default 20);
// PAYBOT_BENCH_PPROF=1 serves replica i's profiles at 127.0.0.1:606i.
func BenchmarkAckThreeReplicasPostgres(b *testing.B) {
	secs := 20
	if v, err := strconv.Atoi(os.Getenv("PAYBOT_BENCH_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	dsn := pgSchema(b, "")
	bin := buildPaybot(b)
	api := newSlackRecorder(b)
	env := []string{"PAYBOT_DATABASE_URL=" + dsn, "SLACK_BOT_TOKEN=xoxb-test", "SLACK_SIGNING_SECRET=" + opsTestSecret,
		"SLACK_API_URL=" + api.srv.URL + "/", "PAYBOT_LOG_LEVEL=warn"}
	var reps []*replica
	for i := range 3 {
		env := env
		if os.Getenv("PAYBOT_BENCH_PPROF") != "" {
			// Profiles of replica i at 127.0.0.1:606i/debug/pprof/.
			env = append(env[:len(env):len(env)], fmt.Sprintf("PAYBOT_PPROF_ADDR=127.0.0.1:%d", 6060+i))
		}
		reps = append(reps, startReplica(b, bin, env))
	}
	var next atomic.Uint64
	// Like a real load balancer (Caddy in docker-compose.yml), the proxy
	// keeps its connections to the replicas: http.DefaultTransport keeps
	// two idle per host, so at 300 requests/s it would dial most of them.
	lb := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		u, _ := url.Parse(reps[next.Add(1)%uint64(len(reps))].base)
		pr.SetURL(u)
	}, Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}})
	defer lb.Close()
	b.ResetTimer()
	for range b.N {
		rep, err := loadgen.RunLoad(context.Background(), loadgen.LoadConfig{
			BaseURL: lb.URL, SigningSecret: opsTestSecret, Rate: 300, Duration: time.Duration(secs) * time.Second,
			RetryEvery: 10, Channels: 50,
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Log(rep.String())
		if rep.Errors > 0 {
			b.Errorf("%d errors: %v", rep.Errors, rep.FirstErrors)
		}
		b.ReportMetric(float64(rep.P50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(rep.P99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(rep.Rate, "req/s")
		sp50, sp99, in50 := serverAck(b, reps)
		b.Logf("inside the replicas: p50 <= %gs, p99 <= %gs, %.1f%% within 50 ms", sp50, sp99, 100*in50)
	}
}

// serverAck sums the replicas' paybot_ack_duration_seconds histograms: the
// acknowledgement time inside the replicas, without the proxy and the load
// generator that share this machine. It returns the bucket bounds within
// which p50 and p99 fall and the share of requests answered within 50 ms.
func serverAck(b *testing.B, reps []*replica) (p50, p99 float64, within50 float64) {
	b.Helper()
	cum := map[float64]uint64{}
	var total uint64
	for _, r := range reps {
		f := metricFamilies(b, r.base)["paybot_ack_duration_seconds"]
		if f == nil {
			continue
		}
		for _, m := range f.Metric {
			h := m.GetHistogram()
			total += h.GetSampleCount()
			for _, bk := range h.GetBucket() {
				cum[bk.GetUpperBound()] += bk.GetCumulativeCount()
			}
		}
	}
	bounds := make([]float64, 0, len(cum))
	for ub := range cum {
		bounds = append(bounds, ub)
	}
	sort.Float64s(bounds)
	quantile := func(q float64) float64 {
		for _, ub := range bounds {
			if float64(cum[ub]) >= q*float64(total) {
				return ub
			}
		}
		return math.Inf(1)
	}
	if total > 0 {
		within50 = float64(cum[0.05]) / float64(total)
	}
	return quantile(0.5), quantile(0.99), within50
}
