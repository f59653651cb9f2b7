package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/diagnose"
	"github.com/paybot/paybot/incidents/gatewaystatus"
)

// Gateway status correlation and diagnostics (issue 12).
//
// The poller (incidents/gatewaystatus, started by cmd/paybot) hands every
// snapshot to GatewayUpdate. For each active incident of that provider the
// engine compares the page's active events with those last posted in the
// thread (Incident.Details.Gateway) and, when they differ, commits in one
// UpdateIncident: the new Details.Gateway, a timeline entry, a thread post
// and a card update through the outbox. The change's EventKey is derived
// from the incident's version and the events' revisions, so replicas racing
// on the same poll commit once (ErrDuplicate or ErrConflict for the loser),
// and a restart compares against what the store says was posted: exactly
// one post per status change.
//
// Diagnoses take seconds. /payissue diagnose answers at once and runs the
// checks on its own goroutine with a 10 s budget (diagnoseTimeout), then
// posts the result through the outbox and records it in the timeline, so
// an event worker is never held up; at most maxDiagnoses run at a time.

const (
	diagnoseTimeout = 10 * time.Second
	maxDiagnoses    = 4
)

// Diagnoser runs a diagnosis; diagnose.Run with a fixed Config in
// production, a loopback one in tests.
type Diagnoser func(ctx context.Context, target string) (*diagnose.Report, error)

type gatewayState struct {
	mu       sync.Mutex
	idle     *sync.Cond // signalled when running drops to 0
	diagnose Diagnoser
	running  int
}

func (e *Engine) registerGatewayCommands() {
	e.gw = &gatewayState{diagnose: func(ctx context.Context, target string) (*diagnose.Report, error) {
		return diagnose.Run(ctx, diagnose.Config{Clock: e.clock, Timeout: diagnoseTimeout}, target)
	}}
	e.gw.idle = sync.NewCond(&e.gw.mu)
	e.register(&command{name: "gateway", aliases: []string{"gateways"}, usage: "/payissue gateway [provider]",
		help: "the gateways' status pages as last polled: declared incidents and maintenances, with the poll's age", run: e.cmdGateway})
	e.register(&command{name: "diagnose", usage: "/payissue diagnose [REF] [provider|URL]",
		help: "check DNS, TCP, TLS and the certificate, and the HTTP answer of the provider's API (results in the thread and the packet)", run: e.cmdDiagnose})
}

// SetDiagnoser replaces how diagnoses run (tests point it at loopback
// servers with a test CA).
func (e *Engine) SetDiagnoser(d Diagnoser) {
	e.gw.mu.Lock()
	e.gw.diagnose = d
	e.gw.mu.Unlock()
}

// WaitDiagnoses waits until running diagnoses have posted their results.
// (A condition variable rather than a WaitGroup: it may be called while
// new diagnoses start.)
func (e *Engine) WaitDiagnoses() {
	e.gw.mu.Lock()
	for e.gw.running > 0 {
		e.gw.idle.Wait()
	}
	e.gw.mu.Unlock()
}

// safeText prepares text that comes from outside (status pages,
// certificates, servers' errors) for posting: URLs with credentials or
// tokens are masked, card data and secrets redacted, and angle brackets
// replaced so that no "<!channel>" or "<@U123>" becomes a live Slack
// control sequence.
func safeText(s string) string {
	return angle.Replace(diagnose.MaskURLsIn(s))
}

var angle = strings.NewReplacer("<", "‹", ">", "›")

// sanitizeEvents applies safeText to every text of events read from a
// page, before anything is stored or posted.
func sanitizeEvents(evs []incidents.GatewayEvent) []incidents.GatewayEvent {
	out := make([]incidents.GatewayEvent, 0, len(evs))
	for _, g := range evs {
		g.Name = safeText(g.Name)
		g.URL = angle.Replace(diagnose.MaskURL(g.URL))
		g.Status = safeText(g.Status)
		g.Impact = safeText(g.Impact)
		comps := make([]string, len(g.Components))
		for i, c := range g.Components {
			comps[i] = safeText(c)
		}
		g.Components = comps
		out = append(out, g)
	}
	return out
}

