package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand"
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

	"github.com/paybot/paybot/adapters/console"
	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents/redact"
	"github.com/paybot/paybot/incidents/sqlite"
	"github.com/paybot/paybot/kb"
)

// TestCardDataStorm sends card numbers in every supported format, CVVs and
// secrets through every text surface of the real paths: signed Slack
// requests (slash commands, thread messages, message_changed edits,
// block_actions, mentions with escalate/resolve reasons, ask, learn, user
// names), signed Discord interactions (commands, modals, components,
// nicknames), the console and `kb import`. Then it scans the whole data
// directory byte by byte (database, -wal, -shm, index files, log) and
// everything the fake platform APIs received and every HTTP answer: no card
// number (its digits in any separator form), no secret, no CVV may be there.
//
// PAYBOT_STORM_N sets the number of messages (default 10,000; 1,000 under
// the race detector, where .ci/run runs the whole storm again without it).
func TestCardDataStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("storm: skipped with -short")
	}
	total := 10000
	if raceEnabled {
		total = 1000
	}
	if v := os.Getenv("PAYBOT_STORM_N"); v != "" {
		total, _ = strconv.Atoi(v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	st := newStorm(t, ctx)

	// Shares of the messages per surface.
	nSlackOpen := max(total/25, 4)
	perThread := 13              // thread answers, edits, actions, mentions per Slack incident
	nDiscord := max(total/10, 4) // open commands; each also sends a modal and a component
	nConsole := max(total/20, 4) // console lines

	nAsk := max(total/40, 4) // search questions and learned answers over Slack
	// imported documents: the rest
	nKB := max(total-nSlackOpen*(1+perThread)-3*nDiscord-nConsole-2*nAsk, 4)
	st.slackOpen(nSlackOpen) // 1 message each
	t.Logf("%s done at %v", "st.slackOpen", time.Since(start).Round(time.Millisecond))
	st.slackThreads(nSlackOpen, perThread) // perThread messages each
	t.Logf("%s done at %v", "st.slackThreads", time.Since(start).Round(time.Millisecond))
	st.discord(nDiscord) // 3 messages each
	t.Logf("%s done at %v", "st.discord", time.Since(start).Round(time.Millisecond))
	st.slackAskLearn(nAsk) // 2 messages each
	t.Logf("%s done at %v", "st.slackAskLearn", time.Since(start).Round(time.Millisecond))
	st.console(nConsole) // nConsole messages
	t.Logf("%s done at %v", "st.console", time.Since(start).Round(time.Millisecond))
	st.kbImport(nKB) // nKB documents
	t.Logf("%s done at %v", "st.kbImport", time.Since(start).Round(time.Millisecond))
	sentAt := time.Now()
	st.drain()
	drainedAt := time.Now()
	t.Logf("storm: %d messages carrying %d card numbers and %d other secrets; %d API calls recorded",
		st.sent.Load(), len(st.cards), st.secrets.Load(), st.rec.count())
	if int(st.sent.Load()) < total {
		t.Errorf("sent %d messages, want about %d", st.sent.Load(), total)
	}
	st.scan()
	st.checkMentions()
	t.Logf("send %v, drain %v, scan %v", sentAt.Sub(start).Round(time.Millisecond),
		drainedAt.Sub(sentAt).Round(time.Millisecond), time.Since(drainedAt).Round(time.Millisecond))
}

type storm struct {
	t     *testing.T
	ctx   context.Context
	rng   *rand.Rand
	rngMu sync.Mutex
	dir   string
	log   *os.File
	store *sqlite.Store
	index *kb.Index
	eng   *bot.Engine
	rec   *apiRecorder
	srv   *httptest.Server // the bot's own HTTP server (Slack routes, Discord interactions)
	seq   atomic.Int64
	sent  atomic.Int64

	secrets atomic.Int64
	mu      sync.Mutex
	cards   map[string]bool // digits of every card number sent
	answers [][]byte        // HTTP answers of the bot's handlers
	outputs bytes.Buffer    // console and CLI output
}

const (
	stormSlackSecret = "storm-signing-secret"
	stormBotUser     = "UBOT0001"
)

var stormDiscordKey = ed25519.NewKeyFromSeed([]byte("paybot-storm-test-seed-32-bytes!"))

func newStorm(t *testing.T, ctx context.Context) *storm {
	st := &storm{t: t, ctx: ctx, rng: rand.New(rand.NewSource(9)), dir: t.TempDir(), cards: map[string]bool{}}
	if err := secureDataDir(st.dir); err != nil {
		t.Fatal(err)
	}
	var err error
	st.log, err = os.OpenFile(filepath.Join(st.dir, "paybot.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(st.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store, err := sqlite.Open(ctx, filepath.Join(st.dir, "paybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.store = store
	st.index, err = kb.Open(ctx, st.dir, kb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.index.Close(); store.Close(); st.log.Close() })
	st.eng = bot.NewEngine(bot.Config{Store: store, KB: &kbSearcher{index: st.index}, Logger: log, Tick: 20 * time.Millisecond})
	st.rec = newAPIRecorder(t)
	mux := http.NewServeMux()
	env := map[string]string{
		"SLACK_BOT_TOKEN":        "xoxb-storm-test-token",
		"SLACK_SIGNING_SECRET":   stormSlackSecret,
		"SLACK_API_URL":          st.rec.slack.URL + "/api/",
		"SLACK_CHANNEL_INTERVAL": "1ms",
		"DISCORD_BOT_TOKEN":      "storm-discord-token",
		"DISCORD_APP_ID":         "app1",
		"DISCORD_PUBLIC_KEY":     hex.EncodeToString(stormDiscordKey.Public().(ed25519.PublicKey)),
		"DISCORD_API_URL":        st.rec.discord.URL + "/",
		"DISCORD_MODE":           "http",
	}
	deps := platformDeps{Lookup: func(k string) string { return env[k] }, Mux: mux, Engine: st.eng, Async: st.eng.Async(), Logger: log}
	for _, setup := range []platformSetup{setupSlack, setupDiscord} {
		if ok, err := setup(ctx, deps); err != nil || !ok {
			t.Fatalf("setup: %v %v", ok, err)
		}
	}
	st.srv = httptest.NewServer(mux)
	t.Cleanup(st.srv.Close)
	go st.eng.Run(ctx)
	return st
}

func (st *storm) intn(n int) int {
	st.rngMu.Lock()
	defer st.rngMu.Unlock()
	return st.rng.Intn(n)
}

// ---- secrets -------------------------------------------------------------

// Every non-card secret holds the marker "Q7x" (or "Q7X", or the base64
// "c3Rvcm06" of "storm:"), so one scan finds any of them.
var stormMarkers = []string{"Q7x", "Q7X", "c3Rvcm06"}

var stormBrands = []struct {
	prefix string
	n      int
}{
	{"4", 16}, {"4", 13}, {"4", 19}, {"51", 16}, {"55", 16}, {"2221", 16}, {"2720", 16}, {"34", 15}, {"37", 15},
	{"6011", 16}, {"65", 16}, {"3528", 16}, {"36", 14}, {"38", 16}, {"62", 19}, {"6759", 16}, {"2200", 16}, {"50", 18},
}

var stormSeparators = []string{" ", "-", ".", "/", "_", "\t", "  ", "\u2013", "\u2014", " - ", "\u00a0", "\u2009",
	"%20", "+", "\n", "\u3000", "\u2212"}

var stormGroupings = map[int][][]int{
	13: {{4, 4, 5}}, 14: {{4, 6, 4}}, 15: {{4, 6, 5}}, 16: {{4, 4, 4, 4}}, 18: {{4, 4, 4, 6}},
	19: {{4, 4, 4, 4, 3}, {4, 6, 9}, {4, 4, 4, 7}},
}

func luhnDigit(p []byte) byte {
	for c := byte('0'); c <= '9'; c++ {
		if redact.Luhn(string(append(p, c))) {
			return c
		}
	}
	panic("unreachable")
}

// card returns a card number in a random supported format and records its
// digits.
func (st *storm) card() string {
	b := stormBrands[st.intn(len(stormBrands))]
	d := []byte(b.prefix)
	for len(d) < b.n-1 {
		d = append(d, byte('0'+st.intn(10)))
	}
	d = append(d, luhnDigit(d))
	num := string(d)
	if !redact.IsCardNumber(num) {
		st.t.Fatalf("generator made a non-card %s", num)
	}
	st.mu.Lock()
	st.cards[num] = true
	st.mu.Unlock()
	gs := stormGroupings[len(num)]
	group := func(sizes []int, sep func() string) string {
		var out strings.Builder
		p := 0
		for i, k := range sizes {
			if i > 0 {
				out.WriteString(sep())
			}
			out.WriteString(num[p : p+k])
			p += k
		}
		return out.String()
	}
	switch f := st.intn(8); {
	case f == 0 || gs == nil:
		return num
	case f <= 2:
		sep := stormSeparators[st.intn(len(stormSeparators))]
		return group(gs[st.intn(len(gs))], func() string { return sep })
	case f == 3: // mixed separators
		return group(gs[st.intn(len(gs))], func() string { return stormSeparators[st.intn(len(stormSeparators))] })
	case f == 4: // zero-width characters inside
		var out strings.Builder
		for i := range num {
			out.WriteByte(num[i])
			if i%3 == 1 && i < len(num)-1 {
				out.WriteString([]string{"\u200b", "\u200d", "\u2060", "\ufeff"}[st.intn(4)])
			}
		}
		return out.String()
	case f == 5: // fullwidth or Arabic-Indic digits
		zero := []rune{'０', '٠', '۰', '०'}[st.intn(4)]
		var out strings.Builder
		for _, c := range group(gs[0], func() string { return " " }) {
			if c >= '0' && c <= '9' {
				out.WriteRune(zero + c - '0')
			} else {
				out.WriteRune(c)
			}
		}
		return out.String()
	case f == 6: // cut by a line break
		k := 4 + st.intn(len(num)-8)
		return num[:k] + "\n" + num[k:]
	default:
		return group(gs[len(gs)-1], func() string { return "-" })
	}
}

func (st *storm) randAlnum(n int) string {
	const a = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = a[st.intn(len(a))]
	}
	return string(b)
}

func (st *storm) cvv() string {
	v := strconv.Itoa(100 + st.intn(9900))
	return []string{"cvv " + v, "the 3 digits on the back are " + v, "security code: " + v, "cvc2 " + v, "CVC: " + v}[st.intn(5)]
}

// secret returns a text holding one non-card secret.
func (st *storm) secret() string {
	st.secrets.Add(1)
	v := "Q7x" + st.randAlnum(9) + "9" // letters and digits
	switch st.intn(14) {
	case 0:
		return "sk_live_Q7x" + st.randAlnum(21)
	case 1:
		return "xoxb-1234567890-Q7x" + st.randAlnum(14)
	case 2:
		return "AKIAQ7X" + strings.ToUpper(st.randAlnum(13))
	case 3:
		return "aws_secret_access_key=" + v + st.randAlnum(20)
	case 4:
		return "key AIzaQ7x" + st.randAlnum(32)
	case 5:
		return "ghp_Q7x" + st.randAlnum(33)
	case 6:
		return "password: " + v
	case 7:
		return `{"client_secret": "` + v + st.randAlnum(8) + `"}`
	case 8:
		return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("storm:"+v))
	case 9:
		return "Authorization: Bearer " + v + st.randAlnum(12)
	case 10:
		return "curl -u ops:" + v + " https://api.example.com/v1"
	case 11:
		return "db at postgres://ops:" + v + "@db.internal/pay"
	case 12:
		return "callback https://hooks.example.com/cb?id=1&token=" + v
	default:
		return "whsec_Q7x" + st.randAlnum(24)
	}
}

