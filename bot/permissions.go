package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents"
)

// Permissions: every command that changes an incident is checked here,
// once, against the matrix in incidents/permissions.go, before it runs
// (runCommand, called by the router for typed commands and buttons alike).
// Roles come from the incident's typed fields and the config; posting in
// the thread gives none.

// guard says which action a command performs on its incident, given the
// incident and the command's arguments (after the ref, if any). It returns
// "" when this use of the command needs no role. The action is also the
// refusal's wording ("only the lead or incident managers can lower the
// severity of PAY-3"), so each use of a command names what it attempts
// (raise, lower or set a severity; add, close or list follow-ups), even
// where two uses need the same roles.
type guard struct {
	// skipFirst: the first word of args is not the ref ("severity SEV2 PAY-3").
	skipFirst bool
	action    func(inc *incidents.Incident, args, rest string) incidents.Action
}

func always(a incidents.Action) guard {
	return guard{action: func(*incidents.Incident, string, string) incidents.Action { return a }}
}

// commandGuards maps command names to their permission; a command not
// listed needs no role (help, list, search, status, join yourself…).
var commandGuards = map[string]guard{
	"escalate":  always(incidents.ActEscalate),
	"ack":       always(incidents.ActAck),
	"resolve":   always(incidents.ActResolve),
	"rootcause": always(incidents.ActRootCause),
	"update":    always(incidents.ActUpdate),
	"case": {action: func(_ *incidents.Incident, _, rest string) incidents.Action {
		switch strings.ToLower(strings.TrimSpace(rest)) {
		case "replied", "reply":
			return incidents.ActCaseReply
		}
		return incidents.ActCase
	}},
	"merge": always(incidents.ActMerge),
	"followup": {action: func(_ *incidents.Incident, _, rest string) incidents.Action {
		rest = strings.TrimSpace(rest)
		switch {
		case rest == "" || strings.EqualFold(rest, "list"):
			return incidents.ActFollowupList
		case followDone.MatchString(rest):
			return incidents.ActFollowupDone
		}
		return incidents.ActFollowup
	}},
	"cancel": always(incidents.ActCancel),
	"reopen": {action: func(inc *incidents.Incident, _, _ string) incidents.Action {
		if inc.Status == incidents.StatusCancelled {
			return incidents.ActReopenCancelled
		}
		return incidents.ActReopen
	}},
	"severity": {skipFirst: true, action: func(inc *incidents.Incident, args, _ string) incidents.Action {
		level, _, _ := strings.Cut(strings.TrimSpace(args), " ")
		sev, err := incidents.ParseSeverity(level)
		if err != nil {
			return "" // the command explains the usage
		}
		// SEV1 is the worst: a larger number is milder, a downgrade.
		switch {
		case inc.Severity == incidents.SevUnknown || sev == inc.Severity:
			return incidents.ActSeveritySet // nothing to raise or lower yet
		case sev > inc.Severity:
			return incidents.ActSeverityDown
		}
		return incidents.ActSeverityUp
	}},
	"lead": {action: func(_ *incidents.Incident, _, rest string) incidents.Action {
		if strings.TrimSpace(rest) == "" {
			return "" // asking who leads
		}
		return incidents.ActNameLead
	}},
	"join": {action: func(_ *incidents.Incident, _, rest string) incidents.Action {
		switch strings.ToLower(strings.TrimSpace(rest)) {
		case "", "me", "@me", "myself":
			return "" // anyone may join
		}
		return incidents.ActAddResponder
	}},
}

// runCommand runs c with args after checking the permission matrix.
func (e *Engine) runCommand(ctx context.Context, r *reply, c *command, args string) error {
	g, ok := commandGuards[c.name]
	if !ok {
		return c.run(ctx, r, args)
	}
	refArgs := args
	if g.skipFirst {
		_, refArgs, _ = strings.Cut(strings.TrimSpace(args), " ")
	}
	inc, rest, err := e.incidentArg(ctx, r, refArgs)
	if err != nil {
		return c.run(ctx, r, args) // the command says what is missing
	}
	if a := g.action(inc, args, rest); a != "" {
		if err := e.permit(r, inc, a); err != nil {
			return err
		}
	}
	return c.run(ctx, r, args)
}

// permit refuses a when the sender's roles in inc do not allow it. The
// refusal names who can, and nothing else.
func (e *Engine) permit(r *reply, inc *incidents.Incident, a incidents.Action) error {
	roles := e.policy.RolesOf(r.ev.User, inc, r.ev.At)
	ok, who := incidents.Can(a, roles, inc.Status, inc.Roles.Lead != nil)
	if ok {
		return nil
	}
	what := string(a)
	if a == incidents.ActReopenCancelled {
		return userErrorf("Sorry, only %s can reopen %s: it was cancelled.", who.Names(), inc.Ref)
	}
	msg := fmt.Sprintf("Sorry, only %s can %s %s.", who.Names(), what, inc.Ref)
	if a == incidents.ActCancel && inc.Status != incidents.StatusIntake {
		msg = fmt.Sprintf("Sorry, only %s can cancel %s once it is open.", who.Names(), inc.Ref)
	}
	return userErrorf("%s", msg)
}

