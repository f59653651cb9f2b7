package discord

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents/sqlite"
)

// TestFullIncident runs a whole incident through a real Engine and SQLite
// store: a signed /payissue open, the card embed, the thread, intake answered
// with a button, select menus and typed thread messages (HTTP interactions and
// gateway events mixed), and the card edited when the incident opens.
func TestFullIncident(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "paybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hs := newHarness(t, ModeBoth)
	eng := bot.NewEngine(bot.Config{Store: store, Logger: quietLogger()})
	eng.AddAdapter(hs.a)
	hs.a.SetHandler(eng.Async())
	go func() { _ = eng.Run(ctx) }()
	hs.fake.tokenChannel("tok-open", "c1")

	// 1. /payissue open over signed HTTP: deferred, then the card fills the
	// deferred original and a thread starts on it.
	code, resp := hs.signed(commandBody("1300000000000001001", "tok-open", "c1", "open", map[string]string{"summary": "checkout declines spiking"}))
	if code != 200 || respType(t, resp) != 5 {
		t.Fatalf("open: %d %s", code, resp)
	}
	cardReq := hs.fake.waitFor("PATCH /webhooks/app1/tok-open/messages/@original", 1)[0]
	if js := mustJSON(cardReq.Body); !strings.Contains(js, "PAY-1") || !strings.Contains(js, "checkout declines spiking") || !strings.Contains(js, `"embeds"`) {
		t.Fatalf("card: %s", js)
	}
	threadReq := hs.fake.waitFor("/threads", 1)[0]
	seg := strings.Split(threadReq.Path, "/") // /channels/c1/messages/<card>/threads
	cardID := seg[4]
	thread := cardID
	if !strings.Contains(mustJSON(threadReq.Body), "PAY-1") {
		t.Fatalf("thread name: %v", threadReq.Body)
	}

	seen := 0
	// waitQ waits for the next message in the thread that contains want.
	waitQ := func(want string) map[string]any {
		t.Helper()
		return nextThreadMessage(t, hs.fake, thread, &seen, want, 5*time.Second)
	}
	typed := func(id, text string) {
		hs.a.onMessageCreate(hs.a.Session(), &discordgo.MessageCreate{Message: &discordgo.Message{
			ID: id, ChannelID: thread, Type: discordgo.MessageTypeDefault, Content: text,
			Author: &discordgo.User{ID: "u1", Username: "alice"},
		}})
	}

	// 2. Category: six choices, so a select menu, over HTTP.
	q := waitQ("pb:pick:category:0")
	hs.fake.tokenChannel("tok-cat", thread)
	code, resp = hs.signed(componentBody("1300000000000001002", "tok-cat", thread, "c1", q["id"].(string), "pb:pick:category:0", 3, []string{"declines"}))
	if code != 200 || respType(t, resp) != 6 {
		t.Fatalf("select: %d %s", code, resp)
	}
	// 3. Provider: the question comes back as a follow-up of the
	// category interaction.
	q = waitQ("pb:pick:provider:0")
	hs.fake.waitFor("POST /webhooks/app1/tok-cat", 1)
	hs.fake.tokenChannel("tok-prov", thread)
	hs.signed(componentBody("1300000000000001003", "tok-prov", thread, "c1", q["id"].(string), "pb:pick:provider:0", 3, []string{"stripe"}))
	// 4. Environment: two choices, buttons.
	q = waitQ("pb:step:environment:production")
	hs.fake.tokenChannel("tok-env", thread)
	code, resp = hs.signed(componentBody("1300000000000001004", "tok-env", thread, "c1", q["id"].(string), "pb:step:environment:production", 2, nil))
	if code != 200 || respType(t, resp) != 6 {
		t.Fatalf("button: %d %s", code, resp)
	}
	// 5–8. Typed answers in the thread, through the gateway.
	waitQ("When did it start")
	typed("1300000000000001005", "10 min ago")
	waitQ("share of payments")
	typed("1300000000000001006", "30%")
	waitQ("error messages")
	typed("1300000000000001007", "response code 05 do_not_honor")
	waitQ("transaction ids")
	typed("1300000000000001008", "skip")
	// 9. Payment methods: multiple choice, a select through the gateway.
	q = waitQ("pb:pick:payment_methods:0")
	hs.fake.tokenChannel("tok-pm", thread)
	hs.a.onInteractionCreate(hs.a.Session(), &discordgo.InteractionCreate{Interaction: &discordgo.Interaction{
		ID: "1300000000000001009", AppID: "app1", Type: discordgo.InteractionMessageComponent, Token: "tok-pm",
		ChannelID: thread, Member: &discordgo.Member{User: &discordgo.User{ID: "u1", Username: "alice"}},
		Message: &discordgo.Message{ID: q["id"].(string)},
		Data:    discordgo.MessageComponentInteractionData{CustomID: "pb:pick:payment_methods:0", ComponentType: discordgo.SelectMenuComponent, Values: []string{"visa", "mastercard"}},
	}})
	waitQ("What have you tried")
	typed("1300000000000001010", "skip")
	waitQ("Does this look right")
	typed("1300000000000001011", "yes")
	// 10. Opened: the card is edited in place (through the open command's
	// token, which is still alive) and the thread says so.
	waitQ("is open as")
	edit := hs.fake.waitFor("PATCH /webhooks/app1/tok-open/messages/"+cardID, 1)[0]
	if js := mustJSON(edit.Body); !strings.Contains(js, `"open"`) || !strings.Contains(js, "SEV") || !strings.Contains(js, "pb:escalate:PAY-1") {
		t.Fatalf("card edit: %s", js)
	}
	// A redelivered interaction changes nothing.
	before := len(hs.fake.requests())
	hs.signed(componentBody("1300000000000001004", "tok-env", thread, "c1", "x", "pb:step:environment:production", 2, nil))
	typed("1300000000000001011", "yes")
	time.Sleep(100 * time.Millisecond)
	if after := len(hs.fake.requests()); after != before {
		t.Fatalf("duplicates caused %d more REST calls: %v", after-before, hs.fake.paths()[before:])
	}
}