// dirty returns a sentence carrying a card, a CVV or a secret, or several.
func (st *storm) dirty() string {
	switch st.intn(4) {
	case 0:
		return "customer paid with " + st.card() + " and got do_not_honor"
	case 1:
		return "card " + st.card() + " " + st.cvv() + " declined"
	case 2:
		return "ops pasted " + st.secret() + " by mistake"
	default:
		return st.card() + " / " + st.secret() + " / " + st.cvv()
	}
}

// ---- Slack ---------------------------------------------------------------

func (st *storm) slackPost(path, contentType, body string) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(stormSlackSecret))
	io.WriteString(mac, "v0:"+ts+":"+body)
	req, _ := http.NewRequest("POST", st.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	st.do(req)
}

func (st *storm) do(req *http.Request) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		st.t.Errorf("%s: HTTP %d %s", req.URL.Path, resp.StatusCode, b)
	}
	st.mu.Lock()
	st.answers = append(st.answers, b)
	st.mu.Unlock()
	st.sent.Add(1)
}

func (st *storm) slashCommand(channel, user, name, text string) {
	n := st.seq.Add(1)
	form := url.Values{
		"token": {"x"}, "team_id": {"T1"}, "team_domain": {"t"}, "channel_id": {channel}, "channel_name": {"c"},
		"user_id": {user}, "user_name": {name}, "command": {"/payissue"}, "text": {text}, "api_app_id": {"A1"},
		"response_url": {st.rec.slack.URL + "/response/" + strconv.FormatInt(n, 10)},
		"trigger_id":   {"trig." + strconv.FormatInt(n, 10)},
	}
	st.slackPost("/slack/commands", "application/x-www-form-urlencoded", form.Encode())
}

