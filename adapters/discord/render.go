package discord

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents/textutil"
)

// Discord's limits.
const (
	maxContent       = 2000
	maxEmbedsTotal   = 6000
	maxEmbeds        = 10
	maxEmbedTitle    = 256
	maxEmbedDesc     = 4096
	maxFieldValue    = 1024
	maxFooter        = 2048
	maxRows          = 5
	maxButtonsPerRow = 5
	maxButtonLabel   = 80
	maxCustomID      = 100
	maxSelectOptions = 25
	maxOptionText    = 100
	maxThreadName    = 100
	maxModalInputs   = 5
)

// outMsg is one Discord message rendered from a bot.Message.
type outMsg struct {
	Content    string                       `json:"content,omitempty"`
	Embeds     []*discordgo.MessageEmbed    `json:"embeds,omitempty"`
	Components []discordgo.MessageComponent `json:"components,omitempty"`
}

// render turns msg into one or more Discord messages within the limits: long
// text is split at 2,000 characters, embeds beyond 10 or 6,000 characters go
// into further messages, and components ride on the last message.
func render(msg bot.Message) []outMsg {
	var embeds []*discordgo.MessageEmbed
	var comps []discordgo.MessageComponent
	switch {
	case msg.Kind == bot.KindCard && msg.Card != nil:
		embeds = append(embeds, cardEmbed(msg.Card))
		comps = cardComponents(msg.Card)
	case msg.Kind == bot.KindAnswers:
		for _, h := range msg.Hits {
			embeds = append(embeds, hitEmbed(h))
		}
	}
	text := msg.Text
	if msg.Kind == bot.KindAnswers && len(msg.Hits) > 0 {
		// the text after its first line is the hits written out as plain
		// text, for platforms without embeds: the embeds show them
		text, _, _ = strings.Cut(text, "\n")
	}
	if len(msg.Choices) > 0 {
		comps = append(comps, choiceComponents(msg.Expects, msg.Choices, msg.Multi)...)
	}
	if len(comps) > maxRows {
		comps = comps[:maxRows]
	}
	if msg.Kind == bot.KindCard && msg.Card != nil {
		// The embed carries everything; Text is the plain-text fallback
		// for platforms without cards.
		text = ""
	}
	if msg.Kind == bot.KindNotice && text != "" {
		text = "⚠️ " + text
	}
	text = noEveryone(text)
	var out []outMsg
	for _, c := range splitText(text, maxContent) {
		out = append(out, outMsg{Content: c})
	}
	for i, group := range groupEmbeds(embeds) {
		if i == 0 && len(out) > 0 {
			out[len(out)-1].Embeds = group
			continue
		}
		out = append(out, outMsg{Embeds: group})
	}
	if len(out) == 0 {
		out = append(out, outMsg{Content: "\u200b"})
	}
	out[len(out)-1].Components = comps
	return out
}

// groupEmbeds packs embeds into messages of at most 10 embeds and 6,000
// characters each.
func groupEmbeds(embeds []*discordgo.MessageEmbed) [][]*discordgo.MessageEmbed {
	var groups [][]*discordgo.MessageEmbed
	var cur []*discordgo.MessageEmbed
	size := 0
	for _, e := range embeds {
		n := embedSize(e)
		if len(cur) > 0 && (len(cur) == maxEmbeds || size+n > maxEmbedsTotal) {
			groups = append(groups, cur)
			cur, size = nil, 0
		}
		cur = append(cur, e)
		size += n
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

func embedSize(e *discordgo.MessageEmbed) int {
	n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	for _, f := range e.Fields {
		n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	if e.Footer != nil {
		n += utf8.RuneCountInString(e.Footer.Text)
	}
	if e.Author != nil {
		n += utf8.RuneCountInString(e.Author.Name)
	}
	return n
}

var severityColor = map[string]int{
	"SEV1": 0xD83C3E, "SEV2": 0xF26522, "SEV3": 0xF2C744, "SEV4": 0x5865F2,
}

func cardEmbed(c *bot.Card) *discordgo.MessageEmbed {
	color := 0x99AAB5
	if v, ok := severityColor[strings.ToUpper(c.Severity)]; ok {
		color = v
	}
	switch strings.ToLower(c.Status) {
	case "resolved", "closed":
		color = 0x3BA55C
	case "cancelled":
		color = 0x99AAB5
	}
	e := &discordgo.MessageEmbed{
		Title: truncate(strings.TrimSpace(c.Ref+" · "+c.Title), maxEmbedTitle),
		Color: color,
	}
	field := func(name, value string) {
		if value == "" {
			return
		}
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: name, Value: truncate(value, maxFieldValue), Inline: true})
	}
	sev := c.Severity
	if sev == "" {
		sev = "not yet assessed"
	}
	field("Severity", sev)
	field("Status", c.Status)
	if !c.Reporter.IsZero() {
		field("Reporter", "<@"+c.Reporter.ID+">") // embeds never ping
	}
	field("Category", c.Category)
	field("Provider", c.Provider)
	field("SLA", c.SLA)
	field("Gateway status", c.Gateway)
	if c.Lead != nil && !c.Lead.IsZero() {
		field("Lead", mention(*c.Lead))
	}
	field("Last update", c.LastUpdate)
	e.Footer = &discordgo.MessageEmbedFooter{Text: "Paybot incident " + c.Ref}
	return e
}

func hitEmbed(h bot.Hit) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Title:       truncate(h.Title, maxEmbedTitle),
		Description: truncate(h.Snippet, 1000),
		Color:       0x5865F2,
	}
	if strings.HasPrefix(h.URL, "http://") || strings.HasPrefix(h.URL, "https://") {
		e.URL = h.URL
	}
	if l := h.ActionLine(); l != "" {
		if e.Description != "" {
			e.Description += "\n\n"
		}
		e.Description += truncate(l, 600)
		if r := h.ActionRead(); r != "" {
			e.Description += "\n" + truncate(r, 200)
		}
	}
	footer := h.Source
	if h.Show != "" {
		if footer != "" {
			footer += " · "
		}
		footer += "Whole article: " + h.Show
	}
	if footer != "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: truncate(footer, maxFooter)}
	}
	return e
}