// threadMessages returns what was sent into the thread, in order: channel
// messages and interaction follow-ups answering in the thread.
// nextThreadMessage waits up to within for the next message in thread,
// after the first *seen, that contains want, and moves *seen past it. It
// waits for the id the fake assigns, which the fake stores a moment after
// it logs the request. An answer refused for its size fails the test.
func nextThreadMessage(t *testing.T, f *fakeDiscord, thread string, seen *int, want string, within time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		msgs := threadMessages(f, thread)
	scan:
		for i := *seen; i < len(msgs); i++ {
			js := mustJSON(msgs[i])
			switch {
			case strings.Contains(js, want) && msgs[i]["id"] == nil:
				break scan // look again once the fake has stored it
			case strings.Contains(js, want):
				*seen = i + 1
				return msgs[i]
			case strings.Contains(js, "doesn't fit"):
				t.Fatalf("answer refused: %s", js)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no thread message containing %q; thread: %s", want, mustJSON(threadMessages(f, thread)))
	return nil
}

func threadMessages(f *fakeDiscord, thread string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, r := range f.reqs {
		switch {
		case r.Method == "POST" && r.Path == "/channels/"+thread+"/messages":
		case r.Method == "POST" && strings.HasPrefix(r.Path, "/webhooks/") && f.tokenCh[strings.Split(r.Path, "/")[3]] == thread:
		default:
			continue
		}
		m := map[string]any{}
		for k, v := range r.Body {
			m[k] = v
		}
		out = append(out, m)
	}
	// attach the ids the fake assigned (same order as stored messages)
	return withIDs(f, out)
}

func withIDs(f *fakeDiscord, msgs []map[string]any) []map[string]any {
	for _, m := range msgs {
		for id, stored := range f.msgs {
			if stored["content"] == m["content"] && mustJSON(stored["components"]) == mustJSON(m["components"]) {
				m["id"] = id
			}
		}
	}
	return msgs
}
