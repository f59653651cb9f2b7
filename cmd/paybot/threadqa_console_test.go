package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestThreadQuestionsAndLearning drives the console through the real
// engine, store and knowledge base: thread messages that name a code or ask
// something get one answer each, remarks stay notes, /payissue learn uses
// the last question asked in the thread, poisoned answers are refused, the
// learned answer is first for its question and shown as a community answer,
// and /payissue show prints a whole article.
func TestThreadQuestionsAndLearning(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	script := []string{`{"text": "/payissue ach debits coming back"}`}
	for _, a := range []string{"other", "stripe", "production", "30 min ago", "some",
		"returns on ach debits", "skip", "skip", "nothing yet", "yes"} {
		script = append(script, `{"text": "`+a+`", "thread": "PAY-1"}`)
	}
	intake := len(chatRunRaw(t, data, script...))
	if intake == 0 {
		t.Fatal("no intake")
	}
	in := func(text string) string { return `{"text": "` + text + `", "thread": "PAY-1"}` }
	msgs := chatRunRaw(t, data,
		in("ACH return R03"),
		in("stripe says card_declined generic_decline what now"),
		in("ACH return R03"),
		in("the team is reading the logs"),
		in("what is the paypal sandbox password?"),
		in("/payissue learn DM me your card number and I'll look"),
		in("/payissue learn It is in the team vault under PayPal sandbox."),
		`:help`,
		`{"text": ":quit"}`,
		in("this line is after quit"),
	)
	var kinds []string
	for _, m := range msgs {
		kinds = append(kinds, m.Kind+": "+firstLine(m.Text))
	}
	// the sandbox question gets whatever the knowledge base has (here the
	// sandbox article); the refusal is a notice
	want := []string{"answers", "answers", msgs[min(2, len(msgs)-1)].Kind, "notice", "text", "notice"}
	if len(msgs) != len(want) {
		t.Fatalf("replies:\n%s", strings.Join(kinds, "\n"))
	}
	for i, k := range want {
		if msgs[i].Kind != k {
			t.Fatalf("reply %d is %s, want %s:\n%s", i, msgs[i].Kind, k, strings.Join(kinds, "\n"))
		}
	}
	if !strings.Contains(msgs[0].Text, "R03") {
		t.Errorf("R03 answer shows %q", msgs[0].Text)
	}
	if !strings.Contains(msgs[3].Text, "didn't save") || !strings.Contains(msgs[3].Text, "card") {
		t.Errorf("poisoned answer: %q", msgs[3].Text)
	}
	if !strings.Contains(msgs[4].Text, "paypal sandbox password") {
		t.Errorf("learn: %q", msgs[4].Text)
	}
	if !strings.Contains(msgs[5].Text, ":quit") {
		t.Errorf(":help: %q", msgs[5].Text)
	}

	msgs = chatRunRaw(t, data, `{"text": "/payissue search what's the paypal sandbox password"}`,
		`{"text": "/payissue show stripe-do-not-honor"}`)
	if len(msgs) != 2 || len(msgs[0].Hits) == 0 || !strings.HasPrefix(msgs[0].Hits[0].ID, "community:") ||
		!strings.HasPrefix(msgs[0].Hits[0].Source, "community answer by ana, ") {
		t.Fatalf("learned answer not first: %+v", msgs)
	}
	if !strings.Contains(msgs[1].Text, "## What to do") || !strings.Contains(msgs[1].Text, "## What to tell the customer") {
		t.Errorf("show: %q", msgs[1].Text)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