func (st *storm) slackEvent(inner map[string]any) {
	n := st.seq.Add(1)
	body, _ := json.Marshal(map[string]any{
		"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
		"event_id": "EvStorm" + strconv.FormatInt(n, 10), "event_time": time.Now().Unix(),
		"authorizations": []any{map[string]any{"team_id": "T1", "user_id": stormBotUser, "is_bot": true}},
		"event":          inner,
	})
	st.slackPost("/slack/events", "application/json", string(body))
}

func (st *storm) parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
}

func slackChannel(i int) string { return fmt.Sprintf("CSTORM%04d", i) }

// slackOpen opens n incidents, one per channel, with a dirty summary and a
// card number as the user name.
func (st *storm) slackOpen(n int) {
	st.parallel(n, func(i int) {
		st.slashCommand(slackChannel(i), fmt.Sprintf("U%04d", i), st.card(), "open checkout failing &lt;!channel&gt; see <https://status.example.com|status>: "+st.dirty())
	})
}

// slackThreads waits for each incident's card and sends perThread messages
// into its thread: answers, edits, block actions, mentions.
func (st *storm) slackThreads(n, perThread int) {
	cards := st.rec.waitSlackCards(st.t, n)
	st.parallel(n, func(i int) {
		ch := slackChannel(i)
		thread, ok := cards[ch]
		if !ok {
			st.t.Errorf("no card posted in %s", ch)
			return
		}
		user := fmt.Sprintf("U%04d", i)
		for k := 0; k < perThread; k++ {
			ts := fmt.Sprintf("1800000000.%06d", st.seq.Add(1))
			switch k % 6 {
			case 0, 1, 2: // an answer or a question in the thread
				st.slackEvent(map[string]any{"type": "message", "channel": ch, "user": user, "text": st.dirty() + " &lt;!channel&gt; &lt;@U9999&gt; &lt;!here&gt;", "ts": ts,
					"thread_ts": thread, "client_msg_id": fmt.Sprintf("cmid-%d-%d", i, k), "channel_type": "channel", "event_ts": ts})
			case 3: // an edit
				st.slackEvent(map[string]any{"type": "message", "subtype": "message_changed", "channel": ch, "hidden": true, "ts": ts, "event_ts": ts,
					"message":          map[string]any{"type": "message", "user": user, "text": "edited: " + st.dirty(), "ts": ts, "thread_ts": thread},
					"previous_message": map[string]any{"type": "message", "user": user, "text": "before", "ts": ts, "thread_ts": thread}})
			case 4: // a button or select, by a user named like a card
				payload, _ := json.Marshal(map[string]any{
					"type": "block_actions", "user": map[string]any{"id": user, "username": st.card(), "name": st.card(), "team_id": "T1"},
					"api_app_id": "A1", "token": "x", "trigger_id": fmt.Sprintf("trig.a.%d", st.seq.Add(1)),
					"team": map[string]any{"id": "T1", "domain": "t"}, "channel": map[string]any{"id": ch, "name": "c"},
					"container":    map[string]any{"type": "message", "message_ts": thread, "channel_id": ch, "thread_ts": thread},
					"message":      map[string]any{"type": "message", "ts": thread, "thread_ts": thread},
					"response_url": st.rec.slack.URL + "/response/a",
					"actions": []any{map[string]any{"action_id": "category|0", "block_id": "step:category", "type": "button",
						"value": st.dirty(), "action_ts": ts}},
				})
				st.slackPost("/slack/interactions", "application/x-www-form-urlencoded", url.Values{"payload": {string(payload)}}.Encode())
			default: // escalate or resolve with a reason, by mention
				verb := []string{"escalate", "resolve", "rootcause", "severity SEV2"}[k/6%4]
				st.slackEvent(map[string]any{"type": "app_mention", "channel": ch, "user": user, "ts": ts, "thread_ts": thread, "event_ts": ts,
					"text": "<@" + stormBotUser + "> " + verb + " " + st.dirty() + " :: " + st.dirty()})
			}
		}
	})
}

