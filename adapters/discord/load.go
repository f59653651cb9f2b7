package discord

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paybot/paybot/bot"
)

// LoadConfig configures RunLoad, the acknowledgement-latency load generator
// for signed HTTP interactions (`paybot discord bench`).
type LoadConfig struct {
	// URL is the interactions endpoint to load. Empty starts an adapter in
	// process on a loopback listener, with REST calls going to a loopback
	// sink, and measures it.
	URL string
	// Key signs the requests. Required with URL; generated otherwise.
	Key ed25519.PrivateKey
	// Rate is requests per second (default 300); Duration how long (60 s).
	Rate     int
	Duration time.Duration
	// ReplayEvery, when > 0, re-sends every n-th interaction a second time
	// (freshly signed); in process, the handler must see each id once.
	ReplayEvery int
	// Handler receives the events in process; default: an in-memory counter.
	// Give it the engine's Async handler to include durable enqueueing.
	Handler bot.Handler
	// Setup, in process, is called with the adapter before the run (for
	// example to add it to the engine).
	Setup func(*Adapter)
	// Replies, in process, is the adapter's reply state (the store, as in
	// `paybot serve`); nil keeps it in memory.
	Replies ReplyStore
	Logger  *slog.Logger
}

// LoadReport is what RunLoad measured. Latencies run from each request's
// scheduled send time to its response, so a stalled server cannot hide
// queued requests (no coordinated omission).
type LoadReport struct {
	Sent, OK, Errors int
	// Replays is how many duplicates were sent on purpose; Duplicates how
	// many ids reached the handler more than once (-1: not observable).
	Replays, Duplicates int
	P50, P90, P99, Max  time.Duration
	Achieved            float64 // requests per second actually sent
	Elapsed             time.Duration
	FirstError          string `json:",omitempty"`
}

func (r LoadReport) String() string {
	return fmt.Sprintf("sent=%d ok=%d errors=%d replays=%d duplicates=%d rate=%.1f/s p50=%s p90=%s p99=%s max=%s elapsed=%s",
		r.Sent, r.OK, r.Errors, r.Replays, r.Duplicates, r.Achieved, r.P50.Round(time.Microsecond), r.P90.Round(time.Microsecond),
		r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond), r.Elapsed.Round(time.Millisecond))
}

// countingHandler counts deliveries per event id.
type countingHandler struct {
	next bot.Handler
	mu   sync.Mutex
	seen map[string]int
	dups int
}

func (c *countingHandler) HandleEvent(ctx context.Context, ev bot.Event) error {
	c.mu.Lock()
	c.seen[ev.ID]++
	if c.seen[ev.ID] == 2 {
		c.dups++
	}
	c.mu.Unlock()
	if c.next != nil {
		return c.next.HandleEvent(ctx, ev)
	}
	return nil
}

