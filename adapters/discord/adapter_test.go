package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"crypto/ed25519"

	"github.com/bwmarrin/discordgo"

	"github.com/paybot/paybot/bot"
)

func TestPing(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	code, body := hs.signed(`{"id":"1300000000000000001","application_id":"app1","type":1,"token":"t","version":1}`)
	if code != 200 || respType(t, body) != 1 {
		t.Fatalf("PING: %d %s", code, body)
	}
	if n := len(hs.h.got()); n != 0 {
		t.Fatalf("handler called %d times for PING", n)
	}
}

func TestCommandDeferredThenFollowUp(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	hs.fake.tokenChannel("tok-1", "c1")
	code, body := hs.signed(commandBody("1300000000000000011", "tok-1", "c1", "open", map[string]string{"summary": "checkout declines spiking"}))
	if code != 200 || respType(t, body) != 5 {
		t.Fatalf("command: %d %s, want a deferred response (type 5)", code, body)
	}
	evs := hs.h.got()
	if len(evs) != 1 {
		t.Fatalf("handler got %d events", len(evs))
	}
	ev := evs[0]
	want := bot.Event{ID: "discord:1300000000000000011", MessageKeys: []string{"discord:ix:1300000000000000011"}, Kind: bot.EventCommand, Text: "open checkout declines spiking",
		Conversation: bot.Conversation{Platform: "discord", Channel: "c1"}, User: bot.User{Platform: "discord", ID: "u1", Name: "Alice"}}
	// The reply token is the interaction's route, sealed: no token in clear.
	r := hs.a.openRoute(ev.ReplyToken)
	if r == nil || r.ID != "1300000000000000011" || r.App != "app1" || r.Token != "tok-1" || r.Channel != "c1" || r.User != "u1" || !r.Deferred ||
		strings.Contains(ev.ReplyToken, "tok-1") {
		t.Fatalf("reply token %q opens to %+v", ev.ReplyToken, r)
	}
	plain := ev
	plain.At, plain.ReplyToken = time.Time{}, ""
	if fmt.Sprint(plain) != fmt.Sprint(want) {
		t.Fatalf("event\n got %+v\nwant %+v", plain, want)
	}

	ctx := context.Background()
	card := bot.Message{Conversation: ev.Conversation, Kind: bot.KindCard, ReplyToken: ev.ReplyToken, Card: &bot.Card{
		Ref: "PAY-1", Title: "checkout declines spiking", Severity: "SEV2", Status: "intake", Reporter: ev.User,
		Actions: []bot.Choice{{Value: "ack", Label: "Acknowledge"}, {Value: "escalate", Label: "Escalate"}, {Value: "resolve", Label: "Resolve"}},
	}}
	ref, err := hs.a.Post(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	edit := hs.fake.waitFor("PATCH /webhooks/app1/tok-1/messages/@original", 1)[0]
	embeds, _ := edit.Body["embeds"].([]any)
	if len(embeds) != 1 || !strings.Contains(mustJSON(embeds[0]), "PAY-1") {
		t.Fatalf("deferred original not filled with the card: %v", edit.Body)
	}
	conv, err := hs.a.OpenThread(ctx, ref, "PAY-1 checkout declines spiking")
	if err != nil {
		t.Fatal(err)
	}
	if conv.Channel != "c1" || conv.Thread != ref.ID {
		t.Fatalf("thread conversation %+v for card %s", conv, ref.ID)
	}
	hs.fake.waitFor("POST /channels/c1/messages/"+ref.ID+"/threads", 1)

	// A second reply in the same channel is a follow-up; one in the
	// thread is a normal channel message in the thread's channel.
	if _, err := hs.a.Post(ctx, bot.Message{Conversation: ev.Conversation, Kind: bot.KindText, Text: "Thread opened", ReplyToken: ev.ReplyToken}); err != nil {
		t.Fatal(err)
	}
	hs.fake.waitFor("POST /webhooks/app1/tok-1", 1)
	if _, err := hs.a.Post(ctx, bot.Message{Conversation: conv, Kind: bot.KindQuestion, Text: "Which provider?", Expects: "provider",
		Choices: []bot.Choice{{Value: "stripe", Label: "Stripe"}, {Value: "adyen", Label: "Adyen"}}, ReplyToken: ev.ReplyToken}); err != nil {
		t.Fatal(err)
	}
	q := hs.fake.waitFor("POST /channels/"+conv.Thread+"/messages", 1)[0]
	if !strings.Contains(mustJSON(q.Body), "pb:step:provider:stripe") {
		t.Fatalf("question components: %v", q.Body)
	}

	// The card edit goes through the token while it lives…
	card.Card.Status = "open"
	if err := hs.a.Update(ctx, ref, card); err != nil {
		t.Fatal(err)
	}
	hs.fake.waitFor("PATCH /webhooks/app1/tok-1/messages/"+ref.ID, 1)
	// …and through the channel once it has expired.
	hs.advance(16 * time.Minute)
	card.Card.Status = "resolved"
	if err := hs.a.Update(ctx, ref, card); err != nil {
		t.Fatal(err)
	}
	got := hs.fake.waitFor("PATCH /channels/c1/messages/"+ref.ID, 1)[0]
	if !strings.Contains(mustJSON(got.Body), "resolved") {
		t.Fatalf("card edit: %v", got.Body)
	}
	if got.Auth != "Bot test-token" {
		t.Fatalf("authorization %q", got.Auth)
	}
	if _, err := hs.a.Post(ctx, bot.Message{Conversation: ev.Conversation, Kind: bot.KindText, Text: "late", ReplyToken: ev.ReplyToken}); err != nil {
		t.Fatal(err)
	}
	hs.fake.waitFor("POST /channels/c1/messages", 1)
}

func TestDuplicateInteraction(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	body := commandBody("1300000000000000021", "tok-2", "c1", "status", map[string]string{"ref": "PAY-3"})
	for i := 0; i < 3; i++ {
		if code, resp := hs.signed(body); code != 200 || respType(t, resp) != 5 {
			t.Fatalf("delivery %d: %d %s", i, code, resp)
		}
	}
	evs := hs.h.got()
	if len(evs) != 1 || evs[0].Text != "status PAY-3" {
		t.Fatalf("events %+v, want one status PAY-3", evs)
	}
}

func TestHandlerFailureIsReported(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	hs.h.err = errors.New("disk full")
	code, resp := hs.signed(commandBody("1300000000000000031", "tok-3", "c1", "list", nil))
	if code != 200 || respType(t, resp) != 4 || !strings.Contains(resp, "try again") {
		t.Fatalf("%d %s", code, resp)
	}
	hs.h.err = nil
	// The retry is handled, not taken for a duplicate.
	hs.signed(commandBody("1300000000000000031", "tok-3", "c1", "list", nil))
	if evs := hs.h.got(); len(evs) != 1 || evs[0].Text != "list" {
		t.Fatalf("events %+v", evs)
	}
}

func TestRefusedRequests(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	good := commandBody("1300000000000000041", "tok-4", "c1", "ack", nil)
	now := time.Now().Unix()
	ts := strconv.FormatInt(now, 10)
	_, otherKey, _ := ed25519.GenerateKey(strings.NewReader(strings.Repeat("x", 64)))
	cases := []struct {
		name string
		do   func() (int, string)
		want int
	}{
		{"wrong key", func() (int, string) { return hs.post(good, ts, otherKey) }, 401},
		{"tampered body", func() (int, string) {
			req, _ := http.NewRequest("POST", hs.srv.URL+InteractionsPath, strings.NewReader(strings.Replace(good, "ack", "resolve", 1)))
			req.Header.Set("X-Signature-Timestamp", ts)
			req.Header.Set("X-Signature-Ed25519", fmt.Sprintf("%x", ed25519.Sign(testKey, []byte(ts+good))))
			return do(t, req)
		}, 401},
		{"no signature", func() (int, string) {
			req, _ := http.NewRequest("POST", hs.srv.URL+InteractionsPath, strings.NewReader(good))
			return do(t, req)
		}, 401},
		{"garbage signature", func() (int, string) {
			req, _ := http.NewRequest("POST", hs.srv.URL+InteractionsPath, strings.NewReader(good))
			req.Header.Set("X-Signature-Timestamp", ts)
			req.Header.Set("X-Signature-Ed25519", "zz")
			return do(t, req)
		}, 401},
		{"stale replay", func() (int, string) { return hs.post(good, strconv.FormatInt(now-301, 10), testKey) }, 401},
		{"future timestamp", func() (int, string) { return hs.post(good, strconv.FormatInt(now+400, 10), testKey) }, 401},
		{"non-numeric timestamp", func() (int, string) { return hs.post(good, "yesterday", testKey) }, 401},
		{"not json", func() (int, string) { return hs.signed(`{"id":`) }, 400},
		{"no type", func() (int, string) { return hs.signed(`{"id":"1"}`) }, 400},
		{"wrong types", func() (int, string) { return hs.signed(`{"id":1,"type":"two","data":[]}`) }, 400},
		{"command without data", func() (int, string) { return hs.signed(`{"id":"1300000000000000042","type":2,"token":"t"}`) }, 400},
		{"component without data", func() (int, string) {
			return hs.signed(`{"id":"1300000000000000043","type":3,"token":"t","data":null}`)
		}, 400},
		{"bad custom id", func() (int, string) {
			return hs.signed(componentBody("1300000000000000044", "t", "c1", "", "m1", "pb:step", 2, nil))
		}, 400},
		{"empty body", func() (int, string) { return hs.signed(``) }, 400},
		{"too large", func() (int, string) {
			return hs.signed(`{"id":"1","type":2,"x":"` + strings.Repeat("a", maxBody) + `"}`)
		}, 413},
	}
	for _, c := range cases {
		code, body := c.do()
		if code != c.want {
			t.Errorf("%s: got %d %q, want %d", c.name, code, body, c.want)
		}
	}
	if n := len(hs.h.got()); n != 0 {
		t.Fatalf("handler called %d times for refused requests", n)
	}
	// The same body, freshly signed, is accepted.
	if code, _ := hs.signed(good); code != 200 || len(hs.h.got()) != 1 {
		t.Fatalf("good request refused: %d", code)
	}
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = fmt.Fprint(&b, resp.Status)
	return resp.StatusCode, b.String()
}

func TestComponents(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	// A choice button in the incident thread.
	code, resp := hs.signed(componentBody("1300000000000000051", "tok-5", "th1", "c1", "q1", "pb:step:category:card_declines", 2, nil))
	if code != 200 || respType(t, resp) != 6 {
		t.Fatalf("button: %d %s, want a deferred update (type 6)", code, resp)
	}
	// A select menu.
	hs.signed(componentBody("1300000000000000052", "tok-6", "th1", "c1", "q2", "pb:pick:provider:0", 3, []string{"stripe", "adyen"}))
	// A card button in the channel: it belongs to the thread on the card.
	hs.signed(componentBody("1300000000000000053", "tok-7", "c1", "", "card1", "pb:escalate:PAY-3", 2, nil))
	// Not ours.
	code, resp = hs.signed(componentBody("1300000000000000054", "tok-8", "c1", "", "m", "other:thing", 2, nil))
	if code != 200 || respType(t, resp) != 4 {
		t.Fatalf("foreign component: %d %s", code, resp)
	}
	evs := hs.h.got()
	if len(evs) != 3 {
		t.Fatalf("events: %+v", evs)
	}
	thread := bot.Conversation{Platform: "discord", Channel: "c1", Thread: "th1"}
	check := func(ev bot.Event, action string, values []string, conv bot.Conversation) {
		t.Helper()
		if ev.Kind != bot.EventAction || ev.Action != action || fmt.Sprint(ev.Values) != fmt.Sprint(values) || ev.Conversation != conv {
			t.Errorf("got %+v, want action %s %v in %+v", ev, action, values, conv)
		}
	}
	check(evs[0], "category", []string{"card_declines"}, thread)
	check(evs[1], "provider", []string{"stripe", "adyen"}, thread)
	check(evs[2], "escalate", nil, bot.Conversation{Platform: "discord", Channel: "c1", Thread: "card1"})
}

func TestComponentWithUnknownMessageComponents(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	body := componentBody("1300000000000000061", "tok", "th1", "c1", "q1", "pb:step:category:x", 2, nil)
	var m map[string]any
	mustUnmarshal(t, body, &m)
	m["message"].(map[string]any)["components"] = []any{map[string]any{"type": 99, "id": 7}}
	body = mustJSON(m)
	var probe discordgo.Interaction
	if probe.UnmarshalJSON([]byte(body)) == nil {
		t.Fatal("test premise: discordgo should fail on component type 99")
	}
	code, resp := hs.signed(body)
	if code != 200 || respType(t, resp) != 6 {
		t.Fatalf("%d %s", code, resp)
	}
	if evs := hs.h.got(); len(evs) != 1 || evs[0].Action != "category" {
		t.Fatalf("%+v", evs)
	}
}

func TestOpenModal(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	code, resp := hs.signed(commandBody("1300000000000000071", "tok", "c1", "open", nil))
	if code != 200 || respType(t, resp) != 9 {
		t.Fatalf("open without summary: %d %s, want a modal (type 9)", code, resp)
	}
	// Only ActionsRow (1) and TextInput (4), 1 to 5 inputs.
	var m struct {
		Data struct {
			CustomID   string `json:"custom_id"`
			Components []struct {
				Type       int `json:"type"`
				Components []struct {
					Type int `json:"type"`
				} `json:"components"`
			} `json:"components"`
		} `json:"data"`
	}
	mustUnmarshal(t, resp, &m)
	if n := len(m.Data.Components); n < 1 || n > maxModalInputs {
		t.Fatalf("%d modal rows", n)
	}
	for _, row := range m.Data.Components {
		if row.Type != 1 || len(row.Components) != 1 || row.Components[0].Type != 4 {
			t.Fatalf("modal row %+v", row)
		}
	}
	submit := mustJSON(map[string]any{
		"id": "1300000000000000072", "application_id": "app1", "type": 5, "token": "tok-m", "version": 1,
		"guild_id": "g1", "channel_id": "c1", "member": map[string]any{"user": map[string]any{"id": "u1", "username": "alice"}},
		"data": map[string]any{"custom_id": m.Data.CustomID, "components": []any{
			map[string]any{"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": "summary", "value": "payouts delayed"}}},
			map[string]any{"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": "details", "value": ""}}},
		}},
	})
	code, resp = hs.signed(submit)
	if code != 200 || respType(t, resp) != 5 {
		t.Fatalf("modal submit: %d %s", code, resp)
	}
	if evs := hs.h.got(); len(evs) != 1 || evs[0].Kind != bot.EventCommand || evs[0].Text != "open payouts delayed" {
		t.Fatalf("%+v", evs)
	}
}

