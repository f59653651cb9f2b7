-- 0050: gateway status pages (issue 12). gateway_status keeps the last
-- snapshot per provider (incidents.GatewaySnapshot) so a restart keeps its
-- ETag and what it has seen; gateway_posts holds the key of every
-- status-page notice already posted, insert-if-absent, so two replicas
-- racing post once.

CREATE TABLE gateway_status (
	provider   text PRIMARY KEY,
	snapshot   jsonb NOT NULL,
	updated_at timestamptz NOT NULL
);

CREATE TABLE gateway_posts (
	key         text PRIMARY KEY,
	provider    text NOT NULL,
	incident_id uuid,
	posted_at   timestamptz NOT NULL
);
CREATE INDEX gateway_posts_provider ON gateway_posts (provider);
