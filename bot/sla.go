package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents"
)

// SLA clocks. The state lives in incidents.SLA (typed, stored with the
// incident); this file decides when people's actions count as a response,
// records breaches, renders the clocks, and turns SLA timers into notices
// that still apply when they fire.

// trackSLA updates the SLA state for a change made by actor at now, just
// before it commits:
//   - a thread post, an acknowledgement or a status change by a person is
//     the last update (the update reminder counts from it);
//   - any action by someone other than the reporter is the first response,
//     unless it (re)starts the clocks: opening or reopening is no response;
//   - once the clocks stop (resolved, cancelled) the breaches that happened
//     are recorded, so the verdict no longer depends on the severity.
//
// Acknowledgements count whoever makes them; cmdAck records them itself.
func (e *Engine) trackSLA(inc *incidents.Incident, actor User, now time.Time, ch *incidents.Change) {
	if !actor.IsZero() && actor.ID != paybotUser.ID {
		for _, en := range ch.Timeline {
			switch en.Kind {
			case incidents.EventNote, incidents.EventAck, incidents.EventStatus:
				t := now.UTC()
				inc.SLA.LastUpdateAt = &t
			}
		}
		if !sameUser(actor, inc.Reporter) && !startsClocks(ch) {
			respond(inc, actor, now, ch)
		}
	}
	if !inc.Status.Active() {
		inc.SLA.Observe(inc.Severity, e.policy.Targets(inc.Severity, inc.Details.Provider), now, time.Time{})
	}
}

// respond records a response by who at now; the first one of the round
// cancels the response clock's timers, which can no longer apply.
func respond(inc *incidents.Incident, who User, now time.Time, ch *incidents.Change) {
	if inc.SLA.Respond(who, now) {
		k := slaKey(inc, "response")
		ch.CancelJobKeys = append(ch.CancelJobKeys, k+"/warn", k+"/breach")
	}
}

// startsClocks reports whether ch opens or reopens the incident.
func startsClocks(ch *incidents.Change) bool {
	for _, en := range ch.Timeline {
		if en.Kind == incidents.EventStatus && en.Data["to"] == string(incidents.StatusOpen) {
			return true
		}
	}
	return false
}

func sameUser(a, b User) bool { return a.ID == b.ID && a.Platform == b.Platform }

// setSeverity changes the severity and keeps every breach that happened:
// breaches under the old severity are recorded before the change (so a
// downgrade cannot turn a breach into "met"), and an upgrade that makes a
// clock overdue at once records that breach at the moment of the upgrade. The
// note, when not empty, reminds people of the breaches on record, which the
// new severity does not undo.
func (e *Engine) setSeverity(inc *incidents.Incident, sev incidents.Severity, actor User, reason string, now time.Time) (incidents.TimelineEntry, string) {
	old := inc.Severity
	inc.SLA.Observe(old, e.policy.Targets(old, inc.Details.Provider), now, time.Time{})
	entry := inc.SetSeverity(sev, actor, reason, now)
	inc.SLA.Observe(sev, e.policy.Targets(sev, inc.Details.Provider), now, now)
	var notes []string
	for _, c := range []struct {
		name string
		b    *incidents.Breach
	}{{"response", inc.SLA.ResponseBreach}, {"resolution", inc.SLA.ResolutionBreach}} {
		if c.b != nil {
			notes = append(notes, fmt.Sprintf("the %s %s target (%s) was breached at %s UTC and stays recorded",
				c.b.Severity, c.name, incidents.FmtDuration(c.b.Target), c.b.At.UTC().Format("15:04")))
		}
	}
	if len(notes) == 0 {
		return entry, ""
	}
	return entry, "Note: " + strings.Join(notes, "; ") + "."
}

// slaTimers returns the warning (at 80%) and breach timers of the current
// round for the current severity. Their payload names the clock, the
// severity and the clock start, so a timer of another severity or round
// does nothing when it fires.
func slaTimers(inc *incidents.Incident, t incidents.SLATarget) []incidents.Job {
	start := inc.SLA.ClockStart
	if start.IsZero() {
		return nil
	}
	var jobs []incidents.Job
	for _, c := range []struct {
		clock  string
		target time.Duration
	}{{"response", t.Response}, {"resolution", t.Resolution}} {
		if c.target <= 0 {
			continue
		}
		base := slaKey(inc, c.clock)
		payload := map[string]string{"clock": c.clock, "severity": inc.Severity.String(), "start": start.UTC().Format(time.RFC3339Nano)}
		jobs = append(jobs,
			incidents.Job{Kind: incidents.JobSLAWarning, DueAt: start.Add(c.target * 8 / 10), DedupeKey: base + "/warn", Payload: payload},
			incidents.Job{Kind: incidents.JobSLABreach, DueAt: start.Add(c.target), DedupeKey: base + "/breach", Payload: payload})
	}
	return jobs
}

