package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/report"
)

// The review features of issue 13: /payissue report, postmortem, followup,
// case, merge and dashboard; duplicate detection when an intake completes;
// the account manager's digest as a durable system job.

// DashboardLinker hands out signed dashboard links. adapters/web implements
// it; without one, /payissue dashboard says the dashboard is off.
type DashboardLinker interface {
	// Link returns a URL that logs its follower in until the link expires.
	Link(now time.Time) (url string, expires time.Time, err error)
}

// systemJobStore is the store capability the digest needs: jobs that belong
// to no incident, completed atomically with their successor and message.
// incidents/sqlite implements it.
type systemJobStore interface {
	ScheduleSystemJobs(ctx context.Context, jobs []incidents.Job) error
	CompleteJobWith(ctx context.Context, id int64, at time.Time, next []incidents.Job, notes []incidents.Notification) error
}

// reviewState is the Engine's review configuration.
type reviewState struct {
	mu         sync.Mutex
	dashboard  DashboardLinker
	digestOnce bool
}

// SetDashboard sets the linker /payissue dashboard uses.
func (e *Engine) SetDashboard(l DashboardLinker) {
	e.review.mu.Lock()
	defer e.review.mu.Unlock()
	e.review.dashboard = l
}

func (e *Engine) registerReviewCommands() {
	e.register(&command{name: "report", usage: "/payissue report [provider]", help: "SLA and incident figures for the last 30 days", run: e.cmdReport})
	e.register(&command{name: "postmortem", usage: "/payissue postmortem [REF]", help: "the postmortem: summary, impact, timeline, root cause, fix, SLA, articles and follow-ups", run: e.cmdPostmortem})
	e.register(&command{name: "followup", usage: "/payissue followup <text> | done <n>", help: "add a follow-up action, mark one done, or list them", run: e.cmdFollowup})
	e.register(&command{name: "case", usage: "/payissue case <number> | replied", help: "record the gateway desk's case number, or that the desk replied", run: e.cmdCase})
	e.register(&command{name: "merge", usage: "/payissue merge PAY-13 into PAY-12", help: "merge a duplicate report into the incident it repeats", run: e.cmdMerge})
	e.register(&command{name: "dashboard", usage: "/payissue dashboard", help: "a signed link to the read-only dashboard", run: e.cmdDashboard})
}

// reportDays is the window of /payissue report.
const reportDays = 30

func (e *Engine) cmdReport(ctx context.Context, r *reply, args string) error {
	src, ok := e.store.(report.Source)
	if !ok {
		return userErrorf("Reports aren't available with this store.")
	}
	provider := strings.TrimSpace(args)
	if strings.ContainsAny(provider, " \t") {
		return userErrorf("Give one provider, for example /payissue report stripe, or none for all of them.")
	}
	now := e.clock.Now()
	rep, err := report.Run(ctx, src, e.policy, report.Query{From: now.AddDate(0, 0, -reportDays), Provider: provider, Location: e.loc}, now)
	if err != nil {
		return err
	}
	if rep.Total.Incidents == 0 {
		msg := fmt.Sprintf("No incidents in the last %d days", reportDays)
		if provider != "" {
			msg += " for " + plain(provider)
		}
		r.say(KindText, msg+".")
		return nil
	}
	r.say(KindText, plain(report.ChatText(rep, reportDays)))
	return nil
}

// Postmortem returns the postmortem of the incident ref, its times in the
// engine's time zone. Errors: ErrNotFound.
func (e *Engine) Postmortem(ctx context.Context, ref string) (*report.Postmortem, error) {
	inc, err := e.store.IncidentByRef(ctx, ref)
	if err != nil {
		return nil, err
	}
	tl, err := e.store.Timeline(ctx, inc.ID)
	if err != nil {
		return nil, err
	}
	return report.NewPostmortem(inc, tl, e.policy, e.loc, e.clock.Now()), nil
}

func (e *Engine) cmdPostmortem(ctx context.Context, r *reply, args string) error {
	inc, _, err := e.incidentArg(ctx, r, args)
	if err != nil {
		return err
	}
	pm, err := e.Postmortem(ctx, inc.Ref)
	if err != nil {
		return err
	}
	r.say(KindText, plain(pm.Markdown())).Incident = inc.Ref
	return nil
}

