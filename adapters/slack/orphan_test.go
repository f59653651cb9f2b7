package slack

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/sqlite"
)

// responseURLs is a fake of Slack's response_url endpoint.
type responseURLs struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newResponseURLs(t *testing.T) *responseURLs {
	r := &responseURLs{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, req.URL.Path+" "+string(b))
		r.mu.Unlock()
		w.Write([]byte("ok"))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *responseURLs) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// restartable runs the real engine on a SQLite file behind the real
// handlers; stop cancels it as SIGTERM does in `paybot serve` and waits
// for it to drain, start brings up a new engine on the same file.
type restartable struct {
	t      *testing.T
	h      *harness
	path   string
	store  *sqlite.Store
	cancel context.CancelFunc
	done   chan struct{}
}

func newRestartable(t *testing.T) *restartable {
	r := &restartable{t: t, h: newHarness(t), path: filepath.Join(t.TempDir(), "paybot.db")}
	r.start()
	t.Cleanup(func() { r.stop(); r.store.Close() })
	return r
}

func (r *restartable) start() {
	if r.store == nil {
		st, err := sqlite.Open(context.Background(), r.path)
		if err != nil {
			r.t.Fatal(err)
		}
		r.store = st
	}
	e := bot.NewEngine(bot.Config{Store: r.store, Logger: testLogger(r.t), Tick: 50 * time.Millisecond})
	e.AddAdapter(r.h.a)
	r.h.a.SetHandler(e.Async())
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go func() { defer close(r.done); _ = e.Run(ctx) }()
}

func (r *restartable) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	<-r.done
	r.cancel = nil
}

func (r *restartable) command(channel, text, trigger, responseURL string) {
	r.t.Helper()
	body := url.Values{
		"team_id": {"T0001"}, "channel_id": {channel}, "channel_name": {"payments"}, "user_id": {"U2147483697"},
		"user_name": {"Steve"}, "command": {"/payissue"}, "text": {text}, "response_url": {responseURL},
		"trigger_id": {trigger}, "api_app_id": {"A123456"},
	}.Encode()
	if resp, _ := r.h.post("/slack/commands", formType, []byte(body)); resp.StatusCode != 200 {
		r.t.Fatalf("command status %d", resp.StatusCode)
	}
}

func (r *restartable) incidents() []*incidents.Incident {
	list, err := r.store.ListIncidents(context.Background(), incidents.ListFilter{})
	if err != nil {
		r.t.Fatal(err)
	}
	return list
}

// cards counts the cards posted in channel (top-level posts).
func cards(f *fakeSlack, channel string) int {
	n := 0
	for _, c := range f.Calls("chat.postMessage") {
		if c.Form.Get("channel") == channel && c.Form.Get("thread_ts") == "" {
			n++
		}
	}
	return n
}

