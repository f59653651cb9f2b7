package incidents

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Escalation is the state of an incident's escalation ladder. The zero value
// means "never escalated". All times are UTC instants.
type Escalation struct {
	// Round counts escalations: 1 after the first /payissue escalate, 2 after
	// an escalation of the reopened incident, and so on. Ladder jobs carry
	// the round they belong to, so a job of an earlier round does nothing.
	Round int `json:"round,omitempty"`
	// Rule is the name of the routing rule whose ladder the current round
	// climbs ("urgent-after-hours"); "" before the first escalation.
	Rule string `json:"rule,omitempty"`
	// Level is the 1-based ladder level engaged last in the current round;
	// 0 when the current round has engaged nobody (never escalated, or
	// reopened since).
	Level int `json:"level,omitempty"`
	// Engaged lists every contact engaged, all rounds, in the order they were
	// engaged. It only grows.
	Engaged []Engagement `json:"engaged,omitempty"`
	// AckedBy is who acknowledged the current round; nil while nobody has.
	// Reopening clears it. Rows written before typed state hold only the
	// display name (User.Name) here.
	AckedBy *User `json:"acked_by,omitempty"`
	// AckedAt is when AckedBy acknowledged; nil while nobody has, and for
	// acknowledgements migrated from before typed state.
	AckedAt *time.Time `json:"acked_at,omitempty"`
}

// Acked reports whether the current round is acknowledged.
func (e Escalation) Acked() bool { return e.AckedBy != nil }

// Engagement is one contact engaged by the ladder.
type Engagement struct {
	Round int `json:"round"` // Escalation.Round at the time
	Level int `json:"level"` // 1-based ladder level
	// Contact is the ladder's reference ("team:oncall", "provider:support").
	Contact string `json:"contact"`
	// Label is how the contact was named at the time ("24/7 on-call (Bob)").
	Label string `json:"label,omitempty"`
	// User is the contact's chat identity on the incident's platform; nil
	// when the contact has no handle there (reached by email or by hand).
	User *User     `json:"user,omitempty"`
	At   time.Time `json:"at"`
}

// SLA holds the SLA clocks of the current round (from the opening, or from
// the last reopening) and the closed clocks of earlier rounds. Targets are
// not stored: they follow from the policy and the current severity; what is
// stored is what happened. All times are UTC instants; every duration one
// derives (RespondedAt − ClockStart…) is wall time, not business hours.
type SLA struct {
	// ClockStart is when both clocks of this round started: when the
	// incident opened (intake finished), or when it was last reopened. Zero
	// while the incident is in intake.
	ClockStart time.Time `json:"clock_start,omitempty"`
	// RespondedAt is the first response of this round: the first
	// acknowledgement by anyone, or the first action (thread post, command)
	// by someone other than the reporter. nil while nobody has responded; a
	// reporter who resolves alone never sets it.
	RespondedAt *time.Time `json:"responded_at,omitempty"`
	// RespondedBy is who responded; nil with RespondedAt, and for responses
	// migrated from before typed state.
	RespondedBy *User `json:"responded_by,omitempty"`
	// ResponseBreach and ResolutionBreach record that a clock passed its
	// target, once it happened. They are never cleared within a round: a
	// later downgrade, acknowledgement or resolution leaves them as they are.
	ResponseBreach   *Breach `json:"response_breach,omitempty"`
	ResolutionBreach *Breach `json:"resolution_breach,omitempty"`
	// StoppedAt is when the clocks of this round stopped: the resolution or
	// the cancellation. nil while they run.
	StoppedAt *time.Time `json:"stopped_at,omitempty"`
	// LastUpdateAt is the last human update (a thread post, an
	// acknowledgement, a status change); the update reminder counts from it.
	// nil before the first one.
	LastUpdateAt *time.Time `json:"last_update_at,omitempty"`
	// Earlier holds the clocks of earlier rounds, oldest first, each with
	// StoppedAt set. Their own Earlier and LastUpdateAt are empty.
	Earlier []SLA `json:"earlier,omitempty"`
}

// Breach records a clock passing its target.
type Breach struct {
	// At is when the clock passed the target: ClockStart + Target, or, when
	// a severity upgrade made the clock overdue at once, the moment of the
	// upgrade.
	At time.Time `json:"at"`
	// Severity is the severity in force then, and Target its target
	// (nanoseconds in JSON, as time.Duration encodes).
	Severity Severity      `json:"severity"`
	Target   time.Duration `json:"target"`
}

// Running reports whether the clocks run: started and not stopped.
func (s *SLA) Running() bool { return !s.ClockStart.IsZero() && s.StoppedAt == nil }

