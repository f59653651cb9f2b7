package incidents

import (
	"strings"
	"time"
)

// The permission matrix: who may do what to an incident. It is pure data
// and pure functions, so one table test covers it and the chat layer checks
// it in one place (bot/permissions.go).

// Action is something a person does to an incident.
type Action string

const (
	ActEscalate     Action = "escalate"
	ActAck          Action = "acknowledge"
	ActSeverityUp   Action = "raise the severity of"
	ActSeverityDown Action = "lower the severity of"
	// ActSeveritySet gives a severity where none is assessed yet (during
	// the intake), or the one it already has: neither raising nor
	// lowering, and allowed as raising is.
	ActSeveritySet Action = "set the severity of"
	ActResolve     Action = "resolve"
	ActRootCause   Action = "record the root cause of"
	ActCancel      Action = "cancel"
	ActReopen      Action = "reopen"
	// ActReopenCancelled undoes a cancel: a manager's call.
	ActReopenCancelled Action = "reopen a cancelled"
	ActUpdate          Action = "post an update on"
	ActNameLead        Action = "name the lead of"
	ActAddResponder    Action = "add a responder to"
	ActAnswerIntake    Action = "answer the intake of"
	ActCase            Action = "record the gateway's case number of"
	ActCaseReply       Action = "record the gateway desk's reply on"
	ActRemoveAnswer    Action = "remove a community answer from"
	// ActMerge merges the incident, a duplicate, into another (and cancels it).
	ActMerge Action = "merge"
	// ActFollowup adds a postmortem follow-up, ActFollowupDone ticks one
	// off, ActFollowupList lists them.
	ActFollowup     Action = "add follow-ups to"
	ActFollowupDone Action = "close the follow-ups of"
	ActFollowupList Action = "list the follow-ups of"
	// ActView is seeing an incident's details from outside its channel.
	ActView Action = "see the details of"
)

// Role is a part a person has in one incident (or in the whole team).
type Role uint16

const (
	// RoleReporter opened the incident.
	RoleReporter Role = 1 << iota
	// RoleLeader coordinates it (/payissue lead).
	RoleLeader
	// RoleResponderOf joined (/payissue join), was added by the lead, or was
	// engaged by the escalation ladder. Posting in the thread is not enough.
	RoleResponderOf
	// RoleEngaged was engaged by the escalation ladder.
	RoleEngaged
	// RoleOncall is the person on call now, or a team member whose role is
	// listed in authorized_roles.
	RoleOncall
	// RoleManager is an incident manager (incident_managers in the config).
	RoleManager
)

// Has reports whether s holds any of the roles in want.
func (s Role) Has(want Role) bool { return s&want != 0 }

// Any reports whether s holds a role at all.
func (s Role) Any() bool { return s != 0 }

var roleNames = []struct {
	r    Role
	name string
}{
	{RoleReporter, "the reporter"},
	{RoleLeader, "the lead"},
	{RoleResponderOf, "responders"},
	{RoleEngaged, "the engaged contacts"},
	{RoleOncall, "the on-call"},
	{RoleManager, "incident managers"},
}

