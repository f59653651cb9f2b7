package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
)

// fakeDiscord is a fake Discord REST API. The adapter reaches it through
// DISCORD_API_URL, i.e. the session Client's rewriting transport.
type fakeDiscord struct {
	*httptest.Server
	t *testing.T

	mu       sync.Mutex
	reqs     []fakeReq
	msgs     map[string]map[string]any // message id -> last stored message
	next     atomic.Int64
	tokenCh  map[string]string // interaction token -> channel id
	original map[string]string // interaction token -> @original message id
	threads  map[string]string // thread id -> parent, for threads started here
	fail429  map[string]int    // "METHOD path-prefix" -> remaining 429s
	forbid   map[string]bool   // "METHOD path-prefix" -> answer 403 Missing Access
	// threadExists makes thread starts answer 160004, as for a message that
	// already has a thread.
	threadExists bool
}

type fakeReq struct {
	Method, Path, Auth string
	Body               map[string]any
	At                 time.Time
	// Replica is the X-Test-Replica header a test's transport set: which
	// adapter made the call.
	Replica string
}

func newFakeDiscord(t *testing.T) *fakeDiscord {
	f := &fakeDiscord{t: t, msgs: map[string]map[string]any{}, tokenCh: map[string]string{}, original: map[string]string{}, threads: map[string]string{}, fail429: map[string]int{}}
	f.next.Store(1300000000000000000)
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeDiscord) id() string { return strconv.FormatInt(f.next.Add(1), 10) }

// tokenChannel tells the fake which channel an interaction token answers in.
func (f *fakeDiscord) tokenChannel(token, channel string) {
	f.mu.Lock()
	f.tokenCh[token] = channel
	f.mu.Unlock()
}

// setForbidden makes requests matching method and path prefix answer 403.
func (f *fakeDiscord) setForbidden(method, pathPrefix string, on bool) {
	f.mu.Lock()
	if f.forbid == nil {
		f.forbid = map[string]bool{}
	}
	f.forbid[method+" "+pathPrefix] = on
	f.mu.Unlock()
}

func (f *fakeDiscord) inject429(method, pathPrefix string, n int) {
	f.mu.Lock()
	f.fail429[method+" "+pathPrefix] = n
	f.mu.Unlock()
}

func (f *fakeDiscord) requests() []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeReq(nil), f.reqs...)
}

// find returns the requests whose "METHOD path" contains sub.
func (f *fakeDiscord) find(sub string) []fakeReq {
	var out []fakeReq
	for _, r := range f.requests() {
		if strings.Contains(r.Method+" "+r.Path, sub) {
			out = append(out, r)
		}
	}
	return out
}

