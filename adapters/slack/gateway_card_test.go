package slack

import (
	"strings"
	"testing"

	"github.com/paybot/paybot/bot"
)

// The card shows the gateway's declared incident (issue 12).
func TestGoldenCardGateway(t *testing.T) {
	golden(t, "card_gateway", bot.Message{Kind: bot.KindCard, Text: "PAY-7 · SEV1 · open — card payments failing (reported by Alice)", Card: &bot.Card{
		Ref: "PAY-7", Title: "card payments failing", Severity: "SEV1", Status: "open",
		Reporter: bot.User{Platform: "slack", ID: "U0ALICE", Name: "Alice"}, Category: "declines", Provider: "stripe",
		Gateway: "Elevated card authorisation errors — identified (major impact; affects Card payments API, 3-D Secure) https://stspg.io/abc?token=REDACTED",
	}})
}

// /payissue diagnose over a signed slash command: the command is
// acknowledged at once, the checks run in the background and the result
// arrives through the outbox as a chat.postMessage. From chat a private
// address is refused, and the token in the URL never reaches Slack.
func TestDiagnoseSlashCommand(t *testing.T) {
	h, e, _ := engineHarness(t)
	resp, _ := h.command("diagnose https://127.0.0.1:1/v1/?token=s3cr3tvalue", "trig-diag-1")
	if resp.StatusCode != 200 {
		t.Fatalf("command status %d", resp.StatusCode)
	}
	waitFor(t, "the diagnosis", func() bool {
		e.WaitDiagnoses()
		for _, c := range h.api.Calls("chat.postMessage") {
			if strings.Contains(c.Form.Get("text"), "only check public endpoints") {
				return true
			}
		}
		return false
	})
	for _, c := range h.api.Calls("") {
		if strings.Contains(c.Form.Encode(), "s3cr3tvalue") {
			t.Fatalf("token reached Slack: %s %s", c.Method, c.Form.Encode())
		}
	}
}
