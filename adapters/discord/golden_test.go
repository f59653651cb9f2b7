package discord

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/paybot/paybot/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update to accept):\n%s", path, got)
	}
}

func TestGoldenCard(t *testing.T) {
	msg := bot.Message{Kind: bot.KindCard, Text: "PAY-3 · SEV2 · open — checkout declines spiking (reported by Alice)", Card: &bot.Card{
		Ref: "PAY-3", Title: "checkout declines spiking", Severity: "SEV2", Status: "open",
		Reporter: bot.User{Platform: "discord", ID: "80351110224678912", Name: "Alice"},
		Category: "card declines", Provider: "Stripe", SLA: "ack within 15 min",
		Actions: []bot.Choice{{Value: "ack", Label: "Acknowledge"}, {Value: "escalate", Label: "Escalate"}, {Value: "resolve", Label: "Resolve"}},
	}}
	golden(t, "card", render(msg))
}

func TestGoldenQuestionButtons(t *testing.T) {
	golden(t, "question_buttons", render(bot.Message{Kind: bot.KindQuestion, Expects: "category", Text: "What kind of problem is it?",
		Choices: []bot.Choice{{Value: "declines", Label: "Card declines"}, {Value: "checkout_down", Label: "Checkout down"}, {Value: "payouts", Label: "Payouts"}, {Value: "refunds", Label: "Refunds"}, {Value: "other", Label: "Something else"}}}))
}

func TestGoldenQuestionSelect(t *testing.T) {
	var choices []bot.Choice
	for _, p := range []string{"Stripe", "Adyen", "PayPal", "Braintree", "Checkout.com", "Worldpay", "Square"} {
		choices = append(choices, bot.Choice{Value: p, Label: p})
	}
	golden(t, "question_select", render(bot.Message{Kind: bot.KindQuestion, Expects: "provider", Text: "Which gateway?", Choices: choices}))
	golden(t, "question_multi", render(bot.Message{Kind: bot.KindQuestion, Expects: "methods", Text: "Which payment methods are affected?", Multi: true, Choices: choices[:3]}))
}

func TestGoldenAnswers(t *testing.T) {
	// The text is the engine's: a heading, then the hits as plain text,
	// which the embeds replace.
	golden(t, "answers", render(bot.Message{Kind: bot.KindAnswers, Text: "Here is what I found:\n1. do_not_honor [internal KB]\n   The issuer declined…", Hits: []bot.Hit{
		{ID: "kb1", Title: "do_not_honor", Snippet: "The issuer declined without a reason. Ask the customer to call their bank.", Source: "internal KB", URL: "https://kb.example/do_not_honor", Show: "/payissue show id:kb1"},
		{ID: "PAY-12", Title: "PAY-12 declines after 3DS change", Snippet: "Rolled back the 3DS exemption flag.", Source: "past incident PAY-12"},
		// A definition with what to do from the article that covers its code.
		{ID: "ach-return:R01", Title: "ACH return code R01 – Insufficient Funds", Snippet: "Available balance is not sufficient to cover the dollar value of the debit entry", Source: "reference code", Show: "/payissue show id:ach-return:R01",
			Action: &bot.HitAction{Text: "R01/R09: you may re-present the same entry up to two more times within 180 days; time it after payday.", ArticleID: "ach-returns-overview", ArticleTitle: "ACH returns overview: R01, R02 and more", Show: "/payissue show id:ach-returns-overview"}},
	}}))
}

func TestRenderLimits(t *testing.T) {
	// 60 choices: selects of at most 25 options, at most 5 rows.
	var choices []bot.Choice
	for i := 0; i < 200; i++ {
		choices = append(choices, bot.Choice{Value: string(rune('a'+i%26)) + string(rune('0'+i%10)) + string(rune('A'+i/26)), Label: "option"})
	}
	out := render(bot.Message{Kind: bot.KindQuestion, Expects: "x", Text: "pick", Choices: choices})
	last := out[len(out)-1]
	if len(last.Components) > maxRows {
		t.Fatalf("%d rows", len(last.Components))
	}
	// 30 long hits: every message ≤ 10 embeds and ≤ 6,000 characters.
	var hits []bot.Hit
	for i := 0; i < 30; i++ {
		hits = append(hits, bot.Hit{Title: "t", Snippet: string(bytes.Repeat([]byte("s"), 900))})
	}
	for _, m := range render(bot.Message{Kind: bot.KindAnswers, Hits: hits}) {
		n := 0
		for _, e := range m.Embeds {
			n += embedSize(e)
		}
		if n > maxEmbedsTotal || len(m.Embeds) > maxEmbeds {
			t.Fatalf("message with %d embeds, %d characters", len(m.Embeds), n)
		}
	}
	// Splitting never breaks a multi-byte character.
	for _, p := range splitText(string(bytes.Repeat([]byte("€"), 4100)), maxContent) {
		if !json.Valid([]byte(`"`+p+`"`)) || len([]rune(p)) > maxContent {
			t.Fatal("bad split")
		}
	}
}

func TestGoldenCardWithRoles(t *testing.T) {
	msg := bot.Message{Kind: bot.KindCard, Text: "PAY-3 · SEV2 · open — checkout declines spiking (reported by Alice) · lead Carol", Card: &bot.Card{
		Ref: "PAY-3", Title: "checkout declines spiking", Severity: "SEV2", Status: "open",
		Reporter: bot.User{Platform: "discord", ID: "80351110224678912", Name: "Alice"},
		Lead:     &bot.User{Platform: "discord", ID: "80351110224678913", Name: "Carol"},
		Provider: "Stripe", LastUpdate: "rolled back the deploy @everyone (Alice, 2026-11-26 14:40 UTC)",
	}}
	golden(t, "card_roles", render(msg))
}
