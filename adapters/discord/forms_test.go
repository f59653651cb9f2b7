package discord

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/paybot/paybot/bot"
)

type fakeRefs struct{ got string }

func (f *fakeRefs) OpenRefs(_ context.Context, c bot.Conversation, u bot.User, prefix string, limit int) ([]bot.Choice, error) {
	f.got = c.Platform + "/" + u.ID + "/" + prefix
	return []bot.Choice{{Value: "PAY-3", Label: "PAY-3 · SEV1 · checkout declines"}, {Value: "PAY-1", Label: "PAY-1 · open"}}, nil
}

func (hs *harness) events() []bot.Event {
	hs.h.mu.Lock()
	defer hs.h.mu.Unlock()
	return append([]bot.Event(nil), hs.h.events...)
}

func (hs *harness) waitEvents(n int) []bot.Event {
	hs.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if evs := hs.events(); len(evs) >= n {
			return evs
		}
		time.Sleep(5 * time.Millisecond)
	}
	hs.t.Fatalf("want %d events, have %+v", n, hs.events())
	return nil
}

// Signed autocomplete: the focused ref option is answered from the
// engine's open incidents.
func TestAutocompleteRefs(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	refs := &fakeRefs{}
	hs.a.refs = refs
	body := mustJSON(map[string]any{
		"id": "1300000000000009001", "application_id": "app1", "type": 4, "token": "tok-ac", "version": 1,
		"guild_id": "g1", "channel_id": "c1",
		"member": map[string]any{"user": map[string]any{"id": "u1", "username": "alice"}},
		"data": map[string]any{"id": "cmd1", "name": "payissue", "type": 1, "options": []any{map[string]any{
			"name": "ack", "type": 1, "options": []any{map[string]any{"name": "ref", "type": 3, "value": "PAY", "focused": true}}}}},
	})
	code, resp := hs.signed(body)
	if code != 200 {
		t.Fatalf("%d %s", code, resp)
	}
	var r struct {
		Type int `json:"type"`
		Data struct {
			Choices []struct{ Name, Value string } `json:"choices"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(resp), &r); err != nil || r.Type != 8 || len(r.Data.Choices) != 2 || r.Data.Choices[0].Value != "PAY-3" {
		t.Fatalf("autocomplete: %s (%v)", resp, err)
	}
	if refs.got != "discord/u1/PAY" {
		t.Errorf("asked for %q", refs.got)
	}
	if len(hs.events()) != 0 {
		t.Errorf("autocomplete delivered an event")
	}
}

// Signed card buttons: Acknowledge, Escalate and Cancel are actions;
// Resolve and Post update answer with a form whose submission is the
// typed command.
func TestCardButtonsAndFormsDiscord(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	for i, action := range []string{"ack", "escalate", "cancel"} {
		code, resp := hs.signed(componentBody("130000000000000910"+string(rune('0'+i)), "tok-b"+action, "c1", "", "m1", "pb:"+action+":PAY-3", 2, nil))
		if code != 200 || respType(t, resp) != 6 {
			t.Fatalf("%s: %d %s", action, code, resp)
		}
		evs := hs.waitEvents(i + 1)
		if e := evs[i]; e.Kind != bot.EventAction || e.Action != action {
			t.Fatalf("%s: %+v", action, e)
		}
	}
	for i, tc := range []struct {
		action string
		values map[string]string
		want   string
	}{
		{"resolve", map[string]string{"fix": "rotated the secret", "root_cause": "it expired"}, "resolve PAY-3 rotated the secret :: it expired"},
		{"update", map[string]string{"text": "declines falling"}, "update PAY-3 declines falling"},
	} {
		code, resp := hs.signed(componentBody("130000000000000920"+string(rune('0'+i)), "tok-f"+tc.action, "c1", "", "m1", "pb:"+tc.action+":PAY-3", 2, nil))
		if code != 200 || respType(t, resp) != 9 || !strings.Contains(resp, "pb:form:"+tc.action+":PAY-3") {
			t.Fatalf("%s button: %d %s", tc.action, code, resp)
		}
		var rows []any
		for k, v := range tc.values {
			rows = append(rows, map[string]any{"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": k, "value": v}}})
		}
		before := len(hs.events())
		sub := mustJSON(map[string]any{
			"id": "130000000000000930" + string(rune('0'+i)), "application_id": "app1", "type": 5, "token": "tok-s" + tc.action, "version": 1,
			"guild_id": "g1", "channel_id": "c1",
			"member": map[string]any{"user": map[string]any{"id": "u1", "username": "alice"}},
			"data":   map[string]any{"custom_id": "pb:form:" + tc.action + ":PAY-3", "components": rows},
		})
		code, resp = hs.signed(sub)
		if code != 200 || respType(t, resp) != 5 {
			t.Fatalf("%s submit: %d %s", tc.action, code, resp)
		}
		evs := hs.waitEvents(before + 1)
		if e := evs[before]; e.Kind != bot.EventCommand || e.Text != tc.want {
			t.Fatalf("%s submit: %+v", tc.action, e)
		}
	}
}

// The DM to an engaged contact: its Acknowledge button (the core's
// question with Expects "ack" and the ref as the choice) acknowledges from
// the DM, signed like any interaction.
func TestAcknowledgeFromDM(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	comps := choiceComponents("ack", []bot.Choice{{Value: "PAY-1", Label: "Acknowledge PAY-1"}}, false)
	js := mustJSON(comps)
	if !strings.Contains(js, `"custom_id":"pb:step:ack:PAY-1"`) {
		t.Fatalf("DM button: %s", js)
	}
	body := mustJSON(map[string]any{
		"id": "1300000000000009501", "application_id": "app1", "type": 3, "token": "tok-dm", "version": 1,
		"channel_id": "dm1", "channel": map[string]any{"id": "dm1", "type": 1},
		"user":    map[string]any{"id": "u9", "username": "sam"},
		"message": map[string]any{"id": "m9", "channel_id": "dm1", "type": 0, "content": "", "author": map[string]any{"id": "app1", "username": "paybot", "bot": true}},
		"data":    map[string]any{"custom_id": "pb:step:ack:PAY-1", "component_type": 2},
	})
	code, resp := hs.signed(body)
	if code != 200 || respType(t, resp) != 6 {
		t.Fatalf("%d %s", code, resp)
	}
	e := hs.waitEvents(1)[0]
	if e.Kind != bot.EventAction || e.Action != "ack" || len(e.Values) != 1 || e.Values[0] != "PAY-1" || e.User.ID != "u9" || e.Conversation.Channel != "dm1" {
		t.Fatalf("DM ack: %+v", e)
	}
}

func TestResolveWithoutFixOpensTheForm(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	code, resp := hs.signed(commandBody("1300000000000009601", "tok-r", "th1", "resolve", map[string]string{"ref": "PAY-2"}))
	if code != 200 || respType(t, resp) != 9 || !strings.Contains(resp, "pb:form:resolve:PAY-2") {
		t.Fatalf("%d %s", code, resp)
	}
	code, resp = hs.signed(commandBody("1300000000000009602", "tok-r2", "th1", "resolve", map[string]string{"fix": "rotated", "root_cause": "expired"}))
	if code != 200 || respType(t, resp) != 5 {
		t.Fatalf("with a fix: %d %s", code, resp)
	}
	if e := hs.waitEvents(1)[0]; e.Text != "resolve rotated :: expired" {
		t.Fatalf("event %+v", e)
	}
	if text, ok := formCommand(discordgo.ModalSubmitInteractionData{CustomID: "pb:form:resolve:", Components: []discordgo.MessageComponent{
		discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.TextInput{CustomID: "fix", Value: "rolled back"}}}}}); !ok || text != "resolve rolled back" {
		t.Fatalf("form without a ref: %q %v", text, ok)
	}
}
