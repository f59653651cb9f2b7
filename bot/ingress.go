package bot

import (
	"strings"

	"github.com/paybot/paybot/incidents/redact"
	"github.com/paybot/paybot/incidents/textutil"
)

// MaxStoredText is the most bytes of one inbound text the bot keeps
// (16 KiB). A longer message is stored cut, with a note saying how many
// characters were left out; a chat message that long is a paste, and a
// 1 MB paste must not be stored (twice) whole.
const MaxStoredText = 16 << 10

// maxName caps a user's display name (256 bytes).
const maxName = 256

// RedactEvent is the door every inbound event passes before anything is
// written (inbox, store, logs, outbox): in every text field (Text, Values,
// User.Name, User.ID, Action) it replaces invalid UTF-8 with U+FFFD, masks card
// numbers, CVVs and secrets (redact.Redact) and cuts what is longer than
// MaxStoredText. It returns the labels of what it masked ("Visa card ending
// 4242") and also adds them to ev.Masked, so the mask notice can be sent
// later from the stored event. Platform ids (conversation, event id, reply
// token) are the platform's, not the sender's, and stay as they are; the
// user id is redacted too, since the console takes it from the person. Calling it again on its own output changes nothing.
func RedactEvent(ev *Event) (labels []string) {
	clean := func(s string, limit int) string {
		if s == "" {
			return s
		}
		s = strings.ToValidUTF8(s, "\uFFFD")
		out, fs := redact.Redact(s)
		for _, f := range fs {
			labels = append(labels, f.Label)
		}
		return textutil.Limit(out, limit)
	}
	ev.Text = clean(ev.Text, MaxStoredText)
	for i, v := range ev.Values {
		ev.Values[i] = clean(v, MaxStoredText)
	}
	ev.User.Name = clean(ev.User.Name, maxName)
	// The console takes the typed name as the user id: inbound text too.
	ev.User.ID = clean(ev.User.ID, maxName)
	ev.Action = clean(ev.Action, maxName)
	ev.Masked = append(ev.Masked, labels...)
	return labels
}
