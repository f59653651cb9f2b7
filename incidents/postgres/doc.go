// Package postgres is the incidents.Store for several Paybot replicas on one
// PostgreSQL database (pgx v5). It passes the same conformance suite as the
// embedded sqlite store (incidents/storetest), jobs, outbox, pacing and stats
// included.
//
//   - Connections come from pgxpool, which pings a connection idle for more
//     than a second before handing it out and replaces dead ones, so a server
//     restart costs no failed calls once it is back. Open connects with a
//     timeout (connect_timeout, default 5 s) and migrates, so a database that
//     is down is an error at start, never a hang.
//   - No call waits on the server without a bound (bound.go): each statement
//     and batch gets at most 30 s (a caller's earlier deadline wins), the
//     ping of an idle connection 5 s, and the LISTEN connection checks that
//     it still answers after 30 s without a notification. A connection whose
//     peer vanished without closing it (a partition, a dead host) fails its
//     call instead of holding a goroutine and a pool slot forever, and the
//     store works again once the server is reachable, without a restart.
//   - Migrations (migrations/NNNN_name.sql) run in one transaction under an
//     advisory lock scoped to the schema: replicas starting together migrate
//     one at a time, and a schema newer than the binary is refused.
//   - An incident change (inbox mark, versioned update, timeline, jobs,
//     notifications) travels as one pipelined batch that the server runs as
//     one implicit transaction; paybot_check (0071) raises PBDUP or PBVER to
//     abort it on a redelivered event or a stale version. One round trip and
//     one WAL flush per change.
//   - Jobs and outbox messages are claimed with FOR UPDATE SKIP LOCKED and a
//     lease (claimed_until), so replicas claim disjoint work and a dead
//     replica's claims come back when the lease ends; a delivering worker
//     heartbeats with ExtendClaim.
//   - The outbox is one queue per channel_key (0100): a claim takes only
//     the head of each queue (no lower pending id in its channel), so a
//     channel has one delivery in flight across all replicas, in id order,
//     and a paced or retrying channel holds up no other. Ids follow commit
//     order for causally ordered changes (one incident's changes serialise
//     on its row); two unrelated changes committing at once may interleave.
//   - Jobs without an incident (the digest) carry the nil uuid; 0100 drops
//     the jobs -> incidents foreign key for them.
//   - channel_pacing (0070) spaces outbound chat messages per channel for all
//     replicas with one atomic upsert per message.
//
// Tests need a server: PAYBOT_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable); each test uses a
// schema of its own and drops it.
package postgres
