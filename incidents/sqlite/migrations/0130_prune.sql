-- 0130: finished rows are pruned by age (PruneOutbox, PruneJobs in
-- incidents/sqlite/prune.go). These partial indexes hold only the rows a
-- prune may delete, ordered by the time it ages them by, so each batch finds
-- its rows without walking the pending ones or the whole table.
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE status = 'sent';
-- A dead notification's next_attempt_at is when it was given up.
CREATE INDEX outbox_dead ON outbox (next_attempt_at) WHERE status = 'dead';
CREATE INDEX jobs_finished ON jobs (done_at) WHERE status IN ('done', 'cancelled');
