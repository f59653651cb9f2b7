package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The ladder half of TestKillReplicaUnderLoad: some of the incidents go
// through their intake in the thread (signed Slack message events) and are
// escalated with /payissue escalate before the replica is killed, on a
// three-level ladder of short waits; nobody acknowledges. Every level's
// "Engaged …" thread post must reach Slack exactly once per incident,
// whichever replica runs the step and whichever dies.

// killLadderConfig is a policy whose one rule climbs three levels a few
// seconds apart. The contacts have no chat handle, so each level is one
// thread post (no direct messages).
const killLadderConfig = `scheduler_tick: 1s
team:
  - {id: first, name: First Line}
  - {id: second, name: Second Line}
  - {id: third, name: Third Line}
routing:
  - name: default
    ladder:
      - {contact: team:first, wait: 4s}
      - {contact: team:second, wait: 4s}
      - {contact: team:third, wait: 4s}
`

// killLadderLevels is the number of levels in killLadderConfig.
const killLadderLevels = 3

var engagedLevel = regexp.MustCompile(`Engaged .*\(level (\d+) of \d+, rule default\)`)

// ladderCounter counts "Engaged … (level L" thread posts per thread.
type ladderCounter struct {
	mu    sync.Mutex
	posts map[string]map[int]int // channel/thread -> level -> posts
}

func newLadderCounter(api *slackRecorder) *ladderCounter {
	lc := &ladderCounter{posts: map[string]map[int]int{}}
	api.mu.Lock()
	api.onThread = func(channel, thread, text string) {
		for _, m := range engagedLevel.FindAllStringSubmatch(text, -1) {
			lv, _ := strconv.Atoi(m[1])
			lc.mu.Lock()
			k := channel + "/" + thread
			if lc.posts[k] == nil {
				lc.posts[k] = map[int]int{}
			}
			lc.posts[k][lv]++
			lc.mu.Unlock()
		}
	}
	api.mu.Unlock()
	return lc
}

// complete reports whether every thread in threads has reached the last
// level.
func (lc *ladderCounter) complete(threads []string) bool {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	for _, th := range threads {
		if lc.posts[th][killLadderLevels] == 0 {
			return false
		}
	}
	return true
}

// check fails the test unless each thread got each level exactly once.
func (lc *ladderCounter) check(t *testing.T, threads []string) {
	t.Helper()
	lc.mu.Lock()
	defer lc.mu.Unlock()
	steps, bad := 0, 0
	for _, th := range threads {
		for lv := 1; lv <= killLadderLevels; lv++ {
			switch k := lc.posts[th][lv]; k {
			case 1:
				steps++
			default:
				bad++
				t.Errorf("ladder of %s: level %d posted %d times, want once", th, lv, k)
			}
		}
	}
	t.Logf("ladders: %d incidents, %d of %d steps posted exactly once", len(threads), steps, len(threads)*killLadderLevels)
}

func writeKillLadderConfig(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "paybot.yaml")
	if err := os.WriteFile(p, []byte(killLadderConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// intakeAnswers answers each intake step (the step names of incidents/intake).
var intakeAnswers = map[string]string{
	"category":        "1",
	"provider":        "stripe",
	"environment":     "production",
	"started_at":      "10 min ago",
	"impact":          "60%",
	"error_messages":  "Stripe says do_not_honor, HTTP 402",
	"transaction_ids": "skip",
	"payment_methods": "visa",
	"steps_taken":     "retried twice",
	"confirm":         "yes",
}

// escalateLadder drives the intake of the incident opened by command i
// (its text holds "kill test incident i:") in its thread, answering the
// step the store says is next, then escalates it, and returns once the
// store has it escalated. It returns the thread as "channel/thread_ts".
// send posts a signed request to some replica; escalations counts the
// escalate commands sent.
func escalateLadder(ctx context.Context, c *pgxpool.Pool, i int, send func(path, contentType, body string) bool, seq, escalations *atomic.Int64) (string, error) {
	like := fmt.Sprintf("%%kill test incident %d:%%", i)
	deadline := time.Now().Add(90 * time.Second)
	last, sentAt, escAt := "", time.Time{}, time.Time{}
	for time.Now().Before(deadline) {
		var ref, status, step, channel, thread string
		err := c.QueryRow(ctx, `SELECT ref, status, coalesce(intake->>'step', ''), conv_channel, conv_thread
			FROM incidents WHERE title LIKE $1`, like).Scan(&ref, &status, &step, &channel, &thread)
		if err != nil || thread == "" {
			time.Sleep(100 * time.Millisecond) // not stored or no card yet
			continue
		}
		if status == "escalated" {
			return channel + "/" + thread, nil
		}
		if status != "intake" {
			// Escalate; ask again, as a person would, when it has not
			// taken after a while (refused on a concurrent change of the
			// incident, say).
			if time.Since(escAt) < 10*time.Second {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			text := fmt.Sprintf("escalate %s kill test ladder", ref)
			if send("/slack/commands", "application/x-www-form-urlencoded", slashForm(channel, text, fmt.Sprintf("esc-%d-%d", i, seq.Add(1)))) {
				escAt = time.Now()
				escalations.Add(1)
			}
			continue
		}
		// Answer a step once; answer it again only if it is still asked
		// after a while (the answer went to a replica that died).
		if step == last && time.Since(sentAt) < 5*time.Second {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		a, ok := intakeAnswers[step]
		if !ok {
			a = "skip"
		}
		ts := fmt.Sprintf("1800000000.%06d", seq.Add(1))
		ev, _ := json.Marshal(map[string]any{
			"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
			"event_id": "EvLadder" + ts, "event_time": time.Now().Unix(),
			"event": map[string]any{"type": "message", "channel": channel, "user": "U1", "text": a, "ts": ts,
				"thread_ts": thread, "channel_type": "channel", "event_ts": ts},
		})
		if send("/slack/events", "application/json", string(ev)) {
			last, sentAt = step, time.Now()
		}
	}
	return "", fmt.Errorf("incident of command %d: not escalated in time", i)
}

func slashForm(channel, text, trigger string) string {
	return url.Values{"command": {"/payissue"}, "text": {text}, "channel_id": {channel}, "user_id": {"U1"},
		"user_name": {"ana"}, "team_id": {"T1"}, "trigger_id": {trigger}}.Encode()
}

// postSigned posts body to base+path signed with the ops test secret and
// reports whether the replica answered 200.
func postSigned(base, path, contentType, body string) bool {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(opsTestSecret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