func (st *storm) slackAskLearn(n int) {
	st.parallel(n, func(i int) {
		ch := fmt.Sprintf("CASK%04d", i)
		st.slashCommand(ch, "UASK", "asker", "ask why is "+st.dirty())
		st.slashCommand(ch, "UASK", "asker", "learn why does "+st.card()+" fail :: rotate "+st.secret()+" and retry")
	})
}

// ---- Discord -------------------------------------------------------------

func (st *storm) discordPost(body string) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest("POST", st.srv.URL+"/discord/interactions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature-Timestamp", ts)
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(stormDiscordKey, []byte(ts+body))))
	st.do(req)
}

func (st *storm) discordBase(typ int, channel, nick string) map[string]any {
	id := strconv.FormatInt(1300000000000000000+st.seq.Add(1), 10)
	return map[string]any{
		"id": id, "application_id": "app1", "type": typ, "token": "tok" + id, "version": 1,
		"guild_id": "g1", "channel_id": channel, "channel": map[string]any{"id": channel, "type": 0, "guild_id": "g1"},
		"member": map[string]any{"user": map[string]any{"id": "du" + channel, "username": "alice", "global_name": st.card(), "discriminator": "0"},
			"nick": nick, "roles": []string{}, "joined_at": "2024-01-01T00:00:00Z", "permissions": "2147483647"},
		"locale": "en-US", "app_permissions": "2147483647",
	}
}

