package discord

import "sync"

// seenSet remembers the last n event ids handed to the handler, so that a
// redelivered interaction or message costs no second handler call even
// before it reaches the durable inbox.
//
// It is per process on purpose, a cache that is safe to miss: the store's
// inbox is what makes an event take effect once on every replica (a
// redelivery to another replica is recorded as a duplicate there and
// acknowledged the same way).
type seenSet struct {
	mu    sync.Mutex
	ids   map[string]struct{}
	order []string
	next  int
}

func newSeenSet(n int) *seenSet {
	return &seenSet{ids: make(map[string]struct{}, n), order: make([]string, n)}
}

// claim marks id as seen and reports whether it was new.
func (s *seenSet) claim(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ids[id]; ok {
		return false
	}
	if old := s.order[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.order[s.next] = id
	s.next = (s.next + 1) % len(s.order)
	s.ids[id] = struct{}{}
	return true
}

// release forgets id, after the handler refused it, so a retry is handled.
func (s *seenSet) release(id string) {
	s.mu.Lock()
	delete(s.ids, id)
	s.mu.Unlock()
}
