-- 0071: paybot_check raises an error with a Paybot SQLSTATE when ok is
-- false. It lets a whole incident change (event mark, versioned update,
-- timeline, jobs, notifications) travel as one pipelined batch, which the
-- server runs as one implicit transaction: a refusal aborts the rest, with
-- no extra round trip to BEGIN, check and COMMIT.
--   PBDUP: the event key was already processed (incidents.ErrDuplicate)
--   PBVER: no incident row at the expected version (conflict or not found)
CREATE FUNCTION paybot_check(ok boolean, code text, msg text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF NOT ok THEN
		RAISE EXCEPTION USING ERRCODE = code, MESSAGE = msg;
	END IF;
END
$$;
