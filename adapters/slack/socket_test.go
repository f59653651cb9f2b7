package slack

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
)

// TestSocketMode runs the adapter over slacktest's websocket: envelopes for
// an Events API message, a slash command and a button press are translated
// like their HTTP twins and acknowledged with their envelope ids; a
// redelivered envelope has no second effect.
func TestSocketMode(t *testing.T) {
	api := newFakeSlack(t)
	a, err := New(Options{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: api.GetAPIURL(), Logger: testLogger(t), ChannelInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeHandler{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Start(ctx, h) }()

	acks := make(chan string, 16)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-api.SeenFeed:
				var r struct {
					EnvelopeID string `json:"envelope_id"`
				}
				if json.Unmarshal([]byte(m), &r) == nil && r.EnvelopeID != "" {
					acks <- r.EnvelopeID
				}
			}
		}
	}()

	envelope := func(typ, id string, payload any) string {
		b, _ := json.Marshal(map[string]any{"type": typ, "envelope_id": id, "payload": payload, "accepts_response_payload": typ != "events_api"})
		return string(b)
	}
	var msgEvent map[string]any
	_ = json.Unmarshal([]byte(messageEvent("EvSOCK1", "C1", "1700000000.000001", "1700000000.000009", "U1", "still failing")), &msgEvent)
	api.SendToWebsocket(envelope("hello", "", nil))
	api.SendToWebsocket(envelope("events_api", "env-1", msgEvent))
	api.SendToWebsocket(envelope("slash_commands", "env-2", map[string]any{
		"team_id": "T1", "channel_id": "C1", "user_id": "U1", "user_name": "steve", "command": "/payissue",
		"text": "refunds failing", "trigger_id": "trig-sock", "response_url": "https://hooks.slack.com/x",
	}))
	var press map[string]any
	_ = json.Unmarshal([]byte(blockAction("trig-sock-btn", "C1", "1700000000.000001", "", "escalate", "PAY-1")), &press)
	api.SendToWebsocket(envelope("interactive", "env-3", press))

	got := map[string]bool{}
	deadline := time.After(10 * time.Second)
	for len(got) < 3 {
		select {
		case id := <-acks:
			got[id] = true
		case <-deadline:
			t.Fatalf("acks seen: %v", got)
		}
	}
	// Slack redelivers env-1 with the same event_id (retry_attempt 1).
	api.SendToWebsocket(envelope("events_api", "env-1b", msgEvent))
	select {
	case id := <-acks:
		if id != "env-1b" {
			t.Fatalf("unexpected ack %s", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("redelivery not acked")
	}

	evs := h.Events()
	if len(evs) != 3 {
		t.Fatalf("events %+v", evs)
	}
	kinds := map[bot.EventKind]bot.Event{}
	for _, e := range evs {
		kinds[e.Kind] = e
	}
	if e := kinds[bot.EventMessage]; e.ID != "slack:EvSOCK1" || e.Conversation.Thread != "1700000000.000001" {
		t.Fatalf("message %+v", e)
	}
	if e := kinds[bot.EventCommand]; e.ID != "slack:cmd:trig-sock" || e.Text != "refunds failing" {
		t.Fatalf("command %+v", e)
	}
	if e := kinds[bot.EventAction]; e.Action != "escalate" || !strings.HasPrefix(e.ID, "slack:act:") {
		t.Fatalf("action %+v", e)
	}
	if h.calls.Load() != 4 {
		t.Fatalf("handler deliveries %d, want 4", h.calls.Load())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return after cancel")
	}
}
