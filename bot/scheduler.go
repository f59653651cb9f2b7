package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paybot/paybot/incidents"
)

// jobLease is how long a claimed job stays claimed; a process that dies
// while running one leaves it to be reclaimed this much later.
const jobLease = 15 * time.Second

// lateAfter is how far past its due time a job counts as late (Paybot was
// down or stuck) and says so.
const lateAfter = 10 * time.Second

// RunScheduler runs due jobs every tick until ctx is done. Jobs live in the
// store, so a job due while Paybot was down runs once when it is back.
func (e *Engine) RunScheduler(ctx context.Context, tick time.Duration) error {
	js, ok := e.store.(incidents.JobStore)
	if !ok {
		return nil
	}
	if tick <= 0 {
		tick = time.Second
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		if _, err := e.RunDueJobs(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("scheduler", "err", err)
		}
		// Sleep one tick, or less when a job falls due sooner, so a job
		// runs at its due time rather than at the next tick after it.
		wait := tick
		if due, ok, err := js.NextDue(ctx); err == nil && ok {
			if d := due.Sub(e.clock.Now()); d < wait {
				wait = max(d, 5*time.Millisecond)
			}
		}
		timer.Reset(wait)
	}
}

func (e *Engine) RunDueJobs(ctx context.Context) (int, error) {
	js, ok := e.store.(incidents.JobStore)
	if !ok {
		return 0, nil
	}
	e.ensureDigest(ctx) // review.go
	var ran atomic.Int64
	for {
		now := e.clock.Now()
		jobs, err := js.ClaimDueJobs(ctx, now, jobLease, 100)
		if err != nil {
			return int(ran.Load()), err
		}
		// Jobs of different incidents run side by side, so their commits
		// share fsyncs; runJob serialises jobs of one incident.
		sem := make(chan struct{}, jobParallelism)
		var wg sync.WaitGroup
		for _, j := range jobs {
			wg.Add(1)
			sem <- struct{}{}
			go func(j incidents.Job) {
				defer func() { <-sem; wg.Done() }()
				if err := e.guard("job", fmt.Sprintf("%s:%d", j.Kind, j.ID), func() error { return e.runJob(ctx, js, j) }); err != nil {
					// The lease runs out and the job is tried again.
					e.log.Error("job failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "err", err)
					return
				}
				ran.Add(1)
			}(j)
		}
		wg.Wait()
		if len(jobs) < 100 {
			break
		}
	}
	if ran.Load() > 0 {
		// The outbox delivers what the jobs queued, channel by channel; the
		// scheduler never waits on a paced or rate-limited channel.
		e.kickOutbox()
	}
	return int(ran.Load()), nil
}

// jobParallelism bounds how many due jobs run at once.
const jobParallelism = 16

func (e *Engine) runJob(ctx context.Context, js incidents.JobStore, j incidents.Job) error {
	if j.Kind == incidents.JobDigest {
		return e.runDigest(ctx, js, j) // review.go: a system job, no incident
	}
	inc, err := e.store.Incident(ctx, j.IncidentID)
	if errors.Is(err, incidents.ErrNotFound) {
		return js.CompleteJob(ctx, j.ID, e.clock.Now())
	}
	if err != nil {
		return err
	}
	unlock := e.lock(inc.Conversation)
	defer unlock()
	// Re-read under the conversation lock so no event interleaves.
	if inc, err = e.store.Incident(ctx, j.IncidentID); err != nil {
		return err
	}
	now := e.clock.Now()
	late := ""
	if d := now.Sub(j.DueAt); d > lateAfter {
		late = fmt.Sprintf("late by %s: Paybot was not running when it was due at %s", incidents.FmtDuration(d), j.DueAt.UTC().Format("15:04:05 MST"))
	}
	ch := incidents.Change{CompleteJobs: []int64{j.ID}}
	switch j.Kind {
	case incidents.JobLadderStep:
		e.ladderStep(ctx, inc, j, now, late, &ch)
	case incidents.JobSLAWarning, incidents.JobSLABreach:
		e.slaJob(inc, j, now, late, &ch)
	case incidents.JobUpdateReminder:
		e.reminderJob(inc, j, now, late, &ch)
	}
	if len(ch.Timeline) == 0 && len(ch.Notify) == 0 {
		return js.CompleteJob(ctx, j.ID, now)
	}
	inc.UpdatedAt = now
	e.lifecycle(inc, &ch)
	err = e.store.UpdateIncident(ctx, inc, ch)
	if errors.Is(err, incidents.ErrConflict) {
		return err // someone changed it meanwhile; the retry sees the new state
	}
	return err
}

var paybotUser = User{Platform: "paybot", ID: "paybot", Name: "Paybot"}

func (e *Engine) ladderStep(ctx context.Context, inc *incidents.Incident, j incidents.Job, now time.Time, late string, ch *incidents.Change) {
	p := j.Payload
	if inc.Status != incidents.StatusEscalated || inc.Escalation.Acked() || p["round"] != strconv.Itoa(inc.Escalation.Round) {
		return // acknowledged, resolved or re-escalated since: nothing to do
	}
	level := atoi(p["level"])
	ladder := e.ladderFor(inc, p["rule"], now)
	if level < 1 || level > len(ladder) {
		return
	}
	intro := fmt.Sprintf("Nobody has acknowledged %s yet, so I'm climbing the ladder.", inc.Ref)
	if err := e.engage(ctx, inc, p["rule"], ladder, level-1, atoi(p["round"]), p["why"], intro, paybotUser, now, late, ch); err != nil {
		e.log.Error("ladder step", "incident", inc.Ref, "err", err)
	}
}

// ladderFor returns the ladder of the named rule, or routes again when the
// configuration no longer has it.
func (e *Engine) ladderFor(inc *incidents.Incident, rule string, now time.Time) []incidents.Level {
	for _, r := range e.policy.Routing {
		if r.Name == rule {
			return r.Ladder
		}
	}
	return incidents.Route(e.policy, inc, now).Ladder
}

func (e *Engine) reminderJob(inc *incidents.Incident, j incidents.Job, now time.Time, late string, ch *incidents.Change) {
	if !inc.Status.Active() || inc.Status == incidents.StatusIntake {
		return
	}
	t := e.policy.Targets(inc.Severity, inc.Details.Provider)
	if reminderStale(inc, j.DueAt, t.Update) {
		return // an update came after this reminder was set; its own reminder follows
	}
	text := fmt.Sprintf("Reminder: no update in %s for %s (%s incidents get an update every %s). Post where things stand with the Post update button on the card or %s.",
		inc.Ref, incidents.FmtDuration(sinceUpdate(inc, j.DueAt, t.Update, now)), inc.Severity, incidents.FmtDuration(t.Update),
		e.commandExample(inc.Conversation.Platform, "update", [2]string{"ref", inc.Ref}, [2]string{"text", "<where things stand>"}))
	if late != "" {
		text += " (" + late + ".)"
	}
	ch.Timeline = append(ch.Timeline, incidents.TimelineEntry{IncidentID: inc.ID, At: now, Actor: paybotUser, Kind: incidents.EventReminder, Text: text})
	ch.Notify = append(ch.Notify, e.threadPost(inc, "job/"+strconv.FormatInt(j.ID, 10), text, now))
	if t.Update > 0 {
		ch.Jobs = append(ch.Jobs, incidents.Job{Kind: incidents.JobUpdateReminder, DueAt: now.Add(t.Update),
			DedupeKey: fmt.Sprintf("remind/%s/%d", inc.ID, now.UnixNano())})
	}
}