func (e *Engine) providerName(id string) string {
	if p := e.policy.Providers[strings.ToLower(id)]; p != nil && p.Name != "" {
		return p.Name
	}
	if id == "" {
		return id
	}
	return strings.ToUpper(id[:1]) + id[1:]
}

// GatewayUpdate correlates a status-page snapshot with the open incidents
// of its provider and, when configured, posts a channel notice while none
// is open. A snapshot of a failed poll (Err set) changes nothing: its
// events may be stale. Errors: the store's.
func (e *Engine) GatewayUpdate(ctx context.Context, snap incidents.GatewaySnapshot) error {
	if snap.Err != "" || snap.Provider == "" {
		return nil
	}
	evs := sanitizeEvents(snap.Events)
	list, err := e.store.ListIncidents(ctx, incidents.ListFilter{
		Statuses: []incidents.Status{incidents.StatusIntake, incidents.StatusOpen, incidents.StatusEscalated}, Limit: 1000})
	if err != nil {
		return err
	}
	open := 0
	queued := false
	for _, inc := range list {
		if !strings.EqualFold(inc.Details.Provider, snap.Provider) {
			continue
		}
		open++
		for attempt := 0; attempt < 3; attempt++ {
			posted, err := e.correlate(ctx, inc, evs)
			if err == nil {
				queued = queued || posted
				break
			}
			if errors.Is(err, incidents.ErrDuplicate) {
				break // another replica posted this change
			}
			if !errors.Is(err, incidents.ErrConflict) {
				e.log.Error("gateway correlation", "incident", inc.Ref, "err", err)
				break
			}
			if inc, err = e.store.Incident(ctx, inc.ID); err != nil {
				break
			}
		}
	}
	if open == 0 {
		queued = e.gatewayNotice(ctx, snap.Provider, evs) || queued
	}
	if queued {
		if _, err := e.FlushOutbox(ctx); err != nil {
			e.log.Error("outbox", "err", err)
		}
		e.kickOutbox()
	}
	return nil
}

func sameEvents(a, b []incidents.GatewayEvent) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(evs []incidents.GatewayEvent) []string {
		var k []string
		for _, g := range evs {
			k = append(k, g.ID+"\x00"+g.Revision())
		}
		sort.Strings(k)
		return k
	}
	ka, kb := key(a), key(b)
	for i := range ka {
		if ka[i] != kb[i] {
			return false
		}
	}
	return true
}

// correlate posts what changed between inc's last posted events and evs.
// It reports whether it queued anything.
func (e *Engine) correlate(ctx context.Context, inc *incidents.Incident, evs []incidents.GatewayEvent) (bool, error) {
	prev := inc.Details.Gateway
	if sameEvents(prev, evs) {
		return false, nil
	}
	name := e.providerName(inc.Details.Provider)
	var lines []string
	old := map[string]incidents.GatewayEvent{}
	for _, g := range prev {
		old[g.ID] = g
	}
	seen := map[string]bool{}
	for _, g := range evs {
		seen[g.ID] = true
		p, had := old[g.ID]
		switch {
		case !had && g.Kind == incidents.GatewayMaintenance:
			lines = append(lines, fmt.Sprintf("%s's status page shows a maintenance in progress: %s", name, g.Line()))
		case !had:
			lines = append(lines, fmt.Sprintf("%s has declared an incident on its status page: %s", name, g.Line()))
		case p.Revision() != g.Revision():
			lines = append(lines, fmt.Sprintf("%s's status page has an update: %s", name, g.Line()))
		}
	}
	for _, g := range prev {
		if !seen[g.ID] {
			lines = append(lines, fmt.Sprintf("%s's status page no longer lists %q as active (resolved or ended).", name, g.Name))
		}
	}
	now := e.clock.Now()
	sum := sha256.New()
	fmt.Fprintf(sum, "%d", inc.Version)
	for _, g := range evs {
		fmt.Fprintf(sum, "|%s/%s", g.ID, g.Revision())
	}
	key := fmt.Sprintf("gateway:%s:%s", inc.ID, hex.EncodeToString(sum.Sum(nil))[:16])
	text := safeText(strings.Join(lines, "\n"))
	if len(evs) > 0 && len(prev) == 0 {
		text += "\nThis points to the gateway rather than your integration; I've added it to the card and the support packet."
	}
	inc.Details.Gateway = evs
	inc.UpdatedAt = now
	ch := incidents.Change{
		EventKey: key,
		Timeline: []incidents.TimelineEntry{{IncidentID: inc.ID, At: now, Actor: User{Platform: inc.Conversation.Platform, ID: "paybot", Name: "paybot"},
			Kind: incidents.EventGateway, Text: text, Data: map[string]string{"provider": inc.Details.Provider}}},
	}
	if !inc.Conversation.IsZero() {
		ch.Notify = append(ch.Notify, e.threadPost(inc, key, text, now))
	}
	if inc.CardMessage != "" {
		ch.Notify = append(ch.Notify, e.cardNote(inc, now))
	}
	if err := e.store.UpdateIncident(ctx, inc, ch); err != nil {
		inc.Details.Gateway = prev
		return false, err
	}
	return len(ch.Notify) > 0, nil
}

