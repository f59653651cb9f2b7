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
// (the engine's Accept) and then acknowledged with a deferred response. The
// interaction token is kept in a small in-memory map keyed by the
// Event.ReplyToken the adapter sets; Post with that ReplyToken edits the
// deferred original or sends a follow-up while the token lives (15 min), and
// falls back to plain channel messages after that, after a restart, or when
// the message belongs to another channel.
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