// Names lists the roles in s in words: "the lead or incident managers".
func (s Role) Names() string {
	var parts []string
	for _, n := range roleNames {
		if s.Has(n.r) {
			parts = append(parts, n.name)
		}
	}
	switch len(parts) {
	case 0:
		return "nobody"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

const (
	staff   = RoleLeader | RoleResponderOf | RoleEngaged | RoleOncall | RoleManager
	anyRole = RoleReporter | staff
)

// permissions is the matrix: the roles allowed each action.
var permissions = map[Action]Role{
	ActEscalate:        anyRole,
	ActAck:             staff,
	ActSeverityUp:      anyRole,
	ActSeveritySet:     anyRole,
	ActSeverityDown:    RoleLeader | RoleManager,
	ActResolve:         anyRole,
	ActRootCause:       anyRole,
	ActCancel:          RoleLeader | RoleManager, // the reporter too, during intake (Allowed)
	ActReopen:          anyRole,
	ActReopenCancelled: RoleManager,
	ActUpdate:          anyRole,
	ActNameLead:        RoleLeader | RoleManager, // while there is no lead, also the reporter, the engaged and the on-call (Can)
	ActAddResponder:    RoleLeader | RoleManager,
	ActAnswerIntake:    RoleReporter | RoleLeader | RoleResponderOf,
	ActCase:            anyRole,
	ActCaseReply:       anyRole,
	ActRemoveAnswer:    RoleLeader | RoleManager,
	ActMerge:           anyRole,
	ActFollowup:        anyRole,
	ActFollowupDone:    anyRole,
	ActFollowupList:    anyRole,
	ActView:            anyRole,
}

// Can reports whether a person holding roles may do a in an incident in
// status st with or without a lead, and returns the roles that may ("the
// lead or incident managers") for the refusal. An unknown action is refused.
func Can(a Action, roles Role, st Status, hasLead bool) (bool, Role) {
	allowed, ok := permissions[a]
	if !ok {
		return false, 0
	}
	switch {
	case a == ActCancel && st == StatusIntake:
		allowed |= RoleReporter
	case a == ActNameLead && !hasLead:
		// Not a responder who joined by themselves: /payissue join is open
		// to anyone, and "join, lead me, downgrade, cancel" must not be a
		// way for a stranger to close someone else's incident.
		allowed = RoleReporter | RoleEngaged | RoleOncall | RoleManager
	}
	return roles&allowed != 0, allowed
}

// isManager reports whether c is an incident manager: named (by team id or
// team role) in IncidentManagers, or with the role "incident_manager".
func (p *Policy) isManager(c *Contact) bool {
	if strings.EqualFold(c.Role, "incident_manager") {
		return true
	}
	for _, m := range p.IncidentManagers {
		if strings.EqualFold(m, c.ID) || (c.Role != "" && strings.EqualFold(m, c.Role)) {
			return true
		}
	}
	return false
}

// teamMember returns the team contacts whose handle on u's platform is u.
func (p *Policy) teamMember(u User) []*Contact {
	var out []*Contact
	for _, c := range p.Team {
		if h := c.Handles[u.Platform]; h != "" && strings.EqualFold(strings.TrimPrefix(h, "@"), u.ID) {
			out = append(out, c)
		}
	}
	return out
}

// RolesOf returns the roles u holds in inc at now: from the incident's
// typed fields (reporter, lead, responders, engaged contacts of the current
// round) and from the config (the on-call now, authorized_roles, incident
// managers). inc may be nil for team roles only.
func (p *Policy) RolesOf(u User, inc *Incident, now time.Time) Role {
	var r Role
	if inc != nil {
		if SameUser(inc.Reporter, u) {
			r |= RoleReporter
		}
		if inc.Roles.Lead != nil && SameUser(*inc.Roles.Lead, u) {
			r |= RoleLeader
		}
		for _, x := range inc.Roles.Responders {
			if SameUser(x, u) {
				r |= RoleResponderOf
			}
		}
		for _, en := range inc.Escalation.Engaged {
			if en.User != nil && en.Round == inc.Escalation.Round && SameUser(*en.User, u) {
				r |= RoleEngaged | RoleResponderOf
			}
		}
	}
	if p == nil {
		return r
	}
	for _, c := range p.teamMember(u) {
		if p.isManager(c) {
			r |= RoleManager
		}
		for _, role := range p.AuthorizedRoles {
			if c.Role != "" && strings.EqualFold(role, c.Role) {
				r |= RoleOncall
			}
		}
	}
	oc := p.OncallAt(now)
	if oc == nil {
		oc = p.Team["oncall"] // no rotation or shift: the entry's own handles
	}
	if oc != nil {
		if h := oc.Handles[u.Platform]; h != "" && strings.EqualFold(strings.TrimPrefix(h, "@"), u.ID) {
			r |= RoleOncall
		}
	}
	return r
}

// TrivialResolution reports whether a fix text says nothing a later reader
// could use ("nothing", "n/a", "fixed", "-", a few characters), so the
// incident is not indexed as a past incident.
func TrivialResolution(fix, cause string) bool {
	useful := func(s string) bool {
		s = strings.ToLower(strings.Trim(strings.TrimSpace(s), ".!-_?* "))
		switch s {
		case "", "nothing", "none", "n/a", "na", "tbd", "todo", "fixed", "done", "ok", "resolved",
			"unknown", "idk", "test", "asdf", "xxx", "no", "nope", "nothing to do", "?":
			return false
		}
		return len([]rune(s)) >= 8
	}
	return !useful(fix) && !useful(cause)
}
