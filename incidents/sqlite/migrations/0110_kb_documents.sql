-- 0110: the knowledge-base documents (imports, community answers, past
-- incidents) as the source of truth that every process's local index
-- follows. seq is the change sequence of the row's last write; the single
-- writer (and SQLite's write lock across processes) makes it commit-ordered.
-- Deleted rows stay as tombstones so that followers learn of the delete.
CREATE TABLE kb_documents (
	id TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	fields TEXT NOT NULL,          -- the document as a JSON object ('{}' when deleted)
	updated_at INTEGER NOT NULL,   -- unix nanoseconds
	deleted INTEGER NOT NULL DEFAULT 0,
	seq INTEGER NOT NULL
);
CREATE UNIQUE INDEX kb_documents_seq ON kb_documents (seq);

-- seq: the highest sequence handed out; generation: bumped to ask every
-- follower to rebuild; store_id: this database's identity.
CREATE TABLE kb_meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
INSERT INTO kb_meta (key, value) VALUES ('seq', '0'), ('generation', '0'), ('store_id', lower(hex(randomblob(16))));
