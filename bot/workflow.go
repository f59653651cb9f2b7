package bot

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents"
)

// The workflow commands: a status update that shows on the card and resets
// the update reminder, naming a lead, and joining as a responder. Roles
// are typed fields of the incident (incidents.Roles), never inferred from
// who posted in the thread. Who may run them is the permission matrix
// (permissions.go), checked before they run.
func (e *Engine) registerWorkflowCommands() {
	e.register(&command{name: "update", usage: "/payissue update <where things stand>",
		help: "post a status update in the thread; it shows on the card and resets the update reminder", run: e.cmdUpdate})
	e.register(&command{name: "lead", usage: "/payissue lead @person (or me)", help: "name the incident lead", run: e.cmdLead})
	e.register(&command{name: "join", usage: "/payissue join [REF] [@person]", help: "join the incident as a responder (the lead or a manager can add @person)", run: e.cmdJoin})
}

// maxUpdateLen caps a status update, in runes; Slack sections hold 3,000
// characters and the card shows a shorter excerpt.
const maxUpdateLen = 2000

func (e *Engine) cmdUpdate(ctx context.Context, r *reply, args string) error {
	inc, text, err := e.incidentArg(ctx, r, args)
	if err != nil {
		return err
	}
	if text == "" {
		return userErrorf("Say where things stand, for example: /payissue update rolled back the deploy, declines are falling.")
	}
	if err := workflowActive(inc, "post an update on"); err != nil {
		return err
	}
	// The update is echoed in the thread and on the card: a mention in it
	// must not ping anyone (<!channel> would page the whole channel).
	text = plainMentions(text)
	if r := []rune(text); len(r) > maxUpdateLen {
		text = string(r[:maxUpdateLen]) + "…"
	}
	now := r.ev.At
	inc.Roles.LastUpdate = &incidents.StatusUpdate{Text: text, By: r.ev.User, At: now}
	inc.UpdatedAt = now
	ch := incidents.Change{Timeline: []incidents.TimelineEntry{{IncidentID: inc.ID, At: now, Actor: r.ev.User, Kind: incidents.EventUpdate, Text: text}}}
	e.resetUpdateReminder(inc, &ch, now)
	if err := r.commit(ctx, inc, ch); err != nil {
		return err
	}
	r.cardUpdate = inc
	r.add(Message{Conversation: inc.Conversation, Incident: inc.Ref, Kind: KindText,
		Text: fmt.Sprintf("Update on %s from %s: %s", inc.Ref, e.mention(inc.Conversation.Platform, r.ev.User), text)})
	e.confirmElsewhere(r, inc, "Posted your update in the thread of %s.")
	return nil
}

func (e *Engine) cmdLead(ctx context.Context, r *reply, args string) error {
	inc, who, err := e.incidentArg(ctx, r, args)
	if err != nil {
		return err
	}
	if who == "" {
		if inc.Roles.Lead != nil {
			r.say(KindText, fmt.Sprintf("The lead of %s is %s. Name another with /payissue lead @person.", inc.Ref, displayName(*inc.Roles.Lead))).To = &r.ev.User
			return nil
		}
		return userErrorf("%s has no lead yet. Name one with /payissue lead @person, or /payissue lead me.", inc.Ref)
	}
	if err := workflowActive(inc, "name the lead of"); err != nil {
		return err
	}
	u, ok := resolvePerson(e.policy, r.ev.User, who, e.namesAreIDs(r.ev.User.Platform))
	if !ok {
		return userErrorf("Name one person: /payissue lead @person, or /payissue lead me.")
	}
	if inc.Roles.Lead != nil && incidents.SameUser(*inc.Roles.Lead, u) {
		return userErrorf("%s already leads %s.", displayName(u), inc.Ref)
	}
	now := r.ev.At
	prev := inc.Roles.SetLead(u)
	inc.UpdatedAt = now
	entry := incidents.RoleEntry(inc, r.ev.User, u, incidents.RoleLead, displayName(u)+" leads the incident", now)
	if err := r.commit(ctx, inc, incidents.Change{Timeline: []incidents.TimelineEntry{entry}}); err != nil {
		return err
	}
	r.cardUpdate = inc
	text := fmt.Sprintf("%s is now the lead of %s", e.mention(inc.Conversation.Platform, u), inc.Ref)
	if prev != nil {
		text += fmt.Sprintf(" (was %s)", displayName(*prev))
	}
	r.add(Message{Conversation: inc.Conversation, Incident: inc.Ref, Kind: KindText, Text: text + "."})
	e.confirmElsewhere(r, inc, "Named the lead in the thread of %s.")
	return nil
}

