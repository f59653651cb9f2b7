package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
	"github.com/paybot/paybot/incidents"
)

// answers walks the default intake, answering each step by its id.
var answers = map[string]string{
	"category":        "1",
	"provider":        "stripe",
	"environment":     "production",
	"started_at":      "10 min ago",
	"impact":          "60%",
	"error_messages":  "Stripe says do_not_honor and some card_declined, HTTP 402",
	"transaction_ids": "ch_3NxYzAbc, pi_3NxYzDef",
	"payment_methods": "visa, mastercard",
	"steps_taken":     "retried twice, checked the dashboard",
	"confirm":         "yes",
}

func runIntake(t *testing.T, h *bottest.Harness, msgs []bot.Message) []bot.Message {
	t.Helper()
	for i := 0; i < 20; i++ {
		step := bottest.Expects(msgs)
		if step == "" {
			return msgs
		}
		a, ok := answers[step]
		if !ok {
			t.Fatalf("no answer for step %q", step)
		}
		msgs = h.Say(a)
	}
	t.Fatal("intake did not finish")
	return nil
}

func TestFullIntakeOpensIncident(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	msgs := h.Command("card payments failing at checkout")
	if len(msgs) != 2 || msgs[0].Kind != bot.KindCard || msgs[1].Kind != bot.KindQuestion || !strings.HasPrefix(msgs[1].Text, "Thanks") {
		t.Fatalf("want the card, then a welcome with the first question; got %+v", msgs)
	}
	if msgs[0].Card.Ref != "PAY-1" {
		t.Errorf("ref = %q, want PAY-1", msgs[0].Card.Ref)
	}
	if got := bottest.Expects(msgs); got != "category" {
		t.Fatalf("first step = %q, want category", got)
	}
	msgs = runIntake(t, h, msgs)
	inc := h.Incident()
	if inc.Status != incidents.StatusOpen {
		t.Fatalf("status = %s, want open", inc.Status)
	}
	if inc.Severity != incidents.Sev1 {
		t.Errorf("severity = %s, want SEV1 (production, 60%% failing)", inc.Severity)
	}
	if inc.Details.Provider == "" || len(inc.Details.TransactionIDs) != 2 || len(inc.Details.PaymentMethods) != 2 {
		t.Errorf("details not collected: %+v", inc.Details)
	}
	var codes []string
	for _, c := range inc.Details.Codes {
		codes = append(codes, c.Value)
	}
	if !strings.Contains(strings.Join(codes, ","), "do_not_honor") {
		t.Errorf("codes = %v, want do_not_honor among them", codes)
	}
	if len(h.Adapter.Updates) == 0 || h.Adapter.Updates[len(h.Adapter.Updates)-1].Card.Status != "open" {
		t.Errorf("card not updated to open: %+v", h.Adapter.Updates)
	}
	tl, err := h.Store.Timeline(context.Background(), inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[incidents.EventKind]int{}
	for _, e := range tl {
		kinds[e.Kind]++
	}
	if kinds[incidents.EventCreated] != 1 || kinds[incidents.EventAnswer] < 9 || kinds[incidents.EventStatus] != 1 || kinds[incidents.EventSeverity] != 1 {
		t.Errorf("timeline kinds = %v", kinds)
	}
}

func TestWrongAnswerReasksWithExampleAndKeepsAnswers(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	h.Command("gateway timeouts")
	h.Say("2")
	h.Say("adyen")
	msgs := h.Say("on the moon")
	if bottest.Expects(msgs) != "environment" {
		t.Fatalf("want environment re-asked, got %q", bottest.Expects(msgs))
	}
	if !strings.Contains(strings.ToLower(msgs[0].Text), "doesn't fit") {
		t.Errorf("want an explanation, got %q", msgs[0].Text)
	}
	inc := h.Incident()
	if inc.Details.Category != incidents.CategoryTimeouts || !strings.EqualFold(inc.Details.Provider, "adyen") {
		t.Errorf("earlier answers lost: %+v", inc.Details)
	}
	msgs = h.Say("prod")
	if bottest.Expects(msgs) != "started_at" {
		t.Fatalf("want started_at, got %q", bottest.Expects(msgs))
	}
	msgs = h.Say("yesterday-ish")
	if bottest.Expects(msgs) != "started_at" || !strings.Contains(msgs[0].Text, "example") {
		t.Errorf("bad time not re-asked with an example: %+v", msgs)
	}
}

func TestSkipBackAndButtons(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	h.Command("payouts late")
	msgs := h.Press("category", "payouts")
	if bottest.Expects(msgs) != "provider" {
		t.Fatalf("button answer not taken: %q", bottest.Expects(msgs))
	}
	msgs = h.Say("skip")
	if bottest.Expects(msgs) != "provider" {
		t.Errorf("a required step was skipped")
	}
	msgs = h.Say("back")
	if bottest.Expects(msgs) != "category" {
		t.Fatalf("back did not return to category: %q", bottest.Expects(msgs))
	}
	h.Say("PAYOUTS/SETTLEMENT")
	h.Say("Worldpay")
	h.Say("sandbox")
	h.Say("now")
	// No impact question: payouts are not measured in failing payments.
	msgs = h.Say("skip")
	if bottest.Expects(msgs) != "transaction_ids" {
		t.Fatalf("optional error_messages not skipped: %q", bottest.Expects(msgs))
	}
	// A stale button press for an earlier step is refused, nothing changes.
	msgs = h.Press("category", "security")
	if h.Incident().Details.Category != incidents.CategoryPayouts {
		t.Errorf("stale button changed the category")
	}
	if len(msgs) == 0 || msgs[0].Kind != bot.KindNotice {
		t.Errorf("stale button not explained: %+v", msgs)
	}
}

func TestCancelDuringIntake(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	h.Command("something odd")
	h.Say("6")
	h.Say("cancel")
	if st := h.Incident().Status; st != incidents.StatusCancelled {
		t.Fatalf("status = %s, want cancelled", st)
	}
	msgs := h.Say("are you there")
	for _, m := range msgs {
		if m.Expects != "" {
			t.Errorf("cancelled incident still asking: %+v", m)
		}
	}
}

func TestRestartResumesAtSameStep(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	h.Command("declines spiking")
	h.Say("1")
	h.Say("Braintree")
	h.Restart()
	msgs := h.Say("production")
	if got := bottest.Expects(msgs); got != "started_at" {
		t.Fatalf("after restart expects %q, want started_at", got)
	}
	if p := h.Incident().Details.Provider; !strings.EqualFold(p, "braintree") {
		t.Errorf("provider lost across restart: %q", p)
	}
}

func TestRedeliveredEventHasNoEffect(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	ev := bot.Event{ID: "fake:dup-1", Kind: bot.EventCommand, Conversation: bottest.Channel, Text: "checkout broken"}
	first := h.Send(ev)
	second := h.Send(ev)
	if len(first) == 0 || len(second) != 0 {
		t.Fatalf("redelivery produced %d messages (first %d)", len(second), len(first))
	}
	h.Thread = first[len(first)-1].Conversation
	ans := bot.Event{ID: "fake:dup-2", Kind: bot.EventMessage, Conversation: h.Thread, Text: "1"}
	h.Send(ans)
	if msgs := h.Send(ans); len(msgs) != 0 {
		t.Errorf("redelivered answer produced %+v", msgs)
	}
	if inc := h.Incident(); inc.Intake.Step != "provider" {
		t.Errorf("step = %q, want provider (answer applied once)", inc.Intake.Step)
	}
	list, _ := h.Store.ListIncidents(context.Background(), incidents.ListFilter{})
	if len(list) != 1 {
		t.Errorf("%d incidents, want 1", len(list))
	}
}

func TestCardNumberInTransactionIDsIsMaskedAndRefused(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	h.Command("refunds failing")
	for _, a := range []string{"1", "stripe", "production", "now", "some", "skip"} {
		h.Say(a)
	}
	msgs := h.Say("ch_123abc, 4242 4242 4242 4242")
	var masked, reasked bool
	for _, m := range msgs {
		if strings.Contains(m.Text, "4242 4242 4242 4242") {
			t.Errorf("card number echoed: %q", m.Text)
		}
		if m.Kind == bot.KindNotice && strings.Contains(m.Text, "masked") {
			masked = true
		}
		if m.Expects == "transaction_ids" {
			reasked = true
		}
	}
	if !masked || !reasked {
		t.Errorf("masked=%v reasked=%v: %+v", masked, reasked, msgs)
	}
	tl, _ := h.Store.Timeline(context.Background(), h.Incident().ID)
	for _, e := range tl {
		if strings.Contains(e.Text, "4242424242424242") || strings.Contains(e.Text, "4242 4242 4242 4242") {
			t.Errorf("card number stored in timeline: %q", e.Text)
		}
	}
}

func TestCommands(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	h.Command("first problem")
	h.Command("second problem")
	msgs := h.Command("list")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "PAY-1") || !strings.Contains(msgs[0].Text, "PAY-2") {
		t.Fatalf("list: %+v", msgs)
	}
	msgs = h.Command("status pay-1")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "first problem") {
		t.Errorf("status: %+v", msgs)
	}
	msgs = h.ThreadCommand("status")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "PAY-2") {
		t.Errorf("status in thread: %+v", msgs)
	}
	msgs = h.Command("status PAY-99")
	if len(msgs) != 1 || msgs[0].Kind != bot.KindNotice {
		t.Errorf("unknown ref: %+v", msgs)
	}
	msgs = h.Command("help")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "/payissue list") {
		t.Errorf("help: %+v", msgs)
	}
	msgs = h.ThreadCommand("cancel")
	if h.Incident().Status != incidents.StatusCancelled {
		t.Errorf("cancel: %+v", msgs)
	}
	msgs = h.Command("search do_not_honor")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "knowledge base") {
		t.Errorf("search without KB: %+v", msgs)
	}
}

