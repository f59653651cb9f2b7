package discord

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/paybot/paybot/bot"
)

// Platform is the name used in bot.User and bot.Conversation.
const Platform = "discord"

// CommandName is the application command users type.
const CommandName = "payissue"

// Interaction callback types (Discord's numbers).
const (
	respPong            = discordgo.InteractionResponsePong                             // 1
	respMessage         = discordgo.InteractionResponseChannelMessageWithSource         // 4
	respDeferredMessage = discordgo.InteractionResponseDeferredChannelMessageWithSource // 5
	respDeferredUpdate  = discordgo.InteractionResponseDeferredMessageUpdate            // 6
	respAutocomplete    = discordgo.InteractionApplicationCommandAutocompleteResult     // 8
	respModal           = discordgo.InteractionResponseModal                            // 9
)

// errIgnore marks an interaction the bot does not act on.
var errIgnore = errors.New("interaction not for paybot")

// channelHint is what an HTTP interaction's "channel" object says about the
// channel (discordgo's Interaction drops it).
type channelHint struct {
	ID       string                `json:"id"`
	Type     discordgo.ChannelType `json:"type"`
	ParentID string                `json:"parent_id"`
}

// translation is the result of translating one interaction: the event for the
// core (when Handle is true) and the immediate response for Discord.
type translation struct {
	Event    bot.Event
	Handle   bool
	Response *discordgo.InteractionResponse
}

// translateInteraction is the one translation layer for gateway and HTTP
// interactions.
func (a *Adapter) translateInteraction(i *discordgo.Interaction, hint *channelHint) (translation, error) {
	if i.Type == discordgo.InteractionPing {
		return translation{Response: &discordgo.InteractionResponse{Type: respPong}}, nil
	}
	if i.ID == "" || i.Data == nil {
		return translation{}, fmt.Errorf("interaction without id or data")
	}
	ev := bot.Event{
		ID:           "discord:" + i.ID,
		MessageKeys:  []string{"discord:ix:" + i.ID},
		Conversation: a.conversationOf(i.ChannelID, hint, false),
		User:         interactionUser(i),
		At:           snowflakeTime(i.ID),
		// ReplyToken: the sealed route, set by accept.
	}
	switch d := i.Data.(type) {
	case discordgo.ApplicationCommandInteractionData:
		if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
			return translation{Response: a.autocomplete(d, ev)}, nil // autocomplete.go
		}
		if d.Name != CommandName {
			return translation{}, errIgnore
		}
		if ref, ok := resolveWithoutFix(d.Options); ok { // forms.go
			return translation{Response: actionForm("resolve", ref)}, nil
		}
		text, openForm := commandText(d.Options)
		if openForm {
			return translation{Response: openModal()}, nil
		}
		ev.Kind = bot.EventCommand
		ev.Text = scrubMentions(text)
		return translation{Event: ev, Handle: true, Response: &discordgo.InteractionResponse{Type: respDeferredMessage}}, nil

	case discordgo.MessageComponentInteractionData:
		if d.CustomID == "" {
			return translation{}, fmt.Errorf("component interaction without custom_id")
		}
		verb, args, ok := parseCustomID(d.CustomID)
		if !ok {
			return translation{}, errIgnore
		}
		ev.Kind = bot.EventAction
		switch verb {
		case "step": // pb:step:<step>:<value>
			if len(args) < 2 {
				return translation{}, fmt.Errorf("custom_id %q: want pb:step:<step>:<value>", d.CustomID)
			}
			ev.Action, ev.Values = args[0], []string{strings.Join(args[1:], ":")}
		case "pick": // pb:pick:<step>:<n>
			if len(args) < 1 {
				return translation{}, fmt.Errorf("custom_id %q: want pb:pick:<step>", d.CustomID)
			}
			ev.Action, ev.Values = args[0], append([]string(nil), d.Values...)
			for k := range ev.Values {
				ev.Values[k] = scrubMentions(ev.Values[k])
			}
		case "open":
			return translation{Response: openModal()}, nil
		case "resolve", "update": // a card button that needs text: its form (forms.go)
			if len(args) > 0 && args[0] != "" {
				return translation{Response: actionForm(verb, args[0])}, nil
			}
			ev.Action = verb
		default: // pb:<action>:<ref> on the card
			// The ref stays in the custom_id only: the core finds the
			// incident from the thread, and Values would read as the
			// command's arguments (an escalation reason, a fix).
			ev.Action = verb
			// A thread started from a message has that message's id, so a
			// card button belongs to the incident's thread.
			if i.Message != nil && ev.Conversation.Thread == "" {
				ev.Conversation.Thread = i.Message.ID
			}
		}
		return translation{Event: ev, Handle: true, Response: &discordgo.InteractionResponse{Type: respDeferredUpdate}}, nil

	case discordgo.ModalSubmitInteractionData:
		if text, ok := formCommand(d); ok { // forms.go
			ev.Kind = bot.EventCommand
			ev.Text = text
			return translation{Event: ev, Handle: true, Response: &discordgo.InteractionResponse{Type: respDeferredMessage}}, nil
		}
		if d.CustomID != modalOpenID {
			return translation{}, errIgnore
		}
		vals := modalValues(d.Components)
		summary := strings.TrimSpace(vals["summary"])
		if summary == "" {
			return translation{Response: ephemeral("An incident needs a summary.")}, nil
		}
		if det := strings.TrimSpace(vals["details"]); det != "" {
			summary += "\n" + det
		}
		ev.Kind = bot.EventCommand
		ev.Text = "open " + scrubMentions(summary)
		return translation{Event: ev, Handle: true, Response: &discordgo.InteractionResponse{Type: respDeferredMessage}}, nil
	}
	return translation{}, errIgnore
}

