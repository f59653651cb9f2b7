package gatewaystatus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/paybot/paybot/incidents"
)

// Defaults for Config.
const (
	DefaultInterval = 60 * time.Second
	DefaultTimeout  = 10 * time.Second
	// MaxBody caps how much of a page is read: summary.json of a large page
	// is a few hundred kilobytes.
	MaxBody = 4 << 20
)

// Source is one provider's status page.
type Source struct {
	Provider string
	// URL is the page's base URL (https://status.example.com, read as
	// <base>/api/v2/summary.json) or a feed URL ending in .rss, .atom or
	// .xml.
	URL string
	// Interval between polls; DefaultInterval when zero.
	Interval time.Duration
}

// IsFeed reports whether u names an RSS or Atom feed rather than a
// Statuspage base URL.
func IsFeed(u string) bool {
	p := strings.ToLower(u)
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return strings.HasSuffix(p, ".rss") || strings.HasSuffix(p, ".atom") || strings.HasSuffix(p, ".xml")
}

// PollURL is the URL actually fetched for a status_page value.
func PollURL(statusPage string) string {
	u := strings.TrimSpace(statusPage)
	if IsFeed(u) || strings.HasSuffix(strings.ToLower(u), ".json") {
		return u
	}
	return strings.TrimRight(u, "/") + "/api/v2/summary.json"
}

// Config wires a Poller.
type Config struct {
	Sources []Source
	// Client makes the requests; http.DefaultClient when nil. Its own
	// Timeout, if any, also applies.
	Client *http.Client
	// Clock stamps snapshots and drives the backoff; the system clock when nil.
	Clock incidents.Clock
	// Timeout bounds each request; DefaultTimeout when zero.
	Timeout time.Duration
	// Store, when set, gives the validators and events of the last poll at
	// start (so a restart keeps its ETag) and receives every snapshot.
	Store incidents.GatewayStore
	// OnSnapshot, when set, is called after every poll of a provider, from
	// that provider's goroutine.
	OnSnapshot func(ctx context.Context, s incidents.GatewaySnapshot)
	Logger     *slog.Logger
	// UserAgent is sent with every request.
	UserAgent string
}

// Poller polls status pages; see the package comment.
type Poller struct {
	cfg     Config
	mu      sync.Mutex
	last    map[string]incidents.GatewaySnapshot
	sources map[string]Source
	loaded  sync.Once
}

// New returns a poller; call Run to start polling, or Poll for one round.
func New(cfg Config) *Poller {
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	if cfg.Clock == nil {
		cfg.Clock = incidents.SystemClock{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "paybot-status-poller/1 (+https://github.com/paybot/paybot)"
	}
	p := &Poller{cfg: cfg, last: map[string]incidents.GatewaySnapshot{}, sources: map[string]Source{}}
	for _, s := range cfg.Sources {
		if s.Interval <= 0 {
			s.Interval = DefaultInterval
		}
		p.sources[s.Provider] = s
	}
	return p
}

// load reads the last snapshots from the store once.
func (p *Poller) load(ctx context.Context) {
	p.loaded.Do(func() {
		if p.cfg.Store == nil {
			return
		}
		snaps, err := p.cfg.Store.GatewaySnapshots(ctx)
		if err != nil {
			p.cfg.Logger.Warn("reading gateway snapshots", "err", err)
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, s := range snaps {
			src, ok := p.sources[s.Provider]
			if ok && s.Source == PollURL(src.URL) {
				p.last[s.Provider] = s
			}
		}
	})
}

// Snapshot returns the provider's last snapshot.
func (p *Poller) Snapshot(provider string) (incidents.GatewaySnapshot, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.last[provider]
	return s, ok
}

// Snapshots returns every provider's last snapshot, by provider.
func (p *Poller) Snapshots() []incidents.GatewaySnapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]incidents.GatewaySnapshot, 0, len(p.last))
	for _, s := range p.last {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Provider < out[j].Provider })
	return out
}