// gatewayNotice posts each new active event (or new revision of one) in the
// provider's status_notice_channel, once across replicas and restarts.
func (e *Engine) gatewayNotice(ctx context.Context, provider string, evs []incidents.GatewayEvent) bool {
	pr := e.policy.Providers[strings.ToLower(provider)]
	if pr == nil || pr.StatusNoticeChannel == "" || len(evs) == 0 {
		return false
	}
	conv, ok := incidents.ParseNoticeChannel(pr.StatusNoticeChannel)
	gs, ok1 := e.store.(incidents.GatewayStore)
	ob := e.store
	if !ok || !ok1 {
		return false
	}
	now := e.clock.Now()
	queued := false
	for _, g := range evs {
		key := fmt.Sprintf("gateway-notice:%s:%s:%s", strings.ToLower(provider), g.ID, g.Revision())
		won, err := gs.ClaimGatewayPost(ctx, key, provider, uuid.Nil, now)
		if err != nil {
			e.log.Error("gateway notice", "provider", provider, "err", err)
			continue
		}
		if !won {
			continue
		}
		what := "has declared an incident"
		if g.Kind == incidents.GatewayMaintenance {
			what = "has a maintenance in progress"
		}
		text := safeText(fmt.Sprintf("%s %s on its status page: %s\nNo Paybot incident is open for %s. If your payments are affected, open one with /payissue <summary>.",
			e.providerName(provider), what, g.Line(), e.providerName(provider)))
		n := notification(&incidents.Incident{}, incidents.NotifyThreadPost, key, outPayload{Message: Message{Conversation: conv, Kind: KindText, Text: text}}, now)
		if err := ob.QueueNotifications(ctx, []incidents.Notification{n}); err != nil {
			e.log.Error("gateway notice", "provider", provider, "err", err)
			continue
		}
		queued = true
	}
	return queued
}

// cmdGateway shows the last poll of one or all providers.
func (e *Engine) cmdGateway(ctx context.Context, r *reply, args string) error {
	want := strings.ToLower(strings.TrimSpace(args))
	snaps := map[string]incidents.GatewaySnapshot{}
	if gs, ok := e.store.(incidents.GatewayStore); ok {
		list, err := gs.GatewaySnapshots(ctx)
		if err != nil {
			return err
		}
		for _, s := range list {
			snaps[s.Provider] = s
		}
	}
	var ids []string
	for id, p := range e.policy.Providers {
		if p.StatusPage != "" {
			ids = append(ids, id)
		}
	}
	for id := range snaps {
		if e.policy.Providers[id] == nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if want != "" {
		known := e.policy.Providers[want] != nil || snaps[want].Provider != "" || incidents.DefaultAPIEndpoints[want] != ""
		if !known || len(strings.Fields(want)) > 1 {
			// "/payissue gateway timeouts" is an incident summary, as it
			// was before this command existed.
			return e.openIncident(ctx, r, "gateway "+strings.TrimSpace(args))
		}
		ids = []string{want}
	}
	if len(ids) == 0 {
		r.say(KindText, "No status pages are configured. Add providers.<name>.status_page to the config (the page's base URL, or an RSS/Atom feed URL).")
		return nil
	}
	now := e.clock.Now()
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.gatewayLine(id, snaps[id], now))
	}
	r.say(KindText, safeText(b.String()))
	return nil
}