type fakeKB struct{ hits []bot.Hit }

func (f fakeKB) Ask(_ context.Context, q string, _ int) ([]bot.Hit, bool, error) {
	if strings.Contains(q, "weather") {
		return f.hits[:1], false, nil
	}
	return f.hits, true, nil
}

func TestQuestionsGetAnswersOrAPlainNo(t *testing.T) {
	h := bottest.New(t, bot.Config{KB: fakeKB{hits: []bot.Hit{{ID: "a1", Title: "Stripe decline: do_not_honor", Source: "internal KB"}}}})
	msgs := h.Command("ask stripe says do_not_honor, what now?")
	if len(msgs) != 1 || msgs[0].Kind != bot.KindAnswers || len(msgs[0].Hits) != 1 {
		t.Fatalf("answer: %+v", msgs)
	}
	// the answer says how to print the whole article
	if msgs[0].Hits[0].Show != "/payissue show a1" || !strings.Contains(msgs[0].Text, "Whole article: /payissue show a1") {
		t.Errorf("show hint: %q in %q", msgs[0].Hits[0].Show, msgs[0].Text)
	}
	msgs = h.Command("search what's the weather in Paris")
	if len(msgs) != 1 || msgs[0].Kind == bot.KindAnswers || !strings.Contains(msgs[0].Text, "don't have a good answer") {
		t.Errorf("off-topic: %+v", msgs)
	}
}

