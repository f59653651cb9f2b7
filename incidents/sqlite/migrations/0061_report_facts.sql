-- 0061: what a report reads, kept narrow and in incident-id order so
-- incidents/report can stream 100,000 incidents in well under a second
-- (BENCHMARKS.md). incident_facts mirrors the report columns of incidents,
-- with provider, category and codes pulled out of the details JSON once, at
-- write time, by triggers; the partial index holds the timeline entries the
-- report reads, in (incident, seq) order.

CREATE TABLE incident_facts (
	id          TEXT PRIMARY KEY,
	ref         TEXT NOT NULL,
	title       TEXT NOT NULL,
	status      TEXT NOT NULL,
	severity    INTEGER NOT NULL,
	provider    TEXT NOT NULL,      -- lower-cased
	category    TEXT NOT NULL,
	codes       TEXT,               -- JSON array of incidents.Code, NULL when none
	created_at  INTEGER NOT NULL,
	opened_at   INTEGER,
	resolved_at INTEGER
) WITHOUT ROWID;

INSERT INTO incident_facts
	SELECT id, ref, title, status, severity, lower(coalesce(json_extract(details, '$.provider'), '')),
	       coalesce(json_extract(details, '$.category'), ''), json_extract(details, '$.codes'),
	       created_at, opened_at, resolved_at
	FROM incidents;

CREATE TRIGGER incident_facts_insert AFTER INSERT ON incidents
BEGIN
	INSERT OR REPLACE INTO incident_facts VALUES (NEW.id, NEW.ref, NEW.title, NEW.status, NEW.severity,
		lower(coalesce(json_extract(NEW.details, '$.provider'), '')), coalesce(json_extract(NEW.details, '$.category'), ''),
		json_extract(NEW.details, '$.codes'), NEW.created_at, NEW.opened_at, NEW.resolved_at);
END;

CREATE TRIGGER incident_facts_update AFTER UPDATE ON incidents
BEGIN
	INSERT OR REPLACE INTO incident_facts VALUES (NEW.id, NEW.ref, NEW.title, NEW.status, NEW.severity,
		lower(coalesce(json_extract(NEW.details, '$.provider'), '')), coalesce(json_extract(NEW.details, '$.category'), ''),
		json_extract(NEW.details, '$.codes'), NEW.created_at, NEW.opened_at, NEW.resolved_at);
END;

CREATE TRIGGER incident_facts_delete AFTER DELETE ON incidents
BEGIN
	DELETE FROM incident_facts WHERE id = OLD.id;
END;

-- The WHERE is kindsWhere(report.FactKinds) in report.go, character for
-- character, so that the planner can prove the query needs only these rows:
-- the moves to open, acknowledgements and case entries.
CREATE INDEX timeline_report ON timeline (incident_id, seq, at, kind, data)
	WHERE (kind = 'status' AND instr(data, '"to":"open"') > 0) OR kind = 'ack' OR kind = 'case';
