package incidents

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// User is a person on a chat platform. The bot package re-exports it as
// bot.User so that adapters and the domain share one neutral identity.
type User struct {
	Platform string `json:"platform"`
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
}

// IsZero reports whether u names nobody.
func (u User) IsZero() bool { return u.ID == "" }

// Conversation is where messages live: a channel, and optionally a thread in
// it. The bot package re-exports it as bot.Conversation.
type Conversation struct {
	Platform string `json:"platform"`
	Channel  string `json:"channel"`
	Thread   string `json:"thread,omitempty"`
}

// IsZero reports whether c names no conversation.
func (c Conversation) IsZero() bool { return c.Channel == "" && c.Thread == "" }

func (c Conversation) String() string {
	if c.Thread == "" {
		return c.Platform + ":" + c.Channel
	}
	return c.Platform + ":" + c.Channel + "/" + c.Thread
}

// Status is where an incident is in its life.
type Status string

const (
	StatusIntake    Status = "intake"
	StatusOpen      Status = "open"
	StatusEscalated Status = "escalated"
	StatusResolved  Status = "resolved"
	StatusClosed    Status = "closed"
	StatusCancelled Status = "cancelled"
)

// transitions lists the allowed moves. Reopening a resolved incident sends it
// back to open; an incident manager may reopen a cancelled one (the
// permission matrix decides who); closed is final.
var transitions = map[Status][]Status{
	StatusIntake:    {StatusOpen, StatusCancelled},
	StatusOpen:      {StatusEscalated, StatusResolved, StatusCancelled},
	StatusEscalated: {StatusResolved, StatusCancelled},
	StatusResolved:  {StatusClosed, StatusOpen},
	StatusCancelled: {StatusOpen},
}

// CanTransition reports whether s may move to next.
func (s Status) CanTransition(next Status) bool {
	for _, t := range transitions[s] {
		if t == next {
			return true
		}
	}
	return false
}

// Active reports whether the incident still needs attention.
func (s Status) Active() bool {
	return s == StatusIntake || s == StatusOpen || s == StatusEscalated
}

// ActiveStatuses are the statuses for which Active is true, for stores that
// select by them in SQL.
func ActiveStatuses() []Status { return []Status{StatusIntake, StatusOpen, StatusEscalated} }

// ActiveStatusNames is ActiveStatuses as strings, for a store's queries.
func ActiveStatusNames() []string {
	var out []string
	for _, st := range ActiveStatuses() {
		out = append(out, string(st))
	}
	return out
}

// Severity runs from SEV1 (worst) to SEV4. Zero means not yet assessed.
type Severity int

const (
	SevUnknown Severity = 0
	Sev1       Severity = 1
	Sev2       Severity = 2
	Sev3       Severity = 3
	Sev4       Severity = 4
)

func (s Severity) String() string {
	if s < Sev1 || s > Sev4 {
		return "SEV?"
	}
	return fmt.Sprintf("SEV%d", int(s))
}

// ParseSeverity accepts "SEV2", "sev2" or "2".
func ParseSeverity(text string) (Severity, error) {
	t := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(text)), "SEV")
	if len(t) == 1 && t[0] >= '1' && t[0] <= '4' {
		return Severity(t[0] - '0'), nil
	}
	return SevUnknown, fmt.Errorf("%w: severity %q: use SEV1, SEV2, SEV3 or SEV4", ErrInvalid, text)
}

// Category ids of the default flow.
const (
	CategoryDeclines    = "declines"
	CategoryTimeouts    = "timeouts"
	CategoryIntegration = "integration"
	CategorySecurity    = "security"
	CategoryPayouts     = "payouts"
	CategoryOther       = "other"
)

// Impact describes how much traffic fails. Percent is meaningful only when
// Kind is ImpactPercent.
type Impact struct {
	Kind    string  `json:"kind"` // "percent", "all", "some", "unknown"
	Percent float64 `json:"percent,omitempty"`
}

const (
	ImpactPercent = "percent"
	ImpactAll     = "all"
	ImpactSome    = "some"
	ImpactUnknown = "unknown"
)

func (i Impact) String() string {
	switch i.Kind {
	case ImpactPercent:
		return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", i.Percent), "0"), ".") + "% failing"
	case "":
		return ""
	default:
		return i.Kind
	}
}

// Code is a payment code extracted from free text.
type Code struct {
	System string `json:"system"` // iso8583, stripe, nacha, http, gateway
	Value  string `json:"value"`  // canonical form: "05", "R01", "do_not_honor", "502", "INSTRUMENT_DECLINED"
}

func (c Code) String() string { return c.System + ":" + c.Value }

