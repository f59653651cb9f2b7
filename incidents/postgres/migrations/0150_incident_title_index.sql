-- 0150: a repeated /payissue finds its parked twin by title
-- (ListFilter.Title). Without this index each /payissue read every
-- incident row (2 ms each at a few thousand incidents, under load).
CREATE INDEX incidents_title ON incidents (lower(title));
