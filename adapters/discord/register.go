package discord

import (
	"context"
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// Commands is the /payissue application command with its subcommands.
func Commands() []*discordgo.ApplicationCommand {
	str := func(name, desc string, required bool, maxLen int) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: desc, Required: required, MaxLength: maxLen}
	}
	sub := func(name, desc string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc, Options: opts}
	}
	return []*discordgo.ApplicationCommand{{
		Type:        discordgo.ChatApplicationCommand,
		Name:        CommandName,
		Description: "Payment incidents: open, follow, escalate and resolve",
		Options: []*discordgo.ApplicationCommandOption{
			sub("open", "Open a payment incident and start its thread",
				str("summary", "What is happening, e.g. checkout declines spiking (leave empty for a form)", false, 200)),
			sub("status", "Show an incident's status", str("ref", "Incident reference, e.g. PAY-3 (default: this thread)", false, 32)),
			sub("list", "List open incidents"),
			sub("search", "Search the knowledge base and past incidents", str("question", "What to look for", true, 300)),
			sub("escalate", "Escalate this incident to the next contact", str("reason", "Why", false, 500)),
			sub("ack", "Acknowledge this incident"),
			sub("resolve", "Resolve this incident", str("fix", "What fixed it", false, 1000)),
			sub("summary", "Summarise this incident"),
			sub("update", "Post where things stand; it shows on the card", str("text", "The status update", true, 2000)),
			sub("lead", "Name the incident lead (without a person: who leads)",
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionUser, Name: "person", Description: "Who leads"}),
			sub("join", "Join this incident as a responder"),
			sub("help", "How to use Paybot"),
		},
	}}
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
