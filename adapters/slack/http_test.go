package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
)

func TestRejectsBadRequestsWithoutCallingHandler(t *testing.T) {
	h := newHarness(t)
	valid := []byte(commandForm("declines", "T1"))
	big := bytes.Repeat([]byte("a"), (1<<20)+10)
	cases := []struct {
		name string
		path string
		body []byte
		mod  func(*http.Request)
		want int
	}{
		{"bad signature", "/slack/commands", valid, func(r *http.Request) {
			r.Header.Set("X-Slack-Signature", sign("wrong-secret", time.Now().Unix(), valid))
		}, http.StatusUnauthorized},
		{"tampered body", "/slack/commands", valid, func(r *http.Request) {
			r.Body = ioNop(strings.Replace(string(valid), "declines", "declinez", 1))
		}, http.StatusUnauthorized},
		{"signature not hex", "/slack/commands", valid, func(r *http.Request) {
			r.Header.Set("X-Slack-Signature", "v0=zzzz")
		}, http.StatusUnauthorized},
		{"stale timestamp", "/slack/commands", valid, func(r *http.Request) {
			old := time.Now().Add(-6 * time.Minute).Unix()
			r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(old, 10))
			r.Header.Set("X-Slack-Signature", sign(testSecret, old, valid))
		}, http.StatusUnauthorized},
		{"future timestamp", "/slack/events", valid, func(r *http.Request) {
			fut := time.Now().Add(6 * time.Minute).Unix()
			r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(fut, 10))
			r.Header.Set("X-Slack-Signature", sign(testSecret, fut, valid))
		}, http.StatusUnauthorized},
		{"missing signature", "/slack/events", valid, func(r *http.Request) {
			r.Header.Del("X-Slack-Signature")
		}, http.StatusUnauthorized},
		{"missing timestamp", "/slack/interactions", valid, func(r *http.Request) {
			r.Header.Del("X-Slack-Request-Timestamp")
		}, http.StatusUnauthorized},
		{"oversized body", "/slack/events", big, nil, http.StatusRequestEntityTooLarge},
		{"oversized chunked body", "/slack/events", big, func(r *http.Request) {
			r.ContentLength = -1
			r.Body = ioNop(string(big))
		}, http.StatusRequestEntityTooLarge},
		{"malformed JSON", "/slack/events", []byte(`{"type":"event_callback",`), nil, http.StatusBadRequest},
		{"malformed form", "/slack/commands", []byte("text=%zz&channel_id=C1"), nil, http.StatusBadRequest},
		{"form without command", "/slack/commands", []byte("text=hi"), nil, http.StatusBadRequest},
		{"malformed interaction form", "/slack/interactions", []byte("payload=%zz"), nil, http.StatusBadRequest},
		{"interaction without payload", "/slack/interactions", []byte("x=1"), nil, http.StatusBadRequest},
		{"interaction payload not JSON", "/slack/interactions", []byte("payload=" + url.QueryEscape("{nope")), nil, http.StatusBadRequest},
		{"interaction payload wrong types", "/slack/interactions", []byte("payload=" + url.QueryEscape(`{"type":5,"actions":"x"}`)), nil, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mods []func(*http.Request)
			if tc.mod != nil {
				mods = append(mods, tc.mod)
			}
			resp, body := h.post(tc.path, formType, tc.body, mods...)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tc.want)
			}
		})
	}
	if n := h.h.calls.Load(); n != 0 {
		t.Fatalf("handler called %d times for rejected requests", n)
	}
	if n := len(h.api.Calls("")); n != 0 {
		t.Fatalf("%d Web API calls for rejected requests", n)
	}
}

func TestGETIsNotServed(t *testing.T) {
	h := newHarness(t)
	resp, err := http.Get(h.srv.URL + "/slack/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET status %d", resp.StatusCode)
	}
}

