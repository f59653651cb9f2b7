-- 0001: incidents, their timeline, the ref counter and the inbound event inbox.
-- Times are INTEGER unix nanoseconds, UTC; 0 stands for the zero time.time.
-- JSON columns hold the encoding/json form of the Go structs in incidents/.

CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('incident_ref', 0);

CREATE TABLE incidents (
	id                  TEXT PRIMARY KEY,        -- uuid, canonical text form
	seq                 INTEGER NOT NULL UNIQUE, -- from counters.incident_ref
	ref                 TEXT NOT NULL UNIQUE,    -- 'PAY-' || seq
	title               TEXT NOT NULL,
	status              TEXT NOT NULL,
	severity            INTEGER NOT NULL,
	severity_overridden INTEGER NOT NULL DEFAULT 0,
	reporter            TEXT NOT NULL,           -- JSON incidents.User
	conv_platform       TEXT NOT NULL DEFAULT '',
	conv_channel        TEXT NOT NULL DEFAULT '',
	conv_thread         TEXT NOT NULL DEFAULT '',
	origin              TEXT NOT NULL,           -- JSON incidents.Conversation
	card_message        TEXT NOT NULL DEFAULT '',
	details             TEXT NOT NULL,           -- JSON incidents.Details
	intake              TEXT NOT NULL,           -- JSON incidents.IntakeState
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	opened_at           INTEGER,
	resolved_at         INTEGER,
	version             INTEGER NOT NULL
);
CREATE INDEX incidents_conversation ON incidents (conv_platform, conv_channel, conv_thread);
CREATE INDEX incidents_created ON incidents (created_at, seq);
CREATE INDEX incidents_status_created ON incidents (status, created_at, seq);

CREATE TABLE timeline (
	incident_id TEXT NOT NULL REFERENCES incidents (id),
	seq         INTEGER NOT NULL,                -- 1, 2, 3… per incident
	at          INTEGER NOT NULL,
	actor       TEXT NOT NULL,                   -- JSON incidents.User
	kind        TEXT NOT NULL,
	text        TEXT NOT NULL,
	data        TEXT,                            -- JSON object, NULL when empty
	PRIMARY KEY (incident_id, seq)
) WITHOUT ROWID;

-- The timeline is append-only.
CREATE TRIGGER timeline_no_update BEFORE UPDATE ON timeline
BEGIN
	SELECT RAISE(ABORT, 'timeline is append-only');
END;
CREATE TRIGGER timeline_no_delete BEFORE DELETE ON timeline
BEGIN
	SELECT RAISE(ABORT, 'timeline is append-only');
END;

-- inbox records inbound platform events by key: 'received' when enqueued
-- before the platform is acknowledged, 'done' once processed.
CREATE TABLE inbox (
	key          TEXT PRIMARY KEY,
	payload      BLOB,
	status       TEXT NOT NULL CHECK (status IN ('received', 'done')),
	received_at  INTEGER NOT NULL,
	processed_at INTEGER
);
CREATE INDEX inbox_pending ON inbox (received_at) WHERE status = 'received';