func (e *Engine) cmdJoin(ctx context.Context, r *reply, args string) error {
	inc, who, err := e.incidentArg(ctx, r, args)
	if err != nil {
		return err
	}
	// Joining during the intake is how someone else gets to answer it.
	if !inc.Status.Active() {
		return userErrorf("%s is %s; you can only join an active incident.", inc.Ref, inc.Status)
	}
	u := r.ev.User
	// "/payissue join @person" is the lead adding someone (the permission
	// matrix has checked that the sender may).
	if who != "" {
		p, ok := resolvePerson(e.policy, r.ev.User, who, e.namesAreIDs(r.ev.User.Platform))
		if !ok {
			return userErrorf("Name one person: /payissue join @person, or /payissue join to join yourself.")
		}
		u = p
	}
	if !inc.Roles.AddResponder(u) {
		if incidents.SameUser(u, r.ev.User) {
			return userErrorf("You are already a responder on %s.", inc.Ref)
		}
		return userErrorf("%s is already a responder on %s.", displayName(u), inc.Ref)
	}
	now := r.ev.At
	inc.UpdatedAt = now
	entry := incidents.RoleEntry(inc, r.ev.User, u, incidents.RoleResponder, displayName(u)+" joined as a responder", now)
	if err := r.commit(ctx, inc, incidents.Change{Timeline: []incidents.TimelineEntry{entry}}); err != nil {
		return err
	}
	r.cardUpdate = inc
	r.add(Message{Conversation: inc.Conversation, Incident: inc.Ref, Kind: KindText,
		Text: fmt.Sprintf("%s joined %s as a responder.", displayName(u), inc.Ref)})
	e.confirmElsewhere(r, inc, "You joined %s; follow its thread.")
	return nil
}

// workflowActive refuses the workflow commands on an incident in intake or
// no longer active.
func workflowActive(inc *incidents.Incident, what string) error {
	switch {
	case inc.Status == incidents.StatusIntake:
		return userErrorf("%s is still in intake; answer the questions in its thread first, then %s it.", inc.Ref, what)
	case !inc.Status.Active():
		return userErrorf("%s is %s; you can only %s an active incident.", inc.Ref, inc.Status, what)
	}
	return nil
}

// confirmElsewhere tells the sender, privately, where the answer went when
// the command came from outside the incident's thread.
func (e *Engine) confirmElsewhere(r *reply, inc *incidents.Incident, format string) {
	if r.ev.Conversation != inc.Conversation {
		r.say(KindNotice, fmt.Sprintf(format, inc.Ref)).To = &r.ev.User
	}
}

// resetUpdateReminder replaces the pending update reminder with one a full
// update interval from now, as the lifecycle does after other updates.
func (e *Engine) resetUpdateReminder(inc *incidents.Incident, ch *incidents.Change, now time.Time) {
	if _, ok := e.store.(incidents.JobStore); !ok || inc.OpenedAt == nil {
		return
	}
	t := e.policy.Targets(inc.Severity, inc.Details.Provider)
	if t.Update <= 0 {
		return
	}
	ch.CancelJobs = append(ch.CancelJobs, incidents.JobUpdateReminder)
	ch.Jobs = append(ch.Jobs, incidents.Job{Kind: incidents.JobUpdateReminder, DueAt: now.Add(t.Update),
		DedupeKey: fmt.Sprintf("remind/%s/%d", inc.ID, now.UnixNano())})
}

