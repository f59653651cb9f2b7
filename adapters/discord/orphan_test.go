package discord

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/sqlite"
)

// TestOrphanMissingAccess: the bot may answer the interaction but not open
// threads in the channel (403 Missing Access). The reporter is told what to
// do in an ephemeral follow-up, the incident is parked, the same command
// again makes no second incident, and once the permission is granted the
// thread is opened on the card already posted: one card.
func TestOrphanMissingAccess(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "paybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hs := newHarness(t, ModeBoth)
	eng := bot.NewEngine(bot.Config{Store: store, Logger: quietLogger(), Tick: 20 * time.Millisecond})
	eng.AddAdapter(hs.a)
	hs.a.SetHandler(eng.Async())
	go func() { _ = eng.Run(ctx) }()
	hs.fake.setForbidden("POST", "/channels/c9/", true)
	list := func() []*incidents.Incident {
		l, err := store.ListIncidents(ctx, incidents.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; requests: %v", what, hs.fake.paths())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	advice := func() int {
		n := 0
		for _, r := range hs.fake.find("/webhooks/app1/") {
			if r.Method == "POST" && strings.Contains(mustJSON(r.Body), "Create Public Threads") {
				n++
			}
		}
		return n
	}
	for i, tok := range []string{"tok-o1", "tok-o2"} {
		hs.fake.tokenChannel(tok, "c9")
		code, _ := hs.signed(commandBody("130000000000000900"+string(rune('1'+i)), tok, "c9", "open", map[string]string{"summary": "payouts delayed"}))
		if code != 200 {
			t.Fatalf("open: %d", code)
		}
		waitUntil("the advice in an ephemeral follow-up", func() bool { return advice() == i+1 })
		l := list()
		if len(l) != 1 || l[0].Details.CardProblem == "" || !l[0].Conversation.IsZero() {
			t.Fatalf("after command %d: %+v", i+1, l)
		}
	}
	hs.fake.setForbidden("POST", "/channels/c9/", false)
	hs.fake.tokenChannel("tok-o3", "c9")
	hs.signed(commandBody("1300000000000009003", "tok-o3", "c9", "open", map[string]string{"summary": "payouts delayed"}))
	waitUntil("the thread", func() bool { l := list(); return len(l) == 1 && !l[0].Conversation.IsZero() })
	if n := len(hs.fake.find("/webhooks/app1/tok-o1/messages/@original")); n != 1 {
		t.Fatalf("card posted %d times through the first interaction, want 1", n)
	}
	for _, r := range hs.fake.requests() {
		if r.Method == "POST" && r.Path == "/channels/c9/messages" && strings.Contains(mustJSON(r.Body), "PAY-1 ·") {
			t.Fatalf("a second card was posted in the channel: %s", mustJSON(r.Body))
		}
	}
}
