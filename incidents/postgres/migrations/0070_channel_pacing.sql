-- 0070: per-channel pacing of outbound chat messages, shared by every replica
-- (Slack allows about one message per second per channel). next_at is the
-- earliest time the next message to the channel may be sent.
CREATE TABLE channel_pacing (
	channel text PRIMARY KEY,              -- platform/channel id
	next_at timestamptz NOT NULL
);
