package bot_test

import (
	"strings"
	"testing"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
)

// "@Paybot status" and "@Paybot ack" in a thread are commands; a question
// that starts with a command word stays a question.
func TestMentionIsACommand(t *testing.T) {
	h := matrixHarness(t, setupEscalated)
	mention := func(user, text string) string {
		return texts(h.Send(bot.Event{Kind: bot.EventMessage, Mention: true, Conversation: h.Thread, User: bottest.User(user), Text: text}))
	}
	if got := mention("alice", "status"); !strings.Contains(got, "Opened ") {
		t.Errorf("@Paybot status: %s", got)
	}
	if got := mention("alice", "status?"); !strings.Contains(got, "Opened ") {
		t.Errorf("@Paybot status?: %s", got)
	}
	if got := mention("ron", "ack"); !strings.Contains(got, "acknowledged PAY-1") {
		t.Errorf("@Paybot ack: %s", got)
	}
	if got := mention("alice", "status of stripe in europe today?"); strings.Contains(got, "Opened ") {
		t.Errorf("a question was taken as a command: %s", got)
	}
	// Without a mention, a message starting with a command word is a note.
	h.Send(bot.Event{Kind: bot.EventMessage, Conversation: h.Thread, User: bottest.User("alice"), Text: "resolve this soon please"})
	if inc := h.Incident(); inc.Status.Active() != true {
		t.Errorf("a plain message resolved the incident")
	}
}

// A slash command in a channel (Slack's carry no thread) acts on the
// channel's only open incident, or asks which one with the refs.
func TestChannelCommandFindsTheIncident(t *testing.T) {
	h := matrixHarness(t, setupOpen)
	inChannel := func(user, text string) string {
		return texts(h.Send(bot.Event{Kind: bot.EventCommand, Conversation: bottest.Channel, User: bottest.User(user), Text: text}))
	}
	if got := inChannel("alice", "status"); !strings.Contains(got, "PAY-1") || !strings.Contains(got, "Opened ") {
		t.Fatalf("status in the channel: %s", got)
	}
	if got := inChannel("lena", "update rolled back the deploy"); !strings.Contains(got, "Update on PAY-1") {
		t.Fatalf("update in the channel: %s", got)
	}
	// A second incident in the channel: which one?
	intakeWith(t, h, h.Command("payouts delayed since this morning"), nil)
	got := inChannel("alice", "escalate")
	if !strings.Contains(got, "Which incident?") || !strings.Contains(got, "PAY-1") || !strings.Contains(got, "PAY-2") || !strings.Contains(got, "/payissue escalate PAY-") {
		t.Fatalf("two incidents: %s", got)
	}
	if strings.Contains(got, "thread") {
		t.Errorf("a hint Slack cannot follow: %s", got)
	}
	// Another channel has none.
	got = texts(h.Send(bot.Event{Kind: bot.EventCommand, Conversation: bot.Conversation{Platform: bottest.Platform, Channel: "C9"}, User: bottest.User("alice"), Text: "ack"}))
	if !strings.Contains(got, "no open incident in this channel") || !strings.Contains(got, "/payissue ack PAY-12") {
		t.Fatalf("no incident: %s", got)
	}
}

// The DM to an engaged contact says something that works where it lands,
// and its button acknowledges from the DM.
func TestDMAcknowledgeWorksFromTheDM(t *testing.T) {
	h := matrixHarness(t, setupEscalated)
	if len(h.Adapter.DMs) == 0 {
		t.Fatal("no DM to the engaged contact")
	}
	dm := h.Adapter.DMs[len(h.Adapter.DMs)-1]
	if !strings.Contains(dm.Text, "/payissue ack PAY-1") || dm.Expects != "ack" || len(dm.Choices) != 1 || dm.Choices[0].Value != "PAY-1" {
		t.Fatalf("DM: %+v", dm)
	}
	got := texts(h.Send(bot.Event{Kind: bot.EventAction, Conversation: dm.Conversation, User: bottest.User("U_AM"), Action: dm.Expects, Values: []string{dm.Choices[0].Value}}))
	if !strings.Contains(got, "PAY-1 is acknowledged") {
		t.Fatalf("ack from the DM: %s", got)
	}
}

// Ref autocompletion: the open incidents of the platform, with titles only
// where they may be seen.
func TestOpenRefs(t *testing.T) {
	h := matrixHarness(t, setupOpen)
	ctx := t.Context()
	got, err := h.Engine.OpenRefs(ctx, bottest.Channel, bottest.User("mallory"), "pay", 25)
	if err != nil || len(got) != 1 || got[0].Value != "PAY-1" || !strings.Contains(got[0].Label, "card payments failing") {
		t.Fatalf("in its channel: %+v %v", got, err)
	}
	got, _ = h.Engine.OpenRefs(ctx, bot.Conversation{Platform: bottest.Platform, Channel: "C2"}, bottest.User("mallory"), "", 25)
	if len(got) != 1 || strings.Contains(got[0].Label, "card") {
		t.Fatalf("elsewhere: %+v", got)
	}
	if got, _ := h.Engine.OpenRefs(ctx, bot.Conversation{Platform: "discord", Channel: "D1"}, bot.User{Platform: "discord", ID: "x"}, "", 25); len(got) != 0 {
		t.Fatalf("another platform: %+v", got)
	}
	if got, _ := h.Engine.OpenRefs(ctx, bottest.Channel, bottest.User("alice"), "payouts", 25); len(got) != 0 {
		t.Fatalf("a filter that matches nothing: %+v", got)
	}
}

// A stranger's intake answer is refused with how to join; after joining,
// the same answer is taken.
func TestIntakeAnswerNeedsJoining(t *testing.T) {
	h := matrixHarness(t, setupIntake)
	say := func(user, text string) string {
		return texts(h.Send(bot.Event{Kind: bot.EventMessage, Conversation: h.Thread, User: bottest.User(user), Text: text}))
	}
	got := say("carol", "2")
	if !strings.Contains(got, "Only the reporter, the lead or responders answer") || !strings.Contains(got, "/payissue join PAY-1") {
		t.Fatalf("stranger's answer: %s", got)
	}
	if h.Incident().Intake.Step != "category" {
		t.Fatalf("a refused answer moved the intake")
	}
	h.Send(bot.Event{Kind: bot.EventCommand, Conversation: h.Thread, User: bottest.User("carol"), Text: "join"})
	if got := say("carol", "2"); !strings.Contains(got, "(2/") {
		t.Fatalf("after joining: %s", got)
	}
}
