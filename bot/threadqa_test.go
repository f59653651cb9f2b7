package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
	"github.com/paybot/paybot/incidents"
)

// recKB answers every question confidently and records what it learns,
// which incidents it indexes, and what it removes.
type recKB struct {
	mu       sync.Mutex
	asked    []string
	learned  [][2]string
	indexed  []string
	removed  []string
	managers []bool
}

func (k *recKB) Ask(_ context.Context, q string, _ int) ([]bot.Hit, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.asked = append(k.asked, q)
	return []bot.Hit{{ID: "a1", Title: "An article", Snippet: "Do this.", Source: "internal KB"}}, true, nil
}

func (k *recKB) LearnAnswer(_ context.Context, q, a string, _ *incidents.Incident, _ bot.User) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if strings.Contains(a, "card number") {
		return bot.Refusal("it asks people for card data")
	}
	if strings.Contains(q, "Bob Jones") {
		return bot.Refusal("the question names a person")
	}
	k.learned = append(k.learned, [2]string{q, a})
	return nil
}

func (k *recKB) IndexIncident(_ context.Context, inc *incidents.Incident) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.indexed = append(k.indexed, inc.Ref+" "+string(inc.Status))
	return nil
}

func (k *recKB) Article(_ context.Context, id string) (bot.Article, error) {
	if id == "long" {
		return bot.Article{ID: "long", Title: "Long", Text: strings.Repeat("é", 3000), Source: "internal KB"}, nil
	}
	if id == "huge" {
		return bot.Article{ID: "huge", Title: "Huge", Text: strings.Repeat("é", 20000), Source: "internal KB"}, nil
	}
	if id != "a1" {
		return bot.Article{}, bot.ErrNoArticle
	}
	return bot.Article{ID: "a1", Title: "An article", Text: "## Cause\n- x\n\n## What to do\n- Do this.", Source: "internal KB"}, nil
}

func (k *recKB) Unlearn(_ context.Context, id string, by bot.User, manager bool) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if id != "community:1" {
		return "", bot.ErrNoArticle
	}
	if by.ID != "author" && !manager {
		return "", bot.ErrNotAuthor
	}
	k.removed = append(k.removed, id)
	k.managers = append(k.managers, manager)
	return "the question", nil
}

func answerCount(msgs []bot.Message) int {
	n := 0
	for _, m := range msgs {
		if m.Kind == bot.KindAnswers {
			n++
		}
	}
	return n
}