// RunLoad sends signed /payissue interactions at cfg.Rate for cfg.Duration
// and reports the acknowledgement latency.
func RunLoad(ctx context.Context, cfg LoadConfig) (LoadReport, error) {
	if cfg.Rate <= 0 {
		cfg.Rate = 300
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 60 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var counter *countingHandler
	if cfg.URL == "" {
		if cfg.Key == nil {
			_, k, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return LoadReport{}, err
			}
			cfg.Key = k
		}
		stop, url, c, err := startLoadTarget(cfg, log)
		if err != nil {
			return LoadReport{}, err
		}
		defer stop()
		cfg.URL, counter = url, c
	} else if cfg.Key == nil {
		return LoadReport{}, errors.New("discord load: a signing key is required with a URL")
	}

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 30 * time.Second,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	}}
	defer client.CloseIdleConnections()

	total := int(float64(cfg.Rate) * cfg.Duration.Seconds())
	interval := time.Second / time.Duration(cfg.Rate)
	base := uint64(time.Now().UnixMilli()-1420070400000) << 22 // a snowflake for now
	var (
		mu         sync.Mutex
		lat        = make([]time.Duration, 0, total)
		ok, errs   int
		firstError string
		wg         sync.WaitGroup
		sent       atomic.Int64
		replays    int
	)
	body := func(n int) string {
		id := strconv.FormatUint(base+uint64(n), 10)
		return `{"id":"` + id + `","application_id":"bench","type":2,"token":"bench-` + id + `","version":1,"guild_id":"g1","channel_id":"c1",` +
			`"member":{"user":{"id":"u1","username":"bench"}},"data":{"id":"cmd","name":"payissue","type":1,"options":[{"name":"status","type":1,"options":[{"name":"ref","type":3,"value":"PAY-1"}]}]}}`
	}
	fire := func(scheduled time.Time, b string) {
		defer wg.Done()
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		sig := hex.EncodeToString(ed25519.Sign(cfg.Key, []byte(ts+b)))
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, strings.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Signature-Timestamp", ts)
		req.Header.Set("X-Signature-Ed25519", sig)
		resp, err := client.Do(req)
		var good bool
		if err == nil {
			var r struct {
				Type int `json:"type"`
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			good = resp.StatusCode == 200 && json.Unmarshal(data, &r) == nil && r.Type == int(respDeferredMessage)
			if !good {
				err = fmt.Errorf("HTTP %d %s", resp.StatusCode, truncate(string(data), 200))
			}
		}
		d := time.Since(scheduled)
		mu.Lock()
		lat = append(lat, d)
		if good {
			ok++
		} else {
			errs++
			if firstError == "" {
				firstError = err.Error()
			}
		}
		mu.Unlock()
	}
	start := time.Now()
	for n := 0; n < total; n++ {
		scheduled := start.Add(time.Duration(n) * interval)
		if w := time.Until(scheduled); w > 0 {
			select {
			case <-ctx.Done():
				n = total
				continue
			case <-time.After(w):
			}
		}
		b := body(n)
		if cfg.ReplayEvery > 0 && n > 0 && n%cfg.ReplayEvery == 0 {
			b = body(n - 1)
			replays++
		}
		wg.Add(1)
		sent.Add(1)
		go fire(scheduled, b)
	}
	wg.Wait()
	elapsed := time.Since(start)
	rep := LoadReport{Sent: int(sent.Load()), OK: ok, Errors: errs, Replays: replays, Duplicates: -1, Elapsed: elapsed, FirstError: firstError}
	if elapsed > 0 {
		rep.Achieved = float64(rep.Sent) / elapsed.Seconds()
	}
	if counter != nil {
		counter.mu.Lock()
		rep.Duplicates = counter.dups
		counter.mu.Unlock()
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		rep.P50, rep.P90, rep.P99, rep.Max = q(0.50), q(0.90), q(0.99), lat[len(lat)-1]
	}
	return rep, ctx.Err()
}

// startLoadTarget runs an adapter in http mode on a loopback listener, with
// REST calls answered by a loopback sink.
func startLoadTarget(cfg LoadConfig, log *slog.Logger) (stop func(), url string, counter *countingHandler, err error) {
	sink := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"`+strconv.FormatInt(time.Now().UnixNano(), 10)+`","channel_id":"c1"}`)
	})}
	sinkLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	go func() { _ = sink.Serve(sinkLn) }()

	pub := cfg.Key.Public().(ed25519.PublicKey)
	a, err := New(Config{Token: "bench", AppID: "bench", PublicKey: hex.EncodeToString(pub), APIURL: "http://" + sinkLn.Addr().String(), Mode: ModeHTTP}, Options{Logger: log, Replies: cfg.Replies})
	if err != nil {
		sink.Close()
		return nil, "", nil, err
	}
	counter = &countingHandler{next: cfg.Handler, seen: map[string]int{}}
	a.SetHandler(counter)
	if cfg.Setup != nil {
		cfg.Setup(a)
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+InteractionsPath, a.InteractionsHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		sink.Close()
		return nil, "", nil, err
	}
	go func() { _ = srv.Serve(ln) }()
	stop = func() {
		_ = srv.Close()
		_ = sink.Close()
	}
	return stop, "http://" + ln.Addr().String() + InteractionsPath, counter, nil
}
