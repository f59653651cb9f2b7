package report

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents"
)

// Source streams incidents for a report. incidents/sqlite and
// incidents/postgres implement it.
type Source interface {
	// ScanReport calls fn for every incident created at or after from and
	// before to (a zero to means no upper bound), of provider when it is not
	// empty (case-insensitive), in any order; fn must not keep inc or tl.
	// Each incident carries at least ID, Ref, Title, Status, Severity,
	// Details.Provider, Details.Category, Details.Codes, CreatedAt, OpenedAt
	// and ResolvedAt; tl holds its timeline entries of the given kinds
	// ("kind", or "kind:key=value": the entries of kind whose Data has the
	// pair), in order, whose Data carries at
	// least dataKeys (nil: every key). fn's error stops the scan and is
	// returned as is; other errors are the store's.
	ScanReport(ctx context.Context, from, to time.Time, provider string, kinds, dataKeys []string,
		fn func(inc *incidents.Incident, tl []incidents.TimelineEntry) error) error
}

// Query selects what a report covers.
type Query struct {
	From, To time.Time // To zero: up to now
	Provider string    // empty: every provider
	// Location is the time zone of the month grouping; nil is UTC.
	Location *time.Location
	// TopCodes is how many codes to list (default 10).
	TopCodes int
}

