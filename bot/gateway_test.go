package bot_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/diagnose"
	"github.com/paybot/paybot/incidents/gatewaystatus"
	gst "github.com/paybot/paybot/incidents/gatewaystatus/gatewaystatustest"
)

func gatewayPolicy(t *testing.T, statusPage, extra string) *incidents.Policy {
	t.Helper()
	p, probs := incidents.ParsePolicyYAML([]byte(`providers:
  stripe:
    name: Stripe
    status_page: ` + statusPage + "\n" + extra))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	return p
}

// gatewayRig polls a fake Statuspage into a harness's engine, the way
// cmd/paybot wires them.
type gatewayRig struct {
	t      *testing.T
	h      *bottest.Harness
	page   *gst.FakeStatuspage
	poller *gatewaystatus.Poller
}

func (g *gatewayRig) connect() {
	g.poller = gatewaystatus.New(gatewaystatus.Config{Clock: g.h.Clock, Store: g.h.Store.(incidents.GatewayStore),
		Sources:    []gatewaystatus.Source{{Provider: "stripe", URL: g.page.URL}},
		OnSnapshot: func(ctx context.Context, s incidents.GatewaySnapshot) { g.h.Engine.GatewayUpdate(ctx, s) }})
}

// poll moves the clock a minute, polls once at stage and returns the
// messages posted and the number of card updates.
func (g *gatewayRig) poll(stage int) ([]bot.Message, int) {
	g.t.Helper()
	g.page.Set(stage)
	g.h.Clock.Advance(time.Minute)
	before, cards := len(g.h.Adapter.Log), len(g.h.Adapter.Updates)
	g.poller.Poll(context.Background(), "stripe")
	return append([]bot.Message(nil), g.h.Adapter.Log[before:]...), len(g.h.Adapter.Updates) - cards
}

func newGatewayRig(t *testing.T, extra string) *gatewayRig {
	page := gst.NewFakeStatuspage()
	t.Cleanup(page.Close)
	h := bottest.New(t, bot.Config{Policy: gatewayPolicy(t, page.URL, extra)})
	g := &gatewayRig{t: t, h: h, page: page}
	g.connect()
	return g
}

// An incident with that provider gets exactly one post per status change,
// across a restart, with the link's token masked; the card and the packet
// show the gateway's status.
func TestGatewayCorrelationOnePostPerChange(t *testing.T) {
	g := newGatewayRig(t, "")
	h := g.h
	runIntake(t, h, h.Command("card payments failing at checkout"))
	thread := h.Thread
	steps := []struct {
		stage int
		posts int
		says  string
	}{
		{gst.StageNone, 0, ""},
		{gst.StageMajor, 1, "Stripe has declared an incident on its status page: Elevated card authorisation errors — investigating (major impact; affects Card payments API, 3-D Secure) https://stspg.io/abc?token=REDACTED"},
		{gst.StageMajor, 0, ""}, // 304
		{gst.StageUpdate, 1, "Stripe's status page has an update: Elevated card authorisation errors — identified"},
		{gst.Stage500, 0, ""},
		{-1, 0, ""}, // restart, then the same update again
		{gst.StageUpdate, 0, ""},
		{gst.StageResolved, 1, `no longer lists "Elevated card authorisation errors" as active`},
		{gst.StageResolved, 0, ""},
		{gst.StageMaintenance, 1, "Stripe's status page shows a maintenance in progress: Maintenance: Database upgrade — in progress (affects Payouts)"},
	}
	for i, st := range steps {
		if st.stage == -1 {
			h.Restart()
			g.connect()
			continue
		}
		msgs, cards := g.poll(st.stage)
		if len(msgs) != st.posts {
			t.Fatalf("step %d (stage %d): %d posts, want %d:\n%s", i, st.stage, len(msgs), st.posts, texts(msgs))
		}
		if st.posts == 0 {
			continue
		}
		m := msgs[0]
		if m.Conversation != thread || !strings.Contains(m.Text, st.says) {
			t.Fatalf("step %d: post in %v:\n%s\nwant in %v containing %q", i, m.Conversation, m.Text, thread, st.says)
		}
		if strings.Contains(m.Text, "s3cr3tvalue") {
			t.Fatalf("step %d: token not masked: %s", i, m.Text)
		}
		if cards != 1 {
			t.Fatalf("step %d: %d card updates, want 1", i, cards)
		}
	}
	last := h.Adapter.Updates[len(h.Adapter.Updates)-1]
	if last.Card == nil || !strings.Contains(last.Card.Gateway, "Maintenance: Database upgrade") {
		t.Fatalf("card gateway line = %+v", last.Card)
	}
	out := texts(h.ThreadCommand("summary"))
	if !strings.Contains(out, "Gateway status page: Maintenance: Database upgrade") || !strings.Contains(out, "gateway: Stripe has declared an incident") ||
		!strings.Contains(out, "token=REDACTED") || strings.Contains(out, "s3cr3tvalue") {
		t.Fatalf("packet lacks the gateway status:\n%s", out)
	}
}