func (st *storm) discord(n int) {
	st.parallel(n, func(i int) {
		ch := fmt.Sprintf("dc%04d", i)
		cmd := st.discordBase(2, ch, st.card())
		cmd["data"] = map[string]any{"id": "cmd1", "name": "payissue", "type": 1, "options": []any{
			map[string]any{"name": "open", "type": 1, "options": []any{map[string]any{"name": "summary", "type": 3, "value": "@everyone @here <@&123> <@!777> " + st.dirty()}}},
		}}
		b, _ := json.Marshal(cmd)
		st.discordPost(string(b))

		modal := st.discordBase(5, ch+"m", "nick "+st.card())
		modal["data"] = map[string]any{"custom_id": "pb:open", "components": []any{
			map[string]any{"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": "summary", "value": "modal " + st.dirty()}}},
			map[string]any{"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": "details", "value": st.dirty() + "\n" + st.dirty()}}},
		}}
		b, _ = json.Marshal(modal)
		st.discordPost(string(b))

		comp := st.discordBase(3, ch, st.card())
		comp["message"] = map[string]any{"id": "m" + ch, "channel_id": ch, "type": 0, "content": "", "author": map[string]any{"id": "app1", "username": "paybot", "bot": true}}
		comp["data"] = map[string]any{"custom_id": "pb:pick:category:0", "component_type": 3, "values": []string{st.dirty()}}
		b, _ = json.Marshal(comp)
		st.discordPost(string(b))
	})
}

// ---- console and kb import ---------------------------------------------

func (st *storm) console(n int) {
	var in strings.Builder
	in.WriteString("/payissue open console incident " + st.dirty() + "\n")
	for i := 1; i < n; i++ {
		switch i % 5 {
		case 0:
			in.WriteString("/payissue search " + st.dirty() + "\n")
		case 1:
			in.WriteString("/payissue escalate " + st.dirty() + "\n")
		default:
			in.WriteString(st.dirty() + "\n")
		}
	}
	var out bytes.Buffer
	c := console.New(console.Options{In: strings.NewReader(strings.ReplaceAll(in.String(), "\n\n", "\n")), Out: &out, User: st.card()})
	st.eng.AddAdapter(c)
	if err := c.Start(st.ctx, st.eng); err != nil {
		st.t.Fatal(err)
	}
	st.sent.Add(int64(n))
	st.mu.Lock()
	st.outputs.Write(out.Bytes())
	st.mu.Unlock()
}

func (st *storm) kbImport(n int) {
	var b strings.Builder
	for i := 0; i < n; i++ {
		line, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("storm-%d", i), "title": "Declines for " + st.card(),
			"body": st.dirty() + "\n" + st.dirty(), "tags": []string{st.card()}, "kind": "community"})
		b.Write(line)
		b.WriteByte('\n')
	}
	file := filepath.Join(st.t.TempDir(), "import.jsonl")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		st.t.Fatal(err)
	}
	var out bytes.Buffer
	a := &app{stdout: &out, stderr: &out}
	// Community lines that ask for card data are refused (exit 3): the
	// rest is imported, and the refused ones must not leak either.
	var partial exitError
	ins, err := a.openImportInputs(st.ctx, []string{file})
	if err != nil {
		st.t.Fatal(err)
	}
	defer closeImportInputs(ins)
	if err := a.kbImport(st.ctx, st.index, ins); err != nil && !(errors.As(err, &partial) && partial.code == exitPartial) {
		st.t.Fatal(err)
	}
	st.sent.Add(int64(n))
	st.mu.Lock()
	st.outputs.Write(out.Bytes())
	st.mu.Unlock()
}

