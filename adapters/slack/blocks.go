package slack

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents/textutil"
)

// Slack's Block Kit limits.
const (
	maxSectionText = 3000
	maxBlocks      = 50
	maxHeaderText  = 150
	maxFieldText   = 2000
	maxButtonText  = 75
	maxOptionText  = 75
	maxOptionValue = 150
	maxButtonValue = 2000
	maxFallback    = 3000
	maxButtons     = 5   // more choices than this become a select
	maxOptions     = 100 // static_select options
)

// actionSep separates a step id from a button's index in an action_id: Slack
// requires action ids to be unique in a message, so the buttons of step
// "category" are "category|0", "category|1", … and translate back to
// Action "category".
const actionSep = "|"

// Card button action ids, as the core expects them.
var defaultCardActions = []bot.Choice{
	{Value: "escalate", Label: "Escalate"},
	{Value: "ack", Label: "Acknowledge"},
	{Value: "resolve", Label: "Resolve"},
}

// Render turns msg into Block Kit blocks and a plain-text fallback (used for
// notifications and screen readers).
func Render(msg bot.Message) (blocks []slack.Block, fallback string) {
	switch msg.Kind {
	case bot.KindCard:
		if msg.Card != nil {
			blocks, fallback = renderCard(msg)
			break
		}
		blocks, fallback = renderText(msg.Text, "")
	case bot.KindAnswers:
		blocks, fallback = renderAnswers(msg)
	case bot.KindNotice:
		blocks, fallback = renderText(msg.Text, ":warning: ")
	case bot.KindSummary:
		blocks, fallback = renderText(msg.Text, "")
		blocks = append([]slack.Block{slack.NewHeaderBlock(plain(trim("Incident summary", maxHeaderText)))}, blocks...)
	default: // text, question
		blocks, fallback = renderText(msg.Text, "")
	}
	if msg.Expects != "" && len(msg.Choices) > 0 {
		blocks = append(blocks, choiceBlock(msg.Expects, msg.Choices, msg.Multi))
	}
	return capBlocks(blocks), trim(fallback, maxFallback)
}

func renderCard(msg bot.Message) ([]slack.Block, string) {
	c := msg.Card
	title := c.Title
	if c.Ref != "" {
		title = c.Ref + " · " + c.Title
	}
	var fields []*slack.TextBlockObject
	add := func(label, value string) {
		if value == "" {
			return
		}
		fields = append(fields, mrkdwn(trim("*"+label+"*\n"+value, maxFieldText)))
	}
	add("Severity", c.Severity)
	add("Status", c.Status)
	if !c.Reporter.IsZero() {
		add("Reporter", mentionOf(c.Reporter))
	}
	add("Category", escapeText(c.Category))
	add("Provider", escapeText(c.Provider))
	add("SLA", escapeText(c.SLA))
	add("Gateway status", escapeText(c.Gateway))
	if c.Lead != nil && !c.Lead.IsZero() {
		add("Lead", mentionOf(*c.Lead))
	}
	add("Last update", escapeText(c.LastUpdate))

	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(trim(title, maxHeaderText))),
	}
	if len(fields) > 0 {
		if len(fields) > 10 {
			fields = fields[:10]
		}
		blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
	}
	if msg.Text != "" {
		tb, _ := renderText(msg.Text, "")
		blocks = append(blocks, tb...)
	}
	actions := c.Actions
	if actions == nil {
		actions = defaultCardActions
	}
	if len(actions) > 0 {
		var els []slack.BlockElement
		for _, a := range actions {
			b := slack.NewButtonBlockElement(a.Value, trim(c.Ref, maxButtonValue), plain(trim(a.Label, maxButtonText)))
			switch a.Value {
			case "escalate", "resolve":
				b.Style = slack.StyleDanger
			case "ack":
				b.Style = slack.StylePrimary
			}
			els = append(els, b)
		}
		blocks = append(blocks, slack.NewActionBlock("card_actions", els...))
	}
	fb := escapeText(title) // the fallback text is mrkdwn: user text stays inert
	if c.Severity != "" || c.Status != "" {
		fb += " (" + strings.Trim(c.Severity+", "+c.Status, ", ") + ")"
	}
	return blocks, fb
}