func TestSubcommandText(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	cases := []struct {
		sub  string
		opts map[string]string
		want string
	}{
		{"open", map[string]string{"summary": "checkout declines spiking"}, "open checkout declines spiking"},
		{"status", map[string]string{"ref": "PAY-3"}, "status PAY-3"},
		{"status", nil, "status"},
		{"list", nil, "list"},
		{"search", map[string]string{"question": "do_not_honor"}, "search do_not_honor"},
		{"escalate", map[string]string{"reason": "merchant down"}, "escalate merchant down"},
		{"ack", nil, "ack"},
		{"resolve", map[string]string{"fix": "rotated key"}, "resolve rotated key"},
		{"summary", nil, "summary"},
		{"help", nil, "help"},
		{"update", map[string]string{"text": "rolled back, declines falling"}, "update rolled back, declines falling"},
		{"join", nil, "join"},
		{"lead", nil, "lead"},
	}
	for i, c := range cases {
		hs.signed(commandBody(fmt.Sprint(1300000000000000100+i), "t", "c1", c.sub, c.opts))
	}
	evs := hs.h.got()
	if len(evs) != len(cases) {
		t.Fatalf("%d events", len(evs))
	}
	for i, c := range cases {
		if evs[i].Text != c.want || evs[i].Kind != bot.EventCommand {
			t.Errorf("%s: got %q, want %q", c.sub, evs[i].Text, c.want)
		}
	}
}

