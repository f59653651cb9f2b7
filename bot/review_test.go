package bot_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybot/paybot/adapters/web"
	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
	"github.com/paybot/paybot/incidents"
)

// intakeWith walks the default intake with answers, overriding some.
func intakeWith(t *testing.T, h *bottest.Harness, msgs []bot.Message, over map[string]string) []bot.Message {
	t.Helper()
	for i := 0; i < 20; i++ {
		step := bottest.Expects(msgs)
		if step == "" || step == "merge" {
			return msgs
		}
		a, ok := over[step]
		if !ok {
			a = answers[step]
		}
		msgs = h.Say(a)
	}
	t.Fatal("intake did not finish")
	return nil
}

type reviewKB struct{}

func (reviewKB) Ask(_ context.Context, q string, _ int) ([]bot.Hit, bool, error) {
	return []bot.Hit{{ID: "kb:stripe-do-not-honor", Title: "Stripe do_not_honor: ask the cardholder to call the bank", Source: "kb"}}, true, nil
}

func berlin(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestDuplicateByTransactionAndMerge(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	intakeWith(t, h, h.Command("card payments failing at checkout"), nil)
	first := h.Incident()
	h.Clock.Advance(3 * time.Hour) // outside the code window: only the transaction id can match
	msgs := intakeWith(t, h, h.Command("stripe declines again"), map[string]string{"transaction_ids": "pi_other, CH_3NXYZABC", "error_messages": "nothing useful"})
	second := h.Incident()
	var offer *bot.Message
	for i := range msgs {
		if msgs[i].Expects == "merge" {
			offer = &msgs[i]
		}
	}
	if offer == nil || !strings.Contains(offer.Text, "PAY-1") || !strings.Contains(offer.Text, "the same transaction id CH_3NXYZABC") ||
		len(offer.Choices) != 1 || offer.Choices[0].Value != "PAY-2 into PAY-1" {
		t.Fatalf("no duplicate offer: %s", texts(msgs))
	}
	msgs = h.Send(bot.Event{Kind: bot.EventAction, Conversation: h.Thread, Action: "merge", Values: []string{offer.Choices[0].Value}, User: bottest.User("alice")})
	all := texts(msgs)
	if !strings.Contains(all, "PAY-2 is merged into PAY-1") || !strings.Contains(all, "merged PAY-2 into PAY-1") {
		t.Errorf("both threads should hear of the merge:\n%s", all)
	}
	ctx := context.Background()
	src, _ := h.Store.Incident(ctx, second.ID)
	dst, _ := h.Store.Incident(ctx, first.ID)
	if src.Status != incidents.StatusCancelled {
		t.Errorf("PAY-2 is %s, want cancelled", src.Status)
	}
	if !containsStr(dst.Details.TransactionIDs, "pi_other") {
		t.Errorf("transaction ids not moved: %v", dst.Details.TransactionIDs)
	}
	tl, _ := h.Store.Timeline(ctx, first.ID)
	copied, pointer := 0, false
	for _, e := range tl {
		if e.Kind == incidents.EventMergedEntry && strings.HasPrefix(e.Text, "[from PAY-2") {
			copied++
		}
		if e.Kind == incidents.EventMerge && e.Data["from"] == "PAY-2" && e.Data["handle"] == "alice" {
			pointer = true
		}
	}
	if copied < 5 || !pointer {
		t.Errorf("copied %d entries, merge entry %v", copied, pointer)
	}
	// Merging again is refused clearly; so is merging into a closed one.
	msgs = h.ThreadCommand("merge PAY-2 into PAY-1")
	if !strings.Contains(texts(msgs), "PAY-2 is cancelled and can't be merged") {
		t.Errorf("second merge: %s", texts(msgs))
	}
	msgs = h.ThreadCommand("merge PAY-1 into PAY-1")
	if !strings.Contains(texts(msgs), "can't be merged into itself") {
		t.Errorf("self merge: %s", texts(msgs))
	}
	msgs = h.ThreadCommand("merge whatever")
	if !strings.Contains(texts(msgs), "/payissue merge PAY-13 into PAY-12") {
		t.Errorf("bad merge args: %s", texts(msgs))
	}
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestDuplicateByProviderAndCode(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	intakeWith(t, h, h.Command("card payments failing at checkout"), map[string]string{"transaction_ids": "skip"})
	h.Clock.Advance(90 * time.Minute)
	msgs := intakeWith(t, h, h.Command("more declines"), map[string]string{"transaction_ids": "skip", "error_messages": "do_not_honor everywhere"})
	if !strings.Contains(texts(msgs), "the same gateway (stripe) and error code do_not_honor within 2h") {
		t.Errorf("no code match within the window:\n%s", texts(msgs))
	}
	// Another gateway with the same code is not the same problem; nor is
	// the same gateway after the window.
	msgs = intakeWith(t, h, h.Command("adyen declines"), map[string]string{"provider": "adyen", "transaction_ids": "skip", "error_messages": "do_not_honor"})
	if strings.Contains(texts(msgs), "duplicate") {
		t.Errorf("other provider matched:\n%s", texts(msgs))
	}
	h.Clock.Advance(5 * time.Hour)
	msgs = intakeWith(t, h, h.Command("declines later"), map[string]string{"transaction_ids": "skip", "error_messages": "do_not_honor"})
	if strings.Contains(texts(msgs), "duplicate") {
		t.Errorf("matched outside the window:\n%s", texts(msgs))
	}
}

func TestFollowupsCaseAndPostmortemGolden(t *testing.T) {
	p := incidents.DefaultPolicy()
	h := bottest.New(t, bot.Config{Policy: p, KB: reviewKB{}, Location: berlin(t)})
	intakeWith(t, h, h.Command("card payments failing at checkout"), nil)
	h.Clock.Advance(4 * time.Minute)
	h.ThreadCommand("escalate customers cannot pay")
	h.Clock.Advance(6 * time.Minute)
	h.ThreadCommand("ack")
	h.ThreadCommand("case 04512345")
	h.Clock.Advance(50 * time.Minute)
	h.ThreadCommand("case replied")
	msgs := h.ThreadCommand("followup add a retry with backoff on do_not_honor | and alert")
	if !strings.Contains(texts(msgs), "Added follow-up 1") {
		t.Errorf("followup: %s", texts(msgs))
	}
	h.ThreadCommand("followup ask Stripe for a bank contact")
	msgs = h.ThreadCommand("followup done 1")
	if !strings.Contains(texts(msgs), "Follow-up 1 of PAY-1 is done") {
		t.Errorf("done: %s", texts(msgs))
	}
	for _, bad := range []struct{ cmd, want string }{
		{"followup done 7", "PAY-1 has no follow-up 7"},
		{"followup done 1", "already done"},
		{"case", "Give the gateway's case number"},
		{"case replied", "already recorded"},
	} {
		if got := texts(h.ThreadCommand(bad.cmd)); !strings.Contains(got, bad.want) {
			t.Errorf("%s: %s", bad.cmd, got)
		}
	}
	msgs = h.ThreadCommand("followup")
	if got := texts(msgs); !strings.Contains(got, "[x] 1. add a retry") || !strings.Contains(got, "[ ] 2. ask Stripe") {
		t.Errorf("list: %s", got)
	}
	h.Clock.Advance(time.Hour)
	h.ThreadCommand("resolve asked customers to retry after the issuer fixed its stand-in :: the issuer's stand-in processing declined everything")
	msgs = h.ThreadCommand("postmortem")
	if len(msgs) != 1 {
		t.Fatalf("postmortem: %d messages", len(msgs))
	}
	got := msgs[0].Text
	goldenText(t, "postmortem.md", got)
	pm, err := h.Engine.Postmortem(context.Background(), "PAY-1")
	if err != nil {
		t.Fatal(err)
	}
	var js strings.Builder
	if err := pm.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	goldenText(t, "postmortem.json", js.String())
	for _, want := range []string{"all times Europe/Berlin", "Stripe do_not_honor: ask the cardholder", "Gateway case number: 04512345",
		"Gateway desk's first reply: 50m00s", "- [x] 1.", "Response: met", "issuer's stand-in"} {
		if !strings.Contains(got, want) {
			t.Errorf("postmortem lacks %q", want)
		}
	}
}

func goldenText(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", name, path, got)
	}
}

func TestReportInChat(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	intakeWith(t, h, h.Command("card payments failing at checkout"), nil)
	h.Clock.Advance(5 * time.Minute)
	h.ThreadCommand("escalate")
	h.Clock.Advance(10 * time.Minute)
	h.ThreadCommand("ack")
	h.Clock.Advance(45 * time.Minute)
	h.ThreadCommand("resolve restarted the webhook worker :: a stuck worker")
	msgs := h.Command("report")
	got := texts(msgs)
	// Opened at 14:30 plus the intake's instants; acknowledged 15 minutes
	// after opening (SEV1 target 15m: met), resolved an hour after.
	for _, want := range []string{"Report for the last 30 days (all providers): 1 incidents (0 active)", "acknowledge mean 15m00s, p90 15m00s",
		"resolve mean 1h00m00s", "response 100.0%, resolution 100.0%; 0 breaches", "stripe:"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if got := texts(h.Command("report adyen")); !strings.Contains(got, "No incidents in the last 30 days for adyen") {
		t.Errorf("adyen: %s", got)
	}
	if got := texts(h.Command("report two words")); !strings.Contains(got, "Give one provider") {
		t.Errorf("bad args: %s", got)
	}
}

// TestDashboardLinkFromChat: /payissue dashboard answers privately with a
// signed link that logs its follower in; without a dashboard it says so.
func TestDashboardLinkFromChat(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	if got := texts(h.Command("dashboard")); !strings.Contains(got, "The dashboard is off") {
		t.Errorf("without a dashboard: %s", got)
	}
	d := web.New(web.Config{Store: h.Engine.Store(), Token: "chat-token-123", Clock: h.Clock, BaseURL: "https://paybot.example"})
	h.Engine.SetDashboard(d)
	msgs := h.Command("dashboard")
	if len(msgs) != 1 || msgs[0].To == nil || msgs[0].To.ID != "alice" {
		t.Fatalf("the link must go privately to the asker: %+v", msgs)
	}
	i := strings.Index(msgs[0].Text, "https://paybot.example/dashboard/login?")
	if i < 0 || strings.Contains(msgs[0].Text, "chat-token-123") {
		t.Fatalf("link: %s", msgs[0].Text)
	}
	link := strings.Fields(msgs[0].Text[i:])[0]
	req := httptest.NewRequest("GET", strings.TrimPrefix(link, "https://paybot.example"), nil)
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, req)
	if rec.Code != 200 || len(rec.Result().Cookies()) != 1 {
		t.Errorf("following the link: %d %v", rec.Code, rec.Result().Cookies())
	}
}

// TestReviewAdversarial: strangers can't merge, bad references get clear
// answers, and user text never comes back as a live mention.
func TestReviewAdversarial(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	intakeWith(t, h, h.Command("card payments failing at checkout"), nil)
	first := h.Thread
	intakeWith(t, h, h.Command("<!channel> stripe again <@U0BOSS>"), map[string]string{"transaction_ids": "ch_other"})
	second := h.Thread
	// Bob is neither reporter nor responder of PAY-2.
	msgs := h.Send(bot.Event{Kind: bot.EventCommand, Conversation: second, Text: "merge into PAY-1", User: bottest.User("bob")})
	if got := texts(msgs); !strings.Contains(got, "only the reporter of PAY-2") {
		t.Errorf("stranger merged: %s", got)
	}
	h.Thread = first
	msgs = h.ThreadCommand("followup ping <!here> and <@U0BOSS> @everyone")
	got := texts(msgs)
	if strings.Contains(got, "<!here>") || strings.Contains(got, "<@U0BOSS>") || strings.Contains(got, " @everyone") {
		t.Errorf("live mention echoed: %q", got)
	}
	h.Thread = second
	got = texts(h.ThreadCommand("postmortem"))
	if strings.Contains(got, "<!channel>") || !strings.Contains(got, "channel> stripe again") {
		t.Errorf("postmortem echoes a live mention: %q", got)
	}
	for _, tc := range []struct{ cmd, want string }{
		{"followup PAY-99 something", "couldn't find that incident"},
		{"case 12 34", "Give the gateway's case number"},
		{"case replied", "Record the gateway's case number first"},
		{"merge PAY-1 into PAY-99", "couldn't find that incident"},
	} {
		if got := texts(h.ThreadCommand(tc.cmd)); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %s", tc.cmd, got)
		}
	}
	// Outside any thread, commands that need an incident ask which one.
	if got := texts(h.Command("followup fix the retries")); !strings.Contains(got, "Which incident?") {
		t.Errorf("followup in the channel: %s", got)
	}
	if got := texts(h.Command("report <!channel>")); strings.Contains(got, "<!channel>") {
		t.Errorf("report echoes a live mention: %s", got)
	}
	// A merge into an incident still in intake is refused.
	h.Command("new problem in intake")
	if got := texts(h.Send(bot.Event{Kind: bot.EventCommand, Conversation: second, Text: "merge into PAY-3", User: bottest.User("alice")})); !strings.Contains(got, "PAY-3 is intake; merge only into an open incident") {
		t.Errorf("merge into intake: %s", got)
	}
}