// Run streams the incidents of q from src and returns the report as of now.
func Run(ctx context.Context, src Source, p *incidents.Policy, q Query, now time.Time) (*Report, error) {
	b := NewBuilder(q, now)
	err := src.ScanReport(ctx, q.From, q.To, q.Provider, FactKinds, FactDataKeys, func(inc *incidents.Incident, tl []incidents.TimelineEntry) error {
		b.Add(FactsOf(inc, tl, p, now))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b.Report(), nil
}

// Report is the analytics over a set of incidents. Durations are whole
// seconds; percentages are 0–100 with one decimal, -1 when no clock was
// decided. JSON keys are stable.
type Report struct {
	From        time.Time   `json:"from"`
	To          time.Time   `json:"to"`
	Provider    string      `json:"provider,omitempty"`
	GeneratedAt time.Time   `json:"generated_at"`
	Zone        string      `json:"zone"`
	Total       Stats       `json:"total"`
	ByProvider  []Group     `json:"by_provider"`
	ByCategory  []Group     `json:"by_category"`
	BySeverity  []Group     `json:"by_severity"`
	ByMonth     []Group     `json:"by_month"`
	TopCodes    []CodeCount `json:"top_codes"`
	Breaches    []Breach    `json:"breaches"`
}

// Group is the stats of one provider, category, severity or month.
type Group struct {
	Key string `json:"key"`
	Stats
}

// Stats are the figures of a set of incidents.
type Stats struct {
	Incidents int `json:"incidents"`
	Active    int `json:"active"`
	Resolved  int `json:"resolved"`
	Cancelled int `json:"cancelled"`

	Acked          int   `json:"acked"`
	MeanAckSec     int64 `json:"mean_ack_s"`
	P90AckSec      int64 `json:"p90_ack_s"`
	ResolveSamples int   `json:"resolve_samples"`
	MeanResolveSec int64 `json:"mean_resolve_s"`
	P90ResolveSec  int64 `json:"p90_resolve_s"`

	ResponseMet          int     `json:"response_met"`
	ResponseBreached     int     `json:"response_breached"`
	ResponseCompliance   float64 `json:"response_compliance_pct"`
	ResolutionMet        int     `json:"resolution_met"`
	ResolutionBreached   int     `json:"resolution_breached"`
	ResolutionCompliance float64 `json:"resolution_compliance_pct"`

	DeskCases   int   `json:"desk_cases"`
	MeanDeskSec int64 `json:"mean_desk_response_s"`
	P90DeskSec  int64 `json:"p90_desk_response_s"`
}

// CodeCount is how many incidents carried an error code.
type CodeCount struct {
	Code      string   `json:"code"` // system:value
	Incidents int      `json:"incidents"`
	Providers []string `json:"providers"`
}

// Breach is one missed SLA clock.
type Breach struct {
	Ref       string `json:"ref"`
	Title     string `json:"title"`
	Provider  string `json:"provider"`
	Severity  string `json:"severity"`
	Clock     string `json:"clock"` // response or resolution
	TargetSec int64  `json:"target_s"`
	// TookSec is the stopped clock, or the time elapsed at the report's time
	// when it still runs.
	TookSec int64     `json:"took_s"`
	Running bool      `json:"running"`
	At      time.Time `json:"created_at"`
}

// Builder accumulates facts into a report, one incident at a time.
type Builder struct {
	q      Query
	now    time.Time
	months map[int]string // year*100+month → "2006-01", formatted once
	total  *acc
	groups [4]map[string]*acc
	codes  map[string]*codeAcc
	br     []Breach
}

type acc struct {
	s              Stats
	ack, res, desk []int64
}

type codeAcc struct {
	n         int
	providers map[string]bool
}

// NewBuilder starts an empty report for q as of now.
func NewBuilder(q Query, now time.Time) *Builder {
	if q.Location == nil {
		q.Location = time.UTC
	}
	if q.TopCodes <= 0 {
		q.TopCodes = 10
	}
	b := &Builder{q: q, now: now, total: &acc{}, codes: map[string]*codeAcc{}, months: map[int]string{}}
	for i := range b.groups {
		b.groups[i] = map[string]*acc{}
	}
	return b
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Add counts one incident.
func (b *Builder) Add(f Facts) {
	ct := f.CreatedAt.In(b.q.Location)
	mk := ct.Year()*100 + int(ct.Month())
	month, ok := b.months[mk]
	if !ok {
		month = ct.Format("2006-01")
		b.months[mk] = month
	}
	keys := [4]string{dash(f.Provider), dash(f.Category), sevKey(f.Severity), month}
	b.total.add(f)
	for i, k := range keys {
		a := b.groups[i][k]
		if a == nil {
			a = &acc{}
			b.groups[i][k] = a
		}
		a.add(f)
	}
	for i, c := range f.Codes {
		if repeated(f.Codes[:i], c) {
			continue
		}
		k := c.String()
		ca := b.codes[k]
		if ca == nil {
			ca = &codeAcc{providers: map[string]bool{}}
			b.codes[k] = ca
		}
		ca.n++
		ca.providers[dash(f.Provider)] = true
	}
	for _, c := range []struct {
		name   string
		v      Verdict
		target time.Duration
		stop   *time.Time
	}{{"response", f.Response, f.Targets.Response, f.RespondedAt}, {"resolution", f.Resolution, f.Targets.Resolution, f.ResolvedAt}} {
		if c.v != Breached {
			continue
		}
		end := b.now
		if c.stop != nil {
			end = *c.stop
		}
		b.br = append(b.br, Breach{Ref: f.Ref, Title: f.Title, Provider: dash(f.Provider), Severity: f.Severity.String(), Clock: c.name,
			TargetSec: secs(c.target), TookSec: secs(end.Sub(*f.ClockStart)), Running: c.stop == nil, At: f.CreatedAt})
	}
}

var sevKeys = [...]string{"SEV?", "SEV1", "SEV2", "SEV3", "SEV4"}

func sevKey(s incidents.Severity) string {
	if s < incidents.Sev1 || s > incidents.Sev4 {
		return sevKeys[0]
	}
	return sevKeys[s]
}

func repeated(before []incidents.Code, c incidents.Code) bool {
	for _, o := range before {
		if o == c {
			return true
		}
	}
	return false
}

func (a *acc) add(f Facts) {
	s := &a.s
	s.Incidents++
	switch {
	case f.Status.Active():
		s.Active++
	case f.Status == incidents.StatusCancelled:
		s.Cancelled++
	case f.Status == incidents.StatusResolved || f.Status == incidents.StatusClosed:
		s.Resolved++
	}
	if d, ok := f.TimeToAck(); ok {
		a.ack = append(a.ack, secs(d))
	}
	if d, ok := f.TimeToResolve(); ok {
		a.res = append(a.res, secs(d))
	}
	if d, ok := f.DeskResponse(); ok {
		a.desk = append(a.desk, secs(d))
	}
	switch f.Response {
	case Met:
		s.ResponseMet++
	case Breached:
		s.ResponseBreached++
	}
	switch f.Resolution {
	case Met:
		s.ResolutionMet++
	case Breached:
		s.ResolutionBreached++
	}
}

func (a *acc) stats() Stats {
	s := a.s
	s.Acked = len(a.ack)
	s.MeanAckSec, s.P90AckSec = meanP90(a.ack)
	s.ResolveSamples = len(a.res)
	s.MeanResolveSec, s.P90ResolveSec = meanP90(a.res)
	s.DeskCases = len(a.desk)
	s.MeanDeskSec, s.P90DeskSec = meanP90(a.desk)
	s.ResponseCompliance = pct(s.ResponseMet, s.ResponseBreached)
	s.ResolutionCompliance = pct(s.ResolutionMet, s.ResolutionBreached)
	return s
}

// secs truncates to whole seconds.
func secs(d time.Duration) int64 { return int64(d / time.Second) }

// meanP90 returns the mean (rounded half up) and the nearest-rank p90.
func meanP90(v []int64) (mean, p90 int64) {
	if len(v) == 0 {
		return 0, 0
	}
	var sum int64
	for _, x := range v {
		sum += x
	}
	n := int64(len(v))
	mean = (2*sum + n) / (2 * n)
	slices.Sort(v)
	rank := int(math.Ceil(0.9 * float64(len(v))))
	return mean, v[rank-1]
}

// pct is met/(met+breached) in percent with one decimal, or -1 when
// nothing was decided.
func pct(met, breached int) float64 {
	if met+breached == 0 {
		return -1
	}
	return math.Round(1000*float64(met)/float64(met+breached)) / 10
}

// Report returns the figures so far, groups sorted by key, codes by count.
func (b *Builder) Report() *Report {
	to := b.q.To
	if to.IsZero() {
		to = b.now
	}
	r := &Report{From: b.q.From, To: to, Provider: lower(b.q.Provider), GeneratedAt: b.now, Zone: b.q.Location.String(), Total: b.total.stats()}
	for i, dst := range []*[]Group{&r.ByProvider, &r.ByCategory, &r.BySeverity, &r.ByMonth} {
		*dst = []Group{}
		for k, a := range b.groups[i] {
			*dst = append(*dst, Group{Key: k, Stats: a.stats()})
		}
		sort.Slice(*dst, func(x, y int) bool { return (*dst)[x].Key < (*dst)[y].Key })
	}
	r.TopCodes = []CodeCount{}
	for k, c := range b.codes {
		cc := CodeCount{Code: k, Incidents: c.n}
		for p := range c.providers {
			cc.Providers = append(cc.Providers, p)
		}
		sort.Strings(cc.Providers)
		r.TopCodes = append(r.TopCodes, cc)
	}
	sort.Slice(r.TopCodes, func(i, j int) bool {
		if r.TopCodes[i].Incidents != r.TopCodes[j].Incidents {
			return r.TopCodes[i].Incidents > r.TopCodes[j].Incidents
		}
		return r.TopCodes[i].Code < r.TopCodes[j].Code
	})
	if len(r.TopCodes) > b.q.TopCodes {
		r.TopCodes = r.TopCodes[:b.q.TopCodes]
	}
	// Breaches by creation time, resolution before response, then in the
	// order they were added (a stable sort). Sorting indexes, not the
	// structs, keeps the moves small: a year's report lists tens of
	// thousands of breaches.
	idx := make([]int32, len(b.br))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(x, y int32) int {
		bx, by := &b.br[x], &b.br[y]
		if c := bx.At.Compare(by.At); c != 0 {
			return c
		}
		if c := strings.Compare(by.Clock, bx.Clock); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	r.Breaches = make([]Breach, len(idx))
	for i, j := range idx {
		r.Breaches[i] = b.br[j]
	}
	return r
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
