package incidents

import (
	"encoding/json"
	"fmt"
	"time"
)

// EncodedPayload checks that j can be stored (a kind and a dedupe key) and
// returns its payload as JSON, or nil when it has none. Both stores call it,
// so a job is refused or accepted the same way on SQLite and PostgreSQL.
// Errors: ErrInvalid.
func (j Job) EncodedPayload() ([]byte, error) {
	if j.Kind == "" || j.DedupeKey == "" {
		return nil, fmt.Errorf("%w: job needs a kind and a dedupe key", ErrInvalid)
	}
	if len(j.Payload) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(j.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: job payload: %v", ErrInvalid, err)
	}
	return b, nil
}

// Normalized checks that n can be stored (a kind, a dedupe key and a
// payload) and fills what a store would otherwise default: NextAttemptAt and
// CreatedAt become now when zero, and an empty ChannelKey a queue of its own
// ("n:" and the dedupe key). Both stores call it. Errors: ErrInvalid.
func (n Notification) Normalized(now time.Time) (Notification, error) {
	if n.Kind == "" || n.DedupeKey == "" || n.Payload == nil {
		return n, fmt.Errorf("%w: notification needs a kind, a dedupe key and a payload", ErrInvalid)
	}
	if n.NextAttemptAt.IsZero() {
		n.NextAttemptAt = now
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = now
	}
	if n.ChannelKey == "" {
		n.ChannelKey = "n:" + n.DedupeKey
	}
	return n, nil
}
