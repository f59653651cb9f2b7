// Package discord connects Paybot to Discord.
//
// It translates and decides nothing: Discord interactions (slash commands,
// buttons, selects, modal submits) and thread messages become bot.Events, and
// bot.Messages become Discord messages, embeds and components sent through
// discordgo's REST client (with its rate limiter and 429 retry_after).
//
// Interactions arrive two ways and share one translation layer
// (translate.go):
//
//   - the gateway (discordgo session, intents Guilds | GuildMessages |
//     MessageContent), which reconnects and resumes by itself;
//   - HTTP interactions at POST /discord/interactions (http.go), verified with
//     Ed25519 (discordgo.VerifyInteraction) plus a 5-minute timestamp window
//     that the library does not check.
//
// The 3-second rule: every interaction is durably handed to the Handler
// (the engine's Accept) and then acknowledged with a deferred response.
//
// Several replicas (routes.go): the interaction's route (application id,
// interaction id, token, channel, user, arrival time, deferred or not) is
// sealed into Event.ReplyToken (adapters/internal/replyseal: AES-256-GCM,
// key by HKDF from PAYBOT_REPLY_KEY or DISCORD_BOT_TOKEN), so it travels
// through the inbox and the outbox's reply_token and any replica can answer;
// the store never holds the token in clear. Post with that ReplyToken fills
// the deferred original exactly once (a claim in the store's reply_state,
// shared by every replica), then sends follow-ups, while the token lives
// (15 min); it falls back to plain channel messages after that, when the
// message belongs to another channel, or when the token was sealed under
// another key. Which interaction sent which message, and each person's
// latest interaction per channel, are in reply_state too, so Update and
// PostEphemeral work on any replica. What stays per process is only a
// cache that is safe to miss (thread parents, recently seen event ids) and
// whether this process's own initial response has gone out.
//
// custom_id formats (all at most 100 characters):
//
//	pb:step:<step>:<value>   a choice button of an intake question
//	pb:pick:<step>:<n>       a select menu (n-th, when > 25 options)
//	pb:<action>:<ref>        a card button (escalate, ack, resolve, …)
//	pb:open                  the "open incident" modal
//
// A card button's Event carries Conversation.Thread = the card message id:
// Discord gives a thread started from a message the id of that message, so
// the event lands in the incident's thread conversation.
package discord