func (e *Engine) gatewayLine(id string, s incidents.GatewaySnapshot, now time.Time) string {
	name := e.providerName(id)
	p := e.policy.Providers[id]
	if p == nil || p.StatusPage == "" {
		if s.Provider == "" {
			return name + ": no status page configured."
		}
	}
	if s.Provider == "" || s.CheckedAt.IsZero() {
		return name + ": not polled yet."
	}
	var b strings.Builder
	b.WriteString(name + ": ")
	switch {
	case len(s.Events) > 0:
		for i, g := range sanitizeEvents(s.Events) {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(g.Line())
		}
	case s.Description != "":
		b.WriteString(s.Description)
	case s.FetchedAt.IsZero():
		b.WriteString("status unknown")
	default:
		b.WriteString("nothing declared")
	}
	if s.FetchedAt.IsZero() {
		fmt.Fprintf(&b, " (never read successfully; last try %s ago failed: %s)", roughDuration(now.Sub(s.CheckedAt)), s.Err)
	} else {
		fmt.Fprintf(&b, " (as of %s ago", roughDuration(now.Sub(s.FetchedAt)))
		if s.Err != "" {
			fmt.Fprintf(&b, "; the last poll %s ago failed: %s", roughDuration(now.Sub(s.CheckedAt)), s.Err)
		}
		b.WriteString(")")
	}
	return b.String()
}

// cmdDiagnose starts a diagnosis of a provider's API endpoint or a URL and
// answers at once; the result follows in the thread.
func (e *Engine) cmdDiagnose(ctx context.Context, r *reply, args string) error {
	arg := strings.TrimSpace(args)
	var inc *incidents.Incident
	var ierr error
	if first, rest, _ := strings.Cut(arg, " "); refPattern.MatchString(first) {
		// "/payissue diagnose PAY-12 [provider|URL]", for platforms where
		// slash commands cannot be typed in a thread.
		if inc, ierr = e.byRef(ctx, r, first); ierr != nil { // not another platform's incident
			return ierr
		}
		arg = strings.TrimSpace(rest)
	} else if inc, ierr = e.threadIncident(ctx, r.ev.Conversation); ierr != nil {
		if !errors.Is(ierr, incidents.ErrNotFound) {
			return ierr
		}
		inc = nil
	}
	provider, target := "", ""
	switch {
	case arg == "" && inc != nil && inc.Details.Provider != "":
		provider = strings.ToLower(inc.Details.Provider)
	case arg == "":
		return userErrorf("What should I check? /payissue diagnose stripe, or a URL such as /payissue diagnose https://api.stripe.com/v1/ (inside an incident thread I check the incident's provider).")
	case strings.Contains(arg, "://") || strings.Contains(arg, "."):
		target = strings.Fields(arg)[0]
	default:
		provider = strings.ToLower(strings.Fields(arg)[0])
	}
	if provider != "" {
		target = e.policy.APIEndpoint(provider)
		if target == "" {
			return userErrorf("I don't know the API endpoint of %q. Set providers.%s.api_endpoint in the config, or give a URL: /payissue diagnose https://…", provider, provider)
		}
	}
	if _, err := diagnose.ParseTarget(target); err != nil {
		return userErrorf("I can't check %q: give an https URL such as https://api.stripe.com/v1/.", safeText(target))
	}
	g := e.gw
	g.mu.Lock()
	if g.running >= maxDiagnoses {
		g.mu.Unlock()
		return userErrorf("%d diagnoses are already running; try again in a few seconds.", maxDiagnoses)
	}
	g.running++
	run := g.diagnose
	g.mu.Unlock()
	where := r.ev.Conversation
	if inc != nil && !inc.Conversation.IsZero() {
		where = inc.Conversation
	}
	r.say(KindText, safeText(fmt.Sprintf("Checking %s (DNS, TCP, TLS, certificate, HTTP); the results follow here in a few seconds.", target)))
	var incID uuid.UUID
	if inc != nil {
		incID = inc.ID
	}
	actor := r.ev.User
	evID := r.ev.ID
	go func() {
		defer func() {
			g.mu.Lock()
			g.running--
			if g.running == 0 {
				g.idle.Broadcast()
			}
			g.mu.Unlock()
		}()
		// The event's context ends when its handling does; the diagnosis
		// has its own budget.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), diagnoseTimeout+2*time.Second)
		defer cancel()
		rep, err := run(dctx, target)
		e.postDiagnosis(context.WithoutCancel(ctx), incID, where, actor, evID, provider, target, rep, err)
	}()
	return nil
}