// Start begins a round at now. A round already running or stopped is kept in
// Earlier (stopped at now if it was still running), so nothing is lost.
func (s *SLA) Start(now time.Time) {
	now = now.UTC()
	if !s.ClockStart.IsZero() {
		prev := *s
		prev.Earlier, prev.LastUpdateAt = nil, nil
		if prev.StoppedAt == nil {
			t := now
			prev.StoppedAt = &t
		}
		s.Earlier = append(s.Earlier, prev)
	}
	earlier, last := s.Earlier, s.LastUpdateAt
	*s = SLA{ClockStart: now, Earlier: earlier, LastUpdateAt: last}
}

// Stop stops the running clocks at now; it does nothing when they do not run.
func (s *SLA) Stop(now time.Time) {
	if s.Running() {
		t := now.UTC()
		s.StoppedAt = &t
	}
}

// Respond records the first response of the round by who at now. It
// reports whether this was the first one. It does nothing before the clocks
// start or after they stopped (a response at the very moment they stop, by
// a responder who resolves, counts).
func (s *SLA) Respond(who User, now time.Time) bool {
	if s.ClockStart.IsZero() || s.RespondedAt != nil || now.Before(s.ClockStart) ||
		(s.StoppedAt != nil && now.After(*s.StoppedAt)) {
		return false
	}
	t, u := now.UTC(), who
	s.RespondedAt, s.RespondedBy = &t, &u
	return true
}

// Observe records the breaches that have happened by now under severity sev
// and its targets t: the response clock once t.Response has elapsed with
// nobody responding, the resolution clock once t.Resolution has elapsed
// with the clocks still running (a goal reached exactly at the target is
// met; a target reached with the goal still open is breached). A
// breach already recorded stays as it was. A breach's time is ClockStart +
// target, but never before notBefore: pass the moment of a severity change
// right after making it, the zero time otherwise. Observe reports whether it
// recorded a new breach.
func (s *SLA) Observe(sev Severity, t SLATarget, now, notBefore time.Time) bool {
	if s.ClockStart.IsZero() {
		return false
	}
	end := now
	if s.StoppedAt != nil && s.StoppedAt.Before(end) {
		end = *s.StoppedAt
	}
	added := false
	check := func(b **Breach, target time.Duration, satisfied *time.Time) {
		if *b != nil || target <= 0 {
			return
		}
		due := s.ClockStart.Add(target)
		if satisfied != nil && !satisfied.After(due) {
			return // reached in time: a goal reached exactly at the target is met
		}
		if end.Before(due) {
			return // the target has not come yet
		}
		at := due
		if at.Before(notBefore) {
			at = notBefore
		}
		*b = &Breach{At: at.UTC(), Severity: sev, Target: target}
		added = true
	}
	check(&s.ResponseBreach, t.Response, s.RespondedAt)
	check(&s.ResolutionBreach, t.Resolution, s.StoppedAt)
	return added
}

// Resolution is how an incident was fixed. It survives a reopening (the
// next resolution overwrites it).
type Resolution struct {
	// Fix is what fixed it, as the resolver wrote it (redacted).
	Fix string `json:"fix,omitempty"`
	// RootCause is the root cause, from the resolve command or a later
	// /payissue rootcause; "" until someone records it.
	RootCause string `json:"root_cause,omitempty"`
	// ResolvedBy is who resolved it last; nil before the first resolution.
	// Rows written before typed state hold only the display name. The time
	// is Incident.ResolvedAt (nil again after a reopening) or SLA.StoppedAt.
	ResolvedBy *User `json:"resolved_by,omitempty"`
}

// State is the typed domain state of an incident that stores keep in one
// JSON column ("state"), apart from the intake's Details.
type State struct {
	Escalation Escalation `json:"escalation"`
	SLA        SLA        `json:"sla"`
	Resolution Resolution `json:"resolution"`
	Reopens    int        `json:"reopens,omitempty"`
}

// EncodeState returns the JSON a store writes in its state column.
func EncodeState(inc *Incident) ([]byte, error) {
	b, err := json.Marshal(State{Escalation: inc.Escalation, SLA: inc.SLA, Resolution: inc.Resolution, Reopens: inc.Reopens})
	if err != nil {
		return nil, fmt.Errorf("%w: state: %v", ErrInvalid, err)
	}
	return b, nil
}

// DecodeState sets inc's typed state from a store's state column. A row
// written before the column existed (empty, NULL or "{}") is upgraded: the
// domain state older versions kept in Details.Extra moves into the typed
// fields (see UpgradeLegacyExtra). Call it after Details and the times are
// decoded.
func DecodeState(inc *Incident, raw []byte) error {
	var st State
	legacy := len(raw) == 0 || string(raw) == "{}"
	if !legacy {
		if err := json.Unmarshal(raw, &st); err != nil {
			return fmt.Errorf("state of %s: %w", inc.Ref, err)
		}
	}
	inc.Escalation, inc.SLA, inc.Resolution, inc.Reopens = st.Escalation, st.SLA, st.Resolution, st.Reopens
	if legacy {
		UpgradeLegacyExtra(inc)
	}
	return nil
}

