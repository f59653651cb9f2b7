-- 0070: per-channel pacing of outbound chat messages, shared by every process
-- on this database (Slack allows about one message per second per channel).
-- next_at is the earliest time, unix nanoseconds UTC, the next message to the
-- channel may be sent.
CREATE TABLE channel_pacing (
	channel TEXT PRIMARY KEY,              -- platform/channel id
	next_at INTEGER NOT NULL
);
