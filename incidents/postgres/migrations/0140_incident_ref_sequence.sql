-- 0140: incident refs come from a sequence instead of the counters row.
--
-- The counters row was updated inside every CreateIncident transaction, so
-- its row lock was held until that transaction committed: with several
-- replicas opening incidents at once, every creation waited for the one
-- before it (30 ms mean per insert at 150 incidents/s over three replicas).
-- nextval takes no lock that lives until commit. The price: a creation
-- that fails after nextval (a unique violation on the incident id) leaves a
-- gap in the PAY-<n> numbers. A duplicate event does not, because its
-- check runs before the insert in the same batch.
CREATE SEQUENCE incident_ref_seq AS bigint MINVALUE 1;
-- The last ref handed out, or 0 for none: nextval then returns it + 1.
SELECT setval('incident_ref_seq', GREATEST(n, 1), n > 0)
FROM (SELECT GREATEST(
	COALESCE((SELECT value FROM counters WHERE name = 'incident_ref'), 0),
	COALESCE((SELECT max(seq) FROM incidents), 0)) AS n) last;
DELETE FROM counters WHERE name = 'incident_ref';