// commandText turns /payissue's subcommand and options into the core's text
// form: "open checkout declines", "status PAY-3" and so on.
// openForm is true for "open" without a summary: the modal asks for it.
func commandText(opts []*discordgo.ApplicationCommandInteractionDataOption) (text string, openForm bool) {
	if len(opts) == 0 || opts[0] == nil {
		return "help", false
	}
	sub := opts[0]
	if sub.Type != discordgo.ApplicationCommandOptionSubCommand {
		// A command registered without subcommands (an older
		// registration): its values are the text, a summary opens.
		sub = &discordgo.ApplicationCommandInteractionDataOption{Name: "open", Options: opts}
		if len(opts) == 1 && opts[0].Name != "summary" {
			sub.Name = ""
		}
	}
	vals := map[string]string{}
	var order []string
	for _, o := range sub.Options {
		if o == nil || o.Value == nil {
			continue
		}
		v := strings.TrimSpace(fmt.Sprint(o.Value))
		if v == "" {
			continue
		}
		if o.Type == discordgo.ApplicationCommandOptionUser {
			v = "<@" + v + ">" // a user option carries the id; the core reads mentions
		}
		if _, dup := vals[o.Name]; !dup {
			order = append(order, o.Name)
		}
		vals[o.Name] = v
	}
	if sub.Name == "" {
		var args []string
		for _, n := range order {
			args = append(args, vals[n])
		}
		if len(args) == 0 {
			return "help", false
		}
		return strings.Join(args, " "), false
	}
	if sub.Name == "open" && vals["summary"] == "" && len(order) == 0 {
		return "", true
	}
	return coreText(sub.Name, vals, order), false
}

// coreText writes a subcommand's options in the order the core reads
// them, whatever order Discord delivers them in: the severity level
// first, then the ref, then the rest; "fix :: root cause" and
// "question :: answer" joined as typed.
func coreText(name string, vals map[string]string, order []string) string {
	parts := []string{name}
	add := func(keys ...string) {
		for _, k := range keys {
			if v := vals[k]; v != "" {
				parts = append(parts, v)
				delete(vals, k)
			}
		}
	}
	add("level", "ref")
	switch name {
	case "resolve":
		fix, cause := vals["fix"], vals["root_cause"]
		delete(vals, "fix")
		delete(vals, "root_cause")
		if fix != "" {
			parts = append(parts, strings.ReplaceAll(fix, "::", ":"))
			if cause != "" {
				parts = append(parts, "::", cause)
			}
		}
	case "merge":
		if v := vals["into"]; v != "" {
			delete(vals, "into")
			parts = append(parts, "into", v)
		}
	case "learn":
		q, ans := vals["question"], vals["answer"]
		delete(vals, "question")
		delete(vals, "answer")
		if q != "" || ans != "" {
			parts = append(parts, strings.ReplaceAll(q, "::", ":"), "::", ans)
		}
	}
	for _, k := range order {
		add(k)
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}

// parseCustomID splits "pb:<verb>:<args…>".
func parseCustomID(id string) (verb string, args []string, ok bool) {
	parts := strings.Split(id, ":")
	if len(parts) < 2 || parts[0] != "pb" || parts[1] == "" {
		return "", nil, false
	}
	return parts[1], parts[2:], true
}

const modalOpenID = "pb:open"

// openModal is the "open incident" form: ActionsRow and TextInput only, two
// inputs (Discord allows 1 to 5; newer component types fail to parse in
// discordgo v0.29).
func openModal() *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{
		Type: respModal,
		Data: &discordgo.InteractionResponseData{
			CustomID: modalOpenID,
			Title:    "Open a payment incident",
			Components: []discordgo.MessageComponent{
				discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.TextInput{
					CustomID: "summary", Label: "What is happening?", Style: discordgo.TextInputShort,
					Placeholder: "checkout declines spiking", Required: true, MinLength: 3, MaxLength: 200,
				}}},
				discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.TextInput{
					CustomID: "details", Label: "Details (no card numbers, please)", Style: discordgo.TextInputParagraph,
					Required: false, MaxLength: 1500,
				}}},
			},
		},
	}
}

