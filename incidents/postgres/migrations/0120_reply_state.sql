-- 0120: short-lived state of chat reply routes that every replica must see
-- (adapters/discord: which interaction's deferred original is already
-- filled, which interaction sent which message, a person's latest
-- interaction in a channel). Keys are namespaced by the adapter
-- ("discord:orig:<interaction id>"); a value holding a reply route is
-- sealed by the adapter (adapters/internal/replyseal), never in clear. A
-- row past expires_at counts as absent and is pruned.
CREATE TABLE reply_state (
	key text PRIMARY KEY,
	value bytea NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE INDEX reply_state_expires ON reply_state (expires_at);
