-- 0110: the knowledge-base documents (imports, community answers, past
-- incidents) as the source of truth that every replica's local index
-- follows. seq is the change sequence of the row's last write. Writers take
-- a transaction-level advisory lock before drawing from kb_seq, so sequence
-- order is commit order: a follower never skips a change committed late.
-- Deleted rows stay as tombstones so that followers learn of the delete.
CREATE SEQUENCE kb_seq;
CREATE TABLE kb_documents (
	id text PRIMARY KEY,
	kind text NOT NULL,
	fields text NOT NULL,          -- the document as a JSON object ('{}' when deleted)
	updated_at timestamptz NOT NULL,
	deleted boolean NOT NULL DEFAULT false,
	seq bigint NOT NULL
);
CREATE UNIQUE INDEX kb_documents_seq ON kb_documents (seq);

-- generation: bumped to ask every replica to rebuild; store_id: this
-- schema's identity.
CREATE TABLE kb_meta (
	key text PRIMARY KEY,
	value text NOT NULL
);
INSERT INTO kb_meta (key, value) VALUES ('generation', '0'), ('store_id', md5(random()::text || clock_timestamp()::text));