func TestRateLimited429(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	hs.fake.inject429("POST", "/channels/c9/messages", 1)
	start := time.Now()
	ref, err := hs.a.Post(context.Background(), bot.Message{Conversation: bot.Conversation{Platform: "discord", Channel: "c9"}, Kind: bot.KindText, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if ref.ID == "" {
		t.Fatal("no message id")
	}
	if n := len(hs.fake.find("POST /channels/c9/messages")); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("retried after %v, want ≥ retry_after 150ms", d)
	}
}

func TestSplitLongMessages(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	var b strings.Builder
	for i := 0; b.Len() < 4500; i++ {
		fmt.Fprintf(&b, "line %d: decline code do_not_honor means the issuer refused; ask the cardholder to call the bank. ", i)
		if i%3 == 2 {
			b.WriteString("\n")
		}
	}
	text := strings.TrimSpace(b.String())
	_, err := hs.a.Post(context.Background(), bot.Message{Conversation: bot.Conversation{Platform: "discord", Channel: "c1", Thread: "th9"}, Kind: bot.KindText, Text: text,
		Choices: []bot.Choice{{Value: "yes", Label: "Yes"}}, Expects: "helpful"})
	if err != nil {
		t.Fatal(err)
	}
	reqs := hs.fake.find("POST /channels/th9/messages")
	if len(reqs) != 3 {
		t.Fatalf("%d messages, want 3", len(reqs))
	}
	var joined []string
	for i, r := range reqs {
		c := r.Body["content"].(string)
		if n := len([]rune(c)); n > maxContent || n == 0 {
			t.Fatalf("part %d has %d characters", i, n)
		}
		joined = append(joined, c)
		_, hasComps := r.Body["components"].([]any)
		if hasComps != (i == len(reqs)-1) {
			t.Fatalf("components on part %d: %v", i, r.Body["components"])
		}
	}
	if strings.Join(strings.Fields(strings.Join(joined, " ")), " ") != strings.Join(strings.Fields(text), " ") {
		t.Fatal("split text lost or changed words")
	}
}

func TestGatewayEvents(t *testing.T) {
	hs := newHarness(t, ModeBoth)
	s := hs.a.Session()
	// A slash command through the gateway: same translation, deferred
	// response through the callback endpoint.
	ic := &discordgo.InteractionCreate{Interaction: &discordgo.Interaction{
		ID: "1300000000000000201", AppID: "app1", Type: discordgo.InteractionApplicationCommand, Token: "gw-tok",
		ChannelID: "c1", GuildID: "g1", Member: &discordgo.Member{User: &discordgo.User{ID: "u1", Username: "alice"}},
		Data: discordgo.ApplicationCommandInteractionData{Name: CommandName, Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: "open", Type: discordgo.ApplicationCommandOptionSubCommand, Options: []*discordgo.ApplicationCommandInteractionDataOption{
				{Name: "summary", Type: discordgo.ApplicationCommandOptionString, Value: "refunds stuck"}}}}},
	}}
	hs.a.onInteractionCreate(s, ic)
	cb := hs.fake.waitFor("POST /interactions/1300000000000000201/gw-tok/callback", 1)[0]
	if cb.Body["type"].(float64) != 5 {
		t.Fatalf("callback %v", cb.Body)
	}
	hs.a.onInteractionCreate(s, ic) // redelivered
	// A button in a thread the adapter opened.
	ref := bot.MessageRef{Conversation: bot.Conversation{Platform: "discord", Channel: "c1"}, ID: "card7"}
	conv, err := hs.a.OpenThread(context.Background(), ref, "PAY-7 refunds stuck")
	if err != nil {
		t.Fatal(err)
	}
	hs.a.onInteractionCreate(s, &discordgo.InteractionCreate{Interaction: &discordgo.Interaction{
		ID: "1300000000000000202", AppID: "app1", Type: discordgo.InteractionMessageComponent, Token: "gw-tok2",
		ChannelID: conv.Thread, Member: &discordgo.Member{User: &discordgo.User{ID: "u2", Username: "bob"}},
		Message: &discordgo.Message{ID: "q1"},
		Data:    discordgo.MessageComponentInteractionData{CustomID: "pb:step:category:refunds", ComponentType: discordgo.ButtonComponent},
	}})
	hs.fake.waitFor("POST /interactions/1300000000000000202/gw-tok2/callback", 1)
	// Typed thread messages; bots, webhooks and other channels are ignored.
	msg := func(id, channel string, author *discordgo.User, content string) *discordgo.MessageCreate {
		return &discordgo.MessageCreate{Message: &discordgo.Message{ID: id, ChannelID: channel, Author: author, Content: content, Type: discordgo.MessageTypeDefault}}
	}
	carol := &discordgo.User{ID: "u3", Username: "carol"}
	hs.a.onMessageCreate(s, msg("1300000000000000203", conv.Thread, carol, "it started at 14:05"))
	hs.a.onMessageCreate(s, msg("1300000000000000203", conv.Thread, carol, "it started at 14:05")) // redelivered
	hs.a.onMessageCreate(s, msg("1300000000000000204", conv.Thread, &discordgo.User{ID: "app1", Bot: true}, "bot echo"))
	hs.a.onMessageCreate(s, msg("1300000000000000205", "c1", carol, "chatter in the channel"))
	hs.a.onMessageCreate(s, msg("1300000000000000206", "c1", carol, "<@app1> what does do_not_honor mean?"))
	hs.a.onMessageCreate(s, &discordgo.MessageCreate{Message: &discordgo.Message{ID: "1300000000000000207", ChannelID: "c1", Author: carol,
		Content: "<@app1> are payouts late?", Mentions: []*discordgo.User{{ID: "app1"}}}})

	evs := hs.h.got()
	if len(evs) != 4 {
		t.Fatalf("%d events: %+v", len(evs), evs)
	}
	if evs[0].Kind != bot.EventCommand || evs[0].Text != "open refunds stuck" || evs[0].ReplyToken == "" {
		t.Errorf("command %+v", evs[0])
	}
	if evs[1].Kind != bot.EventAction || evs[1].Action != "category" || evs[1].Conversation != conv {
		t.Errorf("action %+v", evs[1])
	}
	if evs[2].Kind != bot.EventMessage || evs[2].Text != "it started at 14:05" || evs[2].Conversation != conv || evs[2].ID != "discord:1300000000000000203" {
		t.Errorf("thread message %+v", evs[2])
	}
	if evs[3].Kind != bot.EventMessage || !evs[3].Mention || evs[3].Text != "are payouts late?" || evs[3].Conversation.Thread != "" {
		t.Errorf("mention %+v", evs[3])
	}
}

