-- 0150: a repeated /payissue finds its parked twin by title
-- (ListFilter.Title). Without this index each /payissue read every
-- incident row (2 ms each at a few thousand incidents, under load).
-- lower() under the "C" collation folds ASCII letters only, as SQLite's
-- NOCASE does, so both stores match the same titles.
CREATE INDEX incidents_title ON incidents (lower(title COLLATE "C"));
