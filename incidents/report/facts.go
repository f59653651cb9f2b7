package report

import (
	"time"

	"github.com/paybot/paybot/incidents"
)

// FactKinds are the timeline entries FactsOf reads; stores stream only
// these. "kind:key=value" selects the entries of kind whose Data has the
// pair: of the status changes, FactsOf reads only the moves to open.
var FactKinds = []string{string(incidents.EventStatus) + ":to=" + string(incidents.StatusOpen), string(incidents.EventAck), string(incidents.EventCase)}

// FactDataKeys are the timeline Data keys FactsOf reads; stores may drop
// the others.
var FactDataKeys = []string{"to", "number", "event"}

// Facts is what the analytics need to know about one incident. Times are
// absolute; a nil time means "has not happened".
type Facts struct {
	Ref       string
	Title     string
	Status    incidents.Status
	Provider  string // as given at intake, lower-cased
	Category  string
	Severity  incidents.Severity
	Codes     []incidents.Code
	CreatedAt time.Time
	// ClockStart is when the SLA clocks started (last move to open); nil for
	// an incident never opened (still in intake, or cancelled in intake).
	ClockStart  *time.Time
	AckedAt     *time.Time // first acknowledgement after ClockStart
	RespondedAt *time.Time // first of AckedAt and ResolvedAt: the response clock's stop
	ResolvedAt  *time.Time
	// CaseNumber is the gateway desk's case number; CaseAt when it was
	// recorded and DeskReplyAt the desk's first reply after that.
	CaseNumber  string
	CaseAt      *time.Time
	DeskReplyAt *time.Time
	Targets     incidents.SLATarget
	// Response and Resolution are the SLA verdicts at the report's time.
	Response   Verdict
	Resolution Verdict
}

// Verdict is an SLA clock's state.
type Verdict int

const (
	// Running: the clock has not stopped and is within its target, or the
	// incident never opened. It counts neither way.
	Running Verdict = iota
	Met
	Breached
)

func (v Verdict) String() string {
	return [...]string{"running", "met", "breached"}[v]
}

// FactsOf reads an incident's facts as of now. tl may hold the whole
// timeline or only the FactKinds entries, in order. p gives the SLA targets
// (severity and the provider's contract).
//
// This is the one accessor the analytics read: when the SLA state becomes
// typed fields of incidents.Incident, switch it here.
func FactsOf(inc *incidents.Incident, tl []incidents.TimelineEntry, p *incidents.Policy, now time.Time) Facts {
	f := Facts{
		Ref: inc.Ref, Title: inc.Title, Status: inc.Status, Provider: lower(inc.Details.Provider),
		Category: inc.Details.Category, Severity: inc.Severity, Codes: inc.Details.Codes,
		CreatedAt: inc.CreatedAt, ResolvedAt: inc.ResolvedAt,
	}
	for i := range tl {
		en := &tl[i]
		if en.Kind == incidents.EventStatus && en.Data["to"] == string(incidents.StatusOpen) {
			t := en.At
			f.ClockStart = &t
		}
	}
	if f.ClockStart == nil && inc.OpenedAt != nil {
		t := *inc.OpenedAt
		f.ClockStart = &t
	}
	for i := range tl {
		en := &tl[i]
		switch en.Kind {
		case incidents.EventAck:
			if f.AckedAt == nil && (f.ClockStart == nil || !en.At.Before(*f.ClockStart)) {
				t := en.At
				f.AckedAt = &t
			}
		case incidents.EventCase:
			if en.Data["event"] == "desk_reply" {
				if f.CaseAt != nil && f.DeskReplyAt == nil && !en.At.Before(*f.CaseAt) {
					t := en.At
					f.DeskReplyAt = &t
				}
			} else if n := en.Data["number"]; n != "" {
				f.CaseNumber = n // the latest number recorded
				if f.CaseAt == nil {
					t := en.At
					f.CaseAt = &t
				}
			}
		}
	}
	f.RespondedAt = f.AckedAt
	if f.ResolvedAt != nil && (f.RespondedAt == nil || f.ResolvedAt.Before(*f.RespondedAt)) {
		t := *f.ResolvedAt
		f.RespondedAt = &t
	}
	if p != nil {
		f.Targets = p.Targets(inc.Severity, inc.Details.Provider)
	}
	if f.ClockStart != nil && inc.Status != incidents.StatusIntake {
		active := inc.Status.Active()
		f.Response = verdict(*f.ClockStart, f.RespondedAt, f.Targets.Response, now, active)
		f.Resolution = verdict(*f.ClockStart, f.ResolvedAt, f.Targets.Resolution, now, active)
	}
	return f
}

func verdict(start time.Time, stop *time.Time, target time.Duration, now time.Time, active bool) Verdict {
	if target <= 0 {
		return Running
	}
	if stop != nil {
		if stop.Sub(start) <= target {
			return Met
		}
		return Breached
	}
	if active && now.Sub(start) > target {
		return Breached
	}
	return Running
}

// TimeToAck is the time from the clock start to the first acknowledgement.
func (f Facts) TimeToAck() (time.Duration, bool) { return since(f.ClockStart, f.AckedAt) }

// TimeToResolve is the time from the clock start to the resolution.
func (f Facts) TimeToResolve() (time.Duration, bool) { return since(f.ClockStart, f.ResolvedAt) }

// DeskResponse is the time from the case number to the desk's first reply.
func (f Facts) DeskResponse() (time.Duration, bool) { return since(f.CaseAt, f.DeskReplyAt) }

func since(a, b *time.Time) (time.Duration, bool) {
	if a == nil || b == nil || b.Before(*a) {
		return 0, false
	}
	return b.Sub(*a), true
}