func TestRegister(t *testing.T) {
	for _, guild := range []string{"", "g42"} {
		fake := newFakeDiscord(t)
		a, err := New(Config{Token: "tok", AppID: "app1", GuildID: guild, APIURL: fake.URL + "/api/v10", Mode: ModeGateway}, Options{Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Register(context.Background()); err != nil {
			t.Fatal(err)
		}
		path := "PUT /applications/app1/commands"
		if guild != "" {
			path = "PUT /applications/app1/guilds/g42/commands"
		}
		r := fake.waitFor(path, 1)
		if list, _ := r[0].Body["_list"].([]any); len(list) != 1 || !strings.Contains(mustJSON(list), `"name":"payissue"`) {
			t.Fatalf("body should be the command list: %s", mustJSON(r[0].Body))
		}
	}
}

func TestConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	if _, ok, err := ConfigFromLookup(env()); ok || err != nil {
		t.Fatal("empty environment must mean not configured")
	}
	pk := testPublicKey()
	good := []struct {
		env  []string
		mode string
	}{
		{[]string{"DISCORD_BOT_TOKEN", "t"}, ModeGateway},
		{[]string{"DISCORD_BOT_TOKEN", "t", "DISCORD_PUBLIC_KEY", pk}, ModeBoth},
		{[]string{"DISCORD_PUBLIC_KEY", pk}, ModeHTTP},
		{[]string{"DISCORD_BOT_TOKEN", "t", "DISCORD_PUBLIC_KEY", pk, "DISCORD_MODE", "HTTP"}, ModeHTTP},
	}
	for _, g := range good {
		cfg, ok, err := ConfigFromLookup(env(g.env...))
		if !ok || err != nil || cfg.Mode != g.mode {
			t.Errorf("%v: ok=%v err=%v mode=%s, want %s", g.env, ok, err, cfg.Mode, g.mode)
		}
	}
	bad := [][]string{
		{"DISCORD_GUILD_ID", "g"},
		{"DISCORD_APP_ID", "a"},
		{"DISCORD_BOT_TOKEN", "t", "DISCORD_MODE", "http"},
		{"DISCORD_BOT_TOKEN", "t", "DISCORD_MODE", "both"},
		{"DISCORD_PUBLIC_KEY", pk, "DISCORD_MODE", "gateway"},
		{"DISCORD_PUBLIC_KEY", "abc"},
		{"DISCORD_BOT_TOKEN", "t", "DISCORD_MODE", "carrier-pigeon"},
		{"DISCORD_BOT_TOKEN", "t", "DISCORD_API_URL", "localhost:80"},
	}
	for _, b := range bad {
		if _, ok, err := ConfigFromLookup(env(b...)); !ok || err == nil {
			t.Errorf("%v: want a half-configured error, got ok=%v err=%v", b, ok, err)
		}
	}
}

func TestRewritePath(t *testing.T) {
	cases := []struct{ base, req, want string }{
		{"", "/api/v9/channels/1", "/api/v9/channels/1"},
		{"/api/v10", "/api/v9/channels/1", "/api/v10/channels/1"},
		{"/api", "/api/v9/channels/1", "/api/v9/channels/1"},
		{"/discord", "/api/v9/channels/1", "/discord/api/v9/channels/1"},
		{"/x/api/v10", "/api/v9", "/x/api/v10"},
	}
	for _, c := range cases {
		if got := rewritePath(c.base, c.req); got != c.want {
			t.Errorf("rewritePath(%q, %q) = %q, want %q", c.base, c.req, got, c.want)
		}
	}
}

func TestMention(t *testing.T) {
	a, _ := New(Config{Token: "t"}, Options{})
	if got := a.Mention(bot.User{Platform: "discord", ID: "42"}); got != "<@!42>" {
		t.Fatal(got)
	}
}

func TestEphemeralNotice(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	hs.fake.tokenChannel("tok-e", "th1")
	hs.signed(componentBody("1300000000000000301", "tok-e", "th1", "c1", "q1", "pb:step:category:x", 2, nil))
	conv := bot.Conversation{Platform: "discord", Channel: "c1", Thread: "th1"}
	to := bot.User{Platform: "discord", ID: "u1"}
	// The interaction becomes the person's latest just after its response
	// is written (answered), so a notice sent at once could miss it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if r, _ := hs.a.latestFor(context.Background(), "u1", "th1"); r != nil || time.Now().After(deadline) {
			break
		}
	}
	if err := hs.a.PostEphemeral(context.Background(), to, bot.Message{Conversation: conv, Kind: bot.KindNotice, Text: "I masked a card number ending 4242.", To: &to}); err != nil {
		t.Fatal(err)
	}
	r := hs.fake.waitFor("POST /webhooks/app1/tok-e", 1)[0]
	if r.Body["flags"].(float64) != 64 {
		t.Fatalf("%v", r.Body)
	}
	if err := hs.a.PostEphemeral(context.Background(), bot.User{ID: "nobody"}, bot.Message{Conversation: conv, Kind: bot.KindNotice, Text: "x"}); !errors.Is(err, bot.ErrUnsupported) {
		t.Fatalf("want ErrUnsupported, got %v", err)
	}
}

