package incidents

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents/textutil"
)

// Policy is the escalation and SLA configuration: business hours, the team,
// the providers' contacts and contract terms, SLA targets per severity and
// the routing rules. DefaultPolicy gives the built-in one; ParsePolicyYAML
// reads the configured one.
type Policy struct {
	BusinessHours BusinessHours
	// Team holds internal contacts by id. The entry "oncall" is the 24/7
	// on-call; it may carry a weekly Rotation or an explicit Schedule.
	Team map[string]*Contact
	// Providers by id (the intake's provider value: "stripe", "adyen"…).
	Providers map[string]*Provider
	// SLA targets per severity.
	SLA map[Severity]SLATarget
	// Routing rules, first match wins; the last one matches everything.
	Routing []Rule
	// AuthorizedRoles are team roles whose members may escalate, acknowledge,
	// resolve and reopen any incident.
	AuthorizedRoles []string
	// StatusPoll is how often status pages are polled (top-level
	// status_poll, default 60s); a provider's status_poll overrides it.
	StatusPoll time.Duration
	// Review configures the digest and duplicate detection (review.go).
	Review Review
}

// BusinessHours says when the office is staffed, in its own time zone.
type BusinessHours struct {
	Location *time.Location
	Days     []time.Weekday
	// Start and End are minutes after local midnight; End is exclusive and may
	// be 24*60.
	Start, End int
	// Holidays are local dates, "2026-12-25".
	Holidays map[string]bool
}

// In reports whether t falls inside business hours: a listed day that is no
// holiday, and a local wall-clock time in [Start, End). Wall-clock reading
// keeps the hours right across daylight saving changes.
func (b BusinessHours) In(t time.Time) bool {
	loc := b.Location
	if loc == nil {
		loc = time.UTC
	}
	l := t.In(loc)
	if b.Holidays[l.Format("2006-01-02")] {
		return false
	}
	day := false
	for _, d := range b.Days {
		if d == l.Weekday() {
			day = true
		}
	}
	if !day {
		return false
	}
	m := l.Hour()*60 + l.Minute()
	return m >= b.Start && m < b.End
}

// Contact is a person or a team alias to engage.
type Contact struct {
	ID   string
	Name string
	Role string
	// Handles are chat ids by platform ("slack", "discord", "console").
	Handles map[string]string
	Email   string
	Phone   string
	// Rotation (for "oncall"): contact ids, one per week, the first taking the
	// week that starts at RotationStart.
	Rotation      []string
	RotationStart time.Time
	// Schedule (for "oncall"): explicit shifts; they win over Rotation.
	Schedule []Shift
}

// Shift is one explicit on-call shift.
type Shift struct {
	Contact  string
	From, To time.Time
}

// Desk is a provider's support channel.
type Desk struct {
	Phone  string
	Email  string
	Portal string
	// Hours is "24/7" or "business".
	Hours   string
	Handles map[string]string
}

// Person is a named provider contact (the account manager).
type Person struct {
	Name    string
	Email   string
	Phone   string
	Handles map[string]string
}

// Provider holds one gateway's contacts and contract terms.
type Provider struct {
	ID               string
	Name             string
	Support          Desk
	DeveloperSupport Desk
	AccountManager   Person
	StatusPage       string
	// StatusPoll overrides Policy.StatusPoll for this provider's page.
	StatusPoll time.Duration
	// APIEndpoint is the URL /payissue diagnose checks; empty means the
	// public default in DefaultAPIEndpoints.
	APIEndpoint string
	// StatusNoticeChannel, "platform:channel" (slack:C0PAYMENTS), gets a
	// notice when the provider declares an incident while no Paybot
	// incident for it is open. Empty: no notice.
	StatusNoticeChannel string
	// ResponseTargets are the contract's response times by severity.
	ResponseTargets map[Severity]time.Duration
}

// SLATarget is the policy for one severity.
type SLATarget struct {
	Response   time.Duration
	Resolution time.Duration
	Update     time.Duration
	// Source says where Response came from ("policy" or "Stripe contract").
	Source string
}

// Match selects incidents; an empty field matches anything.
type Match struct {
	Categories   []string
	Severities   []Severity
	Providers    []string
	Environments []string
	// BusinessHours, when set, requires being inside (true) or outside (false).
	BusinessHours *bool
}

