-- 0002: durable jobs (ladder steps, SLA warnings and breaches, update
-- reminders) and the outbound notification outbox, as in the sqlite store's
-- 0002. Several replicas claim rows with FOR UPDATE SKIP LOCKED and a lease
-- (claimed_until) that outlives the work it covers.

CREATE TABLE jobs (
	id            bigserial PRIMARY KEY,
	incident_id   uuid NOT NULL REFERENCES incidents (id),
	kind          text NOT NULL,
	due_at        timestamptz NOT NULL,
	payload       jsonb,                      -- NULL when empty
	status        text NOT NULL CHECK (status IN ('pending', 'done', 'cancelled')),
	claimed_until timestamptz,                -- NULL: never claimed
	attempts      integer NOT NULL DEFAULT 0,
	dedupe_key    text NOT NULL UNIQUE,
	done_at       timestamptz
);
CREATE INDEX jobs_due ON jobs (due_at, id) WHERE status = 'pending';
CREATE INDEX jobs_incident ON jobs (incident_id, kind);

CREATE TABLE outbox (
	id              bigserial PRIMARY KEY,
	incident_id     uuid,                     -- NULL: not about one incident
	kind            text NOT NULL CHECK (kind IN ('thread_post', 'dm', 'email', 'card_update')),
	payload         bytea NOT NULL,
	dedupe_key      text NOT NULL UNIQUE,
	status          text NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
	attempts        integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL,
	claimed_until   timestamptz,
	sent_at         timestamptz,
	last_error      text NOT NULL DEFAULT '',
	created_at      timestamptz NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_incident ON outbox (incident_id, id);