func TestCommandWithoutSubcommand(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	body := mustJSON(map[string]any{
		"id": "1300000000000000401", "application_id": "app1", "type": 2, "token": "t", "version": 1, "channel_id": "c1",
		"user": map[string]any{"id": "u9", "username": "dm-user"},
		"data": map[string]any{"id": "cmd", "name": CommandName, "type": 1, "options": []any{map[string]any{"name": "summary", "type": 3, "value": "refund webhooks failing"}}},
	})
	if code, resp := hs.signed(body); code != 200 || respType(t, resp) != 5 {
		t.Fatalf("%d %s", code, resp)
	}
	evs := hs.h.got()
	if len(evs) != 1 || evs[0].Text != "open refund webhooks failing" || evs[0].User.ID != "u9" {
		t.Fatalf("%+v", evs)
	}
}

// A command typed in a thread whose answer goes to the parent channel (a
// new incident's card) leaves a pointer in the deferred original instead of
// an endless "thinking…".
func TestReplyElsewherePointsOriginal(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	hs.fake.tokenChannel("tok-th", "th5")
	body := strings.Replace(commandBody("1300000000000000501", "tok-th", "th5", "open", map[string]string{"summary": "payouts late"}),
		`"channel":{"guild_id":"g1","id":"th5","type":0}`, `"channel":{"guild_id":"g1","id":"th5","type":11,"parent_id":"c1"}`, 1)
	if code, resp := hs.signed(body); code != 200 || respType(t, resp) != 5 {
		t.Fatalf("%d %s", code, resp)
	}
	ev := hs.h.got()[0]
	if ev.Conversation != (bot.Conversation{Platform: "discord", Channel: "c1", Thread: "th5"}) {
		t.Fatalf("conversation %+v", ev.Conversation)
	}
	ref, err := hs.a.Post(context.Background(), bot.Message{Conversation: bot.Conversation{Platform: "discord", Channel: "c1"}, Kind: bot.KindCard,
		Card: &bot.Card{Ref: "PAY-5", Title: "payouts late", Status: "intake"}, ReplyToken: ev.ReplyToken})
	if err != nil {
		t.Fatal(err)
	}
	hs.fake.waitFor("POST /channels/c1/messages", 1)
	p := hs.fake.waitFor("PATCH /webhooks/app1/tok-th/messages/@original", 1)[0]
	if !strings.Contains(p.Body["content"].(string), "<#c1>") {
		t.Fatalf("original: %v", p.Body)
	}
	if ref.ID == "" {
		t.Fatal("no ref")
	}
}