// Two replicas handling the same poll post once.
func TestGatewayTwoReplicasPostOnce(t *testing.T) {
	g := newGatewayRig(t, "")
	h := g.h
	runIntake(t, h, h.Command("card payments failing at checkout"))
	second := bot.NewEngine(bot.Config{Store: h.Store, Clock: h.Clock, Policy: h.Config.Policy})
	second.AddAdapter(h.Adapter)
	g.page.Set(gst.StageMajor)
	snap, err := g.poller.Poll(context.Background(), "stripe") // the first replica posts here…
	if err != nil {
		t.Fatal(err)
	}
	before := len(h.Adapter.Log)
	var wg sync.WaitGroup
	for _, e := range []*bot.Engine{h.Engine, second, second} { // …and the others race on the same snapshot
		wg.Add(1)
		go func(e *bot.Engine) { defer wg.Done(); e.GatewayUpdate(context.Background(), snap) }(e)
	}
	wg.Wait()
	if n := len(h.Adapter.Log) - before; n != 0 {
		t.Fatalf("%d extra posts, want 0:\n%s", n, texts(h.Adapter.Log[before:]))
	}
	if n := countContaining(h.Adapter.Log, "has declared an incident"); n != 1 {
		t.Fatalf("%d posts of the incident, want 1", n)
	}
}

// With status_notice_channel, a declared incident while no Paybot incident
// is open gets one channel notice, also across replicas.
func TestGatewayChannelNotice(t *testing.T) {
	g := newGatewayRig(t, "    status_notice_channel: fake:C-NOTICE\n")
	msgs, _ := g.poll(gst.StageMajor)
	if len(msgs) != 1 || msgs[0].Conversation.Channel != "C-NOTICE" || !strings.Contains(msgs[0].Text, "No Paybot incident is open for Stripe") {
		t.Fatalf("notice = %s", texts(msgs))
	}
	if msgs, _ := g.poll(gst.StageMajor); len(msgs) != 0 {
		t.Fatalf("repeated notice: %s", texts(msgs))
	}
	second := bot.NewEngine(bot.Config{Store: g.h.Store, Clock: g.h.Clock, Policy: g.h.Config.Policy})
	second.AddAdapter(g.h.Adapter)
	snap, _ := g.poller.Snapshot("stripe")
	second.GatewayUpdate(context.Background(), snap)
	if n := countContaining(g.h.Adapter.Log, "No Paybot incident"); n != 1 {
		t.Fatalf("%d notices, want 1", n)
	}
	if msgs, _ := g.poll(gst.StageUpdate); len(msgs) != 1 {
		t.Fatalf("update notice: %s", texts(msgs))
	}
}

// Text from a status page never becomes a live Slack mention.
func TestGatewayTextIsNeutralised(t *testing.T) {
	g := newGatewayRig(t, "")
	runIntake(t, g.h, g.h.Command("card payments failing at checkout"))
	g.page.SetName("<!channel> payments down, card 4242 4242 4242 4242 <@U123>")
	msgs, _ := g.poll(gst.StageMajor)
	if len(msgs) != 1 {
		t.Fatalf("posts: %s", texts(msgs))
	}
	txt := msgs[0].Text
	if strings.ContainsAny(txt, "<>") || strings.Contains(txt, "4242 4242 4242 4242") || !strings.Contains(txt, "‹!channel›") {
		t.Fatalf("unsafe text: %s", txt)
	}
}

