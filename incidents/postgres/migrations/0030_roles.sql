-- 0030: who leads and who responds to an incident, and its last status
-- update (incidents.Roles).
ALTER TABLE incidents ADD COLUMN roles jsonb NOT NULL DEFAULT '{}'::jsonb;