// slaKey is the dedupe key prefix of a clock's timers in the current round
// at the current severity. The first round's keys have an empty round, as
// versions before typed state wrote them, so an incident open across the
// upgrade does not get its timers twice.
func slaKey(inc *incidents.Incident, clock string) string {
	round := ""
	if inc.Reopens > 0 {
		round = strconv.Itoa(inc.Reopens)
	}
	return fmt.Sprintf("sla/%s/%s/%s/%s", inc.ID, round, clock, inc.Severity)
}

// slaJob turns an SLA timer into a notice, if it still applies now. A timer
// is stale, and completes silently, when the clocks stopped or restarted
// since, the severity changed, the response came, or the clock's breach is
// already recorded (a breach notice makes any warning after it stale, and
// one breach per clock and round is enough). A warning that fires at or past
// its target (Paybot was down) gives way to the breach notice.
func (e *Engine) slaJob(inc *incidents.Incident, j incidents.Job, now time.Time, late string, ch *incidents.Change) {
	clock, sev := j.Payload["clock"], j.Payload["severity"]
	if !inc.Status.Active() || !inc.SLA.Running() || sev != inc.Severity.String() {
		return
	}
	if s := j.Payload["start"]; s != "" && s != inc.SLA.ClockStart.UTC().Format(time.RFC3339Nano) {
		return // a timer of an earlier round
	}
	t := e.policy.Targets(inc.Severity, inc.Details.Provider)
	target, breach := t.Response, inc.SLA.ResponseBreach
	if clock == "resolution" {
		target, breach = t.Resolution, inc.SLA.ResolutionBreach
	} else if inc.SLA.RespondedAt != nil {
		return
	}
	if target <= 0 || breach != nil {
		return
	}
	start := inc.SLA.ClockStart
	due := start.Add(target)
	el := now.Sub(start)
	var text string
	if j.Kind == incidents.JobSLAWarning {
		if !now.Before(due) {
			return // the breach notice says it
		}
		text = fmt.Sprintf("SLA warning for %s: %d%% of the %s %s target (%s) is used; %s left.", inc.Ref, int(100*el/target),
			inc.Severity, clock, incidents.FmtDuration(target), incidents.FmtDuration(due.Sub(now)))
	} else {
		if now.Before(due) {
			return
		}
		if !inc.SLA.Observe(inc.Severity, t, now, time.Time{}) {
			return
		}
		// The warning of this clock, if it is still pending (Paybot was
		// down), says nothing true any more.
		ch.CancelJobKeys = append(ch.CancelJobKeys, slaKey(inc, clock)+"/warn")
		text = fmt.Sprintf("SLA breached for %s: the %s %s target of %s passed (%s elapsed).", inc.Ref, inc.Severity, clock,
			incidents.FmtDuration(target), incidents.FmtDuration(el))
	}
	if clock == "response" {
		text += " Nobody has acknowledged it yet."
		if inc.Status == incidents.StatusOpen {
			text += " Escalate with /payissue escalate."
		}
	}
	if late != "" {
		text += " (" + late + ".)"
	}
	kind := "warning"
	if j.Kind == incidents.JobSLABreach {
		kind = "breach"
	}
	ch.Timeline = append(ch.Timeline, incidents.TimelineEntry{IncidentID: inc.ID, At: now, Actor: paybotUser, Kind: incidents.EventSLA, Text: text,
		Data: map[string]string{"clock": clock, "event": kind, "target": target.String()}})
	ch.Notify = append(ch.Notify, e.threadPost(inc, "job/"+strconv.FormatInt(j.ID, 10), text, now))
}

// reminderStale reports whether an update reminder due at due was made
// stale by an update after it was scheduled (interval before due).
func reminderStale(inc *incidents.Incident, due time.Time, interval time.Duration) bool {
	last := inc.SLA.LastUpdateAt
	return last != nil && last.After(due.Add(-interval))
}

// sinceUpdate is how long the incident has gone without a human update at
// now: since the last update, else since its clocks started, else since the
// reminder was scheduled (due - interval).
func sinceUpdate(inc *incidents.Incident, due time.Time, interval time.Duration, now time.Time) time.Duration {
	from := due.Add(-interval)
	if inc.SLA.LastUpdateAt != nil {
		from = *inc.SLA.LastUpdateAt
	} else if !inc.SLA.ClockStart.IsZero() {
		from = inc.SLA.ClockStart
	}
	return now.Sub(from)
}

