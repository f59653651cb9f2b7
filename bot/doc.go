// Package bot is the platform-neutral core. Adapters turn platform payloads
// into Events; the Engine routes them to the incident domain and the
// knowledge base and answers with neutral Messages that adapters render.
// Nothing here imports a chat SDK.
package bot
