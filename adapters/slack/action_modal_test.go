package slack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/paybot/paybot/bot"
)

// Every card button, signed: Acknowledge, Escalate and Cancel become the
// action with the ref; Resolve and Post update open their form and deliver
// nothing until it is submitted; the submission is the typed command.
func TestCardButtonsAndForms(t *testing.T) {
	h := newHarness(t)
	for i, action := range []string{"ack", "escalate", "cancel"} {
		if resp, _ := h.interaction(blockAction("trig-b"+action, "C1", "1700000000.000001", "", action, "PAY-7")); resp.StatusCode != 200 {
			t.Fatalf("%s: %d", action, resp.StatusCode)
		}
		evs := h.h.Events()
		if len(evs) != i+1 || evs[i].Kind != bot.EventAction || evs[i].Action != action || len(evs[i].Values) != 1 || evs[i].Values[0] != "PAY-7" {
			t.Fatalf("%s: events %+v", action, evs)
		}
	}
	for n, tc := range []struct {
		action, callback string
		values           map[string]string
		want             string
	}{
		{"update", updateCallback, map[string]string{"text": "rolled back :: partly"}, "update PAY-7 rolled back : partly"},
		{"resolve", resolveCallback, map[string]string{"fix": "rotated the secret", "cause": "it expired"}, "resolve PAY-7 rotated the secret :: it expired"},
		{"resolve", resolveCallback, map[string]string{"fix": "rotated the secret"}, "resolve PAY-7 rotated the secret"},
	} {
		before := len(h.h.Events())
		h.interaction(blockAction("trig-form"+tc.callback+tc.want, "C1", "1700000000.000001", "", tc.action, "PAY-7"))
		open := h.api.waitCalls(t, "views.open", n+1)[n]
		var req struct {
			TriggerID string `json:"trigger_id"`
			View      struct {
				CallbackID string `json:"callback_id"`
			} `json:"view"`
		}
		if err := json.Unmarshal([]byte(open.Form.Get("json")), &req); err != nil || req.View.CallbackID != tc.callback {
			t.Fatalf("%s: views.open %+v %v", tc.action, req, err)
		}
		if len(h.h.Events()) != before {
			t.Fatalf("%s: the button delivered an event before its form", tc.action)
		}
		resp, body := h.interaction(viewSubmission(t, open, "trig-sub"+tc.want, tc.values))
		if resp.StatusCode != 200 || body == "" {
			t.Fatalf("%s submission: %d %q", tc.action, resp.StatusCode, body)
		}
		evs := h.h.Events()
		if len(evs) != before+1 {
			t.Fatalf("%s submission: events %+v", tc.action, evs[before:])
		}
		e := evs[before]
		if e.Kind != bot.EventCommand || e.Text != tc.want || e.Conversation != (bot.Conversation{Platform: "slack", Channel: "C1", Thread: "1700000000.000001"}) {
			t.Fatalf("%s submission: %+v", tc.action, e)
		}
	}
	// A resolve form without the fix delivers nothing.
	open := h.api.Calls("views.open")[1]
	before := len(h.h.Events())
	h.interaction(viewSubmission(t, open, "trig-empty", map[string]string{"fix": "  "}))
	if len(h.h.Events()) != before {
		t.Fatalf("an empty fix was delivered")
	}
}

// FuzzInteractionPayload: any interaction payload translates without a
// panic, and a submitted action form is one command for its ref or nothing.
// go test -fuzz FuzzInteractionPayload ./adapters/slack
func FuzzInteractionPayload(f *testing.F) {
	h := newHarness(f)
	f.Add(blockAction("t1", "C1", "1.1", "", "resolve", "PAY-1"))
	f.Add(blockAction("", "C1", "1.1", "1.0", "update", ""))
	f.Add(`{"type":"view_submission","user":{"id":"U1"},"view":{"callback_id":"paybot_resolve","private_metadata":"{\"c\":\"C1\",\"r\":\"PAY-1\"}","state":{"values":{"fix":{"fix":{"value":"a :: b"}}}}}}`)
	f.Add(`{"type":"view_submission","user":{"id":"U1"},"view":{"callback_id":"paybot_update","private_metadata":"not json"}}`)
	f.Fuzz(func(t *testing.T, payload string) {
		var cb slack.InteractionCallback
		if json.Unmarshal([]byte(payload), &cb) != nil {
			return
		}
		in := h.a.fromInteraction(cb)
		for _, ev := range in.events {
			if ev.Kind == bot.EventCommand && strings.HasPrefix(ev.Text, "resolve ") && strings.Count(ev.Text, "::") > 1 {
				t.Fatalf("a form produced an ambiguous command: %q", ev.Text)
			}
		}
	})
}

// "/payissue resolve" (or "update") typed in a channel without the text
// opens the form; its submission carries the ref when one was given, and
// otherwise leaves the choice of incident to the core.
func TestSlashResolveOpensTheForm(t *testing.T) {
	h := newHarness(t)
	for n, tc := range []struct{ text, callback, want string }{
		{"resolve", resolveCallback, "resolve rolled back"},
		{"resolve PAY-3", resolveCallback, "resolve PAY-3 rolled back"},
		{"update pay-4", updateCallback, "update PAY-4 rolled back"},
	} {
		if resp, _ := h.command(tc.text, "trig-slash"+tc.want); resp.StatusCode != 200 {
			t.Fatalf("%q: %d", tc.text, resp.StatusCode)
		}
		open := h.api.waitCalls(t, "views.open", n+1)[n]
		field := "fix"
		if tc.callback == updateCallback {
			field = "text"
		}
		before := len(h.h.Events())
		h.interaction(viewSubmission(t, open, "trig-slash-sub"+tc.want, map[string]string{field: "rolled back"}))
		evs := h.h.Events()
		if len(evs) != before+1 || evs[before].Text != tc.want || evs[before].Conversation.Thread != "" {
			t.Fatalf("%q: events %+v", tc.text, evs[before:])
		}
	}
	// With the text, the command goes straight to the core.
	before := len(h.h.Events())
	h.command("resolve rotated the secret :: it expired", "trig-slash-direct")
	if evs := h.h.Events(); len(evs) != before+1 || evs[before].Text != "resolve rotated the secret :: it expired" {
		t.Fatalf("direct resolve: %+v", evs[before:])
	}
}
