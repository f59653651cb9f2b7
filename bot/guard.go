package bot

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// ErrInternal is what a panic inside the handling of one event, one job or
// one delivery becomes (see guard).
var ErrInternal = errors.New("internal error")

// guard runs fn and turns a panic in it into an error wrapping ErrInternal,
// logged with its stack. One event that trips a bug must not take the
// process down: an accepted event is replayed by every replica's sweep and
// at every start, so a panic there would crash the whole deployment again
// and again. As an error, the event is answered ("something went wrong")
// and marked processed, a job waits out its lease, and a delivery counts
// as a failed attempt. The panic value is logged, never the event's text.
func (e *Engine) guard(what, id string, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("panic recovered", "in", what, "id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("%w in %s", ErrInternal, what)
		}
	}()
	return fn()
}
