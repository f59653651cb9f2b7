package main

import (
	"context"
	"log/slog"
	"net/http"

	discordadapter "github.com/paybot/paybot/adapters/discord"
	slackadapter "github.com/paybot/paybot/adapters/slack"
	"github.com/paybot/paybot/bot"
)

// platformDeps is what a chat platform needs to start inside `paybot serve`.
type platformDeps struct {
	// Lookup returns a setting by its environment name (SLACK_BOT_TOKEN,
	// DISCORD_PUBLIC_KEY, …): the environment first, then the config file.
	Lookup func(key string) string
	// Mux is the shared HTTP server's router (PAYBOT_HTTP_ADDR).
	Mux    *http.ServeMux
	Engine *bot.Engine
	// Async is the handler to give adapters that must acknowledge quickly:
	// it enqueues the event durably and returns.
	Async  bot.Handler
	Logger *slog.Logger
	// Pacer, when set, paces outbound messages per channel in the shared
	// store (several replicas on PostgreSQL).
	Pacer slackadapter.ChannelPacer
	// Replies, when set, keeps Discord's reply state in the store, so any
	// replica can answer an interaction another one received.
	Replies discordadapter.ReplyStore
	// Ready, when set, learns each started adapter for /readyz.
	Ready *readiness
}

// platformSetup starts one platform when it is configured. It returns
// started=false when none of its settings are present, and an error when it
// is half-configured. Long-running work runs in goroutines bound to ctx.
type platformSetup func(ctx context.Context, deps platformDeps) (started bool, err error)
