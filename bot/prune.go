package bot

import (
	"context"
	"errors"
	"time"
)

// Pruning: what the store keeps only for a while. Processed inbox keys,
// sent and dead notifications and finished jobs are deleted once older than
// their retention, at start and then hourly (RunPrune: Run starts it for
// serve, the console chat starts it beside its scheduler), in small batches
// (incidents.DefaultPruneBatch) so a large backlog never holds the store's
// locks for long. With several replicas each prunes; their batches skip
// each other's rows.
//
// What dedupe still needs is kept. An inbox key is what makes a redelivery
// harmless, for inbox_retention (platforms retry within minutes). The keys
// of the notifications the bot queues are each unique to the change that
// queues them (an event id, an incident version, an escalation round, a
// reopen count, a time), or are queued once by a state change that cannot
// happen twice (a card, its thread's welcome), so a sent row is not needed
// to stop a repeat; a reply's key derives from its event, which the inbox
// dedupes. (A pruned key can come back only where a repeat is right: the
// "card is late" notice of a parked incident whose card is queued again
// days later is said again.) The card found again after a crash
// (PostFinder) is looked up in the platform's history, not the outbox,
// and only while its notification is pending, which is never pruned.
//
// Not pruned, on purpose: incidents and their timelines (the history the
// reports read); gateway_posts, the keys of status-page notices posted (a
// few rows a week per provider, and a key must outlive its event, which a
// status page may list for weeks); knowledge-base tombstones (a follower
// that has not applied a delete yet needs it; one row per id ever
// deleted); channel_pacing (one row per channel). Finished jobs of active incidents are kept by the store
// (incidents.JobStore.PruneJobs): every change of one re-schedules its SLA
// timers under the same keys. The digest's jobs are keyed by their due
// time, and only a future one is ever scheduled.

// Default retentions.
const (
	defaultInboxRetention  = 7 * 24 * time.Hour
	defaultOutboxRetention = 7 * 24 * time.Hour
	// Dead notifications are what an operator investigates after an
	// outage (paybot_outbox_dead counts them): kept longer.
	defaultDeadRetention = 30 * 24 * time.Hour
	defaultJobRetention  = 7 * 24 * time.Hour
)

// retention is how long the outbox and jobs keep finished rows.
type retention struct {
	sent, dead, jobs time.Duration
}

func retentionOf(cfg Config) retention {
	r := retention{sent: cfg.OutboxRetention, dead: cfg.DeadRetention, jobs: cfg.JobRetention}
	if r.sent <= 0 {
		r.sent = defaultOutboxRetention
	}
	if r.dead <= 0 {
		r.dead = defaultDeadRetention
	}
	if r.jobs <= 0 {
		r.jobs = defaultJobRetention
	}
	return r
}

// Pruned counts the rows a prune deleted.
type Pruned struct {
	Inbox  int64 // processed event keys
	Outbox int64 // sent and dead notifications
	Jobs   int64 // done and cancelled jobs
}

// PruneInbox forgets processed event keys older than the retention window
// and returns how many went.
func (e *Engine) PruneInbox(ctx context.Context) (int64, error) {
	return e.store.PruneInbox(ctx, e.clock.Now().Add(-e.retention), 0)
}

// Prune deletes every finished row older than its retention: processed
// inbox keys, sent and dead notifications, done and cancelled jobs. It
// goes on after a part fails and returns the counts with the errors joined.
func (e *Engine) Prune(ctx context.Context) (Pruned, error) {
	now := e.clock.Now()
	var p Pruned
	var errs []error
	var err error
	if p.Inbox, err = e.PruneInbox(ctx); err != nil {
		errs = append(errs, err)
	}
	if p.Outbox, err = e.store.PruneOutbox(ctx, now.Add(-e.keep.sent), now.Add(-e.keep.dead), 0); err != nil {
		errs = append(errs, err)
	}
	if p.Jobs, err = e.store.PruneJobs(ctx, now.Add(-e.keep.jobs), 0); err != nil {
		errs = append(errs, err)
	}
	return p, errors.Join(errs...)
}

// defaultPruneEvery is how often RunPrune prunes.
const defaultPruneEvery = time.Hour

// RunPrune prunes at once and then every interval (<= 0: hourly) until
// ctx is done.
func (e *Engine) RunPrune(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = defaultPruneEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		e.prune(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// prune runs Prune for RunPrune and logs what it did.
func (e *Engine) prune(ctx context.Context) {
	p, err := e.Prune(ctx)
	if err != nil && ctx.Err() == nil {
		e.log.Error("pruning finished rows", "err", err)
	}
	if p != (Pruned{}) {
		e.log.Info("pruned finished rows", "inbox_keys", p.Inbox, "notifications", p.Outbox, "jobs", p.Jobs,
			"inbox_retention", e.retention, "sent_retention", e.keep.sent, "dead_retention", e.keep.dead, "job_retention", e.keep.jobs)
	}
}
