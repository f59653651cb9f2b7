package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConsoleAnswersAndPastIncidents: in the console, a question gets
// answers from the real knowledge base, an off-topic one gets the plain "no
// good answer", and an incident resolved before a restart is found after it.
func TestConsoleAnswersAndPastIncidents(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	msgs := chatRunRaw(t, data,
		`{"text": "/payissue search stripe says do_not_honor, what do we tell the customer?"}`,
		`{"text": "/payissue search what's the weather in Paris this weekend"}`,
	)
	if len(msgs) != 2 {
		t.Fatalf("want two replies, got %d: %v", len(msgs), msgs)
	}
	if msgs[0].Kind != "answers" || len(msgs[0].Hits) == 0 || msgs[0].Hits[0].ID != "stripe-do-not-honor" {
		t.Errorf("do_not_honor question: %+v", msgs[0])
	}
	if msgs[1].Kind == "answers" || !strings.Contains(msgs[1].Text, "don't have a good answer") {
		t.Errorf("off-topic question: %+v", msgs[1])
	}

	script := []string{`{"text": "/payissue webhooks rejected after the deploy"}`}
	for _, a := range []string{"integration", "stripe", "production", "30 min ago", "all",
		"signature verification failed on every webhook", "skip", "skip", "checked the endpoint logs", "yes"} {
		script = append(script, `{"text": "`+a+`", "thread": "PAY-1"}`)
	}
	script = append(script, `{"text": "/payissue resolve put the new signing secret in the vault :: the webhook signing secret was rolled without updating the endpoint", "thread": "PAY-1"}`)
	msgs = chatRunRaw(t, data, script...)
	if !containsText(msgs, "resolved") {
		t.Fatalf("incident not resolved: %+v", msgs[len(msgs)-3:])
	}

	// A new process: the resolved incident is a past incident in search.
	msgs = chatRunRaw(t, data, `{"text": "/payissue search webhook signing secret rolled, endpoint not updated"}`)
	found := false
	for _, h := range msgs[0].Hits {
		if h.ID == "incident:PAY-1" && strings.HasPrefix(h.Source, "past incident PAY-1") {
			found = true
		}
	}
	if !found {
		t.Errorf("past incident PAY-1 not found after restart: %+v", msgs[0])
	}
}

type richOut struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
	Hits []struct {
		ID     string `json:"id"`
		Source string `json:"source"`
	} `json:"hits"`
}

func chatRunRaw(t *testing.T, data string, lines ...string) []richOut {
	t.Helper()
	var out, errOut bytes.Buffer
	in := strings.NewReader(strings.Join(lines, "\n") + "\n")
	env := func(string) string { return "" }
	if code := run(context.Background(), []string{"--data", data, "chat", "--json", "--user", "ana"}, in, &out, &errOut, env); code != 0 {
		t.Fatalf("chat exited %d: %s", code, errOut.String())
	}
	var msgs []richOut
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var o richOut
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		msgs = append(msgs, o)
	}
	return msgs
}

func containsText(msgs []richOut, s string) bool {
	for _, m := range msgs {
		if strings.Contains(m.Text, s) {
			return true
		}
	}
	return false
}

// TestShowHintPointsAtTheWholeArticleLine: /payissue show with an unknown
// id tells where the id is, on every platform: in the "Whole article:"
// line under each search answer, with the command as that platform types
// it; and the search answers there do carry that line. (It said "in
// brackets after each search answer", where the chat shows the source,
// [internal KB].)
func TestShowHintPointsAtTheWholeArticleLine(t *testing.T) {
	msgs := chatRunRaw(t, t.TempDir(), "/payissue show nope", "/payissue search do not honor", "/payissue show")
	if len(msgs) < 3 {
		t.Fatalf("replies: %+v", msgs)
	}
	for _, want := range []string{`don't know an article with the id "nope"`, `"Whole article:" line`, "/payissue show stripe-do-not-honor"} {
		if !strings.Contains(msgs[0].Text, want) {
			t.Errorf("console hint lacks %q: %s", want, msgs[0].Text)
		}
	}
	if strings.Contains(msgs[0].Text, "brackets") || !containsText(msgs, "Whole article: /payissue show ") {
		t.Errorf("console: the hint does not match the answer:\n%+v", msgs)
	}
	if !strings.Contains(msgs[len(msgs)-1].Text, "for example: /payissue show stripe-do-not-honor") {
		t.Errorf("console: show without an id: %s", msgs[len(msgs)-1].Text)
	}

	s := startKBServe(t, nil)
	wait := func(what string, mark int, http string, wants ...string) {
		t.Helper()
		got := ""
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			got = http + "\n" + s.sent(mark)
			if d, err := url.QueryUnescape(got); err == nil { // Slack's form bodies
				got += "\n" + d
			}
			all := true
			for _, w := range wants {
				all = all && strings.Contains(got, w)
			}
			if all {
				return
			}
		}
		t.Errorf("%s: want %q in:\n%s", what, wants, got)
	}
	mark := s.rec.count()
	http, _ := s.slash("CHINT", "U0EVE", "show nope")
	wait("slack hint", mark, http, `Whole article:`, "/payissue show stripe-do-not-honor")
	mark = s.rec.count()
	http, _ = s.slash("CHINT", "U0EVE", "search do not honor")
	wait("slack answer", mark, http, "Whole article: `/payissue show ")
	mark = s.rec.count()
	http = s.discord("700000000000000009", "700000000000000001", "show", map[string]string{"id": "nope"})
	wait("discord hint", mark, http, `Whole article:`, "/payissue show id:stripe-do-not-honor")
	mark = s.rec.count()
	http = s.discord("700000000000000009", "700000000000000001", "search", map[string]string{"question": "do not honor"})
	wait("discord answer", mark, http, "Whole article: /payissue show id:")
	if strings.Contains(s.sent(0), "shown in brackets") {
		t.Error("a platform still says the id is shown in brackets")
	}
}
