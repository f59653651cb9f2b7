package discord

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"crypto/ed25519"

	"github.com/bwmarrin/discordgo"
	"github.com/jackc/pgx/v5"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/postgres"
	"github.com/paybot/paybot/incidents/sqlite"
)

// Several `paybot serve` replicas on one database: an interaction reaches
// one replica, its answer is delivered by another. These tests run each
// scenario on a SQLite file opened twice and, with PAYBOT_TEST_POSTGRES set,
// on one PostgreSQL schema through two pools.

// sharedDB is one database seen by two replicas.
type sharedDB struct {
	a, b incidents.Store
	// scan fails the test when any of secrets is stored in clear anywhere
	// in the database (as text, or hex-encoded in a binary column).
	scan func(t *testing.T, secrets []string)
}

func forEachSharedDB(t *testing.T, run func(t *testing.T, db sharedDB)) {
	t.Run("sqlite", func(t *testing.T) { run(t, openSQLitePair(t)) })
	t.Run("postgres", func(t *testing.T) { run(t, openPostgresPair(t)) })
}

func openSQLitePair(t *testing.T) sharedDB {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "paybot.db")
	open := func() incidents.Store {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	return sharedDB{a: open(), b: open(), scan: func(t *testing.T, secrets []string) {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Error(err)
			return
		}
		for _, e := range entries { // paybot.db, -wal, -shm
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				continue // a -shm or -wal file may come and go
			}
			for _, s := range secrets {
				if bytes.Contains(data, []byte(s)) {
					t.Errorf("%s holds %q in clear", e.Name(), s)
				}
			}
		}
	}}
}

func openPostgresPair(t *testing.T) sharedDB {
	t.Helper()
	dsn := os.Getenv("PAYBOT_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("set PAYBOT_TEST_POSTGRES to a postgres:// URL to run on PostgreSQL")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("PAYBOT_TEST_POSTGRES: %v", err)
	}
	schema := fmt.Sprintf("paybot_discord_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	open := func() incidents.Store {
		s, err := postgres.Open(ctx, u.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	var mu sync.Mutex // conn is not safe for concurrent use
	return sharedDB{a: open(), b: open(), scan: func(t *testing.T, secrets []string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, schema)
		if err != nil {
			t.Error(err)
			return
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(tables) == 0 {
			t.Errorf("tables of %s: %v %v", schema, tables, err)
			return
		}
		for _, tb := range tables {
			var text string
			if err := conn.QueryRow(ctx, `SELECT coalesce(string_agg(t::text, E'\n'), '') FROM `+schema+`.`+tb+` t`).Scan(&text); err != nil {
				t.Error(err)
				continue
			}
			for _, s := range secrets {
				if strings.Contains(text, s) || strings.Contains(text, hex.EncodeToString([]byte(s))) {
					t.Errorf("table %s holds %q in clear", tb, s)
				}
			}
		}
	}}
}

// logSink collects every replica's log lines, at debug level.
type logSink struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logSink) logger(replica string) *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug})).With("replica", replica)
}

// noneIn fails when any secret appears in the collected logs.
func (l *logSink) noneIn(t *testing.T, secrets ...string) {
	t.Helper()
	logs := l.String()
	if logs == "" {
		t.Error("no log lines collected: the check would prove nothing")
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("a log line holds the token %q", s)
		}
	}
}

// replicaTransport marks every REST call with the replica that made it.
// failWebhooks > 0 makes that many calls to /webhooks/ fail before they
// leave, as a reset connection does: the client's error then names the
// whole URL, token included.
type replicaTransport struct {
	name         string
	failWebhooks atomic.Int32
}

func (r *replicaTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.Contains(req.URL.Path, "/webhooks/") && r.failWebhooks.Add(-1) >= 0 {
		return nil, errors.New("connection reset by peer")
	}
	req = req.Clone(req.Context())
	req.Header.Set("X-Test-Replica", r.name)
	return http.DefaultTransport.RoundTrip(req)
}

// newReplica is one replica's Discord adapter on the shared store, with its
// own interactions endpoint.
func newReplica(t *testing.T, fake *fakeDiscord, name string, replies ReplyStore, logs *logSink, key string) (*Adapter, *httptest.Server) {
	a, srv, _ := newReplicaT(t, fake, name, replies, logs, key)
	return a, srv
}

func newReplicaT(t *testing.T, fake *fakeDiscord, name string, replies ReplyStore, logs *logSink, key string) (*Adapter, *httptest.Server, *replicaTransport) {
	t.Helper()
	rt := &replicaTransport{name: name}
	a, err := New(Config{Token: "test-token", AppID: "app1", PublicKey: testPublicKey(), APIURL: fake.URL, Mode: ModeHTTP},
		Options{Logger: logs.logger(name), Transport: rt, Replies: replies, ReplyKey: key})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+InteractionsPath, a.InteractionsHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return a, srv, rt
}

