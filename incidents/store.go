package incidents

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Errors returned by the domain and by every Store. Callers test them with
// errors.Is; adapters turn them into a sentence for the user.
var (
	ErrNotFound   = errors.New("not found")
	ErrConflict   = errors.New("changed by someone else, try again")
	ErrTransition = errors.New("status change not allowed")
	ErrInvalid    = errors.New("invalid")
	ErrDuplicate  = errors.New("already processed")
)

// EventKind is the kind of a timeline entry. Stores keep it as text.
type EventKind string

// Timeline event kinds (escalation.go adds the escalation and SLA ones).
const (
	EventCreated  EventKind = "created"
	EventAnswer   EventKind = "answer"
	EventSeverity EventKind = "severity"
	EventStatus   EventKind = "status"
	EventNote     EventKind = "note"
)

// TimelineEntry is one line of an incident's append-only history.
type TimelineEntry struct {
	Seq        int64             `json:"seq"` // assigned by the store
	IncidentID uuid.UUID         `json:"incident_id"`
	At         time.Time         `json:"at"`
	Actor      User              `json:"actor"`
	Kind       EventKind         `json:"kind"`
	Text       string            `json:"text"`
	Data       map[string]string `json:"data,omitempty"`
}

// Change is everything that must commit atomically with an incident write.
type Change struct {
	// Timeline entries to append.
	Timeline []TimelineEntry
	// EventKey, when set, marks a platform event as processed in the same
	// transaction, so a redelivery is recognised. If the key is already
	// marked processed the whole change is refused with ErrDuplicate.
	EventKey string
	// Jobs to schedule, job kinds of this incident to cancel, jobs (by id) to
	// mark done, and notifications to queue: all in the same transaction, so
	// a timer or a message exists exactly when the change that caused it does.
	Jobs       []Job
	CancelJobs []JobKind
	// CancelJobKeys cancels this incident's pending jobs by DedupeKey: timers
	// a change has made superseded (an SLA warning once its clock breached).
	CancelJobKeys []string
	CompleteJobs  []int64
	Notify        []Notification
}

// DefaultPruneBatch is how many rows a prune deletes per transaction when
// the caller gives no batch size: small enough that one batch holds its
// locks (the SQLite writer, PostgreSQL row locks) for milliseconds, so a
// prune of a large backlog never stalls the writes of a running bot.
const DefaultPruneBatch = 1000

// PruneInBatches calls deleteBatch(ctx, limit), each call a transaction of
// the store's that deletes at most limit rows, until a call deletes fewer
// than limit or ctx ends, and returns the total deleted. A batch <= 0 is
// DefaultPruneBatch. Both stores' prunes run on it. Errors: ctx's, or the
// first of deleteBatch's, with the total of the batches before it.
func PruneInBatches(ctx context.Context, batch int, deleteBatch func(ctx context.Context, limit int) (int64, error)) (int64, error) {
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := deleteBatch(ctx, batch)
		if err != nil {
			return total, err
		}
		total += n
		if n < int64(batch) {
			return total, nil
		}
	}
}

// PendingEvent is an inbound event received but not yet processed.
type PendingEvent struct {
	Key        string
	Payload    []byte
	ReceivedAt time.Time
}

// ListFilter selects incidents. Zero values select everything.
type ListFilter struct {
	Statuses []Status
	Platform string
	// Unthreaded selects only incidents with no thread yet: their card is
	// on its way, or could not be posted (parked).
	Unthreaded bool
	// OriginChannel, when set, selects incidents opened from that channel
	// (Origin.Channel, whatever their thread is now).
	OriginChannel string
	// Reporter, when set, selects incidents whose reporter has that
	// platform user id (Reporter.ID).
	Reporter string
	// Title, when set, selects incidents with that title, ASCII letters
	// compared without case and every other character as it is, in both
	// stores (SQLite's NOCASE; PostgreSQL's lower() under "C").
	Title string
	Limit int
}

// Store keeps incidents durably. Implementations: incidents/sqlite and
// incidents/postgres; incidents/storetest holds the conformance suite both run.
// Durable timers (JobStore) and the outbox (OutboxStore) are part of the
// contract: a store without them cannot keep the promise that a timer or a
// message exists exactly when the change that caused it does.
type Store interface {
	JobStore
	OutboxStore

	// CreateIncident assigns inc.Ref (PAY-<n>, unique per store) and Version 1,
	// and inserts it with the change. Errors: ErrDuplicate when ch.EventKey
	// was already processed.
	CreateIncident(ctx context.Context, inc *Incident, ch Change) error

	// UpdateIncident saves inc when the stored version equals inc.Version, then
	// increments inc.Version. Errors: ErrNotFound, ErrConflict on a stale
	// version, ErrDuplicate when ch.EventKey was already processed.
	UpdateIncident(ctx context.Context, inc *Incident, ch Change) error

	// Incident returns the incident with id. Errors: ErrNotFound.
	Incident(ctx context.Context, id uuid.UUID) (*Incident, error)

	// IncidentByRef looks up "PAY-12" (case-insensitive). Errors: ErrNotFound.
	IncidentByRef(ctx context.Context, ref string) (*Incident, error)

	// IncidentByConversation returns the incident whose thread is c.
	// Errors: ErrNotFound.
	IncidentByConversation(ctx context.Context, c Conversation) (*Incident, error)

	// ListIncidents returns matching incidents, newest first.
	ListIncidents(ctx context.Context, f ListFilter) ([]*Incident, error)

	// Timeline returns an incident's entries in order. Errors: ErrNotFound
	// when the incident does not exist.
	Timeline(ctx context.Context, id uuid.UUID) ([]TimelineEntry, error)

	// EventProcessed reports whether a platform event key has been marked
	// processed.
	EventProcessed(ctx context.Context, key string) (bool, error)

	// MarkEventProcessed records key as processed without any other change,
	// clearing its stored payload. It returns ErrDuplicate when it already was.
	MarkEventProcessed(ctx context.Context, key string, at time.Time) error

	// EnqueueEvent durably records an inbound event before the platform is
	// acknowledged, so work survives a crash between ack and processing.
	// messageKeys are the platform's ids of the message itself (Slack
	// channel+ts and client_msg_id, Discord message id); they are recorded in
	// the same transaction, as processed keys, so the same message under a
	// second envelope key is recognised. Errors: ErrDuplicate when key or
	// any of messageKeys was received before (processed or not); nothing is
	// recorded then.
	EnqueueEvent(ctx context.Context, key string, payload []byte, at time.Time, messageKeys ...string) error

	// PruneInbox deletes processed inbox keys received before before, in
	// transactions of at most batch keys (batch <= 0: DefaultPruneBatch), and
	// returns how many went. Unprocessed events are kept whatever their age.
	// On an error (a cancelled ctx included) it returns the count deleted by
	// the batches that committed, and the error.
	PruneInbox(ctx context.Context, before time.Time, batch int) (int64, error)

	// PendingEvents returns enqueued events not yet marked processed, oldest
	// first, at most limit of them.
	PendingEvents(ctx context.Context, limit int) ([]PendingEvent, error)

	// Close releases the store.
	Close() error
}

// Clock tells the time. Production uses SystemClock; tests use a fake that
// they move forward by hand.
type Clock interface {
	Now() time.Time
}

// SystemClock reads the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }
