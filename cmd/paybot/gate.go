package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// storeGate answers platform requests 503 (with Retry-After) while the
// store is unreachable, so Slack and Discord retry later, and a load
// balancer's health check (/readyz) moves traffic to a healthy replica. A
// background probe pings the store every interval and closes the gate after
// two failures in a row; requests never wait for it. Slash commands pass through: Slack does not retry them, and the
// adapter already answers the person with a sentence when the store refuses.
type storeGate struct {
	down atomic.Bool
}

// run probes ping every interval until ctx ends, logging each change.
func (g *storeGate) run(ctx context.Context, ping func(context.Context) error, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failed := 0
	for {
		pctx, cancel := context.WithTimeout(ctx, interval)
		err := ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		// One slow ping under a burst is not an outage: the gate closes
		// after two failures in a row, and opens at the first success.
		if err != nil {
			failed++
		} else {
			failed = 0
		}
		down := failed >= 2
		if failed == 1 {
			log.Debug("store ping failed once; the gate stays open unless the next fails too", "err", err)
		}
		if was := g.down.Swap(down); was != down {
			if down {
				log.Error("store unreachable: platform requests get 503 until it returns", "err", err)
			} else {
				log.Info("store reachable again")
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (g *storeGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		platform := strings.HasPrefix(p, "/slack/") || strings.HasPrefix(p, "/discord/")
		if platform && p != "/slack/commands" && g.down.Load() {
			w.Header().Set("Retry-After", "5")
			http.Error(w, "paybot's store is unreachable; try again shortly", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}