// postSigned posts body to srv's interactions endpoint, signed now.
func postSigned(t *testing.T, srv *httptest.Server, body string) (int, string) {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest("POST", srv.URL+InteractionsPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature-Timestamp", ts)
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(testKey, []byte(ts+body))))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func asReplies(t *testing.T, s incidents.Store) ReplyStore {
	t.Helper()
	r, ok := s.(ReplyStore)
	if !ok {
		t.Fatalf("%T does not keep reply state", s)
	}
	return r
}

// TestReplicasShareInteractions: replica A receives the interactions,
// replica B (and A) answer them through the shared store.
func TestReplicasShareInteractions(t *testing.T) {
	forEachSharedDB(t, func(t *testing.T, db sharedDB) {
		ctx := context.Background()
		fake := newFakeDiscord(t)
		logs := &logSink{}
		a, srvA := newReplica(t, fake, "A", asReplies(t, db.a), logs, "")
		b, _ := newReplica(t, fake, "B", asReplies(t, db.b), logs, "")
		rec := &recorder{}
		a.SetHandler(rec)
		tok := "TOKEN-one-8c1f0a77e2d94b6f"
		fake.tokenChannel(tok, "c1")
		if code, resp := postSigned(t, srvA, commandBody("1300000000000020001", tok, "c1", "list", nil)); code != 200 || respType(t, resp) != 5 {
			t.Fatalf("command: %d %s", code, resp)
		}
		ev := rec.got()[0]
		if ev.ReplyToken == "" || strings.Contains(ev.ReplyToken, tok) {
			t.Fatalf("reply token %q", ev.ReplyToken)
		}

		// 1. Both replicas answer at once (the outbox never does that in
		// one channel, but the claim must not rely on it): one fills the
		// deferred original, every other answer is a follow-up.
		const n = 6
		refs := make([]bot.MessageRef, n)
		var wg sync.WaitGroup
		for i := range n {
			r := a
			if i%2 == 1 {
				r = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				ref, err := r.Post(ctx, bot.Message{Conversation: ev.Conversation, Kind: bot.KindText, Text: fmt.Sprintf("answer %d", i), ReplyToken: ev.ReplyToken})
				if err != nil {
					t.Error(err)
				}
				refs[i] = ref
			}()
		}
		wg.Wait()
		if got := len(fake.find("PATCH /webhooks/app1/" + tok + "/messages/@original")); got != 1 {
			t.Fatalf("deferred original edited %d times, want 1: %v", got, fake.paths())
		}
		if got := len(fake.find("POST /webhooks/app1/" + tok)); got != n-1 {
			t.Fatalf("%d follow-ups, want %d: %v", got, n-1, fake.paths())
		}

		// 2. What one replica sent through the interaction, the other edits
		// through the interaction's webhook.
		if err := a.Update(ctx, refs[1], bot.Message{Conversation: ev.Conversation, Kind: bot.KindText, Text: "answer 1, edited"}); err != nil {
			t.Fatal(err)
		}
		if e := fake.find("PATCH /webhooks/app1/" + tok + "/messages/" + refs[1].ID); len(e) != 1 || e[0].Replica != "A" {
			t.Fatalf("edit of B's message by A: %+v", e)
		}

		// 3. A private notice without a reply token goes through the
		// person's latest interaction in the channel, which A received (and
		// recorded right after answering it).
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if r, err := b.latestFor(ctx, "u1", "c1"); err != nil || r != nil || time.Now().After(deadline) {
				break
			}
		}
		before := len(fake.find("POST /webhooks/app1/" + tok))
		if err := b.PostEphemeral(ctx, ev.User, bot.Message{Conversation: ev.Conversation, Kind: bot.KindNotice, Text: "only you see this", To: &ev.User}); err != nil {
			t.Fatal(err)
		}
		// 4. So does an answer through the reply route.
		if err := b.Respond(ctx, ev.ReplyToken, bot.Message{Conversation: ev.Conversation, Kind: bot.KindNotice, Text: "through the route"}); err != nil {
			t.Fatal(err)
		}
		fu := fake.find("POST /webhooks/app1/" + tok)
		if len(fu) != before+2 {
			t.Fatalf("%d follow-ups after the notice and the response, want %d", len(fu), before+2)
		}
		for _, r := range fu[before:] {
			if r.Replica != "B" || fmt.Sprint(r.Body["flags"]) != "64" {
				t.Fatalf("private follow-up %+v: want ephemeral (flags 64) from B", r)
			}
		}

		// 5. B is faster than A's acknowledgement reaching Discord: the
		// token is refused at first, B calls again within the 3-second
		// window and fills the original.
		tok2 := "TOKEN-two-5be0c3d19a6f4e21"
		if code, _ := postSigned(t, srvA, commandBody("1300000000000020002", tok2, "c1", "list", nil)); code != 200 {
			t.Fatalf("second command: %d", code)
		}
		ev2 := rec.got()[1]
		go func() {
			time.Sleep(250 * time.Millisecond)
			fake.tokenChannel(tok2, "c1")
		}()
		if _, err := b.Post(ctx, bot.Message{Conversation: ev2.Conversation, Kind: bot.KindText, Text: "early answer", ReplyToken: ev2.ReplyToken}); err != nil {
			t.Fatal(err)
		}
		if got := fake.find("PATCH /webhooks/app1/" + tok2 + "/messages/@original"); len(got) < 2 {
			t.Fatalf("%d edits of the original: want a refusal, then a retry", len(got))
		}
		if got := fake.find("POST /channels/c1/messages"); len(got) != 0 {
			t.Fatalf("fell back to channel posts: %+v", got)
		}

		// 6. A replica with another key cannot open the route: the answer
		// goes to the channel, and its log says why.
		c, _ := newReplica(t, fake, "C", asReplies(t, db.a), logs, "a different PAYBOT_REPLY_KEY")
		if _, err := c.Post(ctx, bot.Message{Conversation: ev.Conversation, Kind: bot.KindText, Text: "misconfigured", ReplyToken: ev.ReplyToken}); err != nil {
			t.Fatal(err)
		}
		if got := fake.find("POST /channels/c1/messages"); len(got) != 1 || got[0].Replica != "C" {
			t.Fatalf("channel posts %+v, want one from C", got)
		}
		if !strings.Contains(logs.String(), "PAYBOT_REPLY_KEY") {
			t.Error("the misconfigured replica did not say why it could not answer through the interaction")
		}

		logs.noneIn(t, tok, tok2)
		db.scan(t, []string{tok, tok2})
	})
}