// drain waits until every accepted event is processed and the platform
// calls have stopped for a second.
func (st *storm) drain() {
	deadline := time.Now().Add(120 * time.Second)
	quiet, lastCalls := 0, -1
	for quiet < 5 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		pending, err := st.store.PendingEvents(st.ctx, 1)
		if err != nil {
			st.t.Fatal(err)
		}
		calls := st.rec.count()
		if len(pending) == 0 && calls == lastCalls {
			quiet++
		} else {
			quiet = 0
		}
		lastCalls = calls
	}
	if quiet < 5 {
		st.t.Errorf("storm did not drain in time")
	}
}

// ---- the scan ------------------------------------------------------------

// cvvLeft finds a CVV phrase of the storm followed by its digits ("cvv
// 123", "CVC: 4567", "security code: 123", "cvc2 123", "back are 123"):
// the regular expression (?i)(cvv|cvc2?|security code|back are)[\s:=]*\d{3,4}\b
// written out, since it runs over tens of megabytes.
func cvvLeft(s string) string {
	for _, w := range []string{"cvv", "CVV", "cvc", "CVC", "security code", "back are"} {
		for off := 0; ; {
			i := strings.Index(s[off:], w)
			if i < 0 {
				break
			}
			p := off + i + len(w)
			off = p
			if p < len(s) && s[p] == '2' {
				p++
			}
			for p < len(s) && (s[p] == ' ' || s[p] == ':' || s[p] == '=' || s[p] == '\t' || s[p] == '\n') {
				p++
			}
			q := p
			for q < len(s) && s[q] >= '0' && s[q] <= '9' {
				q++
			}
			if n := q - p; n >= 3 && n <= 4 {
				return s[off-len(w) : q]
			}
		}
	}
	return ""
}

// scan reads every file of the data directory, every API request body and
// every HTTP answer, and fails on any card number, secret or CVV.
func (st *storm) scan() {
	type blob struct {
		name string
		data []byte
	}
	var blobs []blob
	_ = filepath.WalkDir(st.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			st.t.Fatal(err)
		}
		blobs = append(blobs, blob{p, b})
		return nil
	})
	docs, err := st.index.Docs()
	if err != nil {
		st.t.Fatal(err)
	}
	dj, _ := json.Marshal(docs)
	blobs = append(blobs, blob{"kb documents", dj})
	for i, b := range st.rec.bodies() {
		blobs = append(blobs, blob{fmt.Sprintf("API request %d", i), b})
	}
	for i, b := range st.answers {
		blobs = append(blobs, blob{fmt.Sprintf("HTTP answer %d", i), b})
	}
	blobs = append(blobs, blob{"console and CLI output", st.outputs.Bytes()})

	first13 := map[string][]string{}
	for c := range st.cards {
		first13[c[:13]] = append(first13[c[:13]], c)
	}
	var size int
	leaks := 0
	report := func(name, what string) {
		leaks++
		if leaks <= 20 {
			st.t.Errorf("%s: %s", name, what)
		}
	}
	for _, b := range blobs {
		size += len(b.data)
		for _, form := range stormForms(b.data) {
			for _, m := range stormMarkers {
				for off := 0; ; {
					j := strings.Index(form[off:], m)
					if j < 0 {
						break
					}
					i := off + j
					off = i + len(m)
					// The markers sit inside the secrets' runs of token
					// characters; the same three bytes in a database page's
					// binary (row ids, b-tree keys) are no secret.
					if !tokenRun(form, i-4, i) && !tokenRun(form, i+len(m), i+len(m)+4) {
						continue
					}
					report(b.name, fmt.Sprintf("secret left: …%q…", form[max(i-40, 0):min(i+40, len(form))]))
				}
			}
			if m := cvvLeft(form); m != "" {
				report(b.name, fmt.Sprintf("CVV left: %q", m))
			}
			digits := make([]byte, 0, len(form)/4)
			at := make([]int, 0, len(form)/4)
			for i := 0; i < len(form); i++ {
				if form[i] >= '0' && form[i] <= '9' {
					digits = append(digits, form[i])
					at = append(at, i)
				}
			}
			for i := 0; i+13 <= len(digits); i++ {
				for _, c := range first13[string(digits[i:i+13])] {
					if bytes.HasPrefix(digits[i:], []byte(c)) {
						p := at[i]
						report(b.name, fmt.Sprintf("card number %s left: …%q…", c, form[max(p-60, 0):min(p+80, len(form))]))
					}
				}
			}
		}
	}
	st.t.Logf("scanned %d blobs, %d bytes: %d leaks", len(blobs), size, leaks)
}

