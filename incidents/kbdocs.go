package incidents

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// KBDoc is one knowledge-base document as the store keeps it: the source of
// truth that every process's local search index follows (package
// kb/kbstore). The store does not interpret Fields.
type KBDoc struct {
	ID        string          // unique document id; required
	Kind      string          // document kind ("community", "incident", …)
	Fields    json.RawMessage // the document as a JSON object; empty when Deleted
	UpdatedAt time.Time       // when the change was written (caller's clock)
	Deleted   bool            // a tombstone: followers delete the id
	Seq       int64           // change sequence of the last write; set by the store
}

// KBState is the store's knowledge-base position.
type KBState struct {
	// StoreID identifies the database (or schema): a follower that finds a
	// different one has followed another store before and starts over.
	StoreID string
	// Seq is the highest change sequence committed (0: none yet).
	Seq int64
	// Generation is bumped by RequestKBRebuild; followers rebuild their
	// index when it moves.
	Generation int64
}

// KBDocStore keeps the knowledge-base documents and their change sequence.
// Implemented by incidents/sqlite and incidents/postgres;
// incidents/storetest.RunKBDocs checks both.
//
// Sequence numbers are commit-ordered: once KBChanges has returned a change
// with sequence n, no change with a sequence below n commits later, so a
// follower that remembers the highest sequence it applied never misses one.
type KBDocStore interface {
	// PutKBDocs writes documents (live ones and tombstones) in one
	// transaction; each gets the next sequence number, in order (a
	// repeated id: the last one wins). It returns the highest sequence
	// written (0 for no documents). Errors: ErrInvalid for an empty id or
	// a live document whose Fields are not a JSON object.
	PutKBDocs(ctx context.Context, docs []KBDoc) (int64, error)
	// KBChanges returns up to limit documents (live or deleted) whose
	// sequence is above after, in sequence order. Each id appears once,
	// in its latest state.
	KBChanges(ctx context.Context, after int64, limit int) ([]KBDoc, error)
	// KBState returns the store id, the highest committed sequence and
	// the rebuild generation.
	KBState(ctx context.Context) (KBState, error)
	// RequestKBRebuild bumps the rebuild generation and returns the new
	// value.
	RequestKBRebuild(ctx context.Context) (int64, error)
}

// ValidKBDoc checks a document before a store writes it. Errors: ErrInvalid.
func ValidKBDoc(d KBDoc) error {
	if d.ID == "" {
		return fmt.Errorf("%w: knowledge-base document without id", ErrInvalid)
	}
	if d.Deleted {
		return nil
	}
	// A valid JSON text that starts with '{' is an object: json.Valid
	// scans without building anything (kb import puts 100,000 at a time).
	if f := bytes.TrimLeft(d.Fields, " \t\r\n"); len(f) == 0 || f[0] != '{' || !json.Valid(f) {
		return fmt.Errorf("%w: knowledge-base document %q: fields are not a JSON object", ErrInvalid, d.ID)
	}
	return nil
}

// DedupKBDocs keeps the last document of each id, in the order of those
// last occurrences.
func DedupKBDocs(docs []KBDoc) []KBDoc {
	last := make(map[string]int, len(docs))
	for i, d := range docs {
		last[d.ID] = i
	}
	out := make([]KBDoc, 0, len(last))
	for i, d := range docs {
		if last[d.ID] == i {
			out = append(out, d)
		}
	}
	return out
}
