package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	discordadapter "github.com/paybot/paybot/adapters/discord"
)

// setupDiscord starts the Discord adapter when DISCORD_* settings are present.
//
//   - No DISCORD_* setting: not started.
//   - A half-configured or malformed setup fails fast with the reason
//     (for example DISCORD_MODE=http without DISCORD_PUBLIC_KEY, or the
//     gateway without DISCORD_BOT_TOKEN).
//   - DISCORD_PUBLIC_KEY set: POST /discord/interactions is served on deps.Mux.
//   - DISCORD_MODE gateway or both (the default with a bot token): the gateway
//     connects in the background, retrying with backoff; in http mode no
//     gateway connection is attempted.
//   - DISCORD_APP_ID and DISCORD_BOT_TOKEN set: /payissue is registered with a
//     bulk overwrite in the background (guild-scoped with DISCORD_GUILD_ID).
//
// DISCORD_API_URL points REST calls elsewhere (a fake API, a proxy).
func setupDiscord(ctx context.Context, deps platformDeps) (bool, error) {
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg, configured, err := discordadapter.ConfigFromLookup(deps.Lookup)
	if !configured {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// PAYBOT_REPLY_KEY (else the bot token) keys the sealing of interaction
	// tokens; every replica needs the same one.
	opts := discordadapter.Options{Logger: log, Replies: deps.Replies, ReplyKey: strings.TrimSpace(deps.Lookup("PAYBOT_REPLY_KEY"))}
	if deps.Engine != nil {
		opts.Refs = deps.Engine // refs autocompleted from the open incidents
	}
	a, err := discordadapter.New(cfg, opts)
	if err != nil {
		return false, err
	}
	a.SetHandler(deps.Async)
	if cfg.PublicKey != "" && deps.Mux != nil {
		deps.Mux.Handle("POST "+discordadapter.InteractionsPath, a.InteractionsHandler())
	}
	if deps.Engine != nil {
		deps.Engine.AddAdapter(a)
	}
	if deps.Ready != nil {
		deps.Ready.addPlatform("discord", a)
	}
	go func() {
		if err := a.Start(ctx, deps.Async); err != nil {
			log.Error("discord adapter stopped", "err", err)
		}
	}()
	if cfg.AppID != "" && cfg.Token != "" {
		go func() {
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := a.Register(rctx); err != nil {
				log.Warn("discord command registration failed; run `paybot discord register` later", "err", err)
			}
		}()
	}
	attrs := []any{"mode", cfg.Mode, "gateway", cfg.Gateway(), "guild", cfg.GuildID}
	if cfg.HTTP() {
		attrs = append(attrs, "interactions", discordadapter.InteractionsPath)
	}
	if cfg.APIURL != "" {
		attrs = append(attrs, "api_url", cfg.APIURL)
	}
	if cfg.Token == "" {
		log.Warn("discord: no DISCORD_BOT_TOKEN: interactions are answered through their tokens only; threads and channel messages will fail")
	}
	log.Info("discord started", attrs...)
	return true, nil
}

func init() { addCommand(newDiscordCmd) }

func newDiscordCmd(a *app) *cobra.Command {
	cmd := groupCmd("discord", "Discord tools")
	cmd.AddCommand(&cobra.Command{
		Use:   "register",
		Short: "Register the /payissue command with Discord",
		Long: `Register the /payissue application command with Discord (a bulk overwrite),
in one guild with DISCORD_GUILD_ID (instant), else globally (up to an hour).

Environment (or the config file's discord: section):
  DISCORD_BOT_TOKEN   bot token (required)
  DISCORD_APP_ID      application id (required)
  DISCORD_GUILD_ID    register in this guild only
  DISCORD_API_URL     REST base URL (a fake API, a proxy)`,
		Args: exactArgs(0, "takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.discordRegister(cmd.Context())
		},
	})
	return cmd
}

// discordRegister runs `paybot discord register`: the bulk overwrite of the
// /payissue application command, guild-scoped with DISCORD_GUILD_ID.
func (a *app) discordRegister(ctx context.Context) error {
	cfg, configured, err := discordadapter.ConfigFromLookup(a.lookup)
	if !configured {
		return errors.New("discord register: set DISCORD_BOT_TOKEN and DISCORD_APP_ID")
	}
	if err != nil {
		return err
	}
	if cfg.AppID == "" || cfg.Token == "" {
		return errors.New("discord register: needs both DISCORD_BOT_TOKEN and DISCORD_APP_ID")
	}
	ad, err := discordadapter.New(cfg, discordadapter.Options{})
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := ad.Register(rctx); err != nil {
		return err
	}
	scope := "globally (updates can take up to an hour)"
	if cfg.GuildID != "" {
		scope = "in guild " + cfg.GuildID
	}
	fmt.Fprintf(a.stdout, "registered /payissue %s\n", scope)
	return nil
}
