-- 0150: a repeated /payissue finds its parked twin by title
-- (ListFilter.Title, compared NOCASE) without reading every incident.
CREATE INDEX incidents_title ON incidents (title COLLATE NOCASE);
