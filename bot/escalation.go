package bot

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents"
)

func (e *Engine) registerEscalationCommands() {
	e.register(&command{name: "escalate", usage: "/payissue escalate [why]", help: "engage the right contact now; the ladder climbs until someone acknowledges", run: e.cmdEscalate})
	e.register(&command{name: "ack", aliases: []string{"acknowledge"}, usage: "/payissue ack [REF]", help: "acknowledge an escalation and stop the ladder", run: e.cmdAck})
	e.register(&command{name: "resolve", usage: "/payissue resolve <what fixed it> :: <root cause>", help: "resolve the incident, record the fix and the root cause, close the SLA clocks", run: e.cmdResolve})
	e.register(&command{name: "rootcause", usage: "/payissue rootcause <text>", help: "record the root cause of a resolved incident", run: e.cmdRootCause})
	e.register(&command{name: "reopen", usage: "/payissue reopen [why]", help: "reopen a resolved incident", run: e.cmdReopen})
	e.register(&command{name: "summary", aliases: []string{"packet"}, usage: "/payissue summary [REF]", help: "print the support packet for the gateway's support team (plain text and Markdown)", run: e.cmdSummary})
}

// Policy returns the escalation policy in use.
func (e *Engine) Policy() *incidents.Policy { return e.policy }

var refPattern = regexp.MustCompile(`(?i)^PAY-\d+$`)

// incidentArg resolves the thread's incident, or a leading PAY-n in args;
// it returns the rest of args.
func (e *Engine) incidentArg(ctx context.Context, r *reply, args string) (*incidents.Incident, string, error) {
	first, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	if refPattern.MatchString(first) {
		inc, err := e.byRef(ctx, r, first)
		return inc, strings.TrimSpace(rest), err
	}
	inc, err := e.incidentFor(ctx, r, "")
	return inc, strings.TrimSpace(args), err
}

