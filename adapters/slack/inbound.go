package slack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/paybot/paybot/bot"
)

// This file is the one translation layer from Slack payloads to bot.Event,
// shared by the HTTP and Socket Mode transports.

// openIncidentCallback is the callback_id of the "open incident" modal.
const openIncidentCallback = "paybot_open_incident"

// inbound is the result of translating one Slack payload.
type inbound struct {
	events []bot.Event
	// openModal is set for a slash command without text: the adapter opens
	// the "open incident" modal with this trigger id instead of handling an
	// event.
	openModal *modalRequest
	// reason says why nothing was produced, for the debug log.
	reason string
}

type modalRequest struct {
	triggerID string
	channel   string
	thread    string
	// action and ref, when set, ask for a card button's form
	// (action_modal.go) instead of the "open incident" one.
	action, ref string
}

// fromSlashCommand translates "/payissue <text>".
func (a *Adapter) fromSlashCommand(cmd slack.SlashCommand, rawKey string) inbound {
	if cmd.ChannelID == "" || cmd.UserID == "" {
		return inbound{reason: "slash command without channel or user"}
	}
	text := strings.TrimSpace(plainText(cmd.Text))
	if text == "" && cmd.TriggerID != "" {
		return inbound{openModal: &modalRequest{triggerID: cmd.TriggerID, channel: cmd.ChannelID}}
	}
	if action, ref, ok := formCommand(text); ok && cmd.TriggerID != "" { // action_modal.go
		return inbound{openModal: &modalRequest{triggerID: cmd.TriggerID, channel: cmd.ChannelID, action: action, ref: ref}}
	}
	id := "slack:cmd:" + cmd.TriggerID
	if cmd.TriggerID == "" {
		id = "slack:cmd:" + cmd.TeamID + ":" + cmd.UserID + ":" + shortHash(rawKey)
	}
	return inbound{events: []bot.Event{{
		ID:           id,
		Kind:         bot.EventCommand,
		Conversation: a.conv(cmd.ChannelID, ""),
		User:         a.user(cmd.UserID, neutralise(cmd.UserName)),
		Text:         text,
		At:           time.Now(),
		ReplyToken:   a.sealRoute(cmd.ResponseURL),
	}}}
}

// fromEventsAPI translates an Events API callback (message, app_mention).
func (a *Adapter) fromEventsAPI(ev slackevents.EventsAPIEvent) inbound {
	if ev.Type != slackevents.CallbackEvent {
		return inbound{reason: "outer event " + ev.Type}
	}
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || cb.EventID == "" {
		return inbound{reason: "callback without event_id"}
	}
	for _, au := range cb.Authorizations {
		if au.IsBot && au.UserID != "" && a.botUser() == "" {
			a.setBotUser(au.UserID)
		}
	}
	id := "slack:" + cb.EventID
	switch inner := ev.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		return a.fromMessage(id, inner)
	case *slackevents.AppMentionEvent:
		if inner.BotID != "" || inner.User == "" || inner.Channel == "" {
			return inbound{reason: "app_mention from a bot"}
		}
		if a.isSelf(inner.User) {
			return inbound{reason: "own mention"}
		}
		return inbound{events: []bot.Event{{
			ID:           id,
			Kind:         bot.EventMessage,
			Conversation: a.conv(inner.Channel, inner.ThreadTimeStamp),
			User:         a.user(inner.User, ""),
			MessageKeys:  messageKeys(inner.Channel, inner.TimeStamp, ""),
			Text:         plainText(a.stripBotMention(inner.Text)),
			Mention:      true,
			At:           tsTime(inner.TimeStamp),
		}}}
	default:
		return inbound{reason: "inner event " + ev.InnerEvent.Type}
	}
}

func (a *Adapter) fromMessage(id string, m *slackevents.MessageEvent) inbound {
	switch {
	case m.BotID != "" || m.SubType == "bot_message":
		return inbound{reason: "bot message"}
	case m.SubType == "message_changed" || m.SubType == "message_deleted":
		// Edits and deletions are ignored on purpose: the intake already
		// took the first answer, and redaction happened on the original.
		return inbound{reason: "edit or deletion"}
	case m.SubType != "" && m.SubType != "thread_broadcast" && m.SubType != "file_share":
		return inbound{reason: "message subtype " + m.SubType}
	case m.User == "" || m.Channel == "":
		return inbound{reason: "message without user or channel"}
	case a.isSelf(m.User):
		return inbound{reason: "own message"}
	}
	if bu := a.botUser(); bu != "" && strings.Contains(m.Text, "<@"+bu+">") {
		// Slack delivers this message again as app_mention; take that one.
		return inbound{reason: "mention, delivered as app_mention"}
	}
	return inbound{events: []bot.Event{{
		ID:           id,
		Kind:         bot.EventMessage,
		Conversation: a.conv(m.Channel, m.ThreadTimeStamp),
		User:         a.user(m.User, ""),
		MessageKeys:  messageKeys(m.Channel, m.TimeStamp, m.ClientMsgID),
		Text:         plainText(m.Text),
		Mention:      m.ChannelType == "im",
		At:           tsTime(m.TimeStamp),
	}}}
}

