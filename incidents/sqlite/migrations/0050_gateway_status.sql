-- 0050: gateway status pages (issue 12). gateway_status keeps the last
-- snapshot per provider (JSON incidents.GatewaySnapshot) so a restart keeps
-- its ETag and what it has seen; gateway_posts holds the key of every
-- status-page notice already posted, insert-if-absent, so two replicas
-- racing post once. Times are INTEGER unix nanoseconds, UTC.

CREATE TABLE gateway_status (
	provider   TEXT PRIMARY KEY,
	snapshot   TEXT NOT NULL,
	updated_at INTEGER NOT NULL
);

CREATE TABLE gateway_posts (
	key         TEXT PRIMARY KEY,
	provider    TEXT NOT NULL,
	incident_id TEXT NOT NULL DEFAULT '',
	posted_at   INTEGER NOT NULL
);
CREATE INDEX gateway_posts_provider ON gateway_posts (provider);
