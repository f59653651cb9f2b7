package incidents

import (
	"strings"
	"time"
)

// Timeline kinds written by the workflow commands.
const (
	// EventUpdate is a status update posted with /payissue update.
	EventUpdate = "update"
	// EventRole records a role change: Data["role"] is "lead" or
	// "responder", Data["handle"] and Data["platform"] name the person.
	EventRole = "role"
)

// Role names used in EventRole entries.
const (
	RoleLead      = "lead"
	RoleResponder = "responder"
)

// Roles are the people with a part in an incident besides its reporter,
// and the last status update. They are typed fields of the incident, saved
// with it (never derived from who happened to post in the thread).
type Roles struct {
	// Lead coordinates the incident; nil until someone is named.
	Lead *User `json:"lead,omitempty"`
	// Responders joined with /payissue join, were named lead, or were
	// added by the lead. A person appears once.
	Responders []User `json:"responders,omitempty"`
	// LastUpdate is the latest /payissue update, shown on the card.
	LastUpdate *StatusUpdate `json:"last_update,omitempty"`
}

// StatusUpdate is one "where things stand" post.
type StatusUpdate struct {
	Text string    `json:"text"`
	By   User      `json:"by"`
	At   time.Time `json:"at"`
}

// SameUser reports whether a and b are the same person on the same
// platform (names are ignored: they change).
func SameUser(a, b User) bool {
	return a.Platform == b.Platform && a.ID != "" && strings.EqualFold(a.ID, b.ID)
}

// IsResponder reports whether u is a responder (the lead included).
func (r Roles) IsResponder(u User) bool {
	if r.Lead != nil && SameUser(*r.Lead, u) {
		return true
	}
	for _, x := range r.Responders {
		if SameUser(x, u) {
			return true
		}
	}
	return false
}

// AddResponder adds u and reports whether u was not a responder yet.
func (r *Roles) AddResponder(u User) bool {
	if r.IsResponder(u) {
		return false
	}
	r.Responders = append(r.Responders, u)
	return true
}

// SetLead names u the lead (and a responder) and returns the previous
// lead, or nil.
func (r *Roles) SetLead(u User) *User {
	prev := r.Lead
	r.AddResponder(u)
	lead := u
	r.Lead = &lead
	return prev
}

// RoleEntry is the timeline entry that records who got which role.
func RoleEntry(inc *Incident, actor, who User, role, text string, now time.Time) TimelineEntry {
	return TimelineEntry{IncidentID: inc.ID, At: now, Actor: actor, Kind: EventRole, Text: text,
		Data: map[string]string{"role": role, "handle": who.ID, "platform": who.Platform, "name": who.Name}}
}