// slaText renders the SLA clocks for /payissue status.
func (e *Engine) slaText(inc *incidents.Incident) string {
	if inc.SLA.ClockStart.IsZero() || inc.Status == incidents.StatusIntake || inc.Status == incidents.StatusCancelled {
		return ""
	}
	t := e.policy.Targets(inc.Severity, inc.Details.Provider)
	var b strings.Builder
	fmt.Fprintf(&b, "SLA (%s, response target from %s):", inc.Severity, t.Source)
	resp, res := clockLines(inc, t, e.clock.Now())
	b.WriteString("\n  " + resp + "\n  " + res)
	if inc.Status == incidents.StatusEscalated {
		fmt.Fprintf(&b, "\n  escalation: level %d of rule %s", inc.Escalation.Level, inc.Escalation.Rule)
		if by := inc.Escalation.AckedBy; by != nil {
			b.WriteString(", acknowledged by " + displayName(*by))
		} else {
			b.WriteString(", not acknowledged yet")
		}
	}
	return b.String()
}

// slaSummary renders both clocks in one line, for the resolution post.
func (e *Engine) slaSummary(inc *incidents.Incident, now time.Time) string {
	resp, res := clockLines(inc, e.policy.Targets(inc.Severity, inc.Details.Provider), now)
	return resp + "; " + res
}

// clockLines renders the response and the resolution clock at now.
func clockLines(inc *incidents.Incident, t incidents.SLATarget, now time.Time) (resp, res string) {
	s := inc.SLA
	end := now
	if s.StoppedAt != nil {
		end = *s.StoppedAt
	}
	resp = clockLine("response", inc.Severity, s.ClockStart, end, t.Response, s.RespondedAt, s.ResponseBreach, s.StoppedAt != nil)
	res = clockLine("resolution", inc.Severity, s.ClockStart, end, t.Resolution, s.StoppedAt, s.ResolutionBreach, s.StoppedAt != nil)
	return resp, res
}

// clockLine renders one clock. done is when the clock's goal was reached
// (the response, the resolution), nil if not; end is now while the clocks
// run, or when they stopped. A recorded breach always reads "missed" or
// "BREACHED", whatever the target of the current severity says.
func clockLine(name string, sev incidents.Severity, start, end time.Time, target time.Duration, done *time.Time, breach *incidents.Breach, stopped bool) string {
	fd := incidents.FmtDuration
	// breachNote names the target a breach was recorded against when the
	// severity has changed since.
	breachNote := func() string {
		if breach != nil && breach.Severity != sev {
			return fmt.Sprintf(", breached the %s target of %s", breach.Severity, fd(breach.Target))
		}
		return ""
	}
	if target <= 0 && breach == nil {
		if done != nil {
			return fmt.Sprintf("time to %s: %s (no target)", name, fd(done.Sub(start)))
		}
		return fmt.Sprintf("time to %s: %s running (no target)", name, fd(end.Sub(start)))
	}
	if done != nil {
		took := done.Sub(start)
		verdict := "met"
		if breach != nil || took > target {
			verdict = "missed"
		}
		return fmt.Sprintf("time to %s: %s (target %s, %s%s)", name, fd(took), fd(target), verdict, breachNote())
	}
	el := end.Sub(start)
	overdue := breach != nil || el > target
	if stopped {
		// The clocks stopped without this goal: a resolution nobody
		// responded to. That is no response at all, never "0s, met".
		if overdue {
			return fmt.Sprintf("time to %s: no response (target %s, missed%s)", name, fd(target), breachNote())
		}
		return fmt.Sprintf("time to %s: no response before the clocks stopped after %s (target %s)", name, fd(el), fd(target))
	}
	if overdue {
		at := start.Add(target)
		if breach != nil {
			at = breach.At
		}
		against := ""
		if breach != nil && breach.Severity != sev {
			against = fmt.Sprintf(" against the %s target of %s", breach.Severity, fd(breach.Target))
		}
		return fmt.Sprintf("time to %s: %s running of %s (BREACHED %s ago%s)", name, fd(el), fd(target), fd(end.Sub(at)), against)
	}
	state := fd(target-el) + " left"
	if el >= target*8/10 {
		state += ", over 80%"
	}
	return fmt.Sprintf("time to %s: %s running of %s (%s)", name, fd(el), fd(target), state)
}