func TestURLVerification(t *testing.T) {
	h := newHarness(t)
	resp, body := h.event(`{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	if resp.StatusCode != 200 || body != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("status %d body %q", resp.StatusCode, body)
	}
}

func TestSlashCommandBecomesCommandEvent(t *testing.T) {
	h := newHarness(t)
	resp, body := h.command("checkout declines spiking &amp; 3DS &lt;fails&gt;", "13345224609.738474920.8088930838d88f008e0")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	evs := h.h.Events()
	if len(evs) != 1 {
		t.Fatalf("events: %+v", evs)
	}
	want := bot.Event{
		ID: "slack:cmd:13345224609.738474920.8088930838d88f008e0", Kind: bot.EventCommand,
		Conversation: bot.Conversation{Platform: "slack", Channel: "C2147483705"},
		User:         bot.User{Platform: "slack", ID: "U2147483697", Name: "Steve"},
		Text:         "checkout declines spiking & 3DS <fails>",
	}
	got := evs[0]
	// The response_url travels sealed, never in clear.
	if u, err := h.a.sealer.Open(got.ReplyToken); err != nil || string(u) != "https://hooks.slack.com/commands/1234/5678" ||
		strings.Contains(got.ReplyToken, "hooks.slack.com") {
		t.Fatalf("reply token %q opens to %q, %v", got.ReplyToken, u, err)
	}
	got.At, got.ReplyToken = time.Time{}, ""
	if !equalEvent(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestSlashCommandRetryHasNoEffect(t *testing.T) {
	h := newHarness(t)
	for i := range 3 {
		resp, _ := h.command("declines", "trig-1", func(r *http.Request) {
			if i > 0 {
				r.Header.Set("X-Slack-Retry-Num", strconv.Itoa(i))
			}
		})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if n := len(h.h.Events()); n != 1 {
		t.Fatalf("%d distinct events, want 1", n)
	}
	if n := h.h.calls.Load(); n != 3 {
		t.Fatalf("handler saw %d deliveries, want 3 with the same id", n)
	}
}

func TestThreadMessageEventAndRetries(t *testing.T) {
	h := newHarness(t)
	body := messageEvent("Ev0PV52K21", "C2147483705", "1700000000.000001", "1700000050.000200", "U2147483697", "it started at 14:05 &amp; still failing")
	for i := range 4 {
		resp, _ := h.event(body, func(r *http.Request) {
			if i > 0 {
				r.Header.Set("X-Slack-Retry-Num", strconv.Itoa(i))
				r.Header.Set("X-Slack-Retry-Reason", "http_timeout")
			}
		})
		if resp.StatusCode != 200 {
			t.Fatalf("delivery %d: status %d", i, resp.StatusCode)
		}
	}
	evs := h.h.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	ev := evs[0]
	if ev.ID != "slack:Ev0PV52K21" || ev.Kind != bot.EventMessage || ev.Text != "it started at 14:05 & still failing" ||
		ev.Conversation != (bot.Conversation{Platform: "slack", Channel: "C2147483705", Thread: "1700000000.000001"}) ||
		ev.User.ID != "U2147483697" || ev.At.Unix() != 1700000050 {
		t.Fatalf("event %+v", ev)
	}
	if h.h.calls.Load() != 4 {
		t.Fatalf("handler deliveries %d", h.h.calls.Load())
	}
}

func TestIgnoresBotsEditsAndOwnMessages(t *testing.T) {
	h := newHarness(t)
	bodies := []string{
		callback("Ev1", map[string]any{"type": "message", "subtype": "bot_message", "bot_id": "B123", "channel": "C1", "text": "hi", "ts": "1.1"}),
		callback("Ev2", map[string]any{"type": "message", "bot_id": "B0001", "user": testBotUser, "channel": "C1", "text": "my own card", "ts": "1.2"}),
		callback("Ev3", map[string]any{"type": "message", "user": testBotUser, "channel": "C1", "text": "own, no bot_id", "ts": "1.3"}),
		callback("Ev4", map[string]any{"type": "message", "subtype": "message_changed", "channel": "C1", "ts": "1.4",
			"message": map[string]any{"type": "message", "user": "U1", "text": "edited", "ts": "1.0"}}),
		callback("Ev5", map[string]any{"type": "message", "subtype": "message_deleted", "channel": "C1", "ts": "1.5", "deleted_ts": "1.0"}),
		callback("Ev6", map[string]any{"type": "message", "subtype": "channel_join", "user": "U1", "channel": "C1", "ts": "1.6", "text": "joined"}),
		// A mention arrives twice; the message copy is dropped.
		callback("Ev7", map[string]any{"type": "message", "user": "U1", "channel": "C1", "text": "<@" + testBotUser + "> help", "ts": "1.7"}),
		callback("Ev8", map[string]any{"type": "reaction_added", "user": "U1", "reaction": "thumbsup", "event_ts": "1.8",
			"item": map[string]any{"type": "message", "channel": "C1", "ts": "1.0"}}),
		`{"type":"event_callback","event_id":"Ev9","event":{"type":"something_new"}}`,
		`{"type":"event_callback","event":null}`,
		`{"type":"app_rate_limited","minute_rate_limited":1518467820,"api_app_id":"A1"}`,
	}
	for _, b := range bodies {
		if resp, body := h.event(b); resp.StatusCode != 200 {
			t.Fatalf("status %d (%s) for %s", resp.StatusCode, body, b)
		}
	}
	if evs := h.h.Events(); len(evs) != 0 {
		t.Fatalf("events: %+v", evs)
	}
}

func TestAppMention(t *testing.T) {
	h := newHarness(t)
	resp, _ := h.event(callback("Ev0APPM", map[string]any{
		"type": "app_mention", "user": "U061F7AUR", "text": "<@" + testBotUser + "> what does decline code 05 mean?",
		"ts": "1515449522.000016", "channel": "C123ABC456", "event_ts": "1515449522000016",
	}))
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	evs := h.h.Events()
	if len(evs) != 1 || !evs[0].Mention || evs[0].Text != "what does decline code 05 mean?" || evs[0].ID != "slack:Ev0APPM" {
		t.Fatalf("events %+v", evs)
	}
}

func TestBlockActionsBecomeActions(t *testing.T) {
	h := newHarness(t)
	// A question button in the thread: action_id "category|1".
	resp, _ := h.interaction(blockAction("trig-a1", "C1", "1700000000.000005", "1700000000.000001", "category|1", "declines"))
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	// A card button: the card is the thread's root.
	h.interaction(blockAction("trig-a2", "C1", "1700000000.000001", "", "ack", "PAY-1"))
	// Retry of the first press: no new event.
	h.interaction(blockAction("trig-a1", "C1", "1700000000.000005", "1700000000.000001", "category|1", "declines"))
	evs := h.h.Events()
	if len(evs) != 2 {
		t.Fatalf("events %+v", evs)
	}
	thread := bot.Conversation{Platform: "slack", Channel: "C1", Thread: "1700000000.000001"}
	if e := evs[0]; e.Kind != bot.EventAction || e.Action != "category" || len(e.Values) != 1 || e.Values[0] != "declines" || e.Conversation != thread || e.ID != "slack:act:trig-a1" {
		t.Fatalf("question action %+v", e)
	}
	if e := evs[1]; e.Action != "ack" || e.Values[0] != "PAY-1" || e.Conversation != thread {
		t.Fatalf("card action %+v", e)
	}
}

func TestSelectActions(t *testing.T) {
	h := newHarness(t)
	p := map[string]any{
		"type": "block_actions", "trigger_id": "", "action_ts": "1.5",
		"user":      map[string]any{"id": "U1"},
		"team":      map[string]any{"id": "T1"},
		"channel":   map[string]any{"id": "C1"},
		"container": map[string]any{"type": "message", "message_ts": "9.2", "thread_ts": "9.1", "channel_id": "C1"},
		"actions": []map[string]any{{"action_id": "payment_methods", "block_id": "step:payment_methods", "type": "multi_static_select", "action_ts": "1.5",
			"selected_options": []map[string]any{{"value": "card"}, {"value": "wallet"}}}},
	}
	b, _ := json.Marshal(p)
	h.interaction(string(b))
	evs := h.h.Events()
	if len(evs) != 1 || evs[0].ID != "slack:act:T1:U1:1.5" || strings.Join(evs[0].Values, ",") != "card,wallet" || evs[0].Action != "payment_methods" {
		t.Fatalf("events %+v", evs)
	}
}

func TestEmptyCommandOpensModalAndSubmissionOpensIncident(t *testing.T) {
	h := newHarness(t)
	resp, body := h.command("", "trig-modal")
	if resp.StatusCode != 200 || body != "" {
		t.Fatalf("status %d body %q", resp.StatusCode, body)
	}
	calls := h.api.waitCalls(t, "views.open", 1)
	var req struct {
		TriggerID string `json:"trigger_id"`
		View      struct {
			CallbackID      string `json:"callback_id"`
			PrivateMetadata string `json:"private_metadata"`
		} `json:"view"`
	}
	if err := json.Unmarshal([]byte(calls[0].Form.Get("json")), &req); err != nil {
		t.Fatalf("views.open body: %v (%v)", err, calls[0].Form)
	}
	if req.TriggerID != "trig-modal" || req.View.CallbackID != openIncidentCallback {
		t.Fatalf("views.open %+v", req)
	}
	if n := len(h.h.Events()); n != 0 {
		t.Fatalf("bare command delivered %d events", n)
	}
	sub, _ := json.Marshal(map[string]any{
		"type": "view_submission", "trigger_id": "trig-sub",
		"team": map[string]any{"id": "T1"}, "user": map[string]any{"id": "U2147483697", "name": "steve"},
		"view": map[string]any{"id": "V0001", "callback_id": openIncidentCallback, "private_metadata": req.View.PrivateMetadata,
			"state": map[string]any{"values": map[string]any{"title": map[string]any{"title": map[string]any{"type": "plain_text_input", "value": "payouts delayed"}}}}},
	})
	resp, body = h.interaction(string(sub))
	if resp.StatusCode != 200 || !strings.Contains(body, "clear") {
		t.Fatalf("status %d body %q", resp.StatusCode, body)
	}
	evs := h.h.Events()
	if len(evs) != 1 || evs[0].Kind != bot.EventCommand || evs[0].Text != "open payouts delayed" || evs[0].Conversation.Channel != "C2147483705" {
		t.Fatalf("events %+v", evs)
	}
}

func TestHandlerFailureMakesSlackRetry(t *testing.T) {
	h := newHarness(t)
	h.h.err = errors.New("inbox down")
	resp, _ := h.event(messageEvent("EvFAIL", "C1", "", "1.1", "U1", "hello"))
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500 so that Slack retries", resp.StatusCode)
	}
	h.h.err = nil
	resp, _ = h.event(messageEvent("EvFAIL", "C1", "", "1.1", "U1", "hello"), func(r *http.Request) { r.Header.Set("X-Slack-Retry-Num", "1") })
	if resp.StatusCode != 200 || len(h.h.Events()) != 1 {
		t.Fatalf("retry: status %d events %d", resp.StatusCode, len(h.h.Events()))
	}
}

func TestNotStartedAnswers500(t *testing.T) {
	h := newHarness(t)
	h.a.handler.Store(nil)
	resp, _ := h.event(messageEvent("EvX", "C1", "", "1.1", "U1", "hello"))
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func equalEvent(a, b bot.Event) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func ioNop(s string) nopCloser { return nopCloser{strings.NewReader(s)} }