// Level is one rung of a ladder: the contacts engaged together, and how long
// to wait for an acknowledgement before the next rung.
type Level struct {
	Contacts []string // "team:security", "provider:account_manager"…
	Wait     time.Duration
}

// Rule is one routing rule.
type Rule struct {
	Name   string
	Match  Match
	Ladder []Level
	Line   int // in the YAML, 0 for built-in rules
}

// Decision is the outcome of routing an incident.
type Decision struct {
	Rule    string
	Ladder  []Level
	InHours bool
	// Why is a sentence: "SEV1 during business hours on Stripe → Stripe
	// account manager".
	Why string
}

func boolp(b bool) *bool { return &b }

// DefaultPolicy is the built-in policy: Monday to Friday 09:00–17:00 UTC;
// security to team:security at once, then team:oncall; integration errors to
// the provider's developer support; SEV1/SEV2 to the account manager in
// business hours and to the on-call plus the provider's support desk outside
// them; everything else to the provider's support desk.
func DefaultPolicy() *Policy {
	return &Policy{
		BusinessHours: BusinessHours{
			Location: time.UTC,
			Days:     []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			Start:    9 * 60, End: 17 * 60,
			Holidays: map[string]bool{},
		},
		Team: map[string]*Contact{
			"oncall":   {ID: "oncall", Name: "24/7 on-call", Role: "oncall"},
			"security": {ID: "security", Name: "Security team", Role: "security"},
		},
		Providers: map[string]*Provider{},
		SLA: map[Severity]SLATarget{
			Sev1: {Response: 15 * time.Minute, Resolution: 4 * time.Hour, Update: 30 * time.Minute},
			Sev2: {Response: 30 * time.Minute, Resolution: 8 * time.Hour, Update: time.Hour},
			Sev3: {Response: 4 * time.Hour, Resolution: 72 * time.Hour, Update: 4 * time.Hour},
			Sev4: {Response: 24 * time.Hour, Resolution: 7 * 24 * time.Hour, Update: 24 * time.Hour},
		},
		Routing:         DefaultRules(),
		AuthorizedRoles: []string{"oncall", "security", "incident_manager"},
		Review:          DefaultReview(),
	}
}

// DefaultRules are the built-in routing rules.
func DefaultRules() []Rule {
	return []Rule{
		{Name: "security", Match: Match{Categories: []string{CategorySecurity}},
			Ladder: []Level{{Contacts: []string{"team:security"}, Wait: 15 * time.Minute}, {Contacts: []string{"team:oncall"}, Wait: 15 * time.Minute}}},
		{Name: "integration", Match: Match{Categories: []string{CategoryIntegration}},
			Ladder: []Level{{Contacts: []string{"provider:developer_support"}, Wait: 30 * time.Minute}}},
		{Name: "urgent-business-hours", Match: Match{Severities: []Severity{Sev1, Sev2}, BusinessHours: boolp(true)},
			Ladder: []Level{{Contacts: []string{"provider:account_manager"}, Wait: 15 * time.Minute}}},
		{Name: "urgent-after-hours", Match: Match{Severities: []Severity{Sev1, Sev2}, BusinessHours: boolp(false)},
			Ladder: []Level{{Contacts: []string{"team:oncall", "provider:support"}, Wait: 15 * time.Minute}}},
		{Name: "default", Ladder: []Level{{Contacts: []string{"provider:support"}, Wait: time.Hour}}},
	}
}

