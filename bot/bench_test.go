package bot_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents/sqlite"
)

// nullAdapter accepts everything instantly, so the benchmarks measure the
// engine and the durable store. It remembers each thread's awaited step.
type nullAdapter struct {
	mu      sync.Mutex
	n       int
	expects map[string]string // thread -> step awaited
	threads map[string]string // channel -> newest thread
}

func newNullAdapter() *nullAdapter {
	return &nullAdapter{expects: map[string]string{}, threads: map[string]string{}}
}

func (a *nullAdapter) Platform() string { return "bench" }
func (a *nullAdapter) Post(_ context.Context, m bot.Message) (bot.MessageRef, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n++
	if m.Conversation.Thread != "" {
		a.expects[m.Conversation.Thread] = m.Expects
	}
	return bot.MessageRef{Conversation: m.Conversation, ID: fmt.Sprintf("m%d", a.n)}, nil
}
func (a *nullAdapter) Update(context.Context, bot.MessageRef, bot.Message) error { return nil }
func (a *nullAdapter) OpenThread(_ context.Context, root bot.MessageRef, _ string) (bot.Conversation, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := root.Conversation
	c.Thread = root.ID
	a.threads[c.Channel] = c.Thread
	return c, nil
}
func (a *nullAdapter) Start(ctx context.Context, _ bot.Handler) error { <-ctx.Done(); return nil }

func (a *nullAdapter) state(channel string) (thread, step string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	thread = a.threads[channel]
	return thread, a.expects[thread]
}

// benchWorker walks intakes in its own channel, one incident after another.
type benchWorker struct {
	channel string
	seq     int
}

// answer sends the next intake answer (opening an incident when none is in
// intake) and returns the answer's latency, or 0 for an open.
func (w *benchWorker) answer(tb testing.TB, eng *bot.Engine, a *nullAdapter) time.Duration {
	ctx := context.Background()
	w.seq++
	user := bot.User{Platform: "bench", ID: "u-" + w.channel}
	ev := bot.Event{ID: fmt.Sprintf("bench:%s-%d", w.channel, w.seq), User: user}
	thread, step := a.state(w.channel)
	if step == "" {
		ev.Kind, ev.Text = bot.EventCommand, "checkout declines spiking"
		ev.Conversation = bot.Conversation{Platform: "bench", Channel: w.channel}
		if err := eng.HandleEvent(ctx, ev); err != nil {
			tb.Fatal(err)
		}
		return 0
	}
	ev.Kind, ev.Text = bot.EventMessage, answers[step]
	ev.Conversation = bot.Conversation{Platform: "bench", Channel: w.channel, Thread: thread}
	start := time.Now()
	if err := eng.Commit(ctx, ev); err != nil {
		tb.Fatal(err)
	}
	d := time.Since(start)
	// The reply is durable in the outbox; deliver it (untimed) so the next
	// answer knows the next step.
	if _, err := eng.FlushOutbox(ctx); err != nil {
		tb.Fatal(err)
	}
	return d
}

func newBenchEngine(tb testing.TB) (*bot.Engine, *nullAdapter) {
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "paybot.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	eng := bot.NewEngine(bot.Config{Store: st})
	a := newNullAdapter()
	eng.AddAdapter(a)
	return eng, a
}

func reportLatencies(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "answers/s")
}

// BenchmarkIntakeAnswer: one intake answer, from event through the durable
// commit (WAL, synchronous=FULL) of the answer with its reply queued in the
// outbox, one at a time. The delivery is timed by BenchmarkCommandToCard in
// adapters/slack.
func BenchmarkIntakeAnswer(b *testing.B) {
	eng, a := newBenchEngine(b)
	w := &benchWorker{channel: "C0"}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for len(lat) < b.N {
		if d := w.answer(b, eng, a); d > 0 {
			lat = append(lat, d)
		}
	}
	reportLatencies(b, lat, time.Since(start))
	b.StopTimer()
	// The floor under every durable answer: one small write and fsync on
	// the same disk, measured in the same run so the two can be compared.
	syncs := diskSyncLatencies(b, 2000)
	b.ReportMetric(float64(syncs[len(syncs)*99/100].Microseconds())/1000, "disk-fsync-p99-ms")
}

func diskSyncLatencies(b *testing.B, n int) []time.Duration {
	f, err := os.CreateTemp(b.TempDir(), "fsync")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	out := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		if _, err := f.WriteAt(buf, int64(i%256)*4096); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		out = append(out, time.Since(start))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// runWorkers runs 100 workers, each walking intakes in its own channel,
// until b.N answers are in, and reports their latencies. every is the pause
// between one worker's answers (0: as fast as it can); the workers' first
// answers are spread over that period so the load is even.
func runWorkers(b *testing.B, every time.Duration) {
	eng, a := newBenchEngine(b)
	const workers = 100
	per := b.N/workers + 1
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w := &benchWorker{channel: fmt.Sprintf("C%d", i)}
			next := start.Add(time.Duration(i) * every / workers)
			var mine []time.Duration
			for len(mine) < per {
				time.Sleep(time.Until(next))
				d := w.answer(b, eng, a)
				if d == 0 {
					continue // an incident was opened; its first answer follows at once
				}
				next = next.Add(every)
				mine = append(mine, d)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	reportLatencies(b, lat, time.Since(start))
}

// BenchmarkIntakeAnswers100: answers spread over 100 concurrent incidents,
// each answering as fast as it can.
func BenchmarkIntakeAnswers100(b *testing.B) { runWorkers(b, 0) }

// BenchmarkIntakeAnswersPaced1000: 1,000 answers per second offered across
// 100 concurrent incidents (each answering every 100 ms, opening a new
// incident whenever its intake is done), the sustained load the intake must
// carry; p99 is the latency seen at that load, and answers/s what was
// delivered.
func BenchmarkIntakeAnswersPaced1000(b *testing.B) { runWorkers(b, 100*time.Millisecond) }