func actionStyle(action string) discordgo.ButtonStyle {
	switch action {
	case "escalate":
		return discordgo.DangerButton
	case "resolve":
		return discordgo.SuccessButton
	case "ack":
		return discordgo.PrimaryButton
	}
	return discordgo.SecondaryButton
}

func cardComponents(c *bot.Card) []discordgo.MessageComponent {
	var rows []discordgo.MessageComponent
	var row []discordgo.MessageComponent
	for _, a := range c.Actions {
		id := customID("pb", a.Value, c.Ref)
		if len(id) > maxCustomID {
			continue
		}
		row = append(row, discordgo.Button{Label: label(a), Style: actionStyle(a.Value), CustomID: id})
		if len(row) == maxButtonsPerRow {
			rows = append(rows, discordgo.ActionsRow{Components: row})
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, discordgo.ActionsRow{Components: row})
	}
	return rows
}

// choiceComponents renders choices as one row of buttons, or as select menus
// when there are more than 5, when several may be chosen, or when a value is
// too long for a button's custom_id.
func choiceComponents(step string, choices []bot.Choice, multi bool) []discordgo.MessageComponent {
	useSelect := multi || len(choices) > maxButtonsPerRow
	for _, c := range choices {
		if len(customID("pb", "step", step, c.Value)) > maxCustomID {
			useSelect = true
		}
	}
	if !useSelect {
		row := make([]discordgo.MessageComponent, 0, len(choices))
		for _, c := range choices {
			row = append(row, discordgo.Button{Label: label(c), Style: discordgo.PrimaryButton, CustomID: customID("pb", "step", step, c.Value)})
		}
		return []discordgo.MessageComponent{discordgo.ActionsRow{Components: row}}
	}
	var rows []discordgo.MessageComponent
	for i := 0; i < len(choices) && len(rows) < maxRows; i += maxSelectOptions {
		part := choices[i:min(i+maxSelectOptions, len(choices))]
		opts := make([]discordgo.SelectMenuOption, 0, len(part))
		for _, c := range part {
			if len(c.Value) > maxOptionText {
				continue
			}
			opts = append(opts, discordgo.SelectMenuOption{Label: truncate(label(c), maxOptionText), Value: c.Value})
		}
		if len(opts) == 0 {
			continue
		}
		one := 1
		sm := discordgo.SelectMenu{
			MenuType:    discordgo.StringSelectMenu,
			CustomID:    customID("pb", "pick", step, fmt.Sprint(len(rows))),
			Placeholder: "Choose…",
			MinValues:   &one,
			MaxValues:   1,
			Options:     opts,
		}
		if multi {
			sm.Placeholder = "Choose one or more…"
			sm.MaxValues = len(opts)
		}
		rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{sm}})
	}
	return rows
}

func label(c bot.Choice) string {
	l := c.Label
	if l == "" {
		l = c.Value
	}
	return truncate(l, maxButtonLabel)
}

func customID(parts ...string) string { return strings.Join(parts, ":") }

// mention writes a deliberate mention in the nickname form "<@!id>": the
// only form allowed() lets ping. Users' own "<@!…>" is rewritten to "<@…>"
// on the way in (scrubMentions), so user text never pings anyone.
func mention(u bot.User) string { return "<@!" + u.ID + ">" }

// truncate cuts s to at most n characters, marking the cut with an
// ellipsis; never inside a character or grapheme cluster.
func truncate(s string, n int) string { return textutil.Ellipsis(s, n) }

// splitText cuts s into pieces of at most n characters, preferring line
// breaks, then spaces, never inside a character or grapheme cluster.
func splitText(s string, n int) []string { return textutil.Split(s, n) }
