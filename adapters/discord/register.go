package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Commands is the /payissue application command: every core command as a
// subcommand with typed options. Refs are autocompleted from the open
// incidents (autocomplete.go), severities are choices, people are user
// options. testdata/commands.golden.json holds what is registered.
func Commands() []*discordgo.ApplicationCommand {
	str := func(name, desc string, required bool, maxLen int) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: desc, Required: required, MaxLength: maxLen}
	}
	ref := func() *discordgo.ApplicationCommandOption {
		o := str("ref", "Incident reference, e.g. PAY-3 (default: this thread, or this channel's only open incident)", false, 32)
		o.Autocomplete = true
		return o
	}
	into := func() *discordgo.ApplicationCommandOption {
		o := str("into", "The incident it repeats, e.g. PAY-12", true, 32)
		o.Autocomplete = true
		return o
	}
	person := func(desc string, required bool) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionUser, Name: "person", Description: desc, Required: required}
	}
	sub := func(name, desc string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc, Options: opts}
	}
	level := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "level", Description: "SEV1 is the worst, SEV4 the mildest", Required: true,
		Choices: []*discordgo.ApplicationCommandOptionChoice{
			{Name: "SEV1 (critical)", Value: "SEV1"}, {Name: "SEV2 (major)", Value: "SEV2"},
			{Name: "SEV3 (minor)", Value: "SEV3"}, {Name: "SEV4 (low)", Value: "SEV4"},
		}}
	return []*discordgo.ApplicationCommand{{
		Type:        discordgo.ChatApplicationCommand,
		Name:        CommandName,
		Description: "Payment incidents: open, follow, escalate and resolve",
		Options: []*discordgo.ApplicationCommandOption{
			sub("open", "Open a payment incident and start its thread",
				str("summary", "What is happening, e.g. checkout declines spiking (leave empty for a form)", false, 200)),
			sub("status", "Show an incident's status", ref()),
			sub("list", "List open incidents"),
			sub("search", "Search the knowledge base and past incidents", str("question", "What to look for", true, 300)),
			sub("escalate", "Engage the right contact now; the ladder climbs until someone acknowledges", ref(), str("reason", "Why", false, 500)),
			sub("ack", "Acknowledge an escalation and stop the ladder", ref()),
			sub("update", "Post where things stand; it shows on the card", str("text", "The status update", true, 2000), ref()),
			sub("resolve", "Resolve: what fixed it and the root cause (without a fix: a form)", ref(),
				str("fix", "What fixed it", false, 1000), str("root_cause", "The root cause", false, 1000)),
			sub("rootcause", "Record the root cause of a resolved incident", str("text", "The root cause", true, 1000), ref()),
			sub("reopen", "Reopen a resolved (or, for managers, a cancelled) incident", ref(), str("reason", "Why", false, 500)),
			sub("cancel", "Cancel an incident", ref()),
			sub("severity", "Change the severity (a downgrade needs the lead or a manager)", level, ref(), str("reason", "Why", false, 500)),
			sub("summary", "The support packet for the gateway's desk", ref()),
			sub("case", "Record the gateway's case number; it goes into the packet", str("number", "The desk's case number", true, 64), ref()),
			sub("lead", "Name the incident lead (without a person: who leads)", person("Who leads", false), ref()),
			sub("join", "Join as a responder (the lead can add a person)", ref(), person("Whom to add (the lead or a manager)", false)),
			sub("followup", "Add a postmortem follow-up, mark one done (done 2), or list them", str("text", "The follow-up, or done <n>", false, 500), ref()),
			sub("postmortem", "The postmortem: timeline, root cause, fix, SLA and follow-ups", ref()),
			sub("merge", "Merge a duplicate report into the incident it repeats", into(), ref()),
			sub("report", "SLA and incident figures for the last 30 days", str("provider", "A provider, e.g. stripe (default: all)", false, 64)),
			sub("dashboard", "A signed link to the read-only dashboard"),
			sub("learn", "Save an answer for next time", str("question", "The question", true, 300), str("answer", "The answer", true, 1500)),
			sub("unlearn", "Remove a community answer (its author, an incident manager, or in a thread its lead)", str("id", "The answer's id, from the \"Whole article:\" line under a search answer", true, 200)),
			sub("show", "Print a whole knowledge-base article", str("id", "The article's id, from the \"Whole article:\" line under a search answer", true, 200)),
			sub("gateway", "What the providers' status pages say now", str("provider", "A provider, e.g. stripe (default: all)", false, 64)),
			sub("diagnose", "Check DNS, TLS and the HTTP answer of a provider's API", str("target", "A provider (stripe) or a URL", false, 300)),
			sub("help", "How to use Paybot"),
		},
	}}
}

// CommandExample writes a command the way Discord types it, with named
// options: "/payissue ack ref:PAY-1" (bot.CommandSyntax).
func (a *Adapter) CommandExample(name string, opts ...[2]string) string {
	parts := []string{"/" + CommandName, name}
	for _, o := range opts {
		parts = append(parts, o[0]+":"+o[1])
	}
	return strings.Join(parts, " ")
}

// Register overwrites the application's commands with Commands in one bulk
// call: in DISCORD_GUILD_ID when set (instant), globally otherwise.
func (a *Adapter) Register(ctx context.Context) error {
	if a.cfg.AppID == "" {
		return errors.New("discord: register: DISCORD_APP_ID is not set")
	}
	if a.cfg.Token == "" {
		return errors.New("discord: register: DISCORD_BOT_TOKEN is not set")
	}
	cmds, err := a.session.ApplicationCommandBulkOverwrite(a.cfg.AppID, a.cfg.GuildID, Commands(), discordgo.WithContext(ctx))
	if err != nil {
		scope := "globally"
		if a.cfg.GuildID != "" {
			scope = "in guild " + a.cfg.GuildID
		}
		return fmt.Errorf("discord: register /%s %s: %w", CommandName, scope, err)
	}
	a.log.Info("discord commands registered", "count", len(cmds), "guild", a.cfg.GuildID)
	return nil
}