// postDiagnosis records a finished diagnosis in the incident's timeline and
// posts it through the outbox (or, outside an incident, queues it alone).
func (e *Engine) postDiagnosis(ctx context.Context, incID uuid.UUID, where Conversation, actor User, evID, provider, target string,
	rep *diagnose.Report, derr error) {
	var text, short string
	if derr != nil {
		text = "The diagnosis could not run: " + derr.Error()
		short = text
	} else {
		rep.Provider = provider
		text = rep.Text()
		var parts []string
		for _, c := range rep.Checks {
			if c.Verdict != diagnose.Skip {
				parts = append(parts, c.Name+" "+string(c.Verdict))
			}
		}
		short = fmt.Sprintf("%s %s: %s (%s). %s", rep.Target, strings.ToUpper(string(rep.Verdict)), strings.Join(parts, ", "), rep.At.Format("15:04 UTC"), rep.Summary)
	}
	text, short = safeText(text), safeText(short)
	key := "diagnose:" + evID
	if evID == "" {
		key += uuid.NewString()
	}
	now := e.clock.Now()
	if incID != uuid.Nil {
		for attempt := 0; attempt < 3; attempt++ {
			inc, err := e.store.Incident(ctx, incID)
			if err != nil {
				break
			}
			inc.UpdatedAt = now
			ch := incidents.Change{EventKey: key,
				Timeline: []incidents.TimelineEntry{{IncidentID: inc.ID, At: now, Actor: actor, Kind: incidents.EventDiagnosis, Text: short,
					Data: map[string]string{"target": diagnose.MaskURL(target), "verdict": verdictOf(rep)}}},
				Notify: []incidents.Notification{notification(inc, incidents.NotifyThreadPost, key,
					outPayload{Message: Message{Conversation: where, Incident: inc.Ref, Kind: KindText, Text: text}}, now)}}
			err = e.store.UpdateIncident(ctx, inc, ch)
			if err == nil || errors.Is(err, incidents.ErrDuplicate) {
				e.flushSoon(ctx)
				return
			}
			if !errors.Is(err, incidents.ErrConflict) {
				e.log.Error("recording diagnosis", "err", err)
				break
			}
		}
	}
	ob := e.store
	n := notification(&incidents.Incident{}, incidents.NotifyThreadPost, key, outPayload{Message: Message{Conversation: where, Kind: KindText, Text: text}}, now)
	if err := ob.QueueNotifications(ctx, []incidents.Notification{n}); err != nil {
		e.log.Error("queueing diagnosis", "err", err)
		return
	}
	e.flushSoon(ctx)
}

func verdictOf(r *diagnose.Report) string {
	if r == nil {
		return "error"
	}
	return string(r.Verdict)
}

func (e *Engine) flushSoon(ctx context.Context) {
	if _, err := e.FlushOutbox(ctx); err != nil {
		e.log.Error("outbox", "err", err)
	}
	e.kickOutbox()
}

// GatewayPoller returns a poller for every provider with a status_page,
// each at its status_poll interval, that keeps its snapshots in the store
// (when it is a GatewayStore) and hands them to GatewayUpdate. client may
// be nil. Run it with its Run method; it returns nil when no provider has a
// status page.
func (e *Engine) GatewayPoller(client *http.Client) *gatewaystatus.Poller {
	var srcs []gatewaystatus.Source
	for id, p := range e.policy.Providers {
		if p.StatusPage != "" {
			srcs = append(srcs, gatewaystatus.Source{Provider: id, URL: p.StatusPage, Interval: e.policy.StatusInterval(id)})
		}
	}
	if len(srcs) == 0 {
		return nil
	}
	gs, _ := e.store.(incidents.GatewayStore)
	return gatewaystatus.New(gatewaystatus.Config{Sources: srcs, Client: client, Clock: e.clock, Store: gs, Logger: e.log,
		OnSnapshot: func(ctx context.Context, s incidents.GatewaySnapshot) {
			if err := e.GatewayUpdate(ctx, s); err != nil {
				e.log.Error("gateway update", "provider", s.Provider, "err", err)
			}
		}})
}
