package bot_test

import (
	"strings"
	"testing"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
)

// TestOpenNeedsASummary: a ref, a flag, an invisible text or a bare
// mention is no summary and opens nothing; the answer says what works.
func TestOpenNeedsASummary(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	for _, tc := range []struct{ text, want string }{
		{"PAY-1", "is a ref, not a summary"},
		{"pay-12", "is a ref, not a summary"},
		{"--help", "/payissue help lists the commands"},
		{"-h", "/payissue help lists the commands"},
		{"\u200b\u200b\u200b", "Commands:"}, // nothing visible: as bare /payissue, the help
		{"\ufe0f\u034f", "Commands:"},
		{"@paybot", "Give a short summary"},
		{"42", "Give a short summary"},
	} {
		msgs := h.Command(tc.text)
		if n := incidentCount(t, h); n != 0 {
			t.Fatalf("%q opened an incident", tc.text)
		}
		if !strings.Contains(textOf(msgs), tc.want) {
			t.Errorf("%q: %s", tc.text, textOf(msgs))
		}
	}
}

// TestCommandWordAsSeen: a command word with punctuation, a slash, full-width
// letters, an invisible character or a tab before its argument is still
// that command, and opens nothing.
func TestCommandWordAsSeen(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	for _, text := range []string{"status?", "status,", "list.", "/status", "ｓｔａｔｕｓ", "ｌｉｓｔ", "\u200bstatus", "help!", "Status", "status\tPAY-1", "status\u00a0PAY-1"} {
		h.Command(text)
		if n := incidentCount(t, h); n != 0 {
			t.Fatalf("%q opened an incident", text)
		}
	}
}