// Poll fetches one provider's page once, conditionally, and returns the new
// snapshot. A failure is recorded in the snapshot's Err (the events of the
// last good poll are kept, marked stale by FetchedAt) and returned. Errors:
// incidents.ErrNotFound for an unknown provider, ErrFormat, and transport
// errors or "status NNN" for other answers.
func (p *Poller) Poll(ctx context.Context, provider string) (incidents.GatewaySnapshot, error) {
	p.load(ctx)
	src, ok := p.sources[provider]
	if !ok {
		return incidents.GatewaySnapshot{}, fmt.Errorf("%w: no status page configured for %q", incidents.ErrNotFound, provider)
	}
	p.mu.Lock()
	prev := p.last[provider]
	p.mu.Unlock()
	now := p.cfg.Clock.Now()
	snap, err := p.fetch(ctx, src, prev, now)
	snap.CheckedAt = now
	if err != nil {
		snap = prev
		snap.Provider, snap.Source, snap.CheckedAt = provider, PollURL(src.URL), now
		snap.Err = err.Error()
	}
	p.mu.Lock()
	p.last[provider] = snap
	p.mu.Unlock()
	if p.cfg.Store != nil {
		if serr := p.cfg.Store.SaveGatewaySnapshot(ctx, snap); serr != nil {
			p.cfg.Logger.Warn("saving gateway snapshot", "provider", provider, "err", serr)
		}
	}
	if p.cfg.OnSnapshot != nil {
		p.cfg.OnSnapshot(ctx, snap)
	}
	return snap, err
}

func (p *Poller) fetch(ctx context.Context, src Source, prev incidents.GatewaySnapshot, now time.Time) (incidents.GatewaySnapshot, error) {
	u := PollURL(src.URL)
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return prev, fmt.Errorf("%w: status page URL %q: %v", ErrFormat, u, err)
	}
	req.Header.Set("User-Agent", p.cfg.UserAgent)
	if IsFeed(u) {
		req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if prev.Source == u && !prev.FetchedAt.IsZero() {
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
		}
	}
	resp, err := p.cfg.Client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return prev, fmt.Errorf("no answer within %s", p.cfg.Timeout)
		}
		return prev, err
	}
	defer resp.Body.Close()
	snap := incidents.GatewaySnapshot{Provider: src.Provider, Source: u, FetchedAt: now,
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		snap.Indicator, snap.Description, snap.Events = prev.Indicator, prev.Description, prev.Events
		if snap.ETag == "" {
			snap.ETag = prev.ETag
		}
		if snap.LastModified == "" {
			snap.LastModified = prev.LastModified
		}
		if IsFeed(u) {
			// Ages move on even when the feed does not.
			snap.Events = dropOld(prev.Events, now)
		}
		return snap, nil
	case resp.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return prev, fmt.Errorf("status page answered HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return prev, fmt.Errorf("reading status page: %w", err)
	}
	if len(body) > MaxBody {
		return prev, fmt.Errorf("%w: status page larger than %d bytes", ErrFormat, MaxBody)
	}
	if IsFeed(u) {
		snap.Events, err = ParseFeed(src.Provider, body, now)
	} else {
		snap.Indicator, snap.Description, snap.Events, err = ParseSummary(src.Provider, body)
	}
	if err != nil {
		return prev, err
	}
	return snap, nil
}

func dropOld(evs []incidents.GatewayEvent, now time.Time) []incidents.GatewayEvent {
	var out []incidents.GatewayEvent
	for _, e := range evs {
		limit := FeedOpenMaxAge
		if e.Status == "reported" {
			limit = FeedUnknownMaxAge
		}
		if now.Sub(e.UpdatedAt) <= limit {
			out = append(out, e)
		}
	}
	return out
}

// newBackOff is the delay after consecutive failures: 5 s doubling with
// ±30% jitter, capped at 10 intervals (at most 15 minutes), and never
// giving up. The library keeps the arithmetic and the jitter right; the
// poller keeps only the loop.
func (p *Poller) newBackOff(interval time.Duration) *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 5 * time.Second
	if interval < b.InitialInterval {
		b.InitialInterval = interval
	}
	b.Multiplier = 2
	b.RandomizationFactor = 0.3
	b.MaxInterval = min(10*interval, 15*time.Minute)
	b.MaxElapsedTime = 0
	b.Clock = p.cfg.Clock
	b.Reset()
	return b
}

// Run polls every source in its own goroutine until ctx is done: at once,
// then every Interval after a success, or after the backoff delay after a
// failure. A slow or hanging page only delays its own provider.
func (p *Poller) Run(ctx context.Context) error {
	p.load(ctx)
	var wg sync.WaitGroup
	for _, src := range p.sources {
		wg.Add(1)
		go func(src Source) {
			defer wg.Done()
			p.loop(ctx, src)
		}(src)
	}
	wg.Wait()
	return ctx.Err()
}

func (p *Poller) loop(ctx context.Context, src Source) {
	b := p.newBackOff(src.Interval)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		wait := src.Interval
		if _, err := p.Poll(ctx, src.Provider); err != nil {
			if ctx.Err() != nil {
				return
			}
			wait = b.NextBackOff()
			p.cfg.Logger.Warn("status page poll failed", "provider", src.Provider, "retry_in", wait, "err", err)
		} else {
			b.Reset()
		}
		t.Reset(wait)
	}
}