func TestMessageInThreadUnknownToState(t *testing.T) {
	hs := newHarness(t, ModeBoth)
	m := &discordgo.MessageCreate{Message: &discordgo.Message{ID: "1300000000000000601", ChannelID: "oldthread1", Type: discordgo.MessageTypeDefault,
		Content: "any update?", Author: &discordgo.User{ID: "u5", Username: "eve"}}}
	hs.a.onMessageCreate(hs.a.Session(), m)
	m.ID = "1300000000000000602"
	hs.a.onMessageCreate(hs.a.Session(), m)
	evs := hs.h.got()
	if len(evs) != 2 || evs[0].Conversation != (bot.Conversation{Platform: "discord", Channel: "c1", Thread: "oldthread1"}) {
		t.Fatalf("%+v", evs)
	}
	if n := len(hs.fake.find("GET /channels/oldthread1")); n != 1 {
		t.Fatalf("%d channel lookups, want 1 (cached)", n)
	}
}

func TestExpiredOrUnknownTokenFallsBackToChannel(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	// The fake does not know tok-x: the webhook answers 404 Unknown Webhook.
	hs.signed(commandBody("1300000000000000701", "tok-x", "c1", "list", nil))
	ev := hs.h.got()[0]
	ref, err := hs.a.Post(context.Background(), bot.Message{Conversation: ev.Conversation, Kind: bot.KindText, Text: "No open incidents.", ReplyToken: ev.ReplyToken})
	if err != nil || ref.ID == "" {
		t.Fatalf("%v %+v", err, ref)
	}
	hs.fake.waitFor("PATCH /webhooks/app1/tok-x/messages/@original", 1)
	hs.fake.waitFor("POST /channels/c1/messages", 1)
}