// fromInteraction translates block_actions and view_submission payloads.
func (a *Adapter) fromInteraction(cb slack.InteractionCallback) inbound {
	if cb.User.ID == "" {
		return inbound{reason: "interaction without user"}
	}
	baseID := "slack:act:" + cb.TriggerID
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		channel := cb.Channel.ID
		if channel == "" {
			channel = cb.Container.ChannelID
		}
		if channel == "" {
			return inbound{reason: "block action outside a conversation"}
		}
		// The thread is the card's own ts for a button on the card (the card
		// is the thread's root), or the root of the thread a question is in.
		thread := cb.Container.ThreadTs
		if thread == "" {
			thread = cb.Message.ThreadTimestamp
		}
		if thread == "" {
			thread = cb.Container.MessageTs
		}
		var out inbound
		for i, act := range cb.ActionCallback.BlockActions {
			if act == nil || act.ActionID == "" {
				continue
			}
			id := baseID
			if cb.TriggerID == "" {
				ts := act.ActionTs
				if ts == "" {
					ts = cb.ActionTs
				}
				id = "slack:act:" + cb.Team.ID + ":" + cb.User.ID + ":" + ts
			}
			if len(cb.ActionCallback.BlockActions) > 1 {
				id += ":" + strconv.Itoa(i)
			}
			step, _, _ := strings.Cut(act.ActionID, actionSep)
			// Resolve and Post update on the card need text: a form.
			if _, form := modalActions[act.ActionID]; form && cb.TriggerID != "" && len(cb.ActionCallback.BlockActions) == 1 {
				return inbound{openModal: &modalRequest{triggerID: cb.TriggerID, channel: channel, thread: thread, action: act.ActionID, ref: act.Value}}
			}
			out.events = append(out.events, bot.Event{
				ID:           id,
				Kind:         bot.EventAction,
				Conversation: a.conv(channel, thread),
				User:         a.user(cb.User.ID, neutralise(userName(cb.User))),
				Action:       step,
				Values:       actionValues(act),
				At:           tsTime(firstNonEmpty(act.ActionTs, cb.ActionTs)),
				ReplyToken:   a.sealRoute(cb.ResponseURL),
			})
		}
		if len(out.events) == 0 {
			out.reason = "block_actions without actions"
		}
		return out
	case slack.InteractionTypeViewSubmission:
		if text, meta, ok := actionSubmission(cb); ok {
			id := baseID
			if cb.TriggerID == "" {
				id = "slack:view:" + cb.View.ID + ":" + cb.View.Hash
			}
			return inbound{events: []bot.Event{{ID: id, Kind: bot.EventCommand, Conversation: a.conv(meta.Channel, meta.Thread),
				User: a.user(cb.User.ID, userName(cb.User)), Text: text, At: time.Now()}}}
		}
		if cb.View.CallbackID != openIncidentCallback {
			return inbound{reason: "view_submission " + cb.View.CallbackID}
		}
		var meta modalMeta
		if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta); err != nil || meta.Channel == "" {
			return inbound{reason: "view_submission without channel"}
		}
		title := strings.TrimSpace(neutralise(stateValue(cb.View.State, "title", "title")))
		if title == "" {
			return inbound{reason: "view_submission without title"}
		}
		id := baseID
		if cb.TriggerID == "" {
			id = "slack:view:" + cb.View.ID + ":" + cb.View.Hash
		}
		return inbound{events: []bot.Event{{
			ID:           id,
			Kind:         bot.EventCommand,
			Conversation: a.conv(meta.Channel, meta.Thread),
			User:         a.user(cb.User.ID, neutralise(userName(cb.User))),
			Text:         "open " + title,
			At:           time.Now(),
		}}}
	default:
		return inbound{reason: "interaction " + string(cb.Type)}
	}
}

func actionValues(act *slack.BlockAction) []string {
	switch {
	case len(act.SelectedOptions) > 0:
		vs := make([]string, 0, len(act.SelectedOptions))
		for _, o := range act.SelectedOptions {
			vs = append(vs, neutralise(o.Value))
		}
		return vs
	case act.SelectedOption.Value != "":
		return []string{neutralise(act.SelectedOption.Value)}
	case act.Value != "":
		return []string{neutralise(act.Value)}
	}
	return nil
}

func stateValue(st *slack.ViewState, block, action string) string {
	if st == nil {
		return ""
	}
	if acts, ok := st.Values[block]; ok {
		if v, ok := acts[action]; ok {
			return v.Value
		}
	}
	return ""
}

func userName(u slack.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Profile.DisplayName
}

func (a *Adapter) isSelf(userID string) bool {
	bu := a.botUser()
	return bu != "" && userID == bu
}

var leadingMention = regexp.MustCompile(`^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s,:]*`)

// stripBotMention removes the leading "@paybot" of an app_mention.
func (a *Adapter) stripBotMention(text string) string {
	if bu := a.botUser(); bu != "" {
		text = strings.ReplaceAll(text, "<@"+bu+">", "")
		return strings.TrimSpace(text)
	}
	return strings.TrimSpace(leadingMention.ReplaceAllString(text, ""))
}

// tsTime turns a Slack ts ("1355517523.000005") into a time.
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s <= 0 {
		return time.Now()
	}
	var ns int64
	if frac != "" {
		frac = (frac + "000000000")[:9]
		ns, _ = strconv.ParseInt(frac, 10, 64)
	}
	return time.Unix(s, ns)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// messageKeys are the ids of a message itself, besides the envelope's
// event_id: Slack can deliver one message under two event_ids (and as both
// message and app_mention), with the same channel and ts and the same
// client_msg_id. The engine's inbox drops a second event with a seen key.
func messageKeys(channel, ts, clientMsgID string) []string {
	var keys []string
	if channel != "" && ts != "" {
		keys = append(keys, "slack:msg:"+channel+":"+ts)
	}
	if clientMsgID != "" {
		keys = append(keys, "slack:cmid:"+clientMsgID)
	}
	return keys
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}
