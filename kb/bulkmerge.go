package kb

import (
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// Merging during a bulk load. scorch's merger merges the index's segments
// in the background as they arrive; during a bulk load that rewrites the
// same documents several times over (ten 2,000-document segments into one,
// then those again), on the cores the load itself needs. A Bulk pauses the
// merger of its index until Close, and the Optimize that follows a load
// merges every segment in one pass.
//
// The pause goes through scorch's pre-merge check (an event callback named
// in the index's runtime configuration): while an index is paused, the
// check waits for the resume, up to mergeGateWait at a time, then says
// "not now", and the merger asks again.

// mergeGateName names the event callback in scorch's registry.
const mergeGateName = "paybot-kb-merge-gate"

// mergeGateWait bounds one wait of the merger in the pre-merge check.
const mergeGateWait = 200 * time.Millisecond

var mergeGate = struct {
	mu     sync.Mutex
	paused map[*scorch.Scorch]chan struct{} // closed on resume
}{paused: map[*scorch.Scorch]chan struct{}{}}

func init() { scorch.RegistryEventCallbacks[mergeGateName] = mergeGateEvent }

func mergeGateEvent(e scorch.Event) bool {
	if e.Kind != scorch.EventKindPreMergeCheck {
		return true
	}
	mergeGate.mu.Lock()
	ch, paused := mergeGate.paused[e.Scorch]
	mergeGate.mu.Unlock()
	if !paused {
		return true
	}
	t := time.NewTimer(mergeGateWait)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}

// pauseMerges pauses idx's background merging; the returned func resumes
// it (calling it again does nothing). An index that is not scorch, or is
// paused already, is left alone.
func pauseMerges(idx bleve.Index) (resume func()) {
	adv, err := idx.Advanced()
	if err != nil {
		return func() {}
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return func() {}
	}
	mergeGate.mu.Lock()
	defer mergeGate.mu.Unlock()
	if _, dup := mergeGate.paused[s]; dup {
		return func() {}
	}
	ch := make(chan struct{})
	mergeGate.paused[s] = ch
	var once sync.Once
	return func() {
		once.Do(func() {
			mergeGate.mu.Lock()
			delete(mergeGate.paused, s)
			mergeGate.mu.Unlock()
			close(ch)
		})
	}
}