// Keys under which versions before typed state kept domain state in
// Details.Extra. They, and the other ids in ReservedStepIDs, can never be
// intake step ids.
const (
	legacyEscalations = "escalations"
	legacyRule        = "escalation_rule"
	legacyLevel       = "escalation_level"
	legacyAckedBy     = "acked_by"
	legacyRespondedAt = "responded_at"
	legacyReopens     = "reopens"
	legacyResolution  = "resolution"
	legacyRootCause   = "root_cause"
	legacyResolvedBy  = "resolved_by"
	legacyClockStart  = "clock_start"
)

// ReservedStepIDs are ids an intake step may not have: the keys older
// versions kept domain state under in Details.Extra (an answer stored there
// would be taken for, or erased by, escalation state), and the names of the
// typed state itself. Flow validation rejects them.
var ReservedStepIDs = []string{
	legacyEscalations, legacyRule, legacyLevel, legacyAckedBy, legacyRespondedAt, legacyReopens,
	legacyResolution, legacyRootCause, legacyResolvedBy, legacyClockStart,
	"escalation", "sla", "state", "acked_at", "responded_by", "resolved_at", "fix", "engaged",
	"response_breach", "resolution_breach", "stopped_at", "last_update_at",
}

// IsReservedStepID reports whether id is in ReservedStepIDs.
func IsReservedStepID(id string) bool {
	for _, r := range ReservedStepIDs {
		if id == r {
			return true
		}
	}
	return false
}

// UpgradeLegacyExtra moves domain state that versions before typed state
// kept in Details.Extra into the typed fields, and deletes those keys, so
// Extra holds intake answers only. A typed field already set wins. It also
// fills SLA.ClockStart and SLA.StoppedAt from the opening and resolution
// times when a row predates them. It is idempotent; stores call it on read.
func UpgradeLegacyExtra(inc *Incident) {
	x := inc.Details.Extra
	take := func(k string) string {
		v, ok := x[k]
		if ok {
			delete(x, k)
		}
		return strings.TrimSpace(v)
	}
	parseTime := func(s string) *time.Time {
		if s == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil
		}
		t = t.UTC()
		return &t
	}
	if len(x) > 0 {
		if n, err := strconv.Atoi(take(legacyEscalations)); err == nil && inc.Escalation.Round == 0 {
			inc.Escalation.Round = n
		}
		if v := take(legacyRule); v != "" && inc.Escalation.Rule == "" {
			inc.Escalation.Rule = v
		}
		if n, err := strconv.Atoi(take(legacyLevel)); err == nil && inc.Escalation.Level == 0 {
			inc.Escalation.Level = n
		}
		ackedBy := take(legacyAckedBy)
		if ackedBy != "" && inc.Escalation.AckedBy == nil {
			inc.Escalation.AckedBy = &User{Name: ackedBy}
		}
		responded := parseTime(take(legacyRespondedAt))
		if n, err := strconv.Atoi(take(legacyReopens)); err == nil && inc.Reopens == 0 {
			inc.Reopens = n
		}
		if v := take(legacyResolution); v != "" && inc.Resolution.Fix == "" {
			inc.Resolution.Fix = v
		}
		if v := take(legacyRootCause); v != "" && inc.Resolution.RootCause == "" {
			inc.Resolution.RootCause = v
		}
		resolvedBy := take(legacyResolvedBy)
		if resolvedBy != "" && inc.Resolution.ResolvedBy == nil {
			inc.Resolution.ResolvedBy = &User{Name: resolvedBy}
		}
		if t := parseTime(take(legacyClockStart)); t != nil && inc.SLA.ClockStart.IsZero() {
			inc.SLA.ClockStart = *t
		}
		// Older versions stamped responded_at when the reporter resolved
		// alone; that was no response, so it is not carried over.
		selfResolved := ackedBy == "" && resolvedBy != "" && inc.ResolvedAt != nil && responded != nil &&
			responded.Equal(*inc.ResolvedAt) && (resolvedBy == inc.Reporter.Name || resolvedBy == inc.Reporter.ID)
		if responded != nil && !selfResolved && inc.SLA.RespondedAt == nil {
			inc.SLA.RespondedAt = responded
		}
		if len(x) == 0 {
			inc.Details.Extra = nil
		}
	}
	if inc.SLA.ClockStart.IsZero() && inc.OpenedAt != nil && inc.Status != StatusIntake {
		inc.SLA.ClockStart = inc.OpenedAt.UTC()
	}
	if inc.SLA.StoppedAt == nil && !inc.SLA.ClockStart.IsZero() && !inc.Status.Active() {
		switch {
		case inc.ResolvedAt != nil:
			t := inc.ResolvedAt.UTC()
			inc.SLA.StoppedAt = &t
		case inc.Status == StatusCancelled:
			t := inc.UpdatedAt.UTC()
			inc.SLA.StoppedAt = &t
		}
	}
}
