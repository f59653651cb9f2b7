package kbstore

import (
	"context"
	"io"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/kb"
)

// Import reads JSON Lines from r (kb.ParseStream: parsed and masked in
// parallel, bad lines reported with their line numbers) and writes the
// documents to the store, batch by batch, and to the local index, once.
//
// The index is not filled by reading the store back: each batch goes to
// the store, then straight into a kb.Bulk load, while the next batch is
// parsed and written. That is the same as catching up only when the
// batch's change sequences are the ones that follow what the index holds:
// no other writer committed in between. When one did (a running paybot
// learned an answer meanwhile), the load is closed and the index catches
// up from the store as usual (which applies that batch too), then a new
// load goes on. The position (follow.json) moves only after the load has
// closed, so a crash part way re-applies the batches from the store at the
// next start. Other processes find the documents at their next poll.
// Errors: ctx's, the store's or the index's; the batches written before
// an error stay in the store.
func (f *Follower) Import(ctx context.Context, r io.Reader, progress kb.ImportProgress) (kb.ImportStats, []kb.LineError, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.catchUp(ctx); err != nil {
		return kb.ImportStats{}, nil, err
	}
	bulk, err := f.ix.Bulk(ctx)
	if err != nil {
		return kb.ImportStats{}, nil, err
	}
	// seq: every change up to it is in the index or in the bulk load.
	seq := f.pos.Seq
	closeBulk := func() error {
		err := bulk.Close()
		bulk = nil
		if err != nil {
			return err
		}
		f.pos.Seq = seq
		if err := f.writePosition(); err != nil {
			return err
		}
		f.applied.Store(seq)
		return nil
	}
	now := f.opts.Clock().UTC()
	st, problems, err := kb.ParseStream(ctx, r, kb.ImportBatch, progress, func(p kb.Parsed) error {
		recs := storeRecords(p, now)
		// next: the highest sequence written; seq moves to it only once
		// the batch is in the bulk load, so that an error leaves the
		// position before the batch.
		next, follows := seq, true
		for len(recs) > 0 {
			n := min(len(recs), writeBatch)
			last, err := f.st.PutKBDocs(ctx, recs[:n])
			if err != nil {
				return err
			}
			// The store numbers the documents of one write in a row
			// (a repeated id once): they follow next exactly when no
			// other write came in between.
			if last-int64(len(incidents.DedupKBDocs(recs[:n]))) != next {
				follows = false
			}
			next = max(next, last)
			recs = recs[n:]
		}
		if follows {
			if bulk == nil {
				var err error
				if bulk, err = f.ix.Bulk(ctx); err != nil {
					return err
				}
			}
			if err := bulk.AddParsed(p); err != nil {
				return err
			}
			seq = next
			return nil
		}
		// Another writer came in between: apply the store's changes in
		// order instead (this batch among them).
		if bulk != nil {
			if err := closeBulk(); err != nil {
				return err
			}
		}
		if err := f.catchUp(ctx); err != nil {
			return err
		}
		seq = f.pos.Seq
		return nil
	})
	if bulk != nil {
		if cerr := closeBulk(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return st, problems, err
	}
	return st, problems, f.catchUp(ctx)
}

// storeRecords makes the store's records of a parsed batch: the
// documents as kb.ParseStream returns them (as kb.Normalise would: masked
// and checked), with the JSON it encoded.
func storeRecords(p kb.Parsed, now time.Time) []incidents.KBDoc {
	recs := make([]incidents.KBDoc, p.Len())
	for i, d := range p.Docs() {
		recs[i] = incidents.KBDoc{ID: d.ID, Kind: d.Kind, Fields: p.JSON(i), UpdatedAt: now}
	}
	return recs
}