// waitFor polls until n requests matching sub arrived.
func (f *fakeDiscord) waitFor(sub string, n int) []fakeReq {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if got := f.find(sub); len(got) >= n {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.t.Fatalf("fake discord: want %d requests matching %q, got %d; all: %v", n, sub, len(f.find(sub)), f.paths())
	return nil
}

func (f *fakeDiscord) paths() []string {
	var out []string
	for _, r := range f.requests() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func (f *fakeDiscord) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if len(raw) > 0 {
		var list []any
		if json.Unmarshal(raw, &list) == nil {
			body = map[string]any{"_list": list}
		} else if err := json.Unmarshal(raw, &body); err != nil {
			http.Error(w, `{"message":"bad json","code":50109}`, http.StatusBadRequest)
			return
		}
	}
	path := r.URL.Path
	if !strings.HasPrefix(path, "/api/v") {
		f.t.Errorf("fake discord: unexpected path %s", path)
		http.NotFound(w, r)
		return
	}
	path = path[strings.Index(path[1:], "/")+1:] // drop /api
	path = path[strings.Index(path[1:], "/")+1:] // drop /vN
	f.mu.Lock()
	f.reqs = append(f.reqs, fakeReq{Method: r.Method, Path: path, Auth: r.Header.Get("Authorization"), Body: body, At: time.Now(),
		Replica: r.Header.Get("X-Test-Replica")})
	for k, n := range f.fail429 {
		m, prefix, _ := strings.Cut(k, " ")
		if n > 0 && m == r.Method && strings.HasPrefix(path, prefix) {
			f.fail429[k] = n - 1
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"message":"You are being rate limited.","retry_after":0.15,"global":false}`)
			return
		}
	}
	for k, on := range f.forbid {
		m, prefix, _ := strings.Cut(k, " ")
		if on && m == r.Method && strings.HasPrefix(path, prefix) {
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"message":"Missing Access","code":50001}`)
			return
		}
	}
	f.mu.Unlock()
	seg := strings.Split(strings.Trim(path, "/"), "/")
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	message := func(id, channel string) map[string]any {
		m := map[string]any{"id": id, "channel_id": channel, "type": 0, "author": map[string]any{"id": "app1", "username": "paybot", "bot": true}}
		for k, v := range body {
			m[k] = v
		}
		f.mu.Lock()
		f.msgs[id] = m
		f.mu.Unlock()
		return m
	}
	switch {
	case r.Method == "POST" && len(seg) == 3 && seg[0] == "channels" && seg[2] == "messages":
		if len([]rune(fmt.Sprint(body["content"]))) > maxContent {
			http.Error(w, `{"message":"Invalid Form Body","code":50035}`, http.StatusBadRequest)
			return
		}
		reply(message(f.id(), seg[1]))
	case r.Method == "PATCH" && len(seg) == 4 && seg[0] == "channels" && seg[2] == "messages":
		reply(message(seg[3], seg[1]))
	case r.Method == "GET" && (path == "/gateway" || path == "/gateway/bot"):
		http.Error(w, `{"message":"no gateway in the fake","code":0}`, http.StatusServiceUnavailable)
	case r.Method == "GET" && len(seg) == 2 && seg[0] == "channels":
		if strings.HasPrefix(seg[1], "oldthread") { // a thread opened before a restart
			reply(map[string]any{"id": seg[1], "type": 11, "guild_id": "g1", "parent_id": "c1"})
			return
		}
		f.mu.Lock()
		parent := f.threads[seg[1]]
		f.mu.Unlock()
		if parent != "" { // a thread started through the fake (by another replica)
			reply(map[string]any{"id": seg[1], "type": 11, "guild_id": "g1", "parent_id": parent})
			return
		}
		reply(map[string]any{"id": seg[1], "type": 0, "guild_id": "g1"})
	case r.Method == "POST" && len(seg) == 5 && seg[0] == "channels" && seg[4] == "threads" && f.threadExists:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"message":"A thread has already been created for this message","code":160004}`)
	case r.Method == "POST" && len(seg) == 5 && seg[0] == "channels" && seg[4] == "threads":
		f.mu.Lock()
		f.threads[seg[3]] = seg[1]
		f.mu.Unlock()
		reply(map[string]any{"id": seg[3], "parent_id": seg[1], "type": 11, "name": body["name"], "guild_id": "g1"})
	case r.Method == "PATCH" && len(seg) == 5 && seg[0] == "webhooks" && seg[3] == "messages":
		f.mu.Lock()
		ch := f.tokenCh[seg[2]]
		id := seg[4]
		if id == "@original" {
			if f.original[seg[2]] == "" {
				f.original[seg[2]] = f.id()
			}
			id = f.original[seg[2]]
		}
		f.mu.Unlock()
		if ch == "" {
			http.Error(w, `{"message":"Unknown Webhook","code":10015}`, http.StatusNotFound)
			return
		}
		reply(message(id, ch))
	case r.Method == "POST" && len(seg) == 3 && seg[0] == "webhooks":
		f.mu.Lock()
		ch := f.tokenCh[seg[2]]
		f.mu.Unlock()
		if ch == "" {
			http.Error(w, `{"message":"Unknown Webhook","code":10015}`, http.StatusNotFound)
			return
		}
		reply(message(f.id(), ch))
	case r.Method == "DELETE" && len(seg) == 5 && seg[0] == "webhooks" && seg[4] == "@original":
		w.WriteHeader(http.StatusNoContent)
	case r.Method == "POST" && len(seg) == 4 && seg[0] == "interactions" && seg[3] == "callback":
		w.WriteHeader(http.StatusNoContent)
	case r.Method == "PUT" && seg[0] == "applications" && seg[len(seg)-1] == "commands":
		var cmds []any
		_ = json.Unmarshal(raw, &cmds)
		reply(cmds)
	case r.Method == "POST" && path == "/users/@me/channels":
		reply(map[string]any{"id": "dm-" + fmt.Sprint(body["recipient_id"]), "type": 1})
	default:
		f.t.Errorf("fake discord: unhandled %s %s", r.Method, path)
		http.NotFound(w, r)
	}
}

// recorder is a fake bot.Handler.
type recorder struct {
	mu     sync.Mutex
	events []bot.Event
	err    error
	then   func(bot.Event)
}

func (r *recorder) HandleEvent(_ context.Context, ev bot.Event) error {
	r.mu.Lock()
	if r.err != nil {
		r.mu.Unlock()
		return r.err
	}
	r.events = append(r.events, ev)
	then := r.then
	r.mu.Unlock()
	if then != nil {
		go then(ev)
	}
	return nil
}

func (r *recorder) got() []bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Event(nil), r.events...)
}

// testKey is the fixed Ed25519 key interactions are signed with.
var testKey = ed25519.NewKeyFromSeed([]byte("paybot-discord-test-seed-32bytes"))

func testPublicKey() string { return hex.EncodeToString(testKey.Public().(ed25519.PublicKey)) }

type harness struct {
	t    *testing.T
	fake *fakeDiscord
	a    *Adapter
	h    *recorder
	srv  *httptest.Server
	now  atomic.Pointer[time.Time]
}

func newHarness(t *testing.T, mode string) *harness {
	t.Helper()
	hs := &harness{t: t, fake: newFakeDiscord(t), h: &recorder{}}
	a, err := New(Config{Token: "test-token", AppID: "app1", PublicKey: testPublicKey(), APIURL: hs.fake.URL, Mode: mode}, Options{
		Logger: quietLogger(),
		Now: func() time.Time {
			if p := hs.now.Load(); p != nil {
				return *p
			}
			return time.Now()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	a.SetHandler(hs.h)
	hs.a = a
	mux := http.NewServeMux()
	mux.Handle("POST "+InteractionsPath, a.InteractionsHandler())
	hs.srv = httptest.NewServer(mux)
	t.Cleanup(hs.srv.Close)
	return hs
}

// advance moves the adapter's clock forward by d.
func (hs *harness) advance(d time.Duration) {
	now := time.Now().Add(d)
	hs.now.Store(&now)
}

// signed posts body as Discord would, signed now with testKey.
func (hs *harness) signed(body string) (int, string) {
	return hs.post(body, strconv.FormatInt(time.Now().Unix(), 10), testKey)
}

func (hs *harness) post(body, ts string, key ed25519.PrivateKey) (int, string) {
	hs.t.Helper()
	req, _ := http.NewRequest("POST", hs.srv.URL+InteractionsPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature-Timestamp", ts)
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(key, []byte(ts+body))))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		hs.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Interaction bodies shaped like the examples in Discord's documentation.

func commandBody(id, token, channel, sub string, opts map[string]string) string {
	var o []map[string]any
	for k, v := range opts {
		o = append(o, map[string]any{"name": k, "type": 3, "value": v})
	}
	return mustJSON(map[string]any{
		"id": id, "application_id": "app1", "type": 2, "token": token, "version": 1,
		"guild_id": "g1", "channel_id": channel, "channel": map[string]any{"id": channel, "type": 0, "guild_id": "g1"},
		"member": map[string]any{"user": map[string]any{"id": "u1", "username": "alice", "global_name": "Alice", "discriminator": "0"}, "roles": []string{}, "joined_at": "2024-01-01T00:00:00Z", "permissions": "2147483647"},
		"locale": "en-US", "guild_locale": "en-US", "app_permissions": "2147483647",
		"data": map[string]any{"id": "cmd1", "name": CommandName, "type": 1, "options": []any{
			map[string]any{"name": sub, "type": 1, "options": o},
		}},
	})
}

func componentBody(id, token, channel, parent, messageID, customID string, componentType int, values []string) string {
	ch := map[string]any{"id": channel, "type": 0, "guild_id": "g1"}
	if parent != "" {
		ch = map[string]any{"id": channel, "type": 11, "guild_id": "g1", "parent_id": parent}
	}
	data := map[string]any{"custom_id": customID, "component_type": componentType}
	if values != nil {
		data["values"] = values
	}
	return mustJSON(map[string]any{
		"id": id, "application_id": "app1", "type": 3, "token": token, "version": 1,
		"guild_id": "g1", "channel_id": channel, "channel": ch,
		"member": map[string]any{"user": map[string]any{"id": "u1", "username": "alice", "discriminator": "0"}, "roles": []string{}, "permissions": "2147483647"},
		"message": map[string]any{"id": messageID, "channel_id": channel, "type": 0, "content": "", "author": map[string]any{"id": "app1", "username": "paybot", "bot": true},
			"components": []any{map[string]any{"type": 1, "components": []any{map[string]any{"type": 2, "style": 1, "label": "x", "custom_id": customID}}}}},
		"data": data,
	})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func respType(t *testing.T, body string) int {
	t.Helper()
	var r struct {
		Type int `json:"type"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("response %q: %v", body, err)
	}
	return r.Type
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func mustUnmarshal(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
}