// checkMentions: nothing a user typed went out as a live mention. Slack
// bodies hold no <!channel>, <!here> or <@U9999> (a user typed them, Slack
// sent them escaped); every Discord message carries allowed_mentions with
// parse [] and no user 777 (typed as <@!777>), and no bare @everyone.
func (st *storm) checkMentions() {
	live := 0
	for _, b := range st.rec.bodies() {
		nl := bytes.IndexByte(b, '\n')
		isDiscord := bytes.Contains(b[:nl], []byte("/v"))
		// Not the normalised view: it drops the word joiner that keeps a
		// typed "<⁠!channel>" from being a control sequence.
		raw := string(b[nl+1:])
		forms := []string{raw}
		if u, err := url.QueryUnescape(raw); err == nil {
			forms = append(forms, u, strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(u))
			var v any
			if json.Unmarshal([]byte(u), &v) == nil || json.Unmarshal([]byte(strings.TrimPrefix(u, "blocks=")), &v) == nil {
				forms = append(forms, fmt.Sprint(v))
			}
		}
		for _, f := range forms {
			for _, m := range []string{"<!channel>", "<!here>", "<@U9999>"} {
				if strings.Contains(f, m) {
					live++
					if live < 10 {
						st.t.Errorf("live %s sent: %.300q", m, b)
					}
				}
			}
		}
		if !isDiscord {
			continue
		}
		var m map[string]any
		if json.Unmarshal(b[nl+1:], &m) != nil {
			continue
		}
		content, _ := m["content"].(string)
		if content == "" {
			continue
		}
		am, _ := m["allowed_mentions"].(map[string]any)
		parse, isList := am["parse"].([]any)
		users, _ := am["users"].([]any)
		if am == nil || !isList || len(parse) != 0 || strings.Contains(fmt.Sprint(users), "777") ||
			strings.Contains(content, "@everyone") || strings.Contains(content, "@here") {
			live++
			if live < 10 {
				st.t.Errorf("discord message may ping: %.300s", b)
			}
		}
	}
	if live > 0 {
		st.t.Errorf("%d live mentions", live)
	}
}

// stormForms returns the views of data a leak could hide in: the
// normalised text (Unicode digits, zero-width characters and URL escapes
// undone), the URL-decoded text and, for JSON, its decoded strings.
// tokenRun reports whether s[a:b] is inside s and all token characters
// (letters, digits, _ + / = -), as the storm's secrets are.
func tokenRun(s string, a, b int) bool {
	if a < 0 || b > len(s) {
		return false
	}
	for i := a; i < b; i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+/=-", c) >= 0) {
			return false
		}
	}
	return true
}

func stormForms(data []byte) []string {
	s := string(data)
	forms := []string{redact.View(s)}
	if !strings.Contains(s, "%") {
		// nothing URL-encoded
	} else if u, err := url.QueryUnescape(s); err == nil && u != s {
		forms = append(forms, redact.View(u))
	}
	var v any
	if json.Unmarshal(data, &v) == nil {
		var b strings.Builder
		var walk func(any)
		walk = func(x any) {
			switch x := x.(type) {
			case string:
				b.WriteString(x)
				b.WriteByte('\n')
			case []any:
				for _, e := range x {
					walk(e)
				}
			case map[string]any:
				for _, e := range x {
					walk(e)
				}
			}
		}
		walk(v)
		forms = append(forms, redact.View(b.String()))
	}
	return forms
}

// ---- fake platform APIs ----------------------------------------------------

type apiRecorder struct {
	t       *testing.T
	slack   *httptest.Server
	discord *httptest.Server
	mu      sync.Mutex
	raw     [][]byte
	cards   map[string]string // Slack channel -> ts of the first top-level post (the card)
	seq     atomic.Int64
	// slackFail, when set, names the Slack error a Web API method returns
	// for a channel ("" for success): a channel the bot is not in.
	slackFail func(method, channel string) string
}