func modalValues(comps []discordgo.MessageComponent) map[string]string {
	vals := map[string]string{}
	var walk func([]discordgo.MessageComponent)
	walk = func(cs []discordgo.MessageComponent) {
		for _, c := range cs {
			switch v := c.(type) {
			case *discordgo.ActionsRow:
				walk(v.Components)
			case discordgo.ActionsRow:
				walk(v.Components)
			case *discordgo.TextInput:
				vals[v.CustomID] = v.Value
			case discordgo.TextInput:
				vals[v.CustomID] = v.Value
			}
		}
	}
	walk(comps)
	return vals
}

func ephemeral(text string) *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{Type: respMessage, Data: &discordgo.InteractionResponseData{
		Content: text, Flags: discordgo.MessageFlagsEphemeral,
		AllowedMentions: allowed(""),
	}}
}

func interactionUser(i *discordgo.Interaction) bot.User {
	var u *discordgo.User
	nick := ""
	if i.Member != nil {
		u, nick = i.Member.User, i.Member.Nick
	}
	if u == nil {
		u = i.User
	}
	if u == nil {
		return bot.User{Platform: Platform}
	}
	return bot.User{Platform: Platform, ID: u.ID, Name: displayName(u, nick)}
}

func displayName(u *discordgo.User, nick string) string {
	switch {
	case nick != "":
		return nick
	case u.GlobalName != "":
		return u.GlobalName
	}
	return u.Username
}

// snowflakeTime reads the creation time out of a Discord id; the zero time
// when id is not a snowflake.
func snowflakeTime(id string) time.Time {
	t, err := discordgo.SnowflakeTimestamp(id)
	if err != nil || t.Year() < 2015 {
		return time.Now().UTC()
	}
	return t.UTC()
}

// translateMessage turns a MessageCreate into an EventMessage: messages in a
// thread, and messages elsewhere that mention the bot. ok is false for
// anything else (bots, webhooks, empty messages, other channels).
func (a *Adapter) translateMessage(m *discordgo.Message) (bot.Event, bool) {
	if m == nil || m.Author == nil || m.Author.Bot || m.WebhookID != "" || m.ID == "" {
		return bot.Event{}, false
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return bot.Event{}, false
	}
	conv := a.conversationOf(m.ChannelID, nil, true)
	botID := a.botUserID()
	mentioned := false
	for _, u := range m.Mentions {
		if u != nil && u.ID == botID && botID != "" {
			mentioned = true
		}
	}
	if conv.Thread == "" && !mentioned {
		return bot.Event{}, false
	}
	text := m.Content
	if botID != "" {
		text = strings.ReplaceAll(text, "<@"+botID+">", "")
		text = strings.ReplaceAll(text, "<@!"+botID+">", "")
	}
	text = strings.TrimSpace(scrubMentions(text))
	if text == "" {
		return bot.Event{}, false
	}
	nick := ""
	if m.Member != nil {
		nick = m.Member.Nick
	}
	at := m.Timestamp
	if at.IsZero() {
		at = snowflakeTime(m.ID)
	}
	return bot.Event{
		ID:           "discord:" + m.ID,
		MessageKeys:  []string{"discord:msg:" + m.ID},
		Kind:         bot.EventMessage,
		Conversation: conv,
		User:         bot.User{Platform: Platform, ID: m.Author.ID, Name: displayName(m.Author, nick)},
		Text:         text,
		Mention:      mentioned,
		At:           at.UTC(),
	}, true
}