func renderAnswers(msg bot.Message) ([]slack.Block, string) {
	var blocks []slack.Block
	fb := escapeText(msg.Text)
	if msg.Text != "" {
		// With hits, the text after its first line is the hits written out
		// as plain text (the fallback): the blocks below show them.
		head := msg.Text
		if len(msg.Hits) > 0 {
			head, _, _ = strings.Cut(msg.Text, "\n")
		}
		tb, _ := renderText(head, "")
		blocks = append(blocks, tb...)
	}
	for i, h := range msg.Hits {
		if i > 0 {
			blocks = append(blocks, slack.NewDividerBlock())
		}
		title := "*" + escapeText(h.Title) + "*"
		if h.URL != "" {
			title = "*<" + h.URL + "|" + escapeLinkLabel(h.Title) + ">*"
		}
		body := title
		if h.Snippet != "" {
			body += "\n" + escapeText(h.Snippet)
		}
		if l := h.ActionLine(); l != "" {
			body += "\n" + escapeText(l)
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(trim(body, maxSectionText)), nil, nil))
		var ctx []string
		if h.Source != "" {
			ctx = append(ctx, "Source: "+escapeText(h.Source))
		}
		if h.Show != "" {
			ctx = append(ctx, "Whole article: `"+escapeText(strings.ReplaceAll(h.Show, "`", "'"))+"`")
		}
		if h.Action != nil && h.Action.Show != "" {
			ctx = append(ctx, "What to do in full: `"+escapeText(strings.ReplaceAll(h.Action.Show, "`", "'"))+"`")
		}
		if len(ctx) > 0 {
			blocks = append(blocks, slack.NewContextBlock("", mrkdwn(trim(strings.Join(ctx, " · "), maxSectionText))))
		}
		if fb == "" {
			fb = escapeText(h.Title)
		}
	}
	if len(blocks) == 0 {
		blocks, fb = renderText("No answers found.", "")
	}
	return blocks, fb
}

// renderText splits text into sections of at most 3,000 characters, cut at
// line breaks where possible.
func renderText(text, prefix string) ([]slack.Block, string) {
	text = prefix + escapeText(text)
	if strings.TrimSpace(text) == "" {
		text = " "
	}
	var blocks []slack.Block
	for _, part := range splitText(text, maxSectionText) {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(part), nil, nil))
	}
	return blocks, text
}

// choiceBlock renders the answers of an intake step: buttons for up to five
// single choices, a static select for more, a multi-select for multi-choice.
func choiceBlock(step string, choices []bot.Choice, multi bool) slack.Block {
	blockID := "step:" + trim(step, 200)
	if !multi && len(choices) <= maxButtons {
		var els []slack.BlockElement
		for i, c := range choices {
			els = append(els, slack.NewButtonBlockElement(fmt.Sprintf("%s%s%d", step, actionSep, i), trim(c.Value, maxButtonValue), plain(trim(label(c), maxButtonText))))
		}
		return slack.NewActionBlock(blockID, els...)
	}
	if len(choices) > maxOptions {
		choices = choices[:maxOptions]
	}
	var opts []*slack.OptionBlockObject
	for _, c := range choices {
		opts = append(opts, slack.NewOptionBlockObject(trim(c.Value, maxOptionValue), plain(trim(label(c), maxOptionText)), nil))
	}
	if multi {
		el := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeStatic, plain("Choose one or more"), step, opts...)
		return slack.NewActionBlock(blockID, el)
	}
	el := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose one"), step, opts...)
	return slack.NewActionBlock(blockID, el)
}

func label(c bot.Choice) string {
	if c.Label != "" {
		return c.Label
	}
	return c.Value
}

// capBlocks keeps at most 50 blocks; the last one says that text was cut.
func capBlocks(blocks []slack.Block) []slack.Block {
	if len(blocks) <= maxBlocks {
		return blocks
	}
	// Keep a trailing actions block (the buttons matter most).
	last := blocks[len(blocks)-1]
	keepLast := last.BlockType() == slack.MBTAction
	n := maxBlocks - 1
	if keepLast {
		n--
	}
	out := append([]slack.Block{}, blocks[:n]...)
	out = append(out, slack.NewContextBlock("", mrkdwn("_(truncated: the message was too long for Slack)_")))
	if keepLast {
		out = append(out, last)
	}
	return out
}

// splitText cuts s into pieces of at most max characters, preferring line
// breaks, then spaces, never inside a character, a grapheme cluster or an
// entity such as &amp;.
func splitText(s string, max int) []string {
	parts := textutil.Split(s, max)
	if len(parts) == 0 {
		parts = []string{s}
	}
	return parts
}

// trim shortens s to max characters, ending with an ellipsis when cut (never
// inside a character, a grapheme cluster or an entity).
func trim(s string, max int) string { return textutil.Ellipsis(s, max) }

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func mentionOf(u bot.User) string {
	if u.ID == "" {
		return escapeText(u.Name)
	}
	return "<@" + u.ID + ">"
}

// controlSeq matches the one control sequence the core produces on purpose:
// a user mention written through Mentioner (<@U123>). Everything else of
// <, > and & is escaped, so user text can never become a live <!channel>,
// <!here>, <!subteam^…>, a channel link or a disguised link (inbound, a
// typed "<@" carries a word joiner and does not match).
var controlSeq = regexp.MustCompile(`<@[UW][A-Z0-9]+>`)

// escapeText escapes &, < and > as Slack's mrkdwn requires, keeping the
// mentions above intact.
func escapeText(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range controlSeq.FindAllStringIndex(s, -1) {
		b.WriteString(escapeRaw(s[last:m[0]]))
		b.WriteString(s[m[0]:m[1]])
		last = m[1]
	}
	b.WriteString(escapeRaw(s[last:]))
	return b.String()
}

var rawEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escapeRaw(s string) string { return rawEscaper.Replace(s) }

func escapeLinkLabel(s string) string {
	return strings.ReplaceAll(escapeRaw(s), "|", "¦")
}
