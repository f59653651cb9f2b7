package bot

import (
	"sort"
	"testing"
)

var testCommandWords = func() []string {
	w := []string{"open", "help", "status", "list", "severity", "cancel", "search", "ask", "learn",
		"escalate", "ack", "acknowledge", "resolve", "rootcause", "reopen", "summary", "packet",
		"update", "lead", "join", "case"}
	sort.Strings(w)
	return w
}()

func TestGuessCommand(t *testing.T) {
	for _, tc := range []struct {
		word    string
		oneWord bool
		want    string
	}{
		// typos of commands, alone or followed by more words
		{"stauts", false, "status"},
		{"stauts", true, "status"},
		{"esclate", false, "escalate"},
		{"escalte", true, "escalate"},
		{"sevrity", false, "severity"},
		{"resolv", false, "resolve"},
		{"cancle", false, "cancel"},
		{"staus", true, "status"},
		{"stats", true, "status"},
		{"lsit", true, "list"},
		{"hlep", true, "help"},
		{"udpate", false, "update"},
		{"updte", false, "update"},
		{"serach", false, "search"},
		{"acknowlege", false, "acknowledge"},
		// prefixes and endings count only when the word is all there is
		{"stat", true, "status"},
		{"esc", true, "escalate"},
		{"resolved", true, "resolve"},
		{"escalated", true, "escalate"},
		{"resolved", false, ""},
		{"escalated", false, ""},
		{"canceled", false, ""},
		{"esc", false, ""},
		// real first words of incident titles
		{"card", false, ""},
		{"lost", false, ""},
		{"held", false, ""},
		{"load", false, ""},
		{"hack", false, ""},
		{"back", false, ""},
		{"cash", false, ""},
		{"refunds", false, ""},
		{"payouts", false, ""},
		{"webhooks", false, ""},
		{"declines", false, ""},
		{"gateway", false, ""},
		{"checkout", false, ""},
		{"stripe", false, ""},
		{"sandbox", false, ""},
		{"outage", true, ""},
		// not words
		{"5xx", false, ""},
		{"pay-1", false, ""},
		{"", true, ""},
	} {
		if got := guessCommand(tc.word, testCommandWords, tc.oneWord); got != tc.want {
			t.Errorf("guessCommand(%q, oneWord=%v) = %q, want %q", tc.word, tc.oneWord, got, tc.want)
		}
	}
}
