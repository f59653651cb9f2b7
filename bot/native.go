package bot

import (
	"context"
	"strings"

	"github.com/paybot/paybot/incidents"
)

// What makes the workflow native on each platform, decided once here: the
// card's buttons by status, commands given as a mention ("@Paybot ack"),
// and command examples written the way the platform types them.

// cardActions are the card's buttons for an incident in status st. Slack
// and Discord render them; "resolve" and "update" open a form there.
func cardActions(st incidents.Status) []Choice {
	var out []Choice
	switch st {
	case incidents.StatusIntake:
		out = []Choice{{Value: "cancel", Label: "Cancel"}}
	case incidents.StatusOpen:
		out = []Choice{{Value: "escalate", Label: "Escalate"}, {Value: "update", Label: "Post update"},
			{Value: "resolve", Label: "Resolve"}, {Value: "cancel", Label: "Cancel"}}
	case incidents.StatusEscalated:
		out = []Choice{{Value: "ack", Label: "Acknowledge"}, {Value: "update", Label: "Post update"},
			{Value: "resolve", Label: "Resolve"}, {Value: "cancel", Label: "Cancel"}}
	}
	return out
}

// mentionCommand reports whether a message that addresses the bot is a
// command: its first word is a command's name ("@Paybot status",
// "@Paybot ack PAY-3"). Slack slash commands cannot be used in threads, so
// this is how a command reaches a thread there. A question that merely
// starts with a command word ("@Paybot status of stripe today?") stays a
// question.
func (e *Engine) mentionCommand(ev *Event) bool {
	if !ev.Mention {
		return false
	}
	text := strings.TrimSpace(ev.Text)
	words := strings.Fields(text)
	if len(words) == 0 {
		return false
	}
	first := strings.ToLower(strings.TrimRight(words[0], "?!.,:"))
	if _, ok := e.commands[first]; !ok {
		return false
	}
	if len(words) > 1 && strings.HasSuffix(text, "?") {
		return false
	}
	if first != words[0] { // "status?" → "status"
		ev.Text = first + strings.TrimPrefix(text, words[0])
	}
	return true
}

// CommandSyntax is optionally implemented by adapters whose slash
// commands take named options (Discord: "/payissue ack ref:PAY-1"), so
// that every hint the bot gives can be typed there as written.
type CommandSyntax interface {
	// CommandExample writes /payissue name with the options, each a
	// {name, value} pair in the order given.
	CommandExample(name string, opts ...[2]string) string
}

// commandExample writes a command the way platform types it; the default
// is "/payissue name value…", which Slack and the console take.
func (e *Engine) commandExample(platform, name string, opts ...[2]string) string {
	if a, err := e.adapter(platform); err == nil {
		if s, ok := a.(CommandSyntax); ok {
			return s.CommandExample(name, opts...)
		}
	}
	parts := []string{"/payissue", name}
	for _, o := range opts {
		parts = append(parts, o[1])
	}
	return strings.Join(parts, " ")
}

// RefSource answers autocompletion of incident refs (Discord's
// APPLICATION_COMMAND_AUTOCOMPLETE); the Engine implements it.
type RefSource interface {
	// OpenRefs returns up to limit active incidents on c's platform whose
	// ref or title contains prefix (case-insensitive), newest first. The
	// title is shown only where the incident's details may be seen
	// (visibleTo); elsewhere the choice names the ref and status only.
	OpenRefs(ctx context.Context, c Conversation, u User, prefix string, limit int) ([]Choice, error)
}

var _ RefSource = (*Engine)(nil)

// OpenRefs implements RefSource. Choice.Value is the ref, Choice.Label
// what the person sees (at most 100 characters, Discord's limit).
func (e *Engine) OpenRefs(ctx context.Context, c Conversation, u User, prefix string, limit int) ([]Choice, error) {
	list, err := e.store.ListIncidents(ctx, incidents.ListFilter{
		Statuses: []incidents.Status{incidents.StatusIntake, incidents.StatusOpen, incidents.StatusEscalated},
		Platform: c.Platform, Limit: 200,
	})
	if err != nil {
		return nil, err
	}
	now := e.clock.Now()
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	var out []Choice
	for _, inc := range list {
		if inc.Origin.Platform != c.Platform {
			continue
		}
		shown := e.visibleTo(c, u, inc, now)
		if prefix != "" && !strings.Contains(strings.ToLower(inc.Ref), prefix) &&
			(!shown || !strings.Contains(strings.ToLower(inc.Title), prefix)) {
			continue
		}
		label := inc.Ref + " · " + string(inc.Status)
		if shown {
			label = inc.Ref + " · " + inc.Severity.String() + " · " + inc.Title
		}
		if r := []rune(label); len(r) > 100 {
			label = string(r[:99]) + "…"
		}
		out = append(out, Choice{Value: inc.Ref, Label: label})
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}
