package kbstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/kb"
)

// Store is what the knowledge base needs of the store; incidents/sqlite and
// incidents/postgres implement it (incidents/storetest.RunKBDocs).
type Store interface {
	PutKBDocs(ctx context.Context, docs []incidents.KBDoc) (int64, error)
	KBChanges(ctx context.Context, after int64, limit int) ([]incidents.KBDoc, error)
	KBState(ctx context.Context) (incidents.KBState, error)
	RequestKBRebuild(ctx context.Context) (int64, error)
}

var _ Store = incidents.KBDocStore(nil)

// writeBatch is how many documents go into one store transaction.
const writeBatch = 1000

// Write normalises docs (kb.Normalise) and puts them into the store in
// transactions of up to 1,000 documents, stamped with now. It returns the
// highest sequence written. A document that fails normalisation stops the
// write before anything is stored. Errors: the normalisation error, or the
// store's.
func Write(ctx context.Context, st Store, now time.Time, docs ...kb.Doc) (int64, error) {
	recs := make([]incidents.KBDoc, 0, len(docs))
	for _, d := range docs {
		nd, err := kb.Normalise(d)
		if err != nil {
			return 0, fmt.Errorf("kb: %w", err)
		}
		raw, err := json.Marshal(nd)
		if err != nil {
			return 0, fmt.Errorf("kb: %q: %w", nd.ID, err)
		}
		recs = append(recs, incidents.KBDoc{ID: nd.ID, Kind: nd.Kind, Fields: raw, UpdatedAt: now})
	}
	return put(ctx, st, recs)
}

// Remove writes tombstones for ids. Empty ids are skipped.
func Remove(ctx context.Context, st Store, now time.Time, ids ...string) (int64, error) {
	recs := make([]incidents.KBDoc, 0, len(ids))
	for _, id := range ids {
		if id != "" {
			recs = append(recs, incidents.KBDoc{ID: id, Deleted: true, UpdatedAt: now})
		}
	}
	return put(ctx, st, recs)
}

func put(ctx context.Context, st Store, recs []incidents.KBDoc) (int64, error) {
	var last int64
	for len(recs) > 0 {
		n := min(len(recs), writeBatch)
		seq, err := st.PutKBDocs(ctx, recs[:n])
		if err != nil {
			return last, err
		}
		last = max(last, seq)
		recs = recs[n:]
	}
	return last, nil
}

// maxSpares bounds the spare index directories <data>/kb-replicas/1..N.
const maxSpares = 8

// OpenIndex opens the knowledge-base index of dataDir. When another
// process holds it, it opens the first free spare index under
// dataDir/kb-replicas/N instead (creating it; a follower fills it from the
// store). It returns the directory the index lives in (give it to
// Options.Dir) and whether it is a spare. Errors: kb.ErrIndexInUse when
// every spare is in use too, or the index's error.
func OpenIndex(ctx context.Context, dataDir string, opts kb.Options) (*kb.Index, string, bool, error) {
	ix, err := kb.Open(ctx, dataDir, opts)
	if err == nil {
		return ix, dataDir, false, nil
	}
	if !errors.Is(err, kb.ErrIndexInUse) {
		return nil, "", false, err
	}
	spareOpts := opts
	spareOpts.Timeout = 50 * time.Millisecond
	for i := 1; i <= maxSpares; i++ {
		dir := filepath.Join(dataDir, "kb-replicas", strconv.Itoa(i))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, "", false, fmt.Errorf("kb: %w", err)
		}
		ix, err := kb.Open(ctx, dir, spareOpts)
		if err == nil {
			return ix, dir, true, nil
		}
		if !errors.Is(err, kb.ErrIndexInUse) {
			return nil, "", false, err
		}
	}
	return nil, "", false, fmt.Errorf("%w: and all %d spare indexes under %s too", kb.ErrIndexInUse, maxSpares, filepath.Join(dataDir, "kb-replicas"))
}
