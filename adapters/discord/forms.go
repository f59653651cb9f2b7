package discord

import (
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// The card's Resolve and Post update buttons need text, which a button
// cannot carry: they answer with a modal (ActionsRow and TextInput only,
// see DESIGN.md), and its submission becomes the command a person would
// type. The ref travels in the modal's custom_id: "pb:form:resolve:PAY-3".

const formPrefix = "pb:form:"

func textInput(id, label, placeholder string, required bool, maxLen int) discordgo.MessageComponent {
	return discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.TextInput{
		CustomID: id, Label: label, Style: discordgo.TextInputParagraph, Placeholder: placeholder,
		Required: required, MaxLength: maxLen,
	}}}
}

// actionForm is the modal for a card button: "resolve" (fix and root
// cause) or "update" (where things stand).
func actionForm(action, ref string) *discordgo.InteractionResponse {
	data := &discordgo.InteractionResponseData{CustomID: formPrefix + action + ":" + ref}
	if action == "resolve" {
		data.Title = "Resolve " + ref
		data.Components = []discordgo.MessageComponent{
			textInput("fix", "What fixed it?", "rotated the webhook secret", true, 1000),
			textInput("root_cause", "Root cause (you can add it later)", "the secret expired", false, 1000),
		}
	} else {
		data.Title = "Post an update on " + ref
		data.Components = []discordgo.MessageComponent{
			textInput("text", "Where do things stand?", "rolled back the deploy, declines are falling", true, 2000),
		}
	}
	return &discordgo.InteractionResponse{Type: respModal, Data: data}
}

// formCommand turns a submitted action form into command text.
func formCommand(d discordgo.ModalSubmitInteractionData) (string, bool) {
	rest, ok := strings.CutPrefix(d.CustomID, formPrefix)
	if !ok {
		return "", false
	}
	// An empty ref is the incident of the channel the form was opened in.
	action, ref, _ := strings.Cut(rest, ":")
	vals := modalValues(d.Components)
	clean := func(k string) string { return strings.TrimSpace(strings.ReplaceAll(vals[k], "::", ":")) }
	switch action {
	case "resolve":
		fix, cause := clean("fix"), clean("root_cause")
		if fix == "" {
			return "", false
		}
		text := strings.Join(strings.Fields("resolve "+ref), " ") + " " + fix
		if cause != "" {
			text += " :: " + cause
		}
		return text, true
	case "update":
		if t := clean("text"); t != "" {
			return strings.Join(strings.Fields("update "+ref), " ") + " " + t, true
		}
	}
	return "", false
}

// resolveWithoutFix reports whether opts are "/payissue resolve" without
// a fix, and the ref if one was given: the form asks for the fix then.
func resolveWithoutFix(opts []*discordgo.ApplicationCommandInteractionDataOption) (ref string, ok bool) {
	if len(opts) != 1 || opts[0] == nil || opts[0].Type != discordgo.ApplicationCommandOptionSubCommand || opts[0].Name != "resolve" {
		return "", false
	}
	for _, o := range opts[0].Options {
		if o == nil || o.Value == nil {
			continue
		}
		switch o.Name {
		case "fix":
			if strings.TrimSpace(fmt.Sprint(o.Value)) != "" {
				return "", false
			}
		case "ref":
			ref = strings.TrimSpace(fmt.Sprint(o.Value))
		}
	}
	if len(ref) > 32 || strings.Contains(ref, ":") {
		ref = "" // custom_id room, and ":" separates its parts
	}
	return ref, true
}