func (e *Engine) namesAreIDs(platform string) bool {
	if a, err := e.adapter(platform); err == nil {
		if n, ok := a.(NameIdentifier); ok {
			return n.IDsAreNames()
		}
	}
	return false
}

// NameIdentifier is implemented by adapters whose user ids are the names
// people type (the console), so that "/payissue lead carol" names carol
// there; elsewhere a bare name must be a team member with a handle.
type NameIdentifier interface {
	IDsAreNames() bool
}

var (
	reMentionPerson = regexp.MustCompile(`^<@!?([A-Za-z0-9]{1,40})(?:\|([^<>]{1,80}))?>$`)
	rePersonName    = regexp.MustCompile(`^@?([A-Za-z0-9][A-Za-z0-9._-]{0,63})$`)
)

// resolvePerson resolves "@name", a platform mention (<@U123>, <@U123|bob>) or
// "me" to a user on the sender's platform. A bare name is a team member
// from the config (by id or name, through its handle on this platform),
// or, where ids are names (namesAreIDs: the console), the name itself.
func resolvePerson(policy *incidents.Policy, self User, text string, namesAreIDs bool) (User, bool) {
	text = strings.TrimSpace(text)
	switch strings.ToLower(text) {
	case "me", "myself", "@me":
		return self, true
	}
	if m := reMentionPerson.FindStringSubmatch(text); m != nil {
		name := m[2]
		if name == "" {
			name = m[1]
		}
		return User{Platform: self.Platform, ID: m[1], Name: name}, true
	}
	m := rePersonName.FindStringSubmatch(text)
	if m == nil {
		return User{}, false
	}
	name := m[1]
	if policy != nil {
		for _, c := range policy.Team {
			h := c.Handles[self.Platform]
			if h == "" {
				continue
			}
			if strings.EqualFold(c.ID, name) || strings.EqualFold(h, name) || strings.EqualFold(strings.ReplaceAll(c.Name, " ", ""), name) {
				return User{Platform: self.Platform, ID: strings.TrimPrefix(h, "@"), Name: nonEmptyName(c.Name, c.ID)}, true
			}
		}
	}
	if namesAreIDs {
		return User{Platform: self.Platform, ID: name, Name: name}, true
	}
	return User{}, false
}

func nonEmptyName(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// cardRoles adds the lead and the last update to an incident card.
func cardRoles(m *Message, inc *incidents.Incident) {
	if m.Card == nil {
		return
	}
	if l := inc.Roles.Lead; l != nil {
		lead := *l
		m.Card.Lead = &lead
		m.Text += " · lead " + displayName(lead)
	}
	if u := inc.Roles.LastUpdate; u != nil {
		text := u.Text
		if r := []rune(text); len(r) > 300 {
			text = string(r[:300]) + "…"
		}
		m.Card.LastUpdate = fmt.Sprintf("%s (%s, %s)", text, displayName(u.By), u.At.UTC().Format("2006-01-02 15:04 UTC"))
		m.Text += "\nLast update: " + m.Card.LastUpdate
	}
}

// reMentionSeq matches the platform mention sequences people can type
// (<@U123>, <@U123|ana>, <!channel>, <!subteam^S1|team>, <#C1|general>,
// Discord's <@!123> and <@&456>).
var reMentionSeq = regexp.MustCompile(`<([@#!])([!&]?)([^<>|\s]{1,80})(?:\|([^<>]{0,80}))?>`)

// plainMentions turns mention sequences in user text into plain words
// ("@ana", "@channel", "#general"), so that echoing the text never pings.
func plainMentions(s string) string {
	return reMentionSeq.ReplaceAllStringFunc(s, func(m string) string {
		p := reMentionSeq.FindStringSubmatch(m)
		sigil, name := p[1], p[3]
		if p[4] != "" {
			name = p[4]
		}
		if sigil == "!" {
			sigil = "@"
			name = strings.TrimPrefix(strings.TrimPrefix(name, "subteam^"), "@")
		}
		return sigil + strings.TrimPrefix(name, sigil)
	})
}
