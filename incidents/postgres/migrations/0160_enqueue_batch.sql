-- 0160: paybot_enqueue records a batch of inbound events in one statement,
-- so the acknowledgements that arrive while one commit is in flight share
-- the next commit (one round trip and one WAL flush for all of them)
-- instead of each waiting for a connection and a flush of its own.
--
-- Event i is evkeys[i] with payloads[i] at ats[i], and message keys
-- mkeys[mstart[i] .. mstart[i] + mcount[i] - 1]. Each event is all or
-- nothing: its keys are inserted in a subtransaction, and a key that exists
-- (or that another transaction is inserting and then commits) rolls back
-- that event alone. The result holds true for each event recorded, false
-- for each refused as a duplicate. Callers keep batches at 64 events or
-- fewer, PostgreSQL's cache of subtransactions per transaction.
CREATE FUNCTION paybot_enqueue(evkeys text[], payloads bytea[], ats timestamptz[],
	mkeys text[], mstart int[], mcount int[]) RETURNS boolean[] LANGUAGE plpgsql AS $$
DECLARE
	ok boolean[] := '{}';
	i int;
	j int;
BEGIN
	FOR i IN 1 .. coalesce(array_length(evkeys, 1), 0) LOOP
		BEGIN
			INSERT INTO inbox (key, payload, status, received_at) VALUES (evkeys[i], payloads[i], 'received', ats[i]);
			FOR j IN mstart[i] .. mstart[i] + mcount[i] - 1 LOOP
				INSERT INTO inbox (key, payload, status, received_at, processed_at)
				VALUES (mkeys[j], NULL, 'done', ats[i], ats[i]);
			END LOOP;
			ok := ok || true;
		EXCEPTION WHEN unique_violation THEN
			ok := ok || false;
		END;
	END LOOP;
	RETURN ok;
END
$$;