// TestNoticeAfterDeferredCommandIsPrivate: a notice (a refusal, a masking
// warning) that answers a deferred command does not fill the public
// "thinking…" original, which the whole channel sees: the original is
// deleted and the notice goes as an ephemeral follow-up.
func TestNoticeAfterDeferredCommandIsPrivate(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	hs.fake.tokenChannel("tok-n", "c1")
	hs.signed(commandBody("1300000000000000702", "tok-n", "c1", "status", nil))
	ev := hs.h.got()[0]
	err := hs.a.PostEphemeral(context.Background(), ev.User, bot.Message{Conversation: ev.Conversation, Kind: bot.KindNotice,
		Text: "Which incident? Run this inside an incident thread, or give its ref.", ReplyToken: ev.ReplyToken, To: &ev.User})
	if err != nil {
		t.Fatal(err)
	}
	hs.fake.waitFor("DELETE /webhooks/app1/tok-n/messages/@original", 1)
	r := hs.fake.waitFor("POST /webhooks/app1/tok-n", 1)[0]
	if !strings.Contains(r.Body["content"].(string), "Which incident?") || r.Body["flags"] != float64(64) {
		t.Fatalf("%v", r.Body)
	}
	if n := len(hs.fake.find("PATCH /webhooks/app1/tok-n/messages/@original")); n != 0 {
		t.Fatalf("the notice filled the public original (%d edits)", n)
	}
}

