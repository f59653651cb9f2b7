-- 0080: the incident's typed domain state (incidents.State as JSON: the
-- escalation ladder, the SLA clocks and breaches, the resolution, reopens),
-- kept apart from the intake answers in details. Rows written before this
-- keep '{}'; the store upgrades them on read from the keys older versions
-- left in details.extra (incidents.UpgradeLegacyExtra), and the next write
-- stores the typed form.
ALTER TABLE incidents ADD COLUMN state TEXT NOT NULL DEFAULT '{}';
