// Package sqlite is Paybot's embedded incidents.Store: one SQLite file,
// through the pure-Go modernc.org/sqlite driver (no cgo).
//
// # Durability and concurrency
//
// The file runs in WAL mode with synchronous=FULL, a 5 s busy timeout and
// foreign keys on (set as DSN pragmas on every connection). A nil error from
// a write means it is on disk.
//
// Writes go through a single connection owned by one writer goroutine, so
// they never meet SQLITE_BUSY inside the process. The writer practises group
// commit: while one transaction is being fsynced, new writes queue up; the
// writer then runs all queued writes (up to 128) in one BEGIN IMMEDIATE
// transaction, each inside its own SAVEPOINT, and commits them with one
// fsync. A write that fails (ErrConflict, ErrDuplicate, ErrNotFound) is
// rolled back to its savepoint alone, so each call is still atomic and
// isolated on its own, and concurrent callers share the cost of the sync.
// Under no contention a batch is a single write and nothing waits for a
// timer. Reads use a separate pool of query_only connections; in WAL mode
// they run beside the writer and see every committed write.
//
// A write whose context ends while it is still queued is skipped and returns
// the context's error; once the writer has started it, the call waits for
// the outcome, so an error always means nothing was written.
//
// # Schema
//
// Migrations are embedded SQL files, migrations/NNNN_name.sql, applied in
// order in one transaction on Open and recorded in schema_migrations; Open
// refuses a file that a newer binary has migrated further. Times are stored
// as INTEGER unix nanoseconds (UTC, exact round-trip; 0 is the zero time).
// Reporter, origin, details and intake are JSON text; the conversation is
// split into indexed columns for IncidentByConversation. Refs come from a
// counter row, so they are never reused, and the timeline table refuses
// UPDATE and DELETE by trigger. The inbox keeps every event key, received or
// done; nothing prunes it yet.
package sqlite
