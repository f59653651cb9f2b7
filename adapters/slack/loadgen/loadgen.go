// Package loadgen drives a Paybot Slack endpoint with correctly signed slash
// commands and Events API callbacks at a fixed rate, and measures how fast
// each request is acknowledged. It is exposed as `paybot slack bench`.
//
// The target is Slack's: acknowledge within 3 s, and Paybot aims for a p99
// under 50 ms at 300 requests/s sustained for 60 s. Requests are sent open
// loop (on a fixed schedule, not waiting for earlier answers), so a slow
// server shows up as latency instead of a lower rate.
package loadgen

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// LoadConfig says what to send.
type LoadConfig struct {
	// BaseURL is the server, e.g. "http://127.0.0.1:8080"; requests go to
	// BaseURL+"/slack/commands" and BaseURL+"/slack/events".
	BaseURL       string
	SigningSecret string
	// Rate is requests per second (default 300); Duration how long (default 60s).
	Rate     int
	Duration time.Duration
	// CommandShare is the fraction of requests that are slash commands, each
	// of which opens one incident (default 0.5); the rest are channel
	// message events.
	CommandShare float64
	// RetryEvery re-sends every Nth request a second time with
	// X-Slack-Retry-Num: 1, the same body and id, as Slack does after a
	// timeout (default 0: none). Retries are not counted as new work.
	RetryEvery int
	// Channels spreads the traffic over this many channels (default 20).
	Channels int
	// RunID prefixes every id and incident title so that a run can be
	// counted afterwards (default: random).
	RunID string
	// Timeout bounds one request (default 5s).
	Timeout time.Duration
	Client  *http.Client
}

// LoadReport is what happened.
type LoadReport struct {
	RunID    string
	Sent     int // HTTP requests sent, retries included
	Commands int // distinct slash commands (each should open one incident)
	Events   int // distinct message events
	Retries  int // redeliveries sent
	Errors   int // transport errors and non-2xx answers
	Status   map[int]int
	// FirstErrors holds up to five error descriptions.
	FirstErrors              []string
	Elapsed                  time.Duration
	Rate                     float64 // achieved requests per second
	P50, P90, P99, P999, Max time.Duration
	// CommandTitles lists the incident title of every distinct command, so a
	// caller can check that each opened exactly one incident.
	CommandTitles []string
}

func (r LoadReport) String() string {
	return fmt.Sprintf("run %s: %d requests (%d commands, %d events, %d retries) in %s = %.1f req/s; errors %d; ack latency p50 %s p90 %s p99 %s p99.9 %s max %s; status %v",
		r.RunID, r.Sent, r.Commands, r.Events, r.Retries, r.Elapsed.Round(time.Millisecond), r.Rate, r.Errors,
		r.P50.Round(10*time.Microsecond), r.P90.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond),
		r.P999.Round(10*time.Microsecond), r.Max.Round(10*time.Microsecond), r.Status)
}

