-- 0030: who leads and who responds to an incident, and its last status
-- update (incidents.Roles, JSON).
ALTER TABLE incidents ADD COLUMN roles TEXT NOT NULL DEFAULT '{}';