func newAPIRecorder(t *testing.T) *apiRecorder {
	r := &apiRecorder{t: t, cards: map[string]string{}}
	r.slack = httptest.NewServer(http.HandlerFunc(r.serveSlack))
	r.discord = httptest.NewServer(http.HandlerFunc(r.serveDiscord))
	t.Cleanup(r.slack.Close)
	t.Cleanup(r.discord.Close)
	return r
}

func (r *apiRecorder) record(req *http.Request) []byte {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.raw = append(r.raw, append([]byte(req.URL.String()+"\n"), b...))
	r.mu.Unlock()
	return b
}

func (r *apiRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.raw)
}

func (r *apiRecorder) bodies() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.raw...)
}

func (r *apiRecorder) serveSlack(w http.ResponseWriter, req *http.Request) {
	body := r.record(req)
	if !strings.HasPrefix(req.URL.Path, "/api/") {
		w.Write([]byte("ok")) // a response_url
		return
	}
	method := strings.TrimPrefix(req.URL.Path, "/api/")
	form, _ := url.ParseQuery(string(body))
	if strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		form = url.Values{}
		for k, v := range m {
			form.Set(k, fmt.Sprint(v))
		}
	}
	if r.slackFail != nil {
		if e := r.slackFail(method, form.Get("channel")); e != "" {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": e})
			return
		}
	}
	ts := fmt.Sprintf("1700000000.%06d", r.seq.Add(1))
	var reply any = map[string]any{"ok": true}
	switch method {
	case "chat.postMessage", "chat.postEphemeral":
		ch := form.Get("channel")
		if method == "chat.postMessage" && form.Get("thread_ts") == "" {
			r.mu.Lock()
			if _, ok := r.cards[ch]; !ok {
				r.cards[ch] = ts
			}
			r.mu.Unlock()
		}
		reply = map[string]any{"ok": true, "channel": ch, "ts": ts, "message_ts": ts}
	case "chat.update":
		reply = map[string]any{"ok": true, "channel": form.Get("channel"), "ts": form.Get("ts")}
	case "auth.test":
		reply = map[string]any{"ok": true, "user_id": stormBotUser, "user": "paybot", "team_id": "T1", "bot_id": "B1"}
	case "conversations.open":
		reply = map[string]any{"ok": true, "channel": map[string]any{"id": "D0001"}}
	case "views.open":
		reply = map[string]any{"ok": true, "view": map[string]any{"id": "V1"}}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(reply)
}

func (r *apiRecorder) waitSlackCards(t *testing.T, n int) map[string]string {
	deadline := time.Now().Add(60 * time.Second)
	for {
		r.mu.Lock()
		got := len(r.cards)
		r.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]string, len(r.cards))
	for k, v := range r.cards {
		out[k] = v
	}
	return out
}

func (r *apiRecorder) serveDiscord(w http.ResponseWriter, req *http.Request) {
	body := r.record(req)
	seg := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	if len(seg) > 0 && seg[0] == "api" {
		seg = seg[1:]
	}
	if len(seg) > 0 && strings.HasPrefix(seg[0], "v") && len(seg[0]) <= 3 {
		seg = seg[1:]
	}
	id := strconv.FormatInt(1400000000000000000+r.seq.Add(1), 10)
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	msg := func(channel string) map[string]any {
		return map[string]any{"id": id, "channel_id": channel, "type": 0, "content": "", "author": map[string]any{"id": "app1", "username": "paybot", "bot": true}}
	}
	switch {
	case req.Method == "PUT" && seg[len(seg)-1] == "commands":
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	case req.Method == "GET" && len(seg) == 2 && seg[0] == "channels":
		reply(map[string]any{"id": seg[1], "type": 0, "guild_id": "g1"})
	case len(seg) == 5 && seg[0] == "channels" && seg[4] == "threads":
		reply(map[string]any{"id": seg[3], "parent_id": seg[1], "type": 11, "guild_id": "g1"})
	case len(seg) >= 2 && seg[0] == "channels":
		reply(msg(seg[1]))
	case len(seg) >= 1 && seg[0] == "webhooks":
		reply(msg("c1"))
	case req.URL.Path == "/users/@me/channels" || strings.HasSuffix(req.URL.Path, "/users/@me/channels"):
		reply(map[string]any{"id": "dm1", "type": 1})
	case strings.Contains(req.URL.Path, "gateway"):
		http.Error(w, `{"message":"no gateway","code":0}`, http.StatusServiceUnavailable)
	default:
		reply(msg("c1"))
	}
}