// RunLoad sends signed requests at cfg.Rate for cfg.Duration (or until ctx
// ends) and reports acknowledgement latencies.
func RunLoad(ctx context.Context, cfg LoadConfig) (LoadReport, error) {
	if cfg.BaseURL == "" || cfg.SigningSecret == "" {
		return LoadReport{}, errors.New("loadgen: BaseURL and SigningSecret are required")
	}
	if _, err := url.Parse(cfg.BaseURL); err != nil {
		return LoadReport{}, fmt.Errorf("loadgen: %w", err)
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 300
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 60 * time.Second
	}
	if cfg.CommandShare <= 0 || cfg.CommandShare > 1 {
		cfg.CommandShare = 0.5
	}
	if cfg.Channels <= 0 {
		cfg.Channels = 20
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.RunID == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		cfg.RunID = hex.EncodeToString(b)
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{
			MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 30 * time.Second,
		}}
	}

	rep := LoadReport{RunID: cfg.RunID, Status: map[int]int{}}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		wg        sync.WaitGroup
	)
	record := func(d time.Duration, status int, err error) {
		mu.Lock()
		defer mu.Unlock()
		rep.Sent++
		latencies = append(latencies, d)
		if err != nil {
			rep.Errors++
			if len(rep.FirstErrors) < 5 {
				rep.FirstErrors = append(rep.FirstErrors, err.Error())
			}
			return
		}
		rep.Status[status]++
		if status < 200 || status > 299 {
			rep.Errors++
			if len(rep.FirstErrors) < 5 {
				rep.FirstErrors = append(rep.FirstErrors, fmt.Sprintf("HTTP %d", status))
			}
		}
	}
	send := func(path, contentType string, body []byte, retry int) {
		req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, cfg.BaseURL+path, bytes.NewReader(body))
		if err != nil {
			record(0, 0, err)
			return
		}
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		mac := hmac.New(sha256.New, []byte(cfg.SigningSecret))
		mac.Write([]byte("v0:" + ts + ":"))
		mac.Write(body)
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
		if retry > 0 {
			req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
			req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			record(time.Since(start), 0, err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		record(time.Since(start), resp.StatusCode, nil)
	}

	interval := time.Second / time.Duration(cfg.Rate)
	total := int(cfg.Duration / interval)
	cmdEvery := cfg.CommandShare
	start := time.Now()
	acc := 0.0
	timer := time.NewTimer(0)
	defer timer.Stop()
loop:
	for i := 0; i < total; i++ {
		// Request i is due at start + i*interval; a late sender catches up
		// instead of lowering the rate.
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				break loop
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			break loop
		}
		channel := fmt.Sprintf("CLOAD%03d", i%cfg.Channels)
		var path, ctype string
		var body []byte
		acc += cmdEvery
		if acc >= 1 {
			acc--
			title := fmt.Sprintf("loadtest %s #%d card declines", cfg.RunID, i)
			rep.Commands++
			rep.CommandTitles = append(rep.CommandTitles, title)
			path, ctype = "/slack/commands", "application/x-www-form-urlencoded"
			body = []byte(url.Values{
				"team_id": {"TLOAD"}, "channel_id": {channel}, "user_id": {fmt.Sprintf("ULOAD%03d", i%50)},
				"user_name": {"loadgen"}, "command": {"/payissue"}, "text": {title},
				"trigger_id": {fmt.Sprintf("%s.%d.load", cfg.RunID, i)}, "response_url": {"https://hooks.slack.com/commands/load"},
			}.Encode())
		} else {
			rep.Events++
			path, ctype = "/slack/events", "application/json"
			ts := fmt.Sprintf("%d.%06d", time.Now().Unix(), i%1000000)
			body, _ = json.Marshal(map[string]any{
				"type": "event_callback", "team_id": "TLOAD", "api_app_id": "ALOAD",
				"event_id": fmt.Sprintf("Ev%s%d", cfg.RunID, i), "event_time": time.Now().Unix(),
				"event": map[string]any{"type": "message", "channel": channel, "channel_type": "channel",
					"user": fmt.Sprintf("ULOAD%03d", i%50), "text": "load test chatter", "ts": ts, "event_ts": ts},
			})
		}
		wg.Go(func() { send(path, ctype, body, 0) })
		if cfg.RetryEvery > 0 && i%cfg.RetryEvery == cfg.RetryEvery-1 {
			rep.Retries++
			wg.Go(func() { send(path, ctype, body, 1) })
		}
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	if rep.Elapsed > 0 {
		rep.Rate = float64(rep.Sent) / rep.Elapsed.Seconds()
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		k := int(float64(len(latencies))*p+0.999999) - 1
		return latencies[max(0, min(k, len(latencies)-1))]
	}
	rep.P50, rep.P90, rep.P99, rep.P999 = pct(0.50), pct(0.90), pct(0.99), pct(0.999)
	if len(latencies) > 0 {
		rep.Max = latencies[len(latencies)-1]
	}
	return rep, nil
}
