package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/paybot/paybot/bot"
)

const (
	testSecret  = "8f742231b10e8888abcd99yyyzzz85a5"
	testBotUser = "UBOT0001"
)

// apiCall is one Web API call seen by the fake Slack.
type apiCall struct {
	Method string
	Form   url.Values
	TS     string // ts returned, for posts
}

// fakeSlack is slacktest's server plus binders for the methods it lacks
// (chat.update, views.open, conversations.open) and recording versions of
// chat.postMessage and chat.postEphemeral that return unique ts values
// (slacktest's own returns whole seconds, which collide).
type fakeSlack struct {
	*slacktest.Server
	mu    sync.Mutex
	calls []apiCall
	seq   atomic.Int64
	// before, when set, may answer a call itself (429, 500) and return true.
	before func(method string, form url.Values, w http.ResponseWriter) bool
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{}
	rec := func(method string, reply func(form url.Values, ts string) any) slacktest.Binder {
		return func(c slacktest.Customize) {
			c.Handle("/"+method, func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				form, _ := url.ParseQuery(string(body))
				if r.Header.Get("Content-Type") == "application/json" {
					form = url.Values{"json": {string(body)}}
				}
				f.mu.Lock()
				before := f.before
				f.mu.Unlock()
				if before != nil && before(method, form, w) {
					return
				}
				ts := fmt.Sprintf("1700000000.%06d", f.seq.Add(1))
				f.mu.Lock()
				f.calls = append(f.calls, apiCall{Method: method, Form: form, TS: ts})
				f.mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(reply(form, ts))
			})
		}
	}
	okTS := func(form url.Values, ts string) any {
		return map[string]any{"ok": true, "channel": form.Get("channel"), "ts": ts, "message_ts": ts, "text": form.Get("text")}
	}
	f.Server = slacktest.NewTestServer(
		rec("chat.postMessage", okTS),
		rec("chat.postEphemeral", okTS),
		rec("chat.update", func(form url.Values, _ string) any {
			return map[string]any{"ok": true, "channel": form.Get("channel"), "ts": form.Get("ts"), "text": form.Get("text")}
		}),
		rec("views.open", func(url.Values, string) any {
			return map[string]any{"ok": true, "view": map[string]any{"id": "V0001"}}
		}),
		rec("conversations.open", func(url.Values, string) any {
			return map[string]any{"ok": true, "channel": map[string]any{"id": "D0001"}}
		}),
		rec("auth.test", func(url.Values, string) any {
			return map[string]any{"ok": true, "user_id": testBotUser, "user": "paybot", "team_id": "T0001", "bot_id": "B0001"}
		}),
	)
	f.Start()
	t.Cleanup(f.Stop)
	return f
}

func (f *fakeSlack) Calls(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// waitCalls waits until at least n calls of method were seen.
func (f *fakeSlack) waitCalls(t testing.TB, method string, n int) []apiCall {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cs := f.Calls(method); len(cs) >= n {
			return cs
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("want %d %s calls, saw %d", n, method, len(f.Calls(method)))
	return nil
}

// fakeHandler records events and, like the engine's inbox, ignores an id
// it has seen.
type fakeHandler struct {
	mu     sync.Mutex
	events []bot.Event
	seen   map[string]bool
	calls  atomic.Int64
	err    error
}

func (h *fakeHandler) HandleEvent(_ context.Context, ev bot.Event) error {
	h.calls.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return h.err
	}
	if h.seen == nil {
		h.seen = map[string]bool{}
	}
	if h.seen[ev.ID] {
		return nil
	}
	h.seen[ev.ID] = true
	h.events = append(h.events, ev)
	return nil
}

func (h *fakeHandler) Events() []bot.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bot.Event(nil), h.events...)
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// harness is an adapter serving its routes on an httptest server, with its
// Web API pointed at a fake Slack.
type harness struct {
	t   testing.TB
	api *fakeSlack
	a   *Adapter
	h   *fakeHandler
	srv *httptest.Server
}

