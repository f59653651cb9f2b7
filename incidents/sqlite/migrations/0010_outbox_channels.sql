-- 0010: per-channel delivery queues and the card kind in the outbox; the
-- inbox forgets payloads once processed and can be pruned by age.
-- SQLite cannot change a CHECK constraint in place, so the outbox is rebuilt.

CREATE TABLE outbox_new (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id     TEXT NOT NULL DEFAULT '',
	kind            TEXT NOT NULL CHECK (kind IN ('thread_post', 'dm', 'email', 'card_update', 'card')),
	payload         BLOB NOT NULL,
	dedupe_key      TEXT NOT NULL UNIQUE,
	channel_key     TEXT NOT NULL,          -- delivery queue: one in flight per key, in id order
	reply_token     TEXT NOT NULL DEFAULT '', -- route back to the sender; cleared once sent or dead
	status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	claimed_until   INTEGER NOT NULL DEFAULT 0,
	sent_at         INTEGER,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL
);
INSERT INTO outbox_new (id, incident_id, kind, payload, dedupe_key, channel_key, status, attempts,
	next_attempt_at, claimed_until, sent_at, last_error, created_at)
SELECT id, incident_id, kind, payload, dedupe_key, 'n:' || dedupe_key, status, attempts,
	next_attempt_at, claimed_until, sent_at, last_error, created_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_incident ON outbox (incident_id, id);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';
-- The head of each channel's queue: MIN(id) per channel_key among pending rows.
CREATE INDEX outbox_channel ON outbox (channel_key, id) WHERE status = 'pending';

-- Processed events keep no payload; pruning walks by age.
UPDATE inbox SET payload = NULL WHERE status = 'done';
CREATE INDEX inbox_done ON inbox (received_at) WHERE status = 'done';
