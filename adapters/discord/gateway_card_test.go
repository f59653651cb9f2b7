package discord

import (
	"testing"

	"github.com/paybot/paybot/bot"
)

// The card shows the gateway's declared incident (issue 12).
func TestGoldenCardGateway(t *testing.T) {
	golden(t, "card_gateway", render(bot.Message{Kind: bot.KindCard, Text: "PAY-7 · SEV1 · open — card payments failing (reported by Alice)", Card: &bot.Card{
		Ref: "PAY-7", Title: "card payments failing", Severity: "SEV1", Status: "open",
		Reporter: bot.User{Platform: "discord", ID: "80351110224678912", Name: "Alice"}, Category: "declines", Provider: "stripe",
		Gateway: "Elevated card authorisation errors — identified (major impact; affects Card payments API, 3-D Secure) https://stspg.io/abc?token=REDACTED",
	}}))
}
