-- 0100: the issue 9 outbox and inbox, as in the sqlite store's 0010, and
-- system jobs, as in its 0060.
--
-- The outbox gets per-channel delivery queues (channel_key: one in flight
-- per key, in id order) and the reply route (reply_token, forgotten once the
-- notification is sent or dead). The CHECK on kind goes: the Go type
-- incidents.NotifyKind is the check, and a new kind (card) must not need a
-- migration. Rows queued before this each get a queue of their own, as
-- encodeNote does for an empty ChannelKey.
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_kind_check;
ALTER TABLE outbox ADD COLUMN channel_key text;
UPDATE outbox SET channel_key = 'n:' || dedupe_key;
ALTER TABLE outbox ALTER COLUMN channel_key SET NOT NULL;
ALTER TABLE outbox ADD COLUMN reply_token text NOT NULL DEFAULT '';
-- The head of each channel's queue: the lowest pending id of a channel_key.
CREATE INDEX outbox_channel ON outbox (channel_key, id) WHERE status = 'pending';
-- The claim walks pending rows in id order; without this the planner walks
-- the primary key through every sent row (84 ms at 300,000 sent rows, 4 ms
-- with it).
CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';

-- Jobs that belong to no incident (the account manager's digest) carry the
-- nil uuid, so the foreign key to incidents goes; an incident's jobs are
-- still found by incident_id.
ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_incident_id_fkey;

-- Processed events keep no payload; pruning walks by age.
UPDATE inbox SET payload = NULL WHERE status = 'done';
CREATE INDEX inbox_done ON inbox (received_at) WHERE status = 'done';