func newHarness(t testing.TB, mod ...func(*Options)) *harness {
	t.Helper()
	api := newFakeSlack(t)
	opts := Options{
		BotToken:        "xoxb-test",
		SigningSecret:   testSecret,
		APIURL:          api.GetAPIURL(),
		Logger:          testLogger(t),
		ChannelInterval: time.Millisecond,
		BackoffBase:     5 * time.Millisecond,
	}
	for _, m := range mod {
		m(&opts)
	}
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeHandler{}
	a.SetHandler(h)
	a.setBotUser(testBotUser)
	mux := http.NewServeMux()
	a.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &harness{t: t, api: api, a: a, h: h, srv: srv}
}

// sign returns Slack's v0 signature of body at ts.
func sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// post sends a correctly signed request unless mod changes it.
func (h *harness) post(path, contentType string, body []byte, mod ...func(*http.Request)) (*http.Response, string) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Slack-Signature", sign(testSecret, ts, body))
	for _, m := range mod {
		m(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

const formType = "application/x-www-form-urlencoded"

func (h *harness) command(text, trigger string, mod ...func(*http.Request)) (*http.Response, string) {
	return h.post("/slack/commands", formType, []byte(commandForm(text, trigger)), mod...)
}

func (h *harness) event(body string, mod ...func(*http.Request)) (*http.Response, string) {
	return h.post("/slack/events", "application/json", []byte(body), mod...)
}

func (h *harness) interaction(payload string, mod ...func(*http.Request)) (*http.Response, string) {
	return h.post("/slack/interactions", formType, []byte(url.Values{"payload": {payload}}.Encode()), mod...)
}

// commandForm is Slack's documented slash-command example.
func commandForm(text, trigger string) string {
	return url.Values{
		"token":        {"gIkuvaNzQIHg97ATvDxqgjtO"},
		"team_id":      {"T0001"},
		"team_domain":  {"example"},
		"channel_id":   {"C2147483705"},
		"channel_name": {"test"},
		"user_id":      {"U2147483697"},
		"user_name":    {"Steve"},
		"command":      {"/payissue"},
		"text":         {text},
		"response_url": {"https://hooks.slack.com/commands/1234/5678"},
		"trigger_id":   {trigger},
		"api_app_id":   {"A123456"},
	}.Encode()
}

// messageEvent is an Events API callback with a message event.
func messageEvent(eventID, channel, thread, ts, user, text string) string {
	inner := map[string]any{
		"type": "message", "channel": channel, "user": user, "text": text,
		"ts": ts, "event_ts": ts, "channel_type": "channel",
	}
	if thread != "" {
		inner["thread_ts"] = thread
	}
	return callback(eventID, inner)
}

func callback(eventID string, inner map[string]any) string {
	b, _ := json.Marshal(map[string]any{
		"token": "XXYYZZ", "team_id": "T0001", "api_app_id": "A123456",
		"event": inner, "type": "event_callback", "event_id": eventID, "event_time": 1355517523,
		"authorizations": []map[string]any{{"team_id": "T0001", "user_id": testBotUser, "is_bot": true}},
	})
	return string(b)
}

// blockAction is a block_actions payload for a button press.
func blockAction(trigger, channel, messageTS, threadTS, actionID, value string) string {
	container := map[string]any{"type": "message", "message_ts": messageTS, "channel_id": channel, "is_ephemeral": false}
	if threadTS != "" {
		container["thread_ts"] = threadTS
	}
	b, _ := json.Marshal(map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": "U2147483697", "username": "steve", "name": "steve", "team_id": "T0001"},
		"api_app_id": "A123456", "token": "XXYYZZ", "trigger_id": trigger,
		"team":         map[string]any{"id": "T0001", "domain": "example"},
		"container":    container,
		"channel":      map[string]any{"id": channel, "name": "test"},
		"message":      map[string]any{"type": "message", "ts": messageTS, "thread_ts": threadTS, "text": "card"},
		"response_url": "https://hooks.slack.com/actions/T0001/1/2",
		"actions": []map[string]any{{
			"action_id": actionID, "block_id": "b1", "type": "button", "value": value,
			"text": map[string]any{"type": "plain_text", "text": "x"}, "action_ts": "1700000001.000100",
		}},
	})
	return string(b)
}
