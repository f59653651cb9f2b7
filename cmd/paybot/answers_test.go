package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/paybot/paybot/incidents/paycode"
)

// TestAnswersShowPassageLinkAndShow drives the console and the CLI on the
// embedded knowledge base: a chat answer names the article, shows the
// passage that answers (what to do for a retry question, when to escalate
// for a who-to-call question), links to the page of the code's family and
// says how to print the whole article; /payissue show and kb show print it
// all, the escalation section included; kb search --json keeps its shape
// and its snippet is that passage.
func TestAnswersShowPassageLinkAndShow(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	msgs := chatRunRaw(t, data,
		`{"text": "/payissue search ACH came back R01, can we retry?"}`,
		`{"text": "/payissue search half our card payments fail since noon, who do we call at the gateway?"}`,
		`{"text": "/payissue show ach-returns-overview"}`,
	)
	if len(msgs) != 3 {
		t.Fatalf("want 3 replies, got %d: %+v", len(msgs), msgs)
	}
	nacha, _ := paycode.FamilyOf("ach-return")
	a := msgs[0].Text
	for _, want := range []string{"ACH returns overview", "re-present", nacha.URL, "Whole article: /payissue show ach-returns-overview"} {
		if !strings.Contains(a, want) {
			t.Errorf("retry answer lacks %q:\n%s", want, a)
		}
	}
	if len(msgs[1].Hits) == 0 || !strings.Contains(msgs[1].Text, "support desk") {
		t.Errorf("who-to-call answer does not say whom:\n%s", msgs[1].Text)
	}
	for _, want := range []string{"## What to do", "## When to escalate", "## What to tell the customer", "More: " + nacha.URL} {
		if !strings.Contains(msgs[2].Text, want) {
			t.Errorf("/payissue show lacks %q:\n%s", want, msgs[2].Text)
		}
	}

	env := map[string]string{"PAYBOT_DATA": data}
	code, out := runCLI(env, "kb", "show", "ach-returns-overview")
	if code != 0 || !strings.Contains(out, "## When to escalate") || !strings.Contains(out, "Nacha") {
		t.Fatalf("kb show = %d:\n%s", code, out)
	}
	code, out = runCLI(env, "kb", "search", "--json", "ACH came back R01, can we retry?")
	if code != 0 {
		t.Fatalf("kb search --json = %d:\n%s", code, out)
	}
	var res map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("kb search --json: %v\n%s", err, out)
	}
	var hits []map[string]json.RawMessage
	if err := json.Unmarshal(res["hits"], &hits); err != nil || len(hits) == 0 {
		t.Fatalf("hits: %v\n%s", err, out)
	}
	var keys []string
	for k := range hits[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, ","); got != "id,kind,score,snippet,source,title,url" {
		t.Errorf("hit fields %s, want id,kind,score,snippet,source,title,url", got)
	}
	var snippet, id string
	_ = json.Unmarshal(hits[0]["snippet"], &snippet)
	_ = json.Unmarshal(hits[0]["id"], &id)
	if id != "ach-returns-overview" || !strings.HasPrefix(snippet, "R01/R09: you may re-present") {
		t.Errorf("top hit %s, snippet %q", id, snippet)
	}
}

// TestDefinitionHitShowsArticleAction: with a reference record for R01
// imported, its hit (a definition only) carries what to do from the ACH
// article, in kb search --json (one optional field added to the hit), in
// kb search's text and in the chat answer, with how to read the article.
func TestDefinitionHitShowsArticleAction(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	rec := filepath.Join(dir, "r01.jsonl")
	if err := os.WriteFile(rec, []byte(`{"id":"ach-return:R01","kind":"reference","title":"ACH return code R01 – Insufficient Funds","body":"Available balance is not sufficient to cover the dollar value of the debit entry"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PAYBOT_DATA": data}
	if code, out := runCLI(env, "kb", "import", rec); code != 0 {
		t.Fatalf("kb import = %d:\n%s", code, out)
	}
	code, out := runCLI(env, "kb", "search", "--json", "ACH return R01, can we retry?")
	if code != 0 {
		t.Fatalf("kb search --json = %d:\n%s", code, out)
	}
	var res struct {
		Hits []map[string]json.RawMessage `json:"hits"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("kb search --json: %v\n%s", err, out)
	}
	found := false
	for _, h := range res.Hits {
		var id string
		_ = json.Unmarshal(h["id"], &id)
		if id != "ach-return:R01" {
			continue
		}
		found = true
		var a map[string]string
		if err := json.Unmarshal(h["action"], &a); err != nil {
			t.Fatalf("action of %s: %v\n%s", id, err, out)
		}
		if a["article_id"] != "ach-returns-overview" || a["code"] != "r01" || !strings.Contains(a["text"], "re-present") {
			t.Errorf("action %s", h["action"])
		}
	}
	if !found {
		t.Fatalf("no hit for ach-return:R01:\n%s", out)
	}
	if code, out = runCLI(env, "kb", "search", "ACH return R01, can we retry?"); code != 0 || !strings.Contains(out, "What to do (from ACH returns overview") || !strings.Contains(out, "Read it: paybot kb show ach-returns-overview") {
		t.Errorf("kb search = %d:\n%s", code, out)
	}
	msgs := chatRunRaw(t, data, `{"text": "/payissue search ACH return R01, can we retry?"}`)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "What to do (from ACH returns overview") || !strings.Contains(msgs[0].Text, "Read it: /payissue show ach-returns-overview") {
		t.Errorf("chat answer: %+v", msgs)
	}
}
