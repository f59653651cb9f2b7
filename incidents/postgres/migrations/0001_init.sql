-- 0001: incidents, their timeline, the ref counter and the inbound event inbox.

CREATE TABLE counters (
	name  text PRIMARY KEY,
	value bigint NOT NULL
);
INSERT INTO counters (name, value) VALUES ('incident_ref', 0);

CREATE TABLE incidents (
	id                  uuid PRIMARY KEY,
	seq                 bigint NOT NULL UNIQUE,   -- from counters.incident_ref
	ref                 text NOT NULL UNIQUE,     -- 'PAY-' || seq
	title               text NOT NULL,
	status              text NOT NULL,
	severity            integer NOT NULL,
	severity_overridden boolean NOT NULL DEFAULT false,
	reporter            jsonb NOT NULL,           -- incidents.User
	conv_platform       text NOT NULL DEFAULT '',
	conv_channel        text NOT NULL DEFAULT '',
	conv_thread         text NOT NULL DEFAULT '',
	origin              jsonb NOT NULL,           -- incidents.Conversation
	card_message        text NOT NULL DEFAULT '',
	details             jsonb NOT NULL,           -- incidents.Details
	intake              jsonb NOT NULL,           -- incidents.IntakeState
	created_at          timestamptz NOT NULL,
	updated_at          timestamptz NOT NULL,
	opened_at           timestamptz,
	resolved_at         timestamptz,
	version             bigint NOT NULL
);
CREATE INDEX incidents_conversation ON incidents (conv_platform, conv_channel, conv_thread);
CREATE INDEX incidents_created ON incidents (created_at DESC, seq DESC);
CREATE INDEX incidents_status_created ON incidents (status, created_at DESC, seq DESC);

CREATE TABLE timeline (
	incident_id uuid NOT NULL REFERENCES incidents (id),
	seq         bigint NOT NULL,                  -- 1, 2, 3… per incident
	at          timestamptz NOT NULL,
	actor       jsonb NOT NULL,                   -- incidents.User
	kind        text NOT NULL,
	text        text NOT NULL,
	data        jsonb,                            -- NULL when empty
	PRIMARY KEY (incident_id, seq)
);

CREATE FUNCTION timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'timeline is append-only';
END
$$;
CREATE TRIGGER timeline_append_only BEFORE UPDATE OR DELETE ON timeline
	FOR EACH ROW EXECUTE FUNCTION timeline_append_only();

-- inbox records inbound platform events by key: 'received' when enqueued
-- before the platform is acknowledged, 'done' once processed.
CREATE TABLE inbox (
	key          text PRIMARY KEY,
	n            bigserial,                       -- arrival order, breaks ties
	payload      bytea,
	status       text NOT NULL CHECK (status IN ('received', 'done')),
	received_at  timestamptz NOT NULL,
	processed_at timestamptz
);
CREATE INDEX inbox_pending ON inbox (received_at, n) WHERE status = 'received';
