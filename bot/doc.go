// Package bot is the platform-neutral core. Adapters turn platform payloads
// into Events; the Engine routes them to the incident domain and the
// knowledge base and answers with neutral Messages that adapters render.
// Nothing here imports a chat SDK.
//
// The Engine conducts small parts, each in its own file:
//
//   - inbox.go: every event is recorded with its envelope id and message
//     keys before it takes effect (Accept, HandleEvent); per-conversation
//     workers process accepted events in order; processed keys are pruned.
//   - router.go, commands.go, escalation.go: what an event means, turned
//     into an incident change and the messages that answer it.
//   - reply.go: the change, the "event processed" mark and every message
//     (as outbox notifications) commit in one transaction.
//   - outbox.go: the only way out. Notifications are delivered per channel
//     (one in flight, in order; channels in parallel), retried with backoff
//     that honours Retry-After, their claims extended while they run.
//   - card.go: the incident card is posted, threaded and linked in recorded
//     steps; when it cannot be posted the incident is parked and the
//     reporter told what to do through the route that still works.
//   - scheduler.go: durable timers (ladder steps, SLA, reminders).
//
// Why one way out: a message that exists only after a commit, or a post
// made before one, can disagree with the store after a crash or a failed
// call. Writing messages with the state that caused them, and delivering
// from the store, means the chat always ends up showing what was decided.
package bot