func TestDirectMessage(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	if err := hs.a.DirectMessage(context.Background(), bot.User{Platform: "discord", ID: "u7"}, bot.Message{Kind: bot.KindText, Text: "PAY-2 was escalated to you."}); err != nil {
		t.Fatal(err)
	}
	hs.fake.waitFor("POST /users/@me/channels", 1)
	hs.fake.waitFor("POST /channels/dm-u7/messages", 1)
}

func TestStartStops(t *testing.T) {
	for _, mode := range []string{ModeHTTP, ModeBoth} {
		hs := newHarness(t, mode)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- hs.a.Start(ctx, hs.h) }()
		time.Sleep(50 * time.Millisecond)
		cancel()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatalf("%s: Start did not return after cancel", mode)
		}
		gw := len(hs.fake.find("GET /gateway"))
		if (mode == ModeHTTP) != (gw == 0) {
			t.Fatalf("%s: %d gateway lookups", mode, gw)
		}
	}
}

// TestLeadUserOption: /payissue lead person:<user> reaches the core as a
// mention it can resolve.
func TestLeadUserOption(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	body := strings.Replace(commandBody("1300000000000000900", "t", "c1", "lead", map[string]string{"person": "80351110224678913"}),
		`"type":3`, `"type":6`, 1)
	hs.signed(body)
	if evs := hs.h.got(); len(evs) != 1 || evs[0].Text != "lead <@80351110224678913>" {
		t.Fatalf("%+v", evs)
	}
}