var followDone = regexp.MustCompile(`(?i)^(done|close|closed)\s+#?(\d+)$`)

func (e *Engine) cmdFollowup(ctx context.Context, r *reply, args string) error {
	inc, text, err := e.incidentArg(ctx, r, args)
	if err != nil {
		return err
	}
	tl, err := e.store.Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	list := report.Followups(tl)
	now := r.ev.At
	switch m := followDone.FindStringSubmatch(text); {
	case text == "" || strings.EqualFold(text, "list"):
		r.say(KindText, plain(followupList(inc.Ref, list))).Incident = inc.Ref
		return nil
	case m != nil:
		n, _ := strconv.Atoi(m[2])
		var f *report.Followup
		for i := range list {
			if list[i].N == n {
				f = &list[i]
			}
		}
		if f == nil {
			return userErrorf("%s has no follow-up %d. %s", inc.Ref, n, plain(followupList(inc.Ref, list)))
		}
		if f.Done {
			return userErrorf("Follow-up %d of %s is already done.", n, inc.Ref)
		}
		inc.UpdatedAt = now
		entry := incidents.TimelineEntry{IncidentID: inc.ID, At: now, Actor: r.ev.User, Kind: incidents.EventFollowup,
			Text: fmt.Sprintf("follow-up %d done: %s", n, f.Text), Data: map[string]string{"action": "done", "n": strconv.Itoa(n)}}
		if err := r.commit(ctx, inc, incidents.Change{Timeline: []incidents.TimelineEntry{entry}}); err != nil {
			return err
		}
		r.say(KindText, fmt.Sprintf("Follow-up %d of %s is done: %s", n, inc.Ref, plain(f.Text))).Incident = inc.Ref
		return nil
	default:
		if len(text) > 500 {
			return userErrorf("That follow-up is too long (%d characters); keep it under 500.", len(text))
		}
		n := len(list) + 1
		inc.UpdatedAt = now
		entry := incidents.TimelineEntry{IncidentID: inc.ID, At: now, Actor: r.ev.User, Kind: incidents.EventFollowup,
			Text: fmt.Sprintf("follow-up %d: %s", n, text), Data: map[string]string{"action": "add", "n": strconv.Itoa(n), "text": text}}
		if err := r.commit(ctx, inc, incidents.Change{Timeline: []incidents.TimelineEntry{entry}}); err != nil {
			return err
		}
		r.say(KindText, fmt.Sprintf("Added follow-up %d to %s: %s. Close it with /payissue followup done %d.", n, inc.Ref, plain(text), n)).Incident = inc.Ref
		return nil
	}
}

