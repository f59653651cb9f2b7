-- 0002: durable jobs (ladder steps, SLA warnings and breaches, update
-- reminders) and the outbound notification outbox. Times are INTEGER unix
-- nanoseconds, UTC, like 0001.

CREATE TABLE jobs (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id   TEXT NOT NULL REFERENCES incidents (id),
	kind          TEXT NOT NULL,
	due_at        INTEGER NOT NULL,
	payload       TEXT,                      -- JSON object, NULL when empty
	status        TEXT NOT NULL CHECK (status IN ('pending', 'done', 'cancelled')),
	claimed_until INTEGER NOT NULL DEFAULT 0,
	attempts      INTEGER NOT NULL DEFAULT 0,
	dedupe_key    TEXT NOT NULL UNIQUE,
	done_at       INTEGER
);
CREATE INDEX jobs_due ON jobs (due_at) WHERE status = 'pending';
CREATE INDEX jobs_incident ON jobs (incident_id, kind);

CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id     TEXT NOT NULL DEFAULT '',
	kind            TEXT NOT NULL CHECK (kind IN ('thread_post', 'dm', 'email', 'card_update')),
	payload         BLOB NOT NULL,
	dedupe_key      TEXT NOT NULL UNIQUE,
	status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	claimed_until   INTEGER NOT NULL DEFAULT 0,
	sent_at         INTEGER,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_incident ON outbox (incident_id, id);