func TestGatewayCommand(t *testing.T) {
	g := newGatewayRig(t, "  adyen:\n    status_page: https://status.adyen.example\n")
	h := g.h
	out := texts(h.Command("gateway"))
	if !strings.Contains(out, "Adyen: not polled yet.") || !strings.Contains(out, "Stripe: not polled yet.") {
		t.Fatalf("before polling:\n%s", out)
	}
	g.poll(gst.StageMajor)
	h.Clock.Advance(2 * time.Minute)
	out = texts(h.Command("gateway stripe"))
	if !strings.Contains(out, "Stripe: Elevated card authorisation errors — investigating") || !strings.Contains(out, "(as of 2m ago)") ||
		!strings.Contains(out, "token=REDACTED") || strings.Contains(out, "s3cr3t") {
		t.Fatalf("gateway stripe:\n%s", out)
	}
	g.poll(gst.Stage500)
	out = texts(h.Command("gateway stripe"))
	if !strings.Contains(out, "the last poll 0s ago failed: status page answered HTTP 500") {
		t.Fatalf("after a failed poll:\n%s", out)
	}
	if out := texts(h.Command("gateway square")); !strings.Contains(out, "Square: no status page configured.") {
		t.Fatalf("known provider without a page:\n%s", out)
	}
	// Anything else after "gateway" is an incident summary, as before.
	if msgs := h.Command("gateway timeouts at checkout"); len(msgs) == 0 || msgs[0].Kind != bot.KindCard || msgs[0].Card.Title != "gateway timeouts at checkout" {
		t.Fatalf("summary starting with gateway:\n%s", texts(msgs))
	}
}

// /payissue diagnose answers at once, runs in the background, posts the
// result in the thread through the outbox and puts it in the packet.
func TestDiagnoseFromChat(t *testing.T) {
	srv := httptest.NewTLSServer(nil) // its certificate is trusted by nobody
	defer srv.Close()
	page := gst.NewFakeStatuspage()
	defer page.Close()
	h := bottest.New(t, bot.Config{Policy: gatewayPolicy(t, page.URL, "    api_endpoint: "+srv.URL+"/v1/?api_key=sk_live_hidden\n")})
	h.Engine.SetDiagnoser(func(ctx context.Context, target string) (*diagnose.Report, error) {
		return diagnose.Run(ctx, diagnose.Config{AllowPrivate: true, Timeout: 5 * time.Second}, target)
	})
	runIntake(t, h, h.Command("card payments failing at checkout"))
	msgs := h.ThreadCommand("diagnose")
	// The result may already follow the answer: the outbox delivers what
	// the background check queued as soon as it is committed.
	if len(msgs) < 1 || !strings.Contains(msgs[0].Text, "Checking https://127.0.0.1") || strings.Contains(texts(msgs), "sk_live_hidden") {
		t.Fatalf("immediate answer:\n%s", texts(msgs))
	}
	h.Engine.WaitDiagnoses()
	h.Engine.FlushOutbox(context.Background())
	var result *bot.Message
	for i := range h.Adapter.Log {
		if strings.HasPrefix(h.Adapter.Log[i].Text, "Diagnosis of") {
			result = &h.Adapter.Log[i]
		}
	}
	if result == nil || result.Conversation != h.Thread || !strings.Contains(result.Text, "FAIL chain") ||
		!strings.Contains(result.Text, "The certificate is self-signed") || strings.Contains(result.Text, "sk_live_hidden") {
		t.Fatalf("result:\n%+v", result)
	}
	out := texts(h.ThreadCommand("summary"))
	if !strings.Contains(out, "Connectivity diagnosis: https://127.0.0.1") || !strings.Contains(out, "FAIL") {
		t.Fatalf("packet:\n%s", out)
	}
	// The default diagnoser refuses private addresses from chat.
	h2 := bottest.New(t, bot.Config{})
	h2.Command("diagnose https://127.0.0.1:1/")
	h2.Engine.WaitDiagnoses()
	if n := countContaining(h2.Adapter.Log, "only check public endpoints"); n != 1 {
		t.Fatalf("private address: %s", texts(h2.Adapter.Log))
	}
	for bad, want := range map[string]string{"diagnose": "What should I check?", "diagnose acme": `API endpoint of "acme"`, "diagnose ftp://x.y": "give an https URL"} {
		if out := texts(h2.Command(bad)); !strings.Contains(out, want) {
			t.Errorf("%q: %s", bad, out)
		}
	}
}