// receiveOnly is a replica's handler that records the event in the inbox
// (as Engine.Accept does) and commits its effects, replies queued in the
// outbox, without ever delivering: here only the other replica delivers.
// After each step it scans the database for the tokens in clear.
type receiveOnly struct {
	e     *bot.Engine
	s     incidents.Store
	check func()
}

func (r receiveOnly) HandleEvent(ctx context.Context, ev bot.Event) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	if err := r.s.EnqueueEvent(ctx, ev.ID, payload, time.Now(), ev.MessageKeys...); err != nil {
		if errors.Is(err, incidents.ErrDuplicate) {
			return nil
		}
		return err
	}
	r.check() // the inbox payload holds the sealed route
	if err := r.e.Commit(ctx, ev); err != nil {
		return err
	}
	r.check() // the outbox's reply_token holds the sealed route
	return nil
}

// TestReplicasIncident runs an incident whose every interaction reaches
// replica A and whose every message is delivered by replica B: the
// deferred original is filled exactly once, answers to later interactions
// are their follow-ups, the card is edited through the open command's
// webhook, nothing falls back to a channel post, and no token is logged or
// stored in clear.
func TestReplicasIncident(t *testing.T) {
	forEachSharedDB(t, func(t *testing.T, db sharedDB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		fake := newFakeDiscord(t)
		logs := &logSink{}
		a, srvA := newReplica(t, fake, "A", asReplies(t, db.a), logs, "")
		b, _, rtB := newReplicaT(t, fake, "B", asReplies(t, db.b), logs, "")
		// B's first attempt at the card fails on the way out; the error
		// names the webhook URL, so the token, unless hidden.
		rtB.failWebhooks.Store(1)
		engA := bot.NewEngine(bot.Config{Store: db.a, Logger: logs.logger("engine A")})
		engA.AddAdapter(a)
		engB := bot.NewEngine(bot.Config{Store: db.b, Logger: logs.logger("engine B"), Tick: 20 * time.Millisecond})
		engB.AddAdapter(b)
		done := make(chan struct{})
		go func() { defer close(done); _ = engB.RunOutbox(ctx, 20*time.Millisecond) }()
		defer func() { cancel(); <-done }()

		tokOpen, tokCat, tokProv, tokEnv := "TOKEN-open-3f9d2a7c51e8", "TOKEN-cat-b81e07d4c2a9", "TOKEN-prov-6a2c94e1f07b", "TOKEN-env-d05f3b8a9e16"
		tokens := []string{tokOpen, tokCat, tokProv, tokEnv}
		a.SetHandler(receiveOnly{e: engA, s: db.a, check: func() { db.scan(t, tokens) }})

		fake.tokenChannel(tokOpen, "c1")
		if code, resp := postSigned(t, srvA, commandBody("1300000000000030001", tokOpen, "c1", "open", map[string]string{"summary": "checkout declines spiking"})); code != 200 || respType(t, resp) != 5 {
			t.Fatalf("open: %d %s", code, resp)
		}
		cardReq := fake.waitFor("PATCH /webhooks/app1/"+tokOpen+"/messages/@original", 1)[0]
		if js := mustJSON(cardReq.Body); !strings.Contains(js, "PAY-1") || cardReq.Replica != "B" {
			t.Fatalf("card from %q: %s", cardReq.Replica, js)
		}
		threadReq := fake.waitFor("/threads", 1)[0]
		cardID := strings.Split(threadReq.Path, "/")[4] // /channels/c1/messages/<card>/threads
		thread := cardID

		seen := 0
		waitQ := func(want string) map[string]any {
			t.Helper()
			return nextThreadMessage(t, fake, thread, &seen, want, 10*time.Second)
		}

		typed := func(id, text string) {
			a.onMessageCreate(a.Session(), &discordgo.MessageCreate{Message: &discordgo.Message{
				ID: id, ChannelID: thread, Type: discordgo.MessageTypeDefault, Content: text,
				Author: &discordgo.User{ID: "u1", Username: "alice"},
			}})
		}
		pick := func(id, tok, custom string, kind int, values []string) {
			t.Helper()
			fake.tokenChannel(tok, thread)
			q := waitQ(custom)
			if code, resp := postSigned(t, srvA, componentBody(id, tok, thread, "c1", q["id"].(string), custom, kind, values)); code != 200 || respType(t, resp) != 6 {
				t.Fatalf("%s: %d %s", custom, code, resp)
			}
		}
		pick("1300000000000030002", tokCat, "pb:pick:category:0", 3, []string{"declines"})
		pick("1300000000000030003", tokProv, "pb:pick:provider:0", 3, []string{"stripe"})
		pick("1300000000000030004", tokEnv, "pb:step:environment:production", 2, nil)
		// Each answer's next question came back as a follow-up of the
		// interaction that answered, sent by B.
		for _, tok := range []string{tokCat, tokProv, tokEnv} {
			if fu := fake.waitFor("POST /webhooks/app1/"+tok, 1); fu[0].Replica != "B" {
				t.Fatalf("follow-up of %s from %q", tok, fu[0].Replica)
			}
		}
		waitQ("When did it start")
		typed("1300000000000030005", "10 min ago")
		waitQ("share of payments")
		typed("1300000000000030006", "30%")
		waitQ("error messages")
		typed("1300000000000030007", "response code 05 do_not_honor")
		waitQ("transaction ids")
		typed("1300000000000030008", "skip")
		waitQ("pb:pick:payment_methods:0")
		typed("1300000000000030009", "visa")
		waitQ("What have you tried")
		typed("1300000000000030010", "skip")
		waitQ("Does this look right")
		typed("1300000000000030011", "yes")
		waitQ("is open as")
		// The card is edited through the open command's webhook, which B
		// found in the shared store.
		edit := fake.waitFor("PATCH /webhooks/app1/"+tokOpen+"/messages/"+cardID, 1)[0]
		if js := mustJSON(edit.Body); !strings.Contains(js, `"open"`) || edit.Replica != "B" {
			t.Fatalf("card edit from %q: %s", edit.Replica, js)
		}

		if got := len(fake.find("PATCH /webhooks/app1/" + tokOpen + "/messages/@original")); got != 1 {
			t.Fatalf("deferred original edited %d times, want exactly 1", got)
		}
		for _, r := range fake.requests() {
			if r.Method == "POST" && r.Path == "/channels/c1/messages" {
				t.Fatalf("a message fell back to a channel post: %s", mustJSON(r.Body))
			}
			if r.Method == "PATCH" && strings.HasPrefix(r.Path, "/channels/") {
				t.Fatalf("a message was edited through the channel, not the webhook: %s", r.Path)
			}
			if r.Replica != "B" && r.Method != "GET" {
				t.Fatalf("replica %q sent %s %s: only B delivers", r.Replica, r.Method, r.Path)
			}
		}
		if !strings.Contains(logs.String(), "[redacted]") {
			t.Errorf("the failed delivery was not logged with its URL's token hidden:\n%s", logs.String())
		}
		logs.noneIn(t, tokens...)
		db.scan(t, tokens)
	})
}
