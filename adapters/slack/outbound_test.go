package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/paybot/paybot/bot"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

func TestPostThreadUpdateEphemeral(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ch := bot.Conversation{Platform: "slack", Channel: "C1"}
	card := bot.Message{Conversation: ch, Kind: bot.KindCard, Card: sampleCard()}
	ref, err := h.a.Post(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	thread, err := h.a.OpenThread(ctx, ref, "PAY-7 checkout declines")
	if err != nil || thread != (bot.Conversation{Platform: "slack", Channel: "C1", Thread: ref.ID}) {
		t.Fatalf("thread %+v err %v", thread, err)
	}
	q := bot.Message{Conversation: thread, Kind: bot.KindQuestion, Text: "What kind of problem is it?", Expects: "category",
		Choices: []bot.Choice{{Value: "declines", Label: "Declines"}, {Value: "timeouts", Label: "Timeouts"}}}
	if _, err := h.a.Post(ctx, q); err != nil {
		t.Fatal(err)
	}
	card.Card.Status = "open"
	if err := h.a.Update(ctx, ref, card); err != nil {
		t.Fatal(err)
	}
	to := bot.User{Platform: "slack", ID: "U1"}
	if _, err := h.a.Post(ctx, bot.Message{Conversation: thread, Kind: bot.KindNotice, Text: "I masked a card number ending 4242.", To: &to}); err != nil {
		t.Fatal(err)
	}
	if err := h.a.DirectMessage(ctx, to, bot.Message{Kind: bot.KindText, Text: "You were paged for PAY-7"}); err != nil {
		t.Fatal(err)
	}

	posts := h.api.Calls("chat.postMessage")
	if len(posts) != 3 {
		t.Fatalf("%d posts", len(posts))
	}
	if posts[0].Form.Get("thread_ts") != "" || posts[1].Form.Get("thread_ts") != ref.ID || posts[2].Form.Get("channel") != "D0001" {
		t.Fatalf("posts %+v", posts)
	}
	if !strings.Contains(posts[1].Form.Get("blocks"), `"action_id":"category|1"`) {
		t.Fatalf("question blocks %s", posts[1].Form.Get("blocks"))
	}
	ups := h.api.Calls("chat.update")
	if len(ups) != 1 || ups[0].Form.Get("ts") != ref.ID || ups[0].Form.Get("channel") != "C1" || !strings.Contains(ups[0].Form.Get("blocks"), "open") {
		t.Fatalf("updates %+v", ups)
	}
	eph := h.api.Calls("chat.postEphemeral")
	if len(eph) != 1 || eph[0].Form.Get("user") != "U1" || eph[0].Form.Get("thread_ts") != ref.ID {
		t.Fatalf("ephemeral %+v", eph)
	}
	if got := h.a.Mention(to); got != "<@U1>" {
		t.Fatal(got)
	}
}

func TestRetryAfter429(t *testing.T) {
	h := newHarness(t)
	var n atomic.Int64
	var first time.Time
	var retryGap time.Duration
	h.api.before = func(method string, _ url.Values, w http.ResponseWriter) bool {
		if method != "chat.postMessage" {
			return false
		}
		switch n.Add(1) {
		case 1:
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		case 2:
			retryGap = time.Since(first)
		}
		return false
	}
	ref, err := h.a.Post(context.Background(), bot.Message{Conversation: bot.Conversation{Channel: "C1"}, Kind: bot.KindText, Text: "hi"})
	if err != nil || ref.ID == "" {
		t.Fatalf("ref %+v err %v", ref, err)
	}
	if n.Load() != 2 || retryGap < 950*time.Millisecond {
		t.Fatalf("attempts %d, retried after %s (want ≥ 1s Retry-After)", n.Load(), retryGap)
	}
	if len(h.api.Calls("chat.postMessage")) != 1 {
		t.Fatal("message not delivered exactly once")
	}
}

func TestBackoffOn5xxAndGiveUp(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxAttempts = 3 })
	var n atomic.Int64
	h.api.before = func(method string, _ url.Values, w http.ResponseWriter) bool {
		if n.Add(1) <= 2 {
			w.WriteHeader(http.StatusBadGateway)
			return true
		}
		return false
	}
	if err := h.a.Update(context.Background(), bot.MessageRef{Conversation: bot.Conversation{Channel: "C1"}, ID: "1.1"}, bot.Message{Kind: bot.KindText, Text: "x"}); err != nil {
		t.Fatalf("want success after two 502s: %v", err)
	}
	n.Store(-100)
	if err := h.a.Update(context.Background(), bot.MessageRef{Conversation: bot.Conversation{Channel: "C1"}, ID: "1.1"}, bot.Message{Kind: bot.KindText, Text: "x"}); err == nil {
		t.Fatal("want an error after MaxAttempts 5xx")
	}
	// Other errors (a bad channel) are not retried.
	n.Store(100)
	h.api.before = func(method string, _ url.Values, w http.ResponseWriter) bool {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":false,"error":"channel_not_found"}`)
		return true
	}
	if _, err := h.a.Post(context.Background(), bot.Message{Conversation: bot.Conversation{Channel: "CX"}, Text: "x"}); err == nil || n.Load() != 101 {
		t.Fatalf("err %v attempts %d", err, n.Load()-100)
	}
}