func followupList(ref string, list []report.Followup) string {
	if len(list) == 0 {
		return ref + " has no follow-up actions yet. Add one with /payissue followup <text>."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Follow-up actions of %s:", ref)
	for _, f := range list {
		box := "[ ]"
		if f.Done {
			box = "[x]"
		}
		fmt.Fprintf(&b, "\n  %s %d. %s (%s)", box, f.N, f.Text, f.By)
	}
	return b.String()
}

var caseNumber = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._#/-]{0,63}$`)

func (e *Engine) cmdCase(ctx context.Context, r *reply, args string) error {
	inc, text, err := e.incidentArg(ctx, r, args)
	if err != nil {
		return err
	}
	now := r.ev.At
	tl, err := e.store.Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	f := report.FactsOf(inc, tl, e.policy, now)
	var entry incidents.TimelineEntry
	var msg string
	switch {
	case strings.EqualFold(text, "replied") || strings.EqualFold(text, "reply"):
		if f.CaseAt == nil {
			return userErrorf("Record the gateway's case number first: /payissue case <number>.")
		}
		if f.DeskReplyAt != nil {
			return userErrorf("The desk's first reply on %s was already recorded.", f.CaseNumber)
		}
		entry = incidents.TimelineEntry{IncidentID: inc.ID, At: now, Actor: r.ev.User, Kind: incidents.EventCase,
			Text: "the gateway desk replied on case " + f.CaseNumber, Data: map[string]string{"event": "desk_reply"}}
		msg = fmt.Sprintf("Recorded the gateway desk's first reply on case %s of %s: %s after the case was opened.",
			f.CaseNumber, inc.Ref, incidents.FmtDuration(now.Sub(*f.CaseAt)))
	case caseNumber.MatchString(text):
		entry = incidents.TimelineEntry{IncidentID: inc.ID, At: now, Actor: r.ev.User, Kind: incidents.EventCase,
			Text: "gateway case number " + text, Data: map[string]string{"number": text}}
		msg = fmt.Sprintf("Recorded the gateway's case number %s on %s. When the desk first replies, say /payissue case replied.", text, inc.Ref)
	default:
		return userErrorf("Give the gateway's case number, for example /payissue case 04512345, or /payissue case replied when the desk answers.")
	}
	inc.UpdatedAt = now
	if err := r.commit(ctx, inc, incidents.Change{Timeline: []incidents.TimelineEntry{entry}}); err != nil {
		return err
	}
	r.say(KindText, msg).Incident = inc.Ref
	return nil
}

func (e *Engine) cmdDashboard(_ context.Context, r *reply, _ string) error {
	e.review.mu.Lock()
	l := e.review.dashboard
	e.review.mu.Unlock()
	if l == nil {
		return userErrorf("The dashboard is off: set PAYBOT_DASHBOARD_TOKEN and run paybot serve.")
	}
	url, exp, err := l.Link(e.clock.Now())
	if err != nil {
		return err
	}
	u := r.ev.User
	m := r.say(KindText, fmt.Sprintf("Your dashboard link, valid until %s (do not share it): %s", exp.In(e.loc).Format("2006-01-02 15:04 MST"), url))
	m.To = &u
	return nil
}

// recordOffered notes on inc's timeline the knowledge-base articles the bot
// offered, for the postmortem. Failing to record never fails the answer.
func (e *Engine) recordOffered(ctx context.Context, r *reply, inc *incidents.Incident, hits []Hit) {
	if inc == nil || len(hits) == 0 {
		return
	}
	var titles, ids []string
	for _, h := range hits {
		titles = append(titles, h.Title)
		ids = append(ids, h.ID)
	}
	inc.UpdatedAt = r.ev.At
	entry := incidents.TimelineEntry{IncidentID: inc.ID, At: r.ev.At, Actor: paybotUser, Kind: incidents.EventKBOffered,
		Text: "offered: " + strings.Join(titles, "; "), Data: map[string]string{"titles": strings.Join(titles, "\n"), "ids": strings.Join(ids, "\n")}}
	if err := r.commit(ctx, inc, incidents.Change{Timeline: []incidents.TimelineEntry{entry}}); err != nil {
		e.log.Warn("recording offered articles", "incident", inc.Ref, "err", err)
	}
}

// recordOfferedInThread records hits offered in answer to a question asked
// in an incident's thread.
func (e *Engine) recordOfferedInThread(ctx context.Context, r *reply, hits []Hit) {
	inc, err := e.threadIncident(ctx, r.ev.Conversation)
	if err != nil {
		return
	}
	// The event may already hold a change of this incident (the question
	// on its timeline): add to that copy, or the second write would find
	// the first one's version and be refused as a conflict.
	if w := r.write; w != nil && w.inc.ID == inc.ID {
		inc = w.inc
	}
	e.recordOffered(ctx, r, inc, hits)
}

// offerDuplicates runs when an intake completes: if inc repeats an open
// incident (a transaction id, or the provider and an error code within the
// configured window), it says so in the thread and offers to join it.
func (e *Engine) offerDuplicates(ctx context.Context, r *reply, inc *incidents.Incident) {
	open, err := e.store.ListIncidents(ctx, incidents.ListFilter{Statuses: []incidents.Status{incidents.StatusOpen, incidents.StatusEscalated}, Limit: 500})
	if err != nil {
		e.log.Warn("duplicate check", "incident", inc.Ref, "err", err)
		return
	}
	matches := incidents.FindDuplicates(inc, open, e.policy.Review.DuplicateWindow)
	if len(matches) == 0 {
		return
	}
	var lines []string
	var choices []Choice
	var entries []incidents.TimelineEntry
	for i, m := range matches {
		if i == 3 {
			break
		}
		o := m.Incident
		lines = append(lines, plain(fmt.Sprintf("%s (%s, %s, reported by %s): %s", o.Ref, o.Title, o.Status, displayName(o.Reporter), m.Why)))
		choices = append(choices, Choice{Value: inc.Ref + " into " + o.Ref, Label: "Join " + o.Ref})
		entries = append(entries, incidents.TimelineEntry{IncidentID: inc.ID, At: r.ev.At, Actor: paybotUser, Kind: incidents.EventDuplicate,
			Text: "looks like " + o.Ref + ": " + m.Why, Data: map[string]string{"of": o.Ref, "why": m.Why}})
	}
	inc.UpdatedAt = r.ev.At
	if err := r.commit(ctx, inc, incidents.Change{Timeline: entries}); err != nil {
		e.log.Warn("recording duplicate", "incident", inc.Ref, "err", err)
	}
	text := fmt.Sprintf("%s may be a duplicate of an open incident:\n  %s\nJoin it to work in one thread: press the button, or /payissue merge %s.",
		inc.Ref, strings.Join(lines, "\n  "), choices[0].Value)
	r.add(Message{Conversation: inc.Conversation, Incident: inc.Ref, Kind: KindText, Text: text, Expects: "merge", Choices: choices})
}

var mergeArgs = regexp.MustCompile(`(?i)^(?:(PAY-\d+)\s+)?into\s+(PAY-\d+)$`)

// cmdMerge merges a duplicate into the incident it repeats: the target gets
// the reporter (as a responder), the details it lacks and a copy of the
// timeline; the duplicate is cancelled with a pointer. Both threads hear.
func (e *Engine) cmdMerge(ctx context.Context, r *reply, args string) error {
	m := mergeArgs.FindStringSubmatch(strings.TrimSpace(args))
	if m == nil {
		return userErrorf("Say which incident goes into which: /payissue merge PAY-13 into PAY-12 (in PAY-13's thread: /payissue merge into PAY-12).")
	}
	var src *incidents.Incident
	var err error
	if m[1] != "" {
		src, err = e.store.IncidentByRef(ctx, m[1])
	} else {
		src, err = e.incidentFor(ctx, r, "")
	}
	if err != nil {
		return err
	}
	dst, err := e.store.IncidentByRef(ctx, m[2])
	if err != nil {
		return err
	}
	if src.ID == dst.ID {
		return userErrorf("%s can't be merged into itself.", src.Ref)
	}
	if err := e.authorize(ctx, r, src, "merge"); err != nil {
		return err
	}
	if !dst.Status.Active() || dst.Status == incidents.StatusIntake {
		return userErrorf("%s is %s; merge only into an open incident.", dst.Ref, dst.Status)
	}
	if !src.Status.Active() {
		return userErrorf("%s is %s and can't be merged.", src.Ref, src.Status)
	}
	srcTL, err := e.store.Timeline(ctx, src.ID)
	if err != nil {
		return err
	}
	dstTL, err := e.store.Timeline(ctx, dst.ID)
	if err != nil {
		return err
	}
	now := r.ev.At
	already := false
	for _, en := range dstTL {
		if en.Kind == incidents.EventMerge && en.Data["from"] == src.Ref {
			already = true // a retry after the first half committed
		}
	}
	if !already {
		mergeDetails(&dst.Details, src.Details)
		dst.UpdatedAt = now
		rep := src.Reporter
		entries := []incidents.TimelineEntry{{IncidentID: dst.ID, At: now, Actor: r.ev.User, Kind: incidents.EventMerge,
			Text: fmt.Sprintf("merged %s (%s, reported by %s) into this incident", src.Ref, src.Title, displayName(rep)),
			Data: map[string]string{"from": src.Ref, "handle": rep.ID, "platform": rep.Platform, "reporter": displayName(rep)}}}
		for _, en := range srcTL {
			entries = append(entries, incidents.TimelineEntry{IncidentID: dst.ID, At: now, Actor: en.Actor, Kind: incidents.EventMergedEntry,
				Text: fmt.Sprintf("[from %s, %s, %s] %s", src.Ref, en.At.In(e.loc).Format("2006-01-02 15:04:05 MST"), en.Kind, en.Text),
				Data: map[string]string{"from": src.Ref, "kind": string(en.Kind), "at": en.At.UTC().Format(time.RFC3339Nano)}})
		}
		ch := incidents.Change{Timeline: entries}
		ch.Notify = append(ch.Notify, e.threadPost(dst, fmt.Sprintf("merge/%s/%s", dst.ID, src.ID),
			fmt.Sprintf("%s merged %s into %s: %s reported the same problem (%s). Their details and timeline are copied here.",
				e.mention(dst.Conversation.Platform, r.ev.User), src.Ref, dst.Ref, e.mention(dst.Conversation.Platform, rep), plain(src.Title)), now))
		if err := r.commit(ctx, dst, ch); err != nil {
			return err
		}
	}
	entry, err := src.Transition(incidents.StatusCancelled, r.ev.User, now)
	if err != nil {
		return err
	}
	entry.Text += " (merged into " + dst.Ref + ")"
	ch := incidents.Change{Timeline: []incidents.TimelineEntry{entry, {IncidentID: src.ID, At: now, Actor: r.ev.User, Kind: incidents.EventMerge,
		Text: "merged into " + dst.Ref, Data: map[string]string{"into": dst.Ref}}}}
	ch.Notify = append(ch.Notify, e.threadPost(src, fmt.Sprintf("merged/%s", src.ID),
		fmt.Sprintf("%s is merged into %s and closed here. Follow %s in its thread; everything said here was copied there.", src.Ref, dst.Ref, dst.Ref), now),
		e.cardNote(src, now))
	if err := r.commit(ctx, src, ch); err != nil {
		return err
	}
	if r.ev.Conversation != src.Conversation && r.ev.Conversation != dst.Conversation {
		r.say(KindText, fmt.Sprintf("Merged %s into %s.", src.Ref, dst.Ref))
	}
	return nil
}

// mergeDetails adds to d what only s knows: transaction ids, codes and
// payment methods are united, empty texts filled.
func mergeDetails(d *incidents.Details, s incidents.Details) {
	d.TransactionIDs = union(d.TransactionIDs, s.TransactionIDs)
	d.PaymentMethods = union(d.PaymentMethods, s.PaymentMethods)
	seen := map[string]bool{}
	for _, c := range d.Codes {
		seen[c.String()] = true
	}
	for _, c := range s.Codes {
		if !seen[c.String()] {
			seen[c.String()] = true
			d.Codes = append(d.Codes, c)
		}
	}
	if d.ErrorMessages == "" {
		d.ErrorMessages = s.ErrorMessages
	} else if s.ErrorMessages != "" && !strings.Contains(d.ErrorMessages, s.ErrorMessages) {
		d.ErrorMessages += "\n" + s.ErrorMessages
	}
	if d.StartedAt == nil || (s.StartedAt != nil && s.StartedAt.Before(*d.StartedAt)) {
		d.StartedAt = s.StartedAt
	}
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	for _, v := range a {
		seen[strings.ToLower(v)] = true
	}
	for _, v := range b {
		if !seen[strings.ToLower(v)] {
			seen[strings.ToLower(v)] = true
			a = append(a, v)
		}
	}
	return a
}

// ensureDigest schedules the next digest once per engine, when one is
// configured; the job's dedupe key is its due time, so every replica and
// every restart schedules the same job.
func (e *Engine) ensureDigest(ctx context.Context) {
	d := e.policy.Review.Digest
	e.review.mu.Lock()
	done := e.review.digestOnce
	e.review.digestOnce = true
	e.review.mu.Unlock()
	if done || !d.Enabled {
		return
	}
	sj, ok := e.store.(systemJobStore)
	if !ok {
		e.log.Warn("the digest needs a store with system jobs; it is not scheduled")
		return
	}
	if err := sj.ScheduleSystemJobs(ctx, []incidents.Job{digestJob(d, d.NextRun(e.clock.Now()))}); err != nil {
		e.log.Error("scheduling the digest", "err", err)
		e.review.mu.Lock()
		e.review.digestOnce = false
		e.review.mu.Unlock()
	}
}

func digestSig(d incidents.Digest) string {
	return fmt.Sprintf("%s/%s/%s/%d/%s/%s", d.Platform, d.Channel, d.Weekday, d.At, d.Location, strings.Join(d.Providers, ","))
}

// digestJob is the digest due at due. Its dedupe key carries the
// configuration's signature, so a changed configuration starts its own
// chain (the old one ends at its next run); the post's key does not, so a
// period is posted once whichever chain runs it.
func digestJob(d incidents.Digest, due time.Time) incidents.Job {
	sum := sha256.Sum256([]byte(digestSig(d)))
	return incidents.Job{IncidentID: uuid.Nil, Kind: incidents.JobDigest, DueAt: due,
		DedupeKey: "digest/" + hex.EncodeToString(sum[:6]) + "/" + due.UTC().Format(time.RFC3339),
		Payload:   map[string]string{"sig": digestSig(d)}}
}

// runDigest posts the digest of the period ending at the job's due time
// and schedules the next one, in one transaction: a period's digest is
// posted once, whatever restarts or replicas there are.
func (e *Engine) runDigest(ctx context.Context, js incidents.JobStore, j incidents.Job) error {
	now := e.clock.Now()
	d := e.policy.Review.Digest
	sj, ok := e.store.(systemJobStore)
	if !ok || !d.Enabled || j.Payload["sig"] != digestSig(d) {
		// Configuration changed or removed: this chain ends; ensureDigest
		// started the current one.
		return js.CompleteJob(ctx, j.ID, now)
	}
	src, ok := e.store.(report.Source)
	if !ok {
		return js.CompleteJob(ctx, j.ID, now)
	}
	end := j.DueAt
	start := end.Add(-d.Period)
	providers := d.Providers
	if len(providers) == 0 {
		providers = []string{""}
	}
	var reps []*report.Report
	for _, p := range providers {
		rep, err := report.Run(ctx, src, e.policy, report.Query{From: start, To: end, Provider: p, Location: d.Location, TopCodes: 5}, end)
		if err != nil {
			return err
		}
		reps = append(reps, rep)
	}
	period := fmt.Sprintf("%s to %s (%s)", start.In(d.Location).Format("Mon 2006-01-02 15:04"), end.In(d.Location).Format("Mon 2006-01-02 15:04"), d.Location)
	text := plain(report.DigestText(period, reps, 10))
	if late := now.Sub(j.DueAt); late > lateAfter {
		text += fmt.Sprintf("\n(Late by %s: Paybot was not running when it was due.)", incidents.FmtDuration(late))
	}
	key := "digest/" + j.DueAt.UTC().Format(time.RFC3339)
	note := notification(&incidents.Incident{}, incidents.NotifyThreadPost, key,
		outPayload{Message: Message{Conversation: Conversation{Platform: d.Platform, Channel: d.Channel}, Kind: KindText, Text: text}}, now)
	next := d.NextRun(j.DueAt)
	if !next.After(now) {
		next = d.NextRun(now) // down for more than a period: one digest, then back on schedule
	}
	err := sj.CompleteJobWith(ctx, j.ID, now, []incidents.Job{digestJob(d, next)}, []incidents.Notification{note})
	if errors.Is(err, incidents.ErrNotFound) {
		return nil // another replica finished it
	}
	return err
}

// Store returns the engine's store, for read-only views (the dashboard).
func (e *Engine) Store() incidents.Store { return e.store }

// Location returns the time zone the engine shows times in.
func (e *Engine) Location() *time.Location { return e.loc }

// plainer defuses what chat platforms read as mentions in user text that
// the review features echo (titles, follow-ups, postmortems, digests):
// Slack's <!channel>, <@U1>, <#C1> and Discord's <@123>, <@&role>, and
// @everyone/@here. A zero-width joiner after the < or @ keeps the text
// readable and inert.
var plainer = strings.NewReplacer("<!", "<\u2060!", "<@", "<\u2060@", "<#", "<\u2060#", "@everyone", "@\u2060everyone", "@here", "@\u2060here")

func plain(s string) string { return plainer.Replace(s) }
