package incidents

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Timeline kinds written by escalation, SLA and reminders.
const (
	EventEscalation EventKind = "escalation"
	EventAck        EventKind = "ack"
	EventSLA        EventKind = "sla"
	EventReminder   EventKind = "reminder"
	EventResolution EventKind = "resolution"
)

// JobKind is the kind of a durable timer. Stores keep it as text.
type JobKind string

// Job kinds.
const (
	JobLadderStep     JobKind = "ladder_step"
	JobSLAWarning     JobKind = "sla_warning"
	JobSLABreach      JobKind = "sla_breach"
	JobUpdateReminder JobKind = "update_reminder"
)

// Job statuses.
const (
	JobPending   = "pending"
	JobDone      = "done"
	JobCancelled = "cancelled"
)

// Job is a durable timer: something to do for an incident at DueAt.
type Job struct {
	ID         int64             `json:"id"` // assigned by the store
	IncidentID uuid.UUID         `json:"incident_id"`
	Kind       JobKind           `json:"kind"`
	DueAt      time.Time         `json:"due_at"`
	Payload    map[string]string `json:"payload,omitempty"`
	Status     string            `json:"status"`
	// ClaimedUntil is the lease of the worker running it; after it passes the
	// job can be claimed again.
	ClaimedUntil time.Time `json:"claimed_until"`
	Attempts     int       `json:"attempts"`
	// DedupeKey is unique across all jobs; scheduling a job whose key exists
	// does nothing.
	DedupeKey string `json:"dedupe_key"`
}

// NotifyKind is the kind of an outbound notification. Stores keep it as
// text.
type NotifyKind string

// Notification kinds.
const (
	NotifyThreadPost NotifyKind = "thread_post"
	NotifyDM         NotifyKind = "dm"
	NotifyEmail      NotifyKind = "email"
	NotifyCardUpdate NotifyKind = "card_update"
	// NotifyCard posts an incident's card, opens its thread and links both
	// to the incident (Incident.CardMessage, Incident.Conversation).
	NotifyCard NotifyKind = "card"
)

// Notification statuses.
const (
	NotifyPending = "pending"
	NotifySent    = "sent"
	NotifyDead    = "dead" // gave up after too many attempts
)

// Notification is one outbound message in the outbox.
type Notification struct {
	ID         int64      `json:"id"` // assigned by the store
	IncidentID uuid.UUID  `json:"incident_id"`
	Kind       NotifyKind `json:"kind"`
	// Payload is the JSON the delivering worker understands (for the bot, a
	// bot.Message plus the recipient).
	Payload []byte `json:"payload"`
	// DedupeKey is unique; queueing a notification whose key exists does
	// nothing, and the key travels with the message so a receiver can drop a
	// repeat.
	DedupeKey string `json:"dedupe_key"`
	// ChannelKey names the delivery queue (for the bot: platform and
	// channel). Notifications of one key are delivered one at a time, in
	// queue order; different keys are independent, so one paced or flooded
	// channel never delays another. Empty means a queue of its own.
	ChannelKey string `json:"channel_key,omitempty"`
	// ReplyToken is the platform's short-lived route back to the person who
	// caused the message (Slack response_url, Discord interaction). Stores
	// forget it once the notification is sent or dead.
	ReplyToken    string     `json:"reply_token,omitempty"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	ClaimedUntil  time.Time  `json:"claimed_until"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// JobStore keeps durable timers; part of Store.
type JobStore interface {
	// ScheduleJobs inserts jobs outside an incident change; a job whose
	// DedupeKey exists is skipped.
	ScheduleJobs(ctx context.Context, jobs []Job) error
	// ClaimDueJobs leases up to limit pending jobs due at or before now whose
	// lease has expired, oldest due first, until now+lease, counting an
	// attempt.
	ClaimDueJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Job, error)
	// NextDue returns the due time of the earliest pending job; ok is false
	// when there is none.
	NextDue(ctx context.Context) (due time.Time, ok bool, err error)
	// CompleteJob marks a job done. Errors: ErrNotFound.
	CompleteJob(ctx context.Context, id int64, at time.Time) error
	// Jobs lists an incident's jobs, pending first, by due time.
	Jobs(ctx context.Context, incident uuid.UUID) ([]Job, error)
	// PruneJobs deletes done and cancelled jobs that finished before
	// before, in transactions of at most batch rows (batch <= 0:
	// DefaultPruneBatch), and returns how many went. Pending jobs are never
	// pruned, and neither are the finished jobs of an active incident
	// (ActiveStatuses): every change of one schedules its SLA timers again
	// under the same dedupe keys, and the finished row is what keeps a
	// warning already posted from being posted twice. Once the incident is
	// resolved or cancelled nothing schedules those keys again (a reopen
	// starts a new round with keys of its own). On an error (a cancelled
	// ctx included) it returns the count of the batches that committed.
	PruneJobs(ctx context.Context, before time.Time, batch int) (int64, error)
}