// lifecycle adds the timers an incident change implies: SLA warnings and
// breaches once the incident is open, an update reminder after every human
// update, and no timers at all once it is no longer active.
func (e *Engine) lifecycle(inc *incidents.Incident, ch *incidents.Change) {
	if _, ok := e.store.(incidents.JobStore); !ok {
		return
	}
	if !inc.Status.Active() {
		if inc.Status != incidents.StatusIntake {
			ch.CancelJobs = append(ch.CancelJobs, incidents.JobLadderStep, incidents.JobSLAWarning, incidents.JobSLABreach, incidents.JobUpdateReminder)
		}
		return
	}
	if inc.Status == incidents.StatusIntake || inc.OpenedAt == nil {
		return
	}
	t := e.policy.Targets(inc.Severity, inc.Details.Provider)
	ch.Jobs = append(ch.Jobs, slaTimers(inc, t)...)
	update := false
	for _, en := range ch.Timeline {
		switch en.Kind {
		case incidents.EventNote, incidents.EventAck, incidents.EventStatus:
			update = true
		}
	}
	if update && t.Update > 0 {
		now := e.clock.Now()
		ch.CancelJobs = append(ch.CancelJobs, incidents.JobUpdateReminder)
		ch.Jobs = append(ch.Jobs, incidents.Job{Kind: incidents.JobUpdateReminder, DueAt: now.Add(t.Update),
			DedupeKey: fmt.Sprintf("remind/%s/%d", inc.ID, now.UnixNano())})
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// responders are people who answered in the thread or were engaged.
func (e *Engine) threadPost(inc *incidents.Incident, key, text string, now time.Time) incidents.Notification {
	return notification(inc, incidents.NotifyThreadPost, key,
		outPayload{Message: Message{Conversation: inc.Conversation, Incident: inc.Ref, Kind: KindText, Text: text}}, now)
}

func (e *Engine) cardNote(inc *incidents.Incident, now time.Time) incidents.Notification {
	m := cardMessage(inc)
	ref := MessageRef{Conversation: inc.Origin, ID: inc.CardMessage}
	return notification(inc, incidents.NotifyCardUpdate, fmt.Sprintf("card/%s/%d", inc.ID, inc.Version+1),
		outPayload{Message: m, Ref: &ref}, now)
}

func (e *Engine) cmdEscalate(ctx context.Context, r *reply, args string) error {
	inc, why, err := e.incidentArg(ctx, r, args)
	if err != nil {
		return err
	}
	switch inc.Status {
	case incidents.StatusIntake:
		return userErrorf("%s is still in intake. Answer the questions first (or say skip), then escalate.", inc.Ref)
	case incidents.StatusEscalated:
		return userErrorf("%s is already escalated (level %d of rule %s). Acknowledge it with /payissue ack, or wait for the next level.",
			inc.Ref, inc.Escalation.Level, inc.Escalation.Rule)
	case incidents.StatusOpen:
	default:
		return userErrorf("%s is %s; reopen it first with /payissue reopen.", inc.Ref, inc.Status)
	}
	now := r.ev.At
	d := incidents.Route(e.policy, inc, now)
	entry, err := inc.Transition(incidents.StatusEscalated, r.ev.User, now)
	if err != nil {
		return err
	}
	inc.Escalation.Round++
	round := inc.Escalation.Round
	inc.Escalation.Rule, inc.Escalation.Level = d.Rule, 1
	inc.Escalation.AckedBy, inc.Escalation.AckedAt = nil, nil
	ch := incidents.Change{Timeline: []incidents.TimelineEntry{entry}}
	intro := fmt.Sprintf("%s escalated %s", e.mention(inc.Conversation.Platform, r.ev.User), inc.Ref)
	if why != "" {
		intro += ": " + why
	}
	ch.Timeline[0].Text += " (" + strings.TrimSpace("escalated "+why) + ")"
	if err := e.engage(ctx, inc, d.Rule, d.Ladder, 0, round, d.Why, intro+".", r.ev.User, now, "", &ch); err != nil {
		return err
	}
	ch.Notify = append(ch.Notify, e.cardNote(inc, now))
	return r.commit(ctx, inc, ch)
}

// engage contacts level li of ladder, and schedules the next level.
func (e *Engine) engage(ctx context.Context, inc *incidents.Incident, rule string, ladder []incidents.Level, li, round int,
	why, intro string, actor User, now time.Time, late string, ch *incidents.Change) error {
	if li >= len(ladder) {
		return nil
	}
	lv := ladder[li]
	platform := inc.Conversation.Platform
	tl, _ := e.store.Timeline(ctx, inc.ID)
	plain, _ := incidents.PacketFor(inc, tl, e.articlesTried(ctx, inc), e.packetOptions())
	a, _ := e.adapter(platform)
	_, canDM := a.(DirectMessenger)
	byName := false
	if nm, ok := a.(NameMessenger); ok {
		byName = nm.MessagesByName()
	}
	var lines []string
	if intro != "" {
		lines = append(lines, intro)
	}
	for _, ref := range lv.Contacts {
		t := e.policy.Resolve(ref, inc, now)
		key := fmt.Sprintf("%s/%d/%d/%s", inc.ID, round, li+1, t.Key)
		handle := t.Handle(platform)
		dmHandle := handle
		// Where chat ids are names (the console), a team member is
		// messaged by name; a gateway's desk never is: nobody reads it.
		if dmHandle == "" && byName && strings.HasPrefix(ref, "team:") {
			dmHandle = t.Label
		}
		who := t.Label
		if handle != "" {
			who += " " + e.mention(platform, User{Platform: platform, ID: handle})
		}
		reached := []string{}
		ackHint := "Acknowledge with " + e.commandExample(platform, "ack", [2]string{"ref", inc.Ref}) + " (or the Acknowledge button)." // native.go
		if canDM && dmHandle != "" {
			to := User{Platform: platform, ID: dmHandle, Name: t.Label}
			ch.Notify = append(ch.Notify, notification(inc, incidents.NotifyDM, "dm/"+key, outPayload{To: &to, Message: Message{
				Conversation: Conversation{Platform: platform, Channel: "dm:" + dmHandle}, Incident: inc.Ref, Kind: KindText,
				Text: fmt.Sprintf("You are engaged on %s (%s). %s\n%s", inc.Ref, inc.Title, ackHint, plain),
				// The button answers "ack <ref>", so it works from the DM,
				// far from the incident's thread.
				Expects: "ack",
				Choices: []Choice{{Value: inc.Ref, Label: "Acknowledge " + inc.Ref}},
			}}, now))
			reached = append(reached, "direct message")
		}
		if t.Email != "" && e.mailer != nil {
			ch.Notify = append(ch.Notify, notification(inc, incidents.NotifyEmail, "email/"+key, outPayload{Email: &outEmail{
				To: []string{t.Email}, Subject: fmt.Sprintf("[%s] %s %s: %s", inc.Ref, inc.Severity, strings.ToUpper(string(incidents.StatusEscalated)), inc.Title),
				Body: fmt.Sprintf("Hello %s,\n\nPaybot engaged you on %s because: %s.\n%s\n\n%s", nonEmpty(t.Name, t.Label), inc.Ref, why, ackHint, plain),
			}}, now))
			reached = append(reached, "email "+t.Email)
		}
		line := fmt.Sprintf("Engaged %s (level %d of %d, rule %s)", who, li+1, len(ladder), rule)
		if len(reached) > 0 {
			line += " by " + strings.Join(reached, " and ")
		}
		line += "."
		if t.Note != "" {
			line += " Note: " + t.Note + "."
		}
		if len(reached) == 0 {
			line += fmt.Sprintf("\nI can't reach %s from here. Please contact them yourself: %s. Paste this packet:\n%s", t.Label, t.ContactDetails(), plain)
		}
		lines = append(lines, line)
		engaged := incidents.Engagement{Round: round, Level: li + 1, Contact: ref, Label: t.Label, At: now.UTC()}
		if handle != "" {
			engaged.User = &User{Platform: platform, ID: handle}
		}
		inc.Escalation.Engaged = append(inc.Escalation.Engaged, engaged)
		data := map[string]string{"ref": ref, "level": strconv.Itoa(li + 1), "rule": rule, "round": strconv.Itoa(round), "why": why}
		if handle != "" {
			data["handle"], data["platform"] = handle, platform
		}
		text := fmt.Sprintf("engaged %s (level %d): %s", t.Label, li+1, why)
		if late != "" {
			text += " — " + late
		}
		ch.Timeline = append(ch.Timeline, incidents.TimelineEntry{IncidentID: inc.ID, At: now, Actor: actor, Kind: incidents.EventEscalation, Text: text, Data: data})
	}
	if li == 0 && why != "" {
		lines = append(lines, "Why: "+why+".")
	}
	if late != "" {
		lines = append(lines, "(This step is late: "+late+".)")
	}
	if li+1 < len(ladder) {
		next := ladder[li+1]
		var names []string
		for _, ref := range next.Contacts {
			names = append(names, e.policy.Resolve(ref, inc, now).Label)
		}
		lines = append(lines, fmt.Sprintf("If nobody acknowledges within %s, I'll engage %s.", incidents.FmtDuration(lv.Wait), strings.Join(names, " + ")))
		ch.Jobs = append(ch.Jobs, incidents.Job{Kind: incidents.JobLadderStep, DueAt: now.Add(lv.Wait),
			DedupeKey: fmt.Sprintf("ladder/%s/%d/%d", inc.ID, round, li+2),
			Payload:   map[string]string{"rule": rule, "level": strconv.Itoa(li + 2), "round": strconv.Itoa(round), "why": why}})
	} else {
		lines = append(lines, "This is the last level of the ladder.")
	}
	inc.Escalation.Level = li + 1
	ch.Notify = append(ch.Notify, e.threadPost(inc, fmt.Sprintf("escalate/%s/%d/%d", inc.ID, round, li+1), strings.Join(lines, "\n"), now))
	return nil
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// articlesTried are the knowledge-base articles the bot offers for the
// incident (the same query as the suggestions posted when it opened).
func (e *Engine) articlesTried(ctx context.Context, inc *incidents.Incident) []string {
	if e.kb == nil {
		return nil
	}
	var q []string
	for _, c := range inc.Details.Codes {
		q = append(q, c.Value)
	}
	q = append(q, inc.Details.Provider, inc.Title)
	hits, confident, err := e.kb.Ask(ctx, strings.Join(q, " "), 3)
	if err != nil || !confident {
		return nil
	}
	var out []string
	for _, h := range hits {
		if !strings.HasSuffix(h.ID, inc.Ref) {
			out = append(out, plain(h.Title)) // a document's text: no live mention
		}
	}
	return out
}

func (e *Engine) cmdAck(ctx context.Context, r *reply, args string) error {
	inc, _, err := e.incidentArg(ctx, r, args)
	if err != nil {
		return err
	}
	if inc.Status != incidents.StatusEscalated {
		return userErrorf("%s is %s; there is no escalation to acknowledge.", inc.Ref, inc.Status)
	}
	if by := inc.Escalation.AckedBy; by != nil {
		return userErrorf("%s was already acknowledged by %s.", inc.Ref, displayName(*by))
	}
	now := r.ev.At
	acker, at := r.ev.User, now.UTC()
	inc.Escalation.AckedBy, inc.Escalation.AckedAt = &acker, &at
	inc.UpdatedAt = now
	// The response time is this acknowledgement's, or that of an earlier
	// action by someone other than the reporter (respond below keeps it).
	resp := now.Sub(inc.SLA.ClockStart)
	if inc.SLA.RespondedAt != nil {
		resp = inc.SLA.RespondedAt.Sub(inc.SLA.ClockStart)
	}
	t := e.policy.Targets(inc.Severity, inc.Details.Provider)
	ch := incidents.Change{
		Timeline: []incidents.TimelineEntry{{IncidentID: inc.ID, At: now, Actor: r.ev.User, Kind: incidents.EventAck,
			Text: fmt.Sprintf("acknowledged at level %d; response time %s (target %s)", inc.Escalation.Level, incidents.FmtDuration(resp), incidents.FmtDuration(t.Response))}},
		CancelJobs: []incidents.JobKind{incidents.JobLadderStep},
	}
	// An acknowledgement is a response whoever makes it.
	respond(inc, r.ev.User, now, &ch)
	ch.Notify = append(ch.Notify, e.threadPost(inc, fmt.Sprintf("ack/%s/%d", inc.ID, inc.Escalation.Round),
		fmt.Sprintf("%s acknowledged %s. The escalation ladder is stopped. Response time %s (target %s).",
			e.mention(inc.Conversation.Platform, r.ev.User), inc.Ref, incidents.FmtDuration(resp), incidents.FmtDuration(t.Response)), now),
		e.cardNote(inc, now))
	if r.ev.Conversation != inc.Conversation {
		r.say(KindText, fmt.Sprintf("Thanks, %s is acknowledged.", inc.Ref))
	}
	return r.commit(ctx, inc, ch)
}

func (e *Engine) cmdResolve(ctx context.Context, r *reply, args string) error {
	inc, rest, err := e.incidentArg(ctx, r, args)
	if err != nil {
		return err
	}
	if inc.Status != incidents.StatusOpen && inc.Status != incidents.StatusEscalated {
		return userErrorf("%s is %s and can't be resolved.", inc.Ref, inc.Status)
	}
	fix, cause, _ := strings.Cut(rest, "::")
	fix, cause = strings.TrimSpace(fix), strings.TrimSpace(cause)
	if fix == "" {
		return userErrorf("What fixed it, and what was the root cause? Reply with /payissue resolve <what fixed it> :: <root cause>, " +
			"for example: /payissue resolve rotated the webhook secret :: the secret expired")
	}
	now := r.ev.At
	entry, err := inc.Transition(incidents.StatusResolved, r.ev.User, now)
	if err != nil {
		return err
	}
	resolver := r.ev.User
	inc.Resolution = incidents.Resolution{Fix: fix, RootCause: cause, ResolvedBy: &resolver}
	// Resolving is a response only when someone other than the reporter
	// does it; record it (and the breaches) before the summary is written.
	e.trackSLA(inc, r.ev.User, now, &incidents.Change{Timeline: []incidents.TimelineEntry{entry}})
	text := fmt.Sprintf("fixed by: %s", fix)
	if cause != "" {
		text += "; root cause: " + cause
	}
	ch := incidents.Change{Timeline: []incidents.TimelineEntry{entry,
		{IncidentID: inc.ID, At: now, Actor: r.ev.User, Kind: incidents.EventResolution, Text: text, Data: map[string]string{"resolution": fix, "root_cause": cause}}}}
	msg := fmt.Sprintf("%s resolved %s: %s. The SLA clocks are closed: %s.", e.mention(inc.Conversation.Platform, r.ev.User), inc.Ref, fix, e.slaSummary(inc, now))
	if incidents.TrivialResolution(fix, cause) {
		msg += "\nThat says too little to help the next person, so it is not added to the past incidents. Record what happened with /payissue rootcause <text>."
	} else if why := e.refuseResolution(inc); why != "" {
		msg += "\n⚠ I didn't add it to the past incidents: " + why + "; it stays on the incident."
	} else if cause == "" {
		msg += "\nWhat was the root cause? Record it with /payissue rootcause <text> so the next person finds it."
	} else {
		msg += "\nRoot cause: " + cause + ". I've added this to the past incidents, so it turns up in searches."
	}
	ch.Notify = append(ch.Notify, e.threadPost(inc, fmt.Sprintf("resolve/%s/%d", inc.ID, inc.Version+1), msg, now), e.cardNote(inc, now))
	if err := r.commit(ctx, inc, ch); err != nil {
		return err
	}
	e.indexIncident(ctx, inc)
	return nil
}

func (e *Engine) indexIncident(ctx context.Context, inc *incidents.Incident) {
	// "nothing :: nothing" teaches the next person nothing (permissions.go).
	if inc.Status == incidents.StatusResolved && incidents.TrivialResolution(inc.Resolution.Fix, inc.Resolution.RootCause) {
		return
	}
	if e.refuseResolution(inc) != "" {
		return
	}
	if l, ok := e.kb.(Learner); ok {
		if err := l.IndexIncident(ctx, inc); err != nil {
			e.log.Warn("indexing resolved incident", "incident", inc.Ref, "err", err)
		}
	}
}

// refuseResolution returns why an incident's fix or root cause may not be
// served to others as a past incident (AnswerChecker), or "".
func (e *Engine) refuseResolution(inc *incidents.Incident) string {
	ac, ok := e.kb.(AnswerChecker)
	if !ok {
		return ""
	}
	for _, t := range []string{inc.Resolution.Fix, inc.Resolution.RootCause} {
		if t == "" {
			continue
		}
		if why := ac.RefuseAnswer(t); why != "" {
			return why
		}
	}
	return ""
}

func (e *Engine) cmdRootCause(ctx context.Context, r *reply, args string) error {
	inc, cause, err := e.incidentArg(ctx, r, args)
	if err != nil {
		return err
	}
	if cause == "" {
		return userErrorf("Tell me the root cause: /payissue rootcause <text>")
	}
	now := r.ev.At
	inc.Resolution.RootCause = cause
	inc.UpdatedAt = now
	ch := incidents.Change{Timeline: []incidents.TimelineEntry{{IncidentID: inc.ID, At: now, Actor: r.ev.User, Kind: incidents.EventResolution,
		Text: "root cause: " + cause, Data: map[string]string{"root_cause": cause}}}}
	msg := fmt.Sprintf("Thanks, I recorded the root cause of %s.", inc.Ref)
	if why := e.refuseResolution(inc); why != "" && inc.Status == incidents.StatusResolved {
		msg += "\n⚠ I didn't add it to the past incidents: " + why + "."
	}
	r.say(KindText, msg)
	if err := r.commit(ctx, inc, ch); err != nil {
		return err
	}
	if inc.Status == incidents.StatusResolved {
		e.indexIncident(ctx, inc)
	}
	return nil
}

func (e *Engine) cmdReopen(ctx context.Context, r *reply, args string) error {
	inc, why, err := e.incidentArg(ctx, r, args)
	if err != nil {
		return err
	}
	if inc.Status != incidents.StatusResolved && inc.Status != incidents.StatusCancelled {
		return userErrorf("%s is %s; only a resolved or cancelled incident can be reopened.", inc.Ref, inc.Status)
	}
	now := r.ev.At
	entry, err := inc.Transition(incidents.StatusOpen, r.ev.User, now)
	if err != nil {
		return err
	}
	if why != "" {
		entry.Text += " (reopened: " + why + ")"
	}
	// Transition restarted the SLA clocks (the closed round is kept in
	// SLA.Earlier); the escalation of the earlier round is over.
	inc.Reopens++
	inc.Escalation.Rule, inc.Escalation.Level = "", 0
	inc.Escalation.AckedBy, inc.Escalation.AckedAt = nil, nil
	ch := incidents.Change{Timeline: []incidents.TimelineEntry{entry}}
	ch.Notify = append(ch.Notify, e.threadPost(inc, fmt.Sprintf("reopen/%s/%d", inc.ID, inc.Reopens),
		fmt.Sprintf("%s reopened %s%s. The SLA clocks start again; escalate with /payissue escalate if needed.",
			e.mention(inc.Conversation.Platform, r.ev.User), inc.Ref, prefixed(": ", why)), now), e.cardNote(inc, now))
	return r.commit(ctx, inc, ch)
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

func (e *Engine) cmdSummary(ctx context.Context, r *reply, args string) error {
	inc, _, err := e.incidentArg(ctx, r, args)
	if err != nil {
		return err
	}
	if !e.visible(r, inc) { // permissions.go
		r.say(KindText, notVisible(inc))
		return nil
	}
	tl, err := e.store.Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	plain, md := incidents.PacketFor(inc, tl, e.articlesTried(ctx, inc), e.packetOptions())
	r.say(KindText, plain).Incident = inc.Ref
	r.say(KindText, "Markdown:\n"+md).Incident = inc.Ref
	return nil
}