func (m Match) matches(inc *Incident, inHours bool) bool {
	if len(m.Categories) > 0 && !containsFold(m.Categories, inc.Details.Category) {
		return false
	}
	if len(m.Providers) > 0 && !containsFold(m.Providers, inc.Details.Provider) {
		return false
	}
	if len(m.Environments) > 0 && !containsFold(m.Environments, inc.Details.Environment) {
		return false
	}
	if len(m.Severities) > 0 {
		ok := false
		for _, s := range m.Severities {
			if s == inc.Severity {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if m.BusinessHours != nil && *m.BusinessHours != inHours {
		return false
	}
	return true
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// Route picks the first matching rule for inc at now.
func Route(p *Policy, inc *Incident, now time.Time) Decision {
	if p == nil {
		p = DefaultPolicy()
	}
	in := p.BusinessHours.In(now)
	for _, r := range p.Routing {
		if !r.Match.matches(inc, in) {
			continue
		}
		d := Decision{Rule: r.Name, Ladder: r.Ladder, InHours: in}
		var who []string
		if len(r.Ladder) > 0 {
			for _, ref := range r.Ladder[0].Contacts {
				who = append(who, p.Resolve(ref, inc, now).Label)
			}
		}
		d.Why = fmt.Sprintf("%s %s%s%s → %s", sevText(inc.Severity), reasonText(inc, r), hoursText(in), providerText(p, inc), strings.Join(who, " + "))
		return d
	}
	return Decision{Rule: "none", Why: "no routing rule matched"}
}

func sevText(s Severity) string {
	if s == SevUnknown {
		return "Unassessed incident"
	}
	return s.String()
}

func reasonText(inc *Incident, r Rule) string {
	if len(r.Match.Categories) > 0 && inc.Details.Category != "" {
		return inc.Details.Category + " issue "
	}
	return ""
}

func hoursText(in bool) string {
	if in {
		return "during business hours"
	}
	return "outside business hours"
}

func providerText(p *Policy, inc *Incident) string {
	if inc.Details.Provider == "" {
		return ""
	}
	return " on " + p.providerName(inc.Details.Provider)
}

func (p *Policy) providerName(id string) string {
	if pr, ok := p.Providers[strings.ToLower(id)]; ok && pr.Name != "" {
		return pr.Name
	}
	if g, ok := FindGateway(id); ok {
		return g.Name // PayPal, not Paypal
	}
	return titleCase(id)
}

func titleCase(s string) string {
	if s == "" {
		return "the provider"
	}
	return textutil.UpperFirst(s)
}

// Target is a resolved contact: who to engage and how to reach them.
type Target struct {
	Ref   string // "provider:account_manager"
	Key   string // stable id for dedupe: "stripe/account_manager", "team/alice"
	Label string // "Stripe account manager", "24/7 on-call (Alice)"
	Name  string
	Role  string
	// Handles are chat ids by platform.
	Handles map[string]string
	Email   string
	Phone   string
	Portal  string
	Hours   string
	// Note explains a limit, e.g. a business-hours desk reached after hours.
	Note string
}

// Handle returns the chat id on platform, if any.
func (t Target) Handle(platform string) string { return t.Handles[platform] }

// ContactDetails lists the ways to reach the target, for a human to use.
func (t Target) ContactDetails() string {
	var parts []string
	if t.Name != "" && t.Name != t.Label {
		parts = append(parts, t.Name)
	}
	if t.Email != "" {
		parts = append(parts, "email "+t.Email)
	}
	if t.Phone != "" {
		parts = append(parts, "phone "+t.Phone)
	}
	if t.Portal != "" {
		parts = append(parts, "portal "+t.Portal)
	}
	keys := make([]string, 0, len(t.Handles))
	for k := range t.Handles {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+" "+t.Handles[k])
	}
	if t.Hours != "" {
		parts = append(parts, "hours "+t.Hours)
	}
	if len(parts) == 0 {
		return "no contact details configured"
	}
	return strings.Join(parts, ", ")
}

// Resolve turns a contact reference into a Target for inc at now.
func (p *Policy) Resolve(ref string, inc *Incident, now time.Time) Target {
	kind, id, _ := strings.Cut(ref, ":")
	t := Target{Ref: ref}
	switch kind {
	case "team":
		c := p.Team[id]
		if c == nil {
			t.Key, t.Label = "team/"+id, id
			return t
		}
		if id == "oncall" {
			if who := p.OncallAt(now); who != nil {
				t = contactTarget(ref, who)
				t.Label = fmt.Sprintf("%s (%s)", nonEmpty(c.Name, "24/7 on-call"), who.Name)
				return t
			}
		}
		return contactTarget(ref, c)
	case "provider":
		pid := strings.ToLower(inc.Details.Provider)
		name := p.providerName(pid)
		pr := p.Providers[pid]
		if pr == nil {
			pr = &Provider{ID: pid}
		}
		t.Key = "provider/" + pid + "/" + id
		switch id {
		case "account_manager":
			t.Label = name + " account manager"
			t.Name, t.Email, t.Phone, t.Handles = pr.AccountManager.Name, pr.AccountManager.Email, pr.AccountManager.Phone, pr.AccountManager.Handles
		case "developer_support":
			t.Label = name + " developer support"
			desk(&t, pr.DeveloperSupport)
		default:
			t.Label = name + " support"
			desk(&t, pr.Support)
			if pr.Support.Hours == "business" && !p.BusinessHours.In(now) {
				t.Note = "the support desk is staffed in business hours only"
			}
		}
		return t
	}
	t.Key, t.Label = ref, ref
	return t
}

func desk(t *Target, d Desk) {
	t.Email, t.Phone, t.Portal, t.Hours, t.Handles = d.Email, d.Phone, d.Portal, d.Hours, d.Handles
}

func contactTarget(ref string, c *Contact) Target {
	return Target{Ref: ref, Key: "team/" + c.ID, Label: nonEmpty(c.Name, c.ID), Name: c.Name, Role: c.Role,
		Handles: c.Handles, Email: c.Email, Phone: c.Phone}
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// OncallAt returns the person on call at t: an explicit shift first, then
// the weekly rotation. It returns nil when neither is configured.
func (p *Policy) OncallAt(t time.Time) *Contact {
	oc := p.Team["oncall"]
	if oc == nil {
		return nil
	}
	for _, s := range oc.Schedule {
		if !t.Before(s.From) && t.Before(s.To) {
			if c := p.Team[s.Contact]; c != nil {
				return c
			}
		}
	}
	if len(oc.Rotation) == 0 {
		return nil
	}
	i := RotationWeek(oc.RotationStart, t) % len(oc.Rotation)
	if i < 0 {
		i += len(oc.Rotation)
	}
	return p.Team[oc.Rotation[i]]
}

// RotationWeek returns how many whole rotation weeks lie between start and t
// (negative before start). Weeks are counted in calendar days of start's time
// zone and hand over at start's local wall-clock time, so a week that spans a
// daylight saving change is 167 or 169 hours long and the handover stays at,
// say, Monday 00:00 local. When the handover time does not exist that day (a
// spring-forward gap) the handover happens at the first instant after it.
func RotationWeek(start, t time.Time) int {
	loc := start.Location()
	lt := t.In(loc)
	days := civilDay(lt.Date()) - civilDay(start.Date())
	if wallClock(lt) < wallClock(start) {
		days-- // the handover time of that calendar day has not come yet
	}
	return floorDiv(days, 7)
}

// civilDay numbers calendar dates consecutively (days since 1970-01-01),
// independent of any zone's offsets.
func civilDay(y int, m time.Month, d int) int {
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// wallClock is the local time of day of t in nanoseconds after midnight.
func wallClock(t time.Time) time.Duration {
	h, m, s := t.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(t.Nanosecond())
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Targets returns the SLA targets for sev on provider: the policy's, with
// the provider contract's response target where it is stricter.
func (p *Policy) Targets(sev Severity, provider string) SLATarget {
	t, ok := p.SLA[sev]
	if !ok {
		t = p.SLA[Sev3]
	}
	t.Source = "policy"
	if pr := p.Providers[strings.ToLower(provider)]; pr != nil {
		if d, ok := pr.ResponseTargets[sev]; ok && d > 0 && (t.Response == 0 || d < t.Response) {
			t.Response = d
			t.Source = nonEmpty(pr.Name, pr.ID) + " contract"
		}
	}
	return t
}

// Authorized reports whether u may act on inc: the reporter, a responder, or
// a team member (matched by chat handle) whose role is authorized.
func (p *Policy) Authorized(u User, inc *Incident, responders []User) bool {
	if u.ID == inc.Reporter.ID && u.Platform == inc.Reporter.Platform {
		return true
	}
	for _, r := range responders {
		if r.ID == u.ID && (r.Platform == "" || r.Platform == u.Platform) {
			return true
		}
	}
	for _, c := range p.Team {
		if h := c.Handles[u.Platform]; h != "" && (h == u.ID || strings.TrimPrefix(h, "@") == u.ID) {
			for _, role := range p.AuthorizedRoles {
				if strings.EqualFold(role, c.Role) {
					return true
				}
			}
		}
	}
	return false
}

// ParseDuration reads "90s", "15m", "4h", "3d" or "1h30m".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "d") {
		var n int
		if _, err := fmt.Sscanf(s, "%dd", &n); err == nil && n >= 0 && fmt.Sprintf("%dd", n) == s {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (for example 30s, 15m, 4h, 3d)", s)
	}
	return d, nil
}