// OutboxStore keeps outbound notifications; part of Store.
type OutboxStore interface {
	// QueueNotifications inserts notifications outside an incident change; a
	// duplicate DedupeKey is skipped.
	QueueNotifications(ctx context.Context, ns []Notification) error
	// CommitEvent commits a change that touches no incident: it marks
	// ch.EventKey processed (when set) and queues ch.Notify in one
	// transaction, so a reply exists exactly when its event counts as
	// handled. Errors: ErrDuplicate when ch.EventKey was already processed
	// (nothing is queued then), ErrInvalid for a malformed notification.
	CommitEvent(ctx context.Context, ch Change) error
	// ClaimNotifications leases up to limit pending notifications until
	// now+lease, counting an attempt: for each ChannelKey only the oldest
	// pending one, and only when its NextAttemptAt has come and no lease on
	// it is running. So a channel has at most one delivery in flight, and
	// its messages go out in queue order.
	ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Notification, error)
	// ExtendClaim moves the lease of a claimed, still pending notification
	// to until: the worker delivering it heartbeats, so a slow delivery is
	// never claimed a second time. Errors: ErrNotFound when it is no longer
	// pending.
	ExtendClaim(ctx context.Context, id int64, until time.Time) error
	// MarkSent records delivery and forgets the ReplyToken. Errors:
	// ErrNotFound.
	MarkSent(ctx context.Context, id int64, at time.Time) error
	// MarkFailed records a failed attempt and releases the lease so the next
	// attempt happens at retryAt; dead gives up for good, and retryAt is
	// then kept as the time it was given up (PruneOutbox ages dead rows by
	// it). Errors: ErrNotFound.
	MarkFailed(ctx context.Context, id int64, retryAt time.Time, errText string, dead bool) error
	// ReleaseClaim hands a claimed, still pending notification back
	// without counting the attempt its claim counted, to be claimed again
	// from retryAt: for a process that could not try it at all (it runs no
	// adapter for the platform, or it is shutting down). Such claims must
	// not use up the retries, nor grow the backoff, of the process that
	// can deliver it. Errors: ErrNotFound when it is no longer pending.
	ReleaseClaim(ctx context.Context, id int64, retryAt time.Time) error
	// Notifications lists an incident's notifications in queue order.
	Notifications(ctx context.Context, incident uuid.UUID) ([]Notification, error)
	// PruneOutbox deletes sent notifications sent before sentBefore and
	// dead ones given up before deadBefore, in transactions of at most
	// batch rows (batch <= 0: DefaultPruneBatch), and returns how many went.
	// Pending notifications are never pruned. A pruned row's DedupeKey is
	// free again: every key the bot queues is unique to the change that
	// queues it (an event id, an incident version, a round, a time) or is
	// guarded by the inbox or an incident's state for as long as a repeat
	// could come (bot/outbox.go). On an error (a cancelled ctx included) it
	// returns the count of the batches that committed.
	PruneOutbox(ctx context.Context, sentBefore, deadBefore time.Time, batch int) (int64, error)
}
