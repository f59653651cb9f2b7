package slack

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"
)

// BenchmarkCommandToCard: from a signed /payissue request to the card
// answered by a fake Slack that takes 20 ms per call, through the real
// handler, the durable inbox, the engine's commit (card queued in the
// outbox) and the outbox worker's fast path. One command at a time, each in
// its own channel (Slack paces posts per channel, about one per second).
func BenchmarkCommandToCard(b *testing.B) {
	h, _, _ := engineHarness(b)
	var mu sync.Mutex
	arrived := map[string]chan time.Time{}
	h.api.before = func(method string, form url.Values, w http.ResponseWriter) bool {
		if method == "chat.postMessage" && form.Get("thread_ts") == "" {
			time.Sleep(20 * time.Millisecond)
			mu.Lock()
			ch := arrived[form.Get("channel")]
			mu.Unlock()
			if ch != nil {
				select {
				case ch <- time.Now():
				default:
				}
			}
		}
		return false
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		channel := fmt.Sprintf("CB%06d", i)
		ch := make(chan time.Time, 1)
		mu.Lock()
		arrived[channel] = ch
		mu.Unlock()
		body := url.Values{"team_id": {"T0001"}, "channel_id": {channel}, "user_id": {"U2147483697"}, "user_name": {"Steve"},
			"command": {"/payissue"}, "text": {"card payments failing at checkout"}, "trigger_id": {fmt.Sprintf("bench-%d", i)},
			"response_url": {"https://hooks.slack.com/commands/1/2"}}.Encode()
		start := time.Now()
		if resp, _ := h.post("/slack/commands", formType, []byte(body)); resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		select {
		case at := <-ch:
			lat = append(lat, at.Sub(start))
		case <-time.After(10 * time.Second):
			b.Fatal("no card within 10 s")
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(ms(1), "max-ms")
}