func TestIsQuestion(t *testing.T) {
	for text, want := range map[string]bool{
		"can we retry":                      true,
		"what now":                          true,
		"stripe says do_not_honor what now": true,
		"how do we stop this":               true,
		"any idea why the webhooks fail":    true,
		"is the gateway down?":              true,
		"Why are refunds slow":              true,
		"deploy finished":                   false,
		"the team is reading the logs":      false,
		"ok":                                false,
		"what":                              false,
		"kindly advise, the payout of friday is not arrive in our bank account still": true,
		"pls help payout not arrived":           true,
		"customer card is decline why":          true,
		"who do we call":                        true,
		"is this a big deal":                    true,
		"please check the logs, deploy is done": false,
		"will update in 10 min":                 false,
		"should be fixed now":                   false,
		"will we lose these payments":           true,
	} {
		if got := bot.IsQuestion(text); got != want {
			t.Errorf("IsQuestion(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestThreadAnswersOncePacedAndLearnUsesLastQuestion(t *testing.T) {
	kb := &recKB{}
	h := bottest.New(t, bot.Config{KB: kb})
	runIntake(t, h, h.Command("ach debits coming back"))
	if len(kb.indexed) != 0 {
		t.Fatalf("indexed at open: %v", kb.indexed)
	}
	if got := h.Say("ACH return R03"); answerCount(got) != 1 {
		t.Fatalf("code message: %+v", got)
	}
	// the same text again: no second answer
	if got := h.Say("ACH return R03"); answerCount(got) != 0 {
		t.Fatalf("answered twice: %+v", got)
	}
	// no question mark, no new code, within 30 s: recorded, not answered
	h.Clock.Advance(5 * time.Second)
	if got := h.Say("what do we tell the customer"); answerCount(got) != 0 {
		t.Fatalf("flooded: %+v", got)
	}
	// a new code comes through the pacing
	if got := h.Say("now also R01 coming back"); answerCount(got) != 1 {
		t.Fatalf("new code not answered: %+v", got)
	}
	// a plain remark is a note
	if got := h.Say("the team is reading the logs"); len(got) != 0 {
		t.Fatalf("remark answered: %+v", got)
	}
	// after the gap an implicit question is answered
	h.Clock.Advance(31 * time.Second)
	if got := h.Say("can we retry these"); answerCount(got) != 1 {
		t.Fatalf("question after the gap: %+v", got)
	}
	// learn in the thread uses the last question, even without '?'
	h.Say("the retry job is paused")
	got := h.ThreadCommand("learn Retry R01 up to twice within 180 days.")
	if len(kb.learned) != 1 || kb.learned[0][0] != "can we retry these" {
		t.Fatalf("learned %v; replies %+v", kb.learned, got)
	}
	got = h.ThreadCommand("learn DM me your card number")
	if len(got) != 1 || !strings.Contains(got[0].Text, "didn't save that answer: it asks people for card data") {
		t.Fatalf("refusal: %+v", got)
	}
	// a thread question that names someone is refused as the question,
	// with the way to give it in other words
	h.Clock.Advance(31 * time.Second)
	h.Say("can Bob Jones in finance approve a retry of R02?")
	got = h.ThreadCommand("learn Yes, once.")
	if len(got) != 1 || !strings.Contains(got[0].Text, "the question names a person") ||
		!strings.Contains(got[0].Text, "/payissue learn <question> :: <answer>") || strings.Contains(got[0].Text, "Bob") {
		t.Fatalf("question refusal: %+v", got)
	}
	got = h.ThreadCommand("learn can finance approve a retry of R02? :: Yes, once.")
	if len(kb.learned) != 2 || kb.learned[1][0] != "can finance approve a retry of R02?" {
		t.Fatalf("learned %v; replies %+v", kb.learned, got)
	}
	// show and unlearn
	got = h.ThreadCommand("show a1")
	if len(got) != 1 || !strings.Contains(got[0].Text, "## What to do") {
		t.Fatalf("show: %+v", got)
	}
	// an article prints whole (the adapters split a long message); a
	// document beyond 12 KB is cut on a character boundary with a pointer
	// to paybot kb show
	if got = h.ThreadCommand("show long"); len(got) != 1 || !strings.Contains(got[0].Text, strings.Repeat("é", 3000)) || strings.Contains(got[0].Text, "shortened") {
		t.Fatalf("show long: %d bytes", len(got[0].Text))
	}
	if got = h.ThreadCommand("show huge"); len(got) != 1 || !utf8.ValidString(got[0].Text) || len(got[0].Text) > 12200 ||
		!strings.Contains(got[0].Text, "paybot kb show huge") {
		t.Fatalf("show huge: %d bytes, valid %v", len(got[0].Text), utf8.ValidString(got[0].Text))
	}
	if got = h.ThreadCommand("show nope"); len(got) != 1 || !strings.Contains(got[0].Text, "don't know an article") {
		t.Fatalf("show unknown: %+v", got)
	}
	if got = h.ThreadCommand("unlearn community:1"); len(got) != 1 || !strings.Contains(got[0].Text, "Only the person") {
		t.Fatalf("unlearn by a stranger: %+v", got)
	}
}

func TestIncidentIndexedOnlyWhenResolved(t *testing.T) {
	kb := &recKB{}
	h := bottest.New(t, bot.Config{KB: kb})
	runIntake(t, h, h.Command("card payments failing at checkout"))
	if len(kb.indexed) != 0 {
		t.Fatalf("indexed before resolve: %v", kb.indexed)
	}
	h.ThreadCommand("resolve rolled back the release :: amounts in euros not cents")
	if len(kb.indexed) != 1 || !strings.HasSuffix(kb.indexed[0], string(incidents.StatusResolved)) {
		t.Fatalf("indexed = %v", kb.indexed)
	}
}

// codeKB is a knowledge base whose documents hold codes that no code
// system names (an acquirer's E0054, SEPA's AM04, a gateway's GW-31).
type codeKB struct{ recKB }

func (k *codeKB) KnownCodes(_ context.Context, text string) []string {
	var out []string
	for _, w := range strings.Fields(strings.ToLower(text)) {
		switch w {
		case "am04", "am-04":
			out = append(out, "am04")
		case "gw31", "gw-0031":
			out = append(out, "gw31")
		}
	}
	return out
}

// TestThreadAnswersCodesTheKnowledgeBaseHolds: a message in a thread that
// names a code the knowledge base holds gets an answer, also when no code
// system knows it ("AM04 on the sepa batch" was a note); a remark is still
// a note, and the same code again is not answered twice.
func TestThreadAnswersCodesTheKnowledgeBaseHolds(t *testing.T) {
	kb := &codeKB{}
	h := bottest.New(t, bot.Config{KB: kb})
	runIntake(t, h, h.Command("sepa debits coming back"))
	if got := h.Say("AM04 on the sepa batch"); answerCount(got) != 1 {
		t.Fatalf("AM04: %+v", got)
	}
	if got := h.Say("the batch job is paused"); len(got) != 0 {
		t.Fatalf("remark answered: %+v", got)
	}
	if got := h.Say("GW-0031 on the settlement run"); answerCount(got) != 1 {
		t.Fatalf("a second new code within the gap: %+v", got)
	}
	if got := h.Say("am-04 again on the retry"); answerCount(got) != 0 {
		t.Fatalf("the same code answered twice: %+v", got)
	}
}

// checkingKB refuses answers that ask for card data, as kb.CheckAnswer does.
type checkingKB struct{ recKB }

func (k *checkingKB) RefuseAnswer(text string) string {
	if strings.Contains(strings.ToLower(text), "card number") {
		return "it asks people for card data"
	}
	return ""
}

// TestPoisonedResolutionIsNotAPastIncident: a fix or root cause that would
// be refused as a community answer (here: asking for card data) is not
// made a past incident, which everyone's searches would show; the resolver
// is told why, the resolution stays on the incident, and a later root
// cause does not index it either.
func TestPoisonedResolutionIsNotAPastIncident(t *testing.T) {
	kb := &checkingKB{}
	h := bottest.New(t, bot.Config{KB: kb})
	runIntake(t, h, h.Command("card payments failing at checkout"))
	got := h.ThreadCommand("resolve DM me the full card number and I'll refund it :: the proxy dropped the name field")
	if len(kb.indexed) != 0 {
		t.Fatalf("a poisoned resolution was indexed: %v", kb.indexed)
	}
	said := ""
	for _, m := range got {
		said += m.Text + "\n"
	}
	if !strings.Contains(said, "didn't add it to the past incidents: it asks people for card data") || strings.Contains(said, "I've added this") {
		t.Fatalf("replies: %s", said)
	}
	got = h.ThreadCommand("rootcause the proxy dropped the cardholder name field")
	if len(kb.indexed) != 0 || len(got) == 0 || !strings.Contains(got[0].Text, "didn't add it to the past incidents") {
		t.Fatalf("root cause: indexed %v, replies %+v", kb.indexed, got)
	}
}

// topicKB answers with an article named by the question's first word that
// it knows ("webhooks …" -> "webhooks"), else "a1".
type topicKB struct{ recKB }

func (k *topicKB) Ask(ctx context.Context, q string, n int) ([]bot.Hit, bool, error) {
	k.recKB.Ask(ctx, q, n)
	for _, topic := range []string{"webhooks", "refunds", "payouts"} {
		if strings.Contains(q, topic) {
			return []bot.Hit{{ID: topic, Title: "About " + topic, Snippet: "Do this.", Source: "internal KB"}}, true, nil
		}
	}
	return []bot.Hit{{ID: "a1", Title: "An article", Snippet: "Do this.", Source: "internal KB"}}, true, nil
}

// TestThreadAnswersNewTopicsWithinTheGap: questions without a question
// mark asked one after another in a thread are each answered when they
// find an article not offered there yet; one that finds an article
// already offered waits for the gap. Every answer is on the timeline as
// offered (the review counts them).
func TestThreadAnswersNewTopicsWithinTheGap(t *testing.T) {
	kb := &topicKB{}
	h := bottest.New(t, bot.Config{KB: kb})
	runIntake(t, h, h.Command("checkout failing"))
	inc := h.Incident()
	offeredEntries := func() int {
		tl, err := h.Store.Timeline(context.Background(), inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range tl {
			if e.Kind == incidents.EventKBOffered {
				n++
			}
		}
		return n
	}
	before := offeredEntries()
	for _, step := range []struct {
		text string
		want int
	}{
		{"how do we fix webhooks failing", 1},
		{"how do we speed up refunds", 1},
		{"what about the webhooks timing out", 0}, // webhooks already offered, within the gap
		{"why are payouts late", 1},
		{"any idea what else to check", 0}, // a1, offered when the intake ended
	} {
		h.Clock.Advance(2 * time.Second)
		if got := answerCount(h.Say(step.text)); got != step.want {
			t.Errorf("%q: %d answers, want %d", step.text, got, step.want)
		}
	}
	h.Clock.Advance(31 * time.Second)
	if got := answerCount(h.Say("what about the webhooks timing out again")); got != 1 {
		t.Errorf("after the gap: %d answers, want 1", got)
	}
	if got := offeredEntries() - before; got != 4 {
		t.Errorf("%d answers offered on the timeline, want 4", got)
	}
}

// TestNextStepQuestionsUseTheIncidentsCodes: "can we retry" in the thread of
// an incident about do_not_honor is asked about do_not_honor; a question
// that names its own code, or is not about the next step, is asked as
// written.
func TestNextStepQuestionsUseTheIncidentsCodes(t *testing.T) {
	kb := &recKB{}
	h := bottest.New(t, bot.Config{KB: kb})
	runIntake(t, h, h.Command("declines at checkout"))
	last := func() string {
		kb.mu.Lock()
		defer kb.mu.Unlock()
		return kb.asked[len(kb.asked)-1]
	}
	h.Say("can we retry these?")
	if q := last(); !strings.Contains(q, "do_not_honor") || !strings.HasPrefix(q, "can we retry these?") {
		t.Errorf("asked %q, want the question with the incident's codes", q)
	}
	h.Say("what does R01 mean?")
	if q := last(); q != "what does R01 mean?" {
		t.Errorf("asked %q, want the question as written", q)
	}
	h.Say("why is the dashboard slow?")
	if q := last(); q != "why is the dashboard slow?" {
		t.Errorf("asked %q, want the question as written", q)
	}
}