// Details are the facts the intake collects. Every text in here has been
// redacted before it was assigned.
type Details struct {
	Category       string            `json:"category,omitempty"`
	Provider       string            `json:"provider,omitempty"`
	Environment    string            `json:"environment,omitempty"`
	StartedAt      *time.Time        `json:"started_at,omitempty"`
	Impact         Impact            `json:"impact,omitempty"`
	ErrorMessages  string            `json:"error_messages,omitempty"`
	Codes          []Code            `json:"codes,omitempty"`
	TransactionIDs []string          `json:"transaction_ids,omitempty"`
	PaymentMethods []string          `json:"payment_methods,omitempty"`
	StepsTaken     string            `json:"steps_taken,omitempty"`
	Extra          map[string]string `json:"extra,omitempty"` // answers to steps a custom flow adds, and nothing else (ReservedStepIDs)
	Skipped        []string          `json:"skipped,omitempty"`
	// CardProblem, when set, says why the incident's card could not be
	// posted (the bot is not in the channel…): the incident is parked until
	// the reporter fixes it and runs the same command again.
	CardProblem string `json:"card_problem,omitempty"`
	// Gateway holds the provider's status-page events last posted in the
	// thread (see bot/gateway.go); empty when the page shows nothing active.
	Gateway []GatewayEvent `json:"gateway,omitempty"`
	// GatewayCase is the case number the gateway's desk gave (/payissue case; packet.go).
	GatewayCase *GatewayCase `json:"gateway_case,omitempty"`
}

// IntakeState is the position of an unfinished intake: the step awaiting an
// answer and the steps answered before it, so that "back" can walk back.
type IntakeState struct {
	Step    string   `json:"step"`
	History []string `json:"history,omitempty"`
	// ReturnTo is set while the reporter edits one answer from the summary:
	// after that answer the intake jumps back to this step.
	ReturnTo string `json:"return_to,omitempty"`
	// Pending is a near miss awaiting confirmation ("did you mean Stripe?").
	Pending *PendingAnswer `json:"pending,omitempty"`
}

// Incident is one payment problem being worked on.
type Incident struct {
	ID       uuid.UUID `json:"id"`
	Ref      string    `json:"ref"` // PAY-<n>, assigned by the store
	Title    string    `json:"title"`
	Reporter User      `json:"reporter"`
	// Conversation is the incident's thread; Origin is where /payissue was typed.
	Conversation Conversation `json:"conversation"`
	Origin       Conversation `json:"origin"`
	// CardMessage is the platform id of the posted incident card, so the card
	// can be updated in place.
	CardMessage        string      `json:"card_message,omitempty"`
	Status             Status      `json:"status"`
	Severity           Severity    `json:"severity"`
	SeverityOverridden bool        `json:"severity_overridden,omitempty"`
	Details            Details     `json:"details"`
	Intake             IntakeState `json:"intake"`
	Roles              Roles       `json:"roles"` // lead, responders, last update: roles.go
	CreatedAt          time.Time   `json:"created_at"`
	UpdatedAt          time.Time   `json:"updated_at"`
	OpenedAt           *time.Time  `json:"opened_at,omitempty"`
	ResolvedAt         *time.Time  `json:"resolved_at,omitempty"`
	// Typed domain state (state.go), kept apart from the intake's Details:
	// the escalation ladder, the SLA clocks, the resolution, and how often
	// the incident was reopened.
	Escalation Escalation `json:"escalation"`
	SLA        SLA        `json:"sla"`
	Resolution Resolution `json:"resolution"`
	Reopens    int        `json:"reopens,omitempty"`
	// Version increases with every saved change; stores use it to refuse a
	// write based on a stale read.
	Version int64 `json:"version"`
}

// New returns an incident in intake, with a fresh id. The store assigns Ref.
func New(title string, reporter User, origin Conversation, now time.Time) *Incident {
	return &Incident{
		ID:        uuid.New(),
		Title:     title,
		Reporter:  reporter,
		Origin:    origin,
		Status:    StatusIntake,
		CreatedAt: now,
		UpdatedAt: now,
	}
}

// Transition moves the incident to next and returns the timeline entry that
// records it. It returns ErrTransition when the move is not allowed.
func (inc *Incident) Transition(next Status, actor User, now time.Time) (TimelineEntry, error) {
	if !inc.Status.CanTransition(next) {
		return TimelineEntry{}, fmt.Errorf("%w: %s cannot go from %s to %s", ErrTransition, inc.Ref, inc.Status, next)
	}
	prev := inc.Status
	inc.Status = next
	inc.UpdatedAt = now
	switch next {
	case StatusOpen:
		if inc.OpenedAt == nil {
			t := now
			inc.OpenedAt = &t
		}
		inc.ResolvedAt = nil
		inc.SLA.Start(now) // opening and reopening (re)start the SLA clocks
	case StatusResolved:
		t := now
		inc.ResolvedAt = &t
		inc.SLA.Stop(now)
	case StatusCancelled:
		inc.SLA.Stop(now)
	}
	return TimelineEntry{
		IncidentID: inc.ID, At: now, Actor: actor, Kind: EventStatus,
		Text: fmt.Sprintf("%s → %s", prev, next),
		Data: map[string]string{"from": string(prev), "to": string(next)},
	}, nil
}

// SetSeverity overrides the computed severity and returns the timeline entry.
func (inc *Incident) SetSeverity(sev Severity, actor User, reason string, now time.Time) TimelineEntry {
	prev := inc.Severity
	inc.Severity = sev
	inc.SeverityOverridden = reason != "computed"
	inc.UpdatedAt = now
	return TimelineEntry{
		IncidentID: inc.ID, At: now, Actor: actor, Kind: EventSeverity,
		Text: fmt.Sprintf("%s → %s (%s)", prev, sev, reason),
		Data: map[string]string{"from": prev.String(), "to": sev.String(), "reason": reason},
	}
}