// TestDefinitionAnswerSaysWhatToDo: a hit that only defines a code and
// carries an article's action shows it, with the command that prints that
// article; the searcher's hit is not changed.
func TestDefinitionAnswerSaysWhatToDo(t *testing.T) {
	act := &bot.HitAction{Text: "R01/R09: you may re-present the same entry up to two more times within 180 days.", ArticleID: "ach-returns-overview", ArticleTitle: "ACH returns overview"}
	h := bottest.New(t, bot.Config{KB: fakeKB{hits: []bot.Hit{{ID: "ach-return:R01", Title: "ACH return code R01", Snippet: "Available balance is not sufficient", Source: "reference code", Action: act}}}})
	msgs := h.Command("ask ACH came back R01, can we retry?")
	if len(msgs) != 1 || len(msgs[0].Hits) != 1 || msgs[0].Hits[0].Action == nil {
		t.Fatalf("answer: %+v", msgs)
	}
	want := "   Available balance is not sufficient\n   What to do (from ACH returns overview): R01/R09: you may re-present the same entry up to two more times within 180 days.\n   Read it: /payissue show ach-returns-overview\n"
	if !strings.Contains(msgs[0].Text, want) {
		t.Errorf("text %q lacks %q", msgs[0].Text, want)
	}
	if got := msgs[0].Hits[0].Action.Show; got != "/payissue show ach-returns-overview" {
		t.Errorf("action show %q", got)
	}
	if act.Show != "" {
		t.Errorf("the searcher's action was changed: %+v", act)
	}
}

// TestAcceptSurvivesOverflow: with tiny queues, a burst of accepted events
// overflows into the inbox; every one of them is still processed once.
func TestAcceptSurvivesOverflow(t *testing.T) {
	h := bottest.New(t, bot.Config{Workers: 1, QueueDepth: 1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	for i := 0; i < 30; i++ {
		ev := bot.Event{ID: "fake:burst-" + string(rune('a'+i)), Kind: bot.EventCommand,
			Conversation: bot.Conversation{Platform: bottest.Platform, Channel: "C" + string(rune('a'+i))},
			User:         bottest.User("alice"), Text: "burst incident"}
		if err := h.Engine.Accept(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if err := h.Engine.Accept(ctx, ev); err != nil { // a retry of the same delivery
			t.Fatal(err)
		}
	}
	go func() { h.Engine.Run(ctx); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		list, err := h.Store.ListIncidents(context.Background(), incidents.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		pending, _ := h.Store.PendingEvents(context.Background(), 100)
		if len(list) == 30 && len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d incidents and %d pending events after the burst, want 30 and 0", len(list), len(pending))
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestSeverityOverrideSticks(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	h.Command("sandbox checkout errors")
	msgs := h.ThreadCommand("severity SEV2 the CEO is testing it")
	if len(msgs) == 0 || !strings.Contains(msgs[len(msgs)-1].Text, "SEV2") {
		t.Fatalf("override: %+v", msgs)
	}
	if msgs := h.ThreadCommand("severity SEV9"); len(msgs) != 1 || msgs[0].Kind != bot.KindNotice {
		t.Errorf("bad severity accepted: %+v", msgs)
	}
	answers := map[string]string{"category": "3", "provider": "adyen", "environment": "sandbox", "started_at": "now",
		"impact": "all", "error_messages": "skip", "transaction_ids": "skip", "payment_methods": "skip", "steps_taken": "skip", "confirm": "yes"}
	msgs = h.Say("3")
	for step := bottest.Expects(msgs); step != ""; step = bottest.Expects(msgs) {
		msgs = h.Say(answers[step])
	}
	if inc := h.Incident(); inc.Severity != incidents.Sev2 || !inc.SeverityOverridden {
		t.Errorf("severity = %s (overridden %v), want the SEV2 override to survive the sandbox rule", inc.Severity, inc.SeverityOverridden)
	}
}