// mayAnswerIntake refuses intake answers from people without a part in
// the incident and tells them how to get one.
// The intake's own "cancel" reply is a cancel: a responder who may answer
// may not cancel that way.
func (e *Engine) mayAnswerIntake(r *reply, inc *incidents.Incident, text string) error {
	roles := e.policy.RolesOf(r.ev.User, inc, r.ev.At)
	if ok, who := incidents.Can(incidents.ActAnswerIntake, roles, inc.Status, inc.Roles.Lead != nil); !ok {
		return userErrorf("Only %s answer the questions of %s. To help, join it with %s.", who.Names(), inc.Ref, e.joinHint(inc, r.ev))
	}
	word := strings.ToLower(strings.TrimRight(strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(text), "/!")), ".!"))
	if word == incidents.CmdCancel {
		return e.permit(r, inc, incidents.ActCancel)
	}
	return nil
}

// joinHint is how to join inc, in a form that works on the sender's
// platform wherever it is typed (with the ref: a Slack slash command
// cannot be typed in the thread, so it goes in the channel; in the thread,
// a mention works too).
func (e *Engine) joinHint(inc *incidents.Incident, ev Event) string {
	hint := e.commandExample(ev.Conversation.Platform, "join", [2]string{"ref", inc.Ref})
	if ev.Conversation == inc.Conversation {
		hint += " (or, in this thread, mention me: @Paybot join)"
	}
	return hint
}

// visible reports whether the sender may see inc's details: in the
// incident's own channel (and its thread) on its platform, or as someone
// with a role in it. Elsewhere, at most its ref and status are shown.
func (e *Engine) visible(r *reply, inc *incidents.Incident) bool {
	return e.visibleTo(r.ev.Conversation, r.ev.User, inc, r.ev.At)
}

func (e *Engine) visibleTo(c Conversation, u User, inc *incidents.Incident, now time.Time) bool {
	if c.Platform == inc.Origin.Platform && c.Channel != "" &&
		(c.Channel == inc.Origin.Channel || c.Channel == inc.Conversation.Channel) {
		return true
	}
	if u.Platform != inc.Origin.Platform {
		return false
	}
	return e.policy.RolesOf(u, inc, now).Any()
}

// notVisible is all that is said about an incident outside its channel.
func notVisible(inc *incidents.Incident) string {
	return fmt.Sprintf("%s exists (%s), but its details are shown only in its own channel and to the people working on it.", inc.Ref, inc.Status)
}

// byRef finds an incident by its ref on the sender's platform: an
// incident that lives on another platform is not found from here, so a
// Discord user never learns anything about a Slack incident.
func (e *Engine) byRef(ctx context.Context, r *reply, ref string) (*incidents.Incident, error) {
	inc, err := e.store.IncidentByRef(ctx, ref)
	if err != nil {
		return nil, err
	}
	if p := r.ev.Conversation.Platform; p != "" && inc.Origin.Platform != "" && p != inc.Origin.Platform {
		return nil, incidents.ErrNotFound
	}
	return inc, nil
}

// channelIncident is the incident a command typed outside any thread acts
// on: the channel's only active incident. Slack slash commands carry no
// thread, so this is how "/payissue ack" in a channel works there. With
// several, it asks which one and lists their refs.
func (e *Engine) channelIncident(ctx context.Context, r *reply) (*incidents.Incident, error) {
	c := r.ev.Conversation
	name, _ := splitCommand(r.ev.Text)
	if r.ev.Kind == EventAction {
		name = r.ev.Action
	}
	example := "/payissue " + strings.ToLower(nonEmpty(name, "status"))
	if c.Channel == "" {
		return nil, userErrorf("Which incident? Give its ref, for example %s PAY-12.", example)
	}
	// Filtered by the store, so an old incident of this channel is found
	// however many other channels have open ones.
	list, err := e.store.ListIncidents(ctx, incidents.ListFilter{
		Statuses: []incidents.Status{incidents.StatusIntake, incidents.StatusOpen, incidents.StatusEscalated},
		Platform: c.Platform, OriginChannel: c.Channel, Limit: 200,
	})
	if err != nil {
		return nil, err
	}
	var here []*incidents.Incident
	for _, inc := range list {
		if inc.Origin.Platform == c.Platform && inc.Origin.Channel == c.Channel {
			here = append(here, inc)
		}
	}
	switch len(here) {
	case 0:
		return nil, userErrorf("Which incident? There is no open incident in this channel. Give its ref, for example %s PAY-12 (/payissue list shows the open ones).", example)
	case 1:
		return here[0], nil
	}
	refs := make([]string, 0, len(here))
	for _, inc := range here {
		refs = append(refs, inc.Ref)
	}
	return nil, userErrorf("Which incident? This channel has %d open incidents: %s. Give the ref, for example %s %s.", len(here), strings.Join(refs, ", "), example, refs[0])
}

// mayRemoveAnswer reports whether the sender may remove the community
// answer id whoever gave it (ActRemoveAnswer): an incident manager, or the
// lead of the incident whose thread this is for an answer learned in that
// thread. Anyone can open an incident and lead it while it has no lead, so
// a lead's right reaches no further than their incident. Others may remove
// only their own answers.
func (e *Engine) mayRemoveAnswer(ctx context.Context, r *reply, id string) bool {
	inc, _ := e.threadIncident(ctx, r.ev.Conversation)
	st, hasLead := incidents.StatusOpen, false
	if inc != nil {
		st, hasLead = inc.Status, inc.Roles.Lead != nil
	}
	roles := e.policy.RolesOf(r.ev.User, inc, r.ev.At)
	if ok, _ := incidents.Can(incidents.ActRemoveAnswer, roles, st, hasLead); !ok {
		return false
	}
	if roles&incidents.RoleManager != 0 {
		return true
	}
	ar, ok := e.kb.(ArticleReader)
	if !ok || inc == nil {
		return false
	}
	a, err := ar.Article(ctx, id)
	return err == nil && a.Incident != "" && strings.EqualFold(a.Incident, inc.Ref)
}