// TestRateLimitStorm sends 1,000 thread replies across 20 channels to a fake
// API that enforces a per-channel minimum gap (scaled down from 1s to 20ms;
// the real 1s with -slackload)
// with 429 + Retry-After. Every message must arrive, none twice, and no 429
// may surface as an error.
func TestRateLimitStorm(t *testing.T) {
	const channels, perChannel = 20, 50
	gap := 20 * time.Millisecond
	if *slackLoad {
		gap = time.Second // the real per-channel limit: about 50 s
	}
	if testing.Short() {
		t.Skip("storm is slow-ish")
	}
	var mu sync.Mutex
	last := map[string]time.Time{}
	seen := map[string]int{}
	var n429 atomic.Int64
	var seq atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		ch := r.Form.Get("channel")
		mu.Lock()
		now := time.Now()
		if l, ok := last[ch]; ok && now.Sub(l) < gap-2*time.Millisecond {
			mu.Unlock()
			n429.Add(1)
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		last[ch] = now
		seen[r.Form.Get("text")]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, ch, seq.Add(1))
	}))
	defer srv.Close()
	a, err := New(Options{BotToken: "xoxb", SigningSecret: "s", APIURL: srv.URL, ChannelInterval: gap, MaxAttempts: 20, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for c := range channels {
		for i := range perChannel {
			wg.Go(func() {
				conv := bot.Conversation{Platform: "slack", Channel: fmt.Sprintf("C%02d", c), Thread: "1.1"}
				if _, err := a.Post(context.Background(), bot.Message{Conversation: conv, Kind: bot.KindText, Text: fmt.Sprintf("reply %d/%d", c, i)}); err != nil {
					failed.Add(1)
					t.Log(err)
				}
			})
		}
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d posts failed", failed.Load())
	}
	if len(seen) != channels*perChannel {
		t.Fatalf("%d distinct messages delivered, want %d", len(seen), channels*perChannel)
	}
	for text, k := range seen {
		if k != 1 {
			t.Fatalf("%q delivered %d times", text, k)
		}
	}
	t.Logf("1000 replies over 20 channels in %s; %d 429s, all retried", time.Since(start).Round(time.Millisecond), n429.Load())
}

func TestPacingDelaysBursts(t *testing.T) {
	p := newPacer(50 * time.Millisecond)
	start := time.Now()
	for range 5 {
		if err := p.wait(context.Background(), "C1"); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Fatalf("5 messages in %s; want ≥ 200ms at 50ms apart", d)
	}
	start = time.Now()
	_ = p.wait(context.Background(), "C2")
	if time.Since(start) > 20*time.Millisecond {
		t.Fatal("another channel waited for C1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	for range 3 {
		_ = p.wait(ctx, "C3")
	}
	if ctx.Err() == nil {
		t.Fatal("expected the context to end the wait")
	}
}

func TestLongTextIsSplitAndCapped(t *testing.T) {
	long := strings.Repeat("Card declined with code 05, do not honor. ", 200) // ~8,400 chars
	blocks, fb := Render(bot.Message{Kind: bot.KindText, Text: long})
	if len(blocks) != 3 {
		t.Fatalf("%d blocks", len(blocks))
	}
	for _, b := range blocks {
		if n := len([]rune(b.(*slack.SectionBlock).Text.Text)); n > 3000 {
			t.Fatalf("section of %d chars", n)
		}
	}
	if len([]rune(fb)) > 3000 {
		t.Fatal("fallback too long")
	}
	huge := strings.Repeat(strings.Repeat("x", 2990)+"\n", 80)
	blocks, _ = Render(bot.Message{Kind: bot.KindQuestion, Text: huge, Expects: "s", Choices: []bot.Choice{{Value: "a"}}})
	if len(blocks) != 50 || blocks[49].BlockType() != slack.MBTAction {
		t.Fatalf("%d blocks, last %s", len(blocks), blocks[len(blocks)-1].BlockType())
	}
}

func TestChoicesRendering(t *testing.T) {
	six := []bot.Choice{{Value: "a"}, {Value: "b"}, {Value: "c"}, {Value: "d"}, {Value: "e"}, {Value: "f"}}
	blocks, _ := Render(bot.Message{Kind: bot.KindQuestion, Text: "pick", Expects: "provider", Choices: six})
	el := blocks[len(blocks)-1].(*slack.ActionBlock).Elements.ElementSet[0]
	if s, ok := el.(*slack.SelectBlockElement); !ok || s.ActionID != "provider" || len(s.Options) != 6 {
		t.Fatalf("want a static_select, got %T", el)
	}
	blocks, _ = Render(bot.Message{Kind: bot.KindQuestion, Text: "pick", Expects: "methods", Choices: six[:3], Multi: true})
	el = blocks[len(blocks)-1].(*slack.ActionBlock).Elements.ElementSet[0]
	if s, ok := el.(*slack.MultiSelectBlockElement); !ok || s.ActionID != "methods" {
		t.Fatalf("want a multi_static_select, got %T", el)
	}
}

func TestEscaping(t *testing.T) {
	got := escapeText("a < b & <@U123> <https://x.io|x> <!here> <script>")
	want := "a &lt; b &amp; <@U123> &lt;https://x.io|x&gt; &lt;!here&gt; &lt;script&gt;"
	if got != want {
		t.Fatalf("%q", got)
	}
}

func sampleCard() *bot.Card {
	return &bot.Card{
		Ref: "PAY-7", Title: "Checkout declines spiking", Severity: "SEV2", Status: "intake",
		Reporter: bot.User{Platform: "slack", ID: "U2147483697", Name: "Steve"},
		Category: "declines", Provider: "Stripe", SLA: "ack by 14:35 UTC",
	}
}

func TestGoldenCard(t *testing.T) {
	golden(t, "card", bot.Message{Kind: bot.KindCard, Card: sampleCard()})
}

func TestGoldenAnswers(t *testing.T) {
	// The text is the engine's: a heading, then the hits as plain text
	// (the notification fallback), which the blocks replace.
	golden(t, "answers", bot.Message{Kind: bot.KindAnswers, Text: "These may help with *do_not_honor*:\n1. Stripe decline: do_not_honor [internal KB]\n   The issuer declined…", Hits: []bot.Hit{
		{ID: "stripe-do-not-honor", Title: "Stripe decline: do_not_honor", Snippet: "The issuer declined the card without a reason. Ask the customer to contact their bank, or try another card.", Source: "internal KB", URL: "https://kb.example.com/stripe/do-not-honor", Show: "/payissue show stripe-do-not-honor"},
		{ID: "PAY-3", Title: "PAY-3: spike of code 05 at one acquirer", Snippet: "Resolved by failing over to the backup acquirer.", Source: "past incident PAY-3"},
		// A definition with what to do from the article that covers its code.
		{ID: "ach-return:R01", Title: "ACH return code R01 – Insufficient Funds", Snippet: "Available balance is not sufficient to cover the dollar value of the debit entry", Source: "reference code", Show: "/payissue show ach-return:R01",
			Action: &bot.HitAction{Text: "R01/R09: you may re-present the same entry up to two more times within 180 days; time it after payday.", ArticleID: "ach-returns-overview", ArticleTitle: "ACH returns overview: R01, R02 <and> more", Show: "/payissue show ach-returns-overview"}},
	}})
}

func TestGoldenQuestion(t *testing.T) {
	golden(t, "question", bot.Message{Kind: bot.KindQuestion, Text: "What kind of problem is it?", Expects: "category", Choices: []bot.Choice{
		{Value: "declines", Label: "Declines"}, {Value: "timeouts", Label: "Timeouts / errors"}, {Value: "other", Label: "Something else"},
	}})
}

func golden(t *testing.T, name string, msg bot.Message) {
	t.Helper()
	blocks, fallback := Render(msg)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"text": fallback, "blocks": blocks}); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s differs from the golden file (go test -run %s -update to accept):\n%s", path, t.Name(), got)
	}
}

// TestGoldenCardWithRoles: the lead as a mention, the last update as
// escaped text (user text never becomes markup).
func TestGoldenCardWithRoles(t *testing.T) {
	c := sampleCard()
	c.Lead = &bot.User{Platform: "slack", ID: "U0CAROL", Name: "Carol"}
	c.LastUpdate = "rolled back <deploy> & watching (Steve, 2026-11-26 14:40 UTC)"
	golden(t, "card_roles", bot.Message{Kind: bot.KindCard, Card: c})
}
