// Package slack connects Paybot to Slack.
//
// It translates and decides nothing: inbound payloads (slash commands,
// Events API callbacks, block_actions and view_submission interactions)
// become bot.Event values, and outbound bot.Message values become Block Kit
// messages sent through slack-go's Web API client.
//
// Two transports share one translation layer (inbound.go):
//
//   - HTTP (the default): Adapter.Routes registers POST /slack/commands,
//     /slack/events and /slack/interactions on a ServeMux. Every request is
//     verified with the signing secret (HMAC v0, 5-minute window) before its
//     body is parsed; bodies are capped at 1 MiB.
//   - Socket Mode, when an app-level token (SLACK_APP_TOKEN) is configured,
//     through slack-go's socketmode client.
//
// Each inbound event is handed to the bot.Handler (the engine's durable
// Accept) before Slack is acknowledged, with a stable id so that Slack's
// retries (X-Slack-Retry-Num) are recognised by the engine's inbox:
// "slack:<event_id>" for Events API callbacks, "slack:cmd:<trigger_id>" for
// slash commands, "slack:act:<trigger_id>" (or team+user+action_ts) for
// interactions.
//
// Outbound calls are paced per channel (about one message per second; a
// burst waits in line instead of being dropped), retried on 429 honouring
// Retry-After and backed off on 5xx. With Options.Pacer (a ChannelPacer,
// which both stores implement) the pacing is decided in the shared store, so
// it holds across replicas. Texts are split to Slack's limits: 3,000
// characters per section and at most 50 blocks.
//
// One deliberate choice: Slack delivers a message that mentions the bot twice
// (as "message" and as "app_mention", with different event ids). The adapter
// drops the "message" copy when it mentions the bot's user id, so the engine
// sees the message once, with Mention set.
package slack
