package slack

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/slack-go/slack"
)

// The card's Resolve and Post update buttons need text, which a button
// cannot carry: on Slack they open a modal, and its submission becomes the
// same command a person would type ("resolve PAY-1 <fix> :: <cause>",
// "update PAY-1 <text>"). The core decides whether it is allowed.

// Callback ids of the action modals.
const (
	resolveCallback = "paybot_resolve"
	updateCallback  = "paybot_update"
)

// modalActions maps a card button's action id to its modal's callback id.
var modalActions = map[string]string{"resolve": resolveCallback, "update": updateCallback}

// actionMeta travels in the modal's private_metadata.
type actionMeta struct {
	Channel string `json:"c"`
	Thread  string `json:"t,omitempty"`
	Ref     string `json:"r"`
}

// ActionModal is the form for a card button that needs text: "resolve"
// (the fix, required, and the root cause) or "update" (where things stand).
func ActionModal(action, ref, channel, thread string) slack.ModalViewRequest {
	meta, _ := json.Marshal(actionMeta{Channel: channel, Thread: thread, Ref: ref})
	input := func(id, label, hint, placeholder string, optional bool, maxLen int) *slack.InputBlock {
		el := slack.NewPlainTextInputBlockElement(plain(placeholder), id)
		el.Multiline = true
		el.MaxLength = maxLen
		b := slack.NewInputBlock(id, plain(label), plain(hint), el)
		b.Optional = optional
		return b
	}
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		Close:           plain("Cancel"),
		PrivateMetadata: string(meta),
	}
	switch action {
	case "resolve":
		v.CallbackID = resolveCallback
		v.Title = plain(trim("Resolve "+ref, 24))
		v.Submit = plain("Resolve")
		v.Blocks = slack.Blocks{BlockSet: []slack.Block{
			input("fix", "What fixed it?", "It goes on the timeline and into the past incidents.", "e.g. rotated the webhook secret", false, 1000),
			input("cause", "Root cause", "You can add it later with @Paybot rootcause.", "e.g. the secret expired", true, 1000),
		}}
	default:
		v.CallbackID = updateCallback
		v.Title = plain(trim("Update "+ref, 24))
		v.Submit = plain("Post")
		v.Blocks = slack.Blocks{BlockSet: []slack.Block{
			input("text", "Where do things stand?", "Posted in the thread and shown on the card.", "e.g. rolled back the deploy, declines are falling", false, 2000),
		}}
	}
	return v
}

// OpenActionModal opens ActionModal with views.open.
func (a *Adapter) OpenActionModal(ctx context.Context, triggerID, action, ref, channel, thread string) error {
	return a.withRetry(ctx, "", func() error {
		_, err := a.api.OpenViewContext(ctx, triggerID, ActionModal(action, ref, channel, thread))
		return err
	})
}

// actionSubmission turns a submitted action modal into command text; ok is
// false when the form is incomplete or not ours.
func actionSubmission(cb slack.InteractionCallback) (text string, meta actionMeta, ok bool) {
	if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta); err != nil || meta.Channel == "" {
		return "", meta, false
	}
	// Without a ref (a slash command in a channel) the core takes the
	// channel's only open incident, or asks which one.
	head := func(name string) string { return strings.Join(strings.Fields(name+" "+meta.Ref), " ") }
	// "::" separates the fix from the cause in the command's text.
	clean := func(s string) string {
		return strings.TrimSpace(strings.ReplaceAll(neutralise(s), "::", ":"))
	}
	switch cb.View.CallbackID {
	case resolveCallback:
		fix, cause := clean(stateValue(cb.View.State, "fix", "fix")), clean(stateValue(cb.View.State, "cause", "cause"))
		if fix == "" {
			return "", meta, false
		}
		text = head("resolve") + " " + fix
		if cause != "" {
			text += " :: " + cause
		}
	case updateCallback:
		upd := clean(stateValue(cb.View.State, "text", "text"))
		if upd == "" {
			return "", meta, false
		}
		text = head("update") + " " + upd
	default:
		return "", meta, false
	}
	return text, meta, true
}

var reRef = regexp.MustCompile(`(?i)^PAY-\d{1,9}$`)

// formCommand reports whether a slash command's text is "resolve" or
// "update" with nothing but an optional ref: Slack then opens the form
// that asks for the rest.
func formCommand(text string) (action, ref string, ok bool) {
	words := strings.Fields(text)
	if len(words) == 0 || len(words) > 2 {
		return "", "", false
	}
	action = strings.ToLower(words[0])
	if _, form := modalActions[action]; !form {
		return "", "", false
	}
	if len(words) == 2 {
		if !reRef.MatchString(words[1]) {
			return "", "", false
		}
		ref = strings.ToUpper(words[1])
	}
	return action, ref, true
}