// TestOrphanNotInChannel: the bot is not in #payments. The reporter hears
// exactly what to do through response_url, the incident is parked and
// shown so, the same command again makes no second incident, and once the
// bot is invited the card is posted exactly once.
func TestOrphanNotInChannel(t *testing.T) {
	r := newRestartable(t)
	resp := newResponseURLs(t)
	const channel = "CPAYMENTS"
	var invited atomic.Bool
	r.h.api.before = func(method string, form url.Values, w http.ResponseWriter) bool {
		if (method == "chat.postMessage" || method == "chat.postEphemeral") && form.Get("channel") == channel && !invited.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"ok":false,"error":"not_in_channel"}`))
			return true
		}
		return false
	}
	r.command(channel, "payouts delayed since noon", "trig-o1", resp.URL+"/r/1")
	waitFor(t, "the actionable answer through response_url", func() bool { return len(resp.all()) >= 1 })
	got := resp.all()[0]
	if !strings.HasPrefix(got, "/r/1 ") || !strings.Contains(got, "/invite @Paybot") || !strings.Contains(got, `"response_type":"ephemeral"`) {
		t.Fatalf("response_url got %s", got)
	}
	list := r.incidents()
	if len(list) != 1 || list[0].Status != incidents.StatusIntake || list[0].Details.CardProblem == "" || list[0].CardMessage != "" {
		t.Fatalf("incident not parked: %+v", list)
	}
	// /payissue list from a channel the bot is in shows it parked.
	r.command("COPS", "list", "trig-o2", resp.URL+"/r/2")
	waitFor(t, "the list", func() bool {
		for _, c := range r.h.api.Calls("chat.postMessage") {
			if c.Form.Get("channel") == "COPS" && strings.Contains(c.Form.Get("text"), "parked") {
				return true
			}
		}
		return false
	})
	// Help asked in the channel the bot is not in still gets its answer,
	// through the command's response_url.
	r.command(channel, "help", "trig-o2b", resp.URL+"/r/help")
	waitFor(t, "help through response_url", func() bool {
		for _, b := range resp.all() {
			if strings.HasPrefix(b, "/r/help ") && strings.Contains(b, "Commands") {
				return true
			}
		}
		return false
	})
	// The same command again: no second incident, the same advice.
	r.command(channel, "payouts delayed since noon", "trig-o3", resp.URL+"/r/3")
	waitFor(t, "the second answer", func() bool {
		for _, b := range resp.all() {
			if strings.HasPrefix(b, "/r/3 ") && strings.Contains(b, "/invite @Paybot") {
				return true
			}
		}
		return false
	})
	if n := len(r.incidents()); n != 1 {
		t.Fatalf("%d incidents after the retry, want 1", n)
	}
	// Invited: the retry posts the parked incident's card, once.
	invited.Store(true)
	r.command(channel, "payouts delayed since noon", "trig-o4", resp.URL+"/r/4")
	waitFor(t, "the first question in the thread", func() bool {
		for _, c := range r.h.api.Calls("chat.postMessage") {
			if c.Form.Get("channel") == channel && c.Form.Get("thread_ts") != "" {
				return true
			}
		}
		return false
	})
	time.Sleep(200 * time.Millisecond)
	if n := cards(r.h.api, channel); n != 1 {
		t.Fatalf("%d cards, want 1", n)
	}
	list = r.incidents()
	if len(list) != 1 || list[0].Conversation.IsZero() || list[0].CardMessage == "" || list[0].Details.CardProblem != "" {
		t.Fatalf("after the invite: %+v", list)
	}
}

// TestOrphanSIGTERMDuringSlowPost: the fake takes 3 s to post the card and
// the engine is stopped (as SIGTERM stops `paybot serve`) in the middle. It
// drains; after a restart there is exactly one card, linked to its thread.
func TestOrphanSIGTERMDuringSlowPost(t *testing.T) {
	r := newRestartable(t)
	const channel = "CSLOW"
	started := make(chan struct{})
	var once sync.Once
	r.h.api.before = func(method string, form url.Values, w http.ResponseWriter) bool {
		if method == "chat.postMessage" && form.Get("channel") == channel && form.Get("thread_ts") == "" {
			once.Do(func() { close(started) })
			time.Sleep(3 * time.Second)
		}
		return false
	}
	r.command(channel, "card payments failing at checkout", "trig-s1", "https://hooks.slack.com/commands/1/2")
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the card post never started")
	}
	r.stop() // SIGTERM: drains the delivery in flight
	if n := cards(r.h.api, channel); n != 1 {
		t.Fatalf("%d cards when the engine stopped, want the one in flight finished", n)
	}
	r.start()
	waitFor(t, "the first question after the restart", func() bool {
		list := r.incidents()
		return len(list) == 1 && !list[0].Conversation.IsZero()
	})
	time.Sleep(300 * time.Millisecond)
	if n := cards(r.h.api, channel); n != 1 {
		t.Fatalf("%d cards after the restart, want 1", n)
	}
	inc := r.incidents()[0]
	if q := threadPosts(r.h.api, channel, inc.Conversation.Thread); len(q) != 1 {
		t.Fatalf("%d posts in the thread, want the first question once", len(q))
	}
}
