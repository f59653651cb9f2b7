// Package kbstore makes the store (SQLite or PostgreSQL) the source of truth
// of the knowledge base's own documents — imports, community answers and
// past incidents — and keeps each process's local bleve index following it.
//
// Writers put documents into the store (Write, or Follower.Upsert, which
// also applies them to the local index at once). Follower.Import (paybot
// kb import) streams a JSON Lines file into the store and the local index
// in one pass, batch by batch, without reading the store back. Every process that
// searches runs a Follower: at start it catches up from the last change
// sequence it applied (kept in follow.json beside the index), then polls
// the store every 500 ms. A rebuild is requested through the store (a
// generation number); every follower then rebuilds its index beside the
// live one and swaps it in (kb.Index.Rebuild).
//
// The Markdown articles (starter set and articles directory) are not in
// the store: every process indexes them from its binary and configuration.
//
// OpenIndex opens the data directory's index, or, when another process
// holds it (a running `paybot serve`), a spare index of its own under
// <data>/kb-replicas/N that catches up from the store the same way.
package kbstore
