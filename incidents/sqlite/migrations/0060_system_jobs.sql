-- 0060: jobs that belong to no incident (the account manager's digest,
-- incidents/review.go). incident_id stays NOT NULL and is the nil uuid for
-- them, so the foreign key to incidents goes; an
-- incident's jobs are still found by incident_id. SQLite cannot drop a
-- constraint, so the table is rebuilt with the same columns and indexes.

CREATE TABLE jobs_new (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id   TEXT NOT NULL,             -- the nil uuid for a system job
	kind          TEXT NOT NULL,
	due_at        INTEGER NOT NULL,
	payload       TEXT,
	status        TEXT NOT NULL CHECK (status IN ('pending', 'done', 'cancelled')),
	claimed_until INTEGER NOT NULL DEFAULT 0,
	attempts      INTEGER NOT NULL DEFAULT 0,
	dedupe_key    TEXT NOT NULL UNIQUE,
	done_at       INTEGER
);
INSERT INTO jobs_new (id, incident_id, kind, due_at, payload, status, claimed_until, attempts, dedupe_key, done_at)
	SELECT id, incident_id, kind, due_at, payload, status, claimed_until, attempts, dedupe_key, done_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_due ON jobs (due_at) WHERE status = 'pending';
CREATE INDEX jobs_incident ON jobs (incident_id, kind);
