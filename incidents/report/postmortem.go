package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents"
)

// Postmortem is the write-up of one incident. Times are in one zone, Zone;
// durations are whole seconds. JSON keys are stable.
type Postmortem struct {
	Ref        string     `json:"ref"`
	Title      string     `json:"title"`
	Status     string     `json:"status"`
	Severity   string     `json:"severity"`
	Provider   string     `json:"provider"`
	Category   string     `json:"category"`
	Reporter   string     `json:"reporter"`
	Zone       string     `json:"zone"`
	CreatedAt  time.Time  `json:"created_at"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	Impact     Impact     `json:"impact"`
	Timeline   []PMEntry  `json:"timeline"`
	RootCause  string     `json:"root_cause"`
	Fix        string     `json:"fix"`
	SLA        PMSLA      `json:"sla"`
	Articles   []string   `json:"kb_articles"`
	Followups  []Followup `json:"followups"`
	CaseNumber string     `json:"case_number,omitempty"`
	MergedFrom []string   `json:"merged_from,omitempty"`
	MergedInto string     `json:"merged_into,omitempty"`
}

// Impact is what the incident did to payments.
type Impact struct {
	Summary        string   `json:"summary"` // "40% failing", "all"…
	Environment    string   `json:"environment,omitempty"`
	StartedAt      string   `json:"started_at,omitempty"` // in Zone
	PaymentMethods []string `json:"payment_methods"`
	Codes          []string `json:"codes"`
	ErrorMessages  string   `json:"error_messages,omitempty"`
	Transactions   int      `json:"transactions"`
}

// PMEntry is one timeline line, its time in the postmortem's zone.
type PMEntry struct {
	At    string `json:"at"` // 2006-01-02 15:04:05 MST
	Actor string `json:"actor"`
	Kind  string `json:"kind"`
	Text  string `json:"text"`
}

// PMSLA are the incident's SLA figures.
type PMSLA struct {
	ResponseTargetSec   int64  `json:"response_target_s"`
	ResolutionTargetSec int64  `json:"resolution_target_s"`
	TimeToAckSec        *int64 `json:"time_to_ack_s"`
	TimeToResolveSec    *int64 `json:"time_to_resolve_s"`
	Response            string `json:"response"`   // met, breached, running
	Resolution          string `json:"resolution"` // met, breached, running
	DeskResponseSec     *int64 `json:"desk_response_s,omitempty"`
}

// Followup is a follow-up action, numbered from 1 in the order added.
type Followup struct {
	N      int    `json:"n"`
	Text   string `json:"text"`
	By     string `json:"by"`
	Done   bool   `json:"done"`
	DoneBy string `json:"done_by,omitempty"`
}

// Followups lists the follow-up actions recorded on a timeline.
func Followups(tl []incidents.TimelineEntry) []Followup {
	out := []Followup{}
	for _, e := range tl {
		if e.Kind != incidents.EventFollowup {
			continue
		}
		n, _ := strconv.Atoi(e.Data["n"])
		switch e.Data["action"] {
		case "add":
			out = append(out, Followup{N: n, Text: e.Data["text"], By: name(e.Actor)})
		case "done":
			for i := range out {
				if out[i].N == n {
					out[i].Done, out[i].DoneBy = true, name(e.Actor)
				}
			}
		}
	}
	return out
}

// ArticlesOffered lists the knowledge-base articles offered in the thread,
// first offer first, without repeats.
func ArticlesOffered(tl []incidents.TimelineEntry) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, e := range tl {
		if e.Kind != incidents.EventKBOffered {
			continue
		}
		for _, t := range strings.Split(e.Data["titles"], "\n") {
			if t = strings.TrimSpace(t); t != "" && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

func name(u incidents.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.ID
}

// NewPostmortem assembles the write-up of inc from its whole timeline as of
// now, with every time in loc (nil: UTC).
func NewPostmortem(inc *incidents.Incident, tl []incidents.TimelineEntry, p *incidents.Policy, loc *time.Location, now time.Time) *Postmortem {
	if loc == nil {
		loc = time.UTC
	}
	f := FactsOf(inc, tl, p, now)
	d := inc.Details
	pm := &Postmortem{
		Ref: inc.Ref, Title: inc.Title, Status: string(inc.Status), Severity: inc.Severity.String(),
		Provider: d.Provider, Category: d.Category, Reporter: name(inc.Reporter), Zone: loc.String(),
		CreatedAt: inc.CreatedAt.In(loc), CaseNumber: f.CaseNumber,
		Impact: Impact{Summary: d.Impact.String(), Environment: d.Environment, PaymentMethods: append([]string{}, d.PaymentMethods...),
			Codes: []string{}, ErrorMessages: d.ErrorMessages, Transactions: len(d.TransactionIDs)},
		Timeline: []PMEntry{}, Articles: ArticlesOffered(tl), Followups: Followups(tl),
	}
	if inc.ResolvedAt != nil {
		t := inc.ResolvedAt.In(loc)
		pm.ResolvedAt = &t
	}
	if d.StartedAt != nil {
		pm.Impact.StartedAt = d.StartedAt.In(loc).Format(pmTime)
	}
	for _, c := range d.Codes {
		pm.Impact.Codes = append(pm.Impact.Codes, c.String())
	}
	for _, e := range tl {
		pm.Timeline = append(pm.Timeline, PMEntry{At: e.At.In(loc).Format(pmTime), Actor: name(e.Actor), Kind: string(e.Kind), Text: e.Text})
		switch e.Kind {
		case incidents.EventResolution:
			if v := e.Data["resolution"]; v != "" {
				pm.Fix = v
			}
			if v := e.Data["root_cause"]; v != "" {
				pm.RootCause = v
			}
		case incidents.EventMerge:
			if v := e.Data["from"]; v != "" {
				pm.MergedFrom = append(pm.MergedFrom, v)
			}
			if v := e.Data["into"]; v != "" {
				pm.MergedInto = v
			}
		}
	}
	s := &pm.SLA
	s.ResponseTargetSec, s.ResolutionTargetSec = secs(f.Targets.Response), secs(f.Targets.Resolution)
	s.Response, s.Resolution = f.Response.String(), f.Resolution.String()
	if d, ok := f.TimeToAck(); ok {
		v := secs(d)
		s.TimeToAckSec = &v
	}
	if d, ok := f.TimeToResolve(); ok {
		v := secs(d)
		s.TimeToResolveSec = &v
	}
	if d, ok := f.DeskResponse(); ok {
		v := secs(d)
		s.DeskResponseSec = &v
	}
	return pm
}

const pmTime = "2006-01-02 15:04:05 MST"

// WriteJSON writes pm as indented JSON.
func (pm *Postmortem) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(pm)
}

// Markdown renders the postmortem. User text is kept as written (it was
// redacted on the way in); table cells are escaped so it cannot break the
// layout.
func (pm *Postmortem) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Postmortem: %s — %s\n\n", pm.Ref, oneLine(pm.Title))
	b.WriteString("## Summary\n\n")
	fmt.Fprintf(&b, "- Status: %s, %s\n", pm.Status, pm.Severity)
	fmt.Fprintf(&b, "- Provider: %s; category: %s\n", orNone(pm.Provider), orNone(pm.Category))
	fmt.Fprintf(&b, "- Reported by %s at %s\n", oneLine(pm.Reporter), pm.CreatedAt.Format(pmTime))
	if pm.ResolvedAt != nil {
		fmt.Fprintf(&b, "- Resolved at %s\n", pm.ResolvedAt.Format(pmTime))
	}
	if pm.CaseNumber != "" {
		fmt.Fprintf(&b, "- Gateway case number: %s\n", oneLine(pm.CaseNumber))
	}
	if len(pm.MergedFrom) > 0 {
		fmt.Fprintf(&b, "- Duplicate reports merged in: %s\n", strings.Join(pm.MergedFrom, ", "))
	}
	if pm.MergedInto != "" {
		fmt.Fprintf(&b, "- Merged into %s\n", pm.MergedInto)
	}
	b.WriteString("\n## Impact\n\n")
	im := pm.Impact
	fmt.Fprintf(&b, "- Impact: %s\n", orNone(im.Summary))
	if im.Environment != "" {
		fmt.Fprintf(&b, "- Environment: %s\n", oneLine(im.Environment))
	}
	if im.StartedAt != "" {
		fmt.Fprintf(&b, "- Started: %s\n", im.StartedAt)
	}
	if len(im.PaymentMethods) > 0 {
		fmt.Fprintf(&b, "- Payment methods: %s\n", oneLine(strings.Join(im.PaymentMethods, ", ")))
	}
	if len(im.Codes) > 0 {
		fmt.Fprintf(&b, "- Error codes: %s\n", strings.Join(im.Codes, ", "))
	}
	if im.ErrorMessages != "" {
		fmt.Fprintf(&b, "- Error messages: %s\n", oneLine(im.ErrorMessages))
	}
	fmt.Fprintf(&b, "- Transactions reported: %d\n", im.Transactions)
	fmt.Fprintf(&b, "\n## Timeline (all times %s)\n\n", pm.Zone)
	b.WriteString("| time | who | what | detail |\n|---|---|---|---|\n")
	for _, e := range pm.Timeline {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", e.At, mdCell(e.Actor), e.Kind, mdCell(e.Text))
	}
	fmt.Fprintf(&b, "\n## Root cause\n\n%s\n", orText(pm.RootCause, "Not recorded yet: /payissue rootcause <text>."))
	fmt.Fprintf(&b, "\n## Fix\n\n%s\n", orText(pm.Fix, "Not resolved yet."))
	s := pm.SLA
	b.WriteString("\n## SLA\n\n")
	fmt.Fprintf(&b, "- Response: %s (target %s, time to acknowledge %s)\n", s.Response, Dur(s.ResponseTargetSec), optDur(s.TimeToAckSec))
	fmt.Fprintf(&b, "- Resolution: %s (target %s, time to resolve %s)\n", s.Resolution, Dur(s.ResolutionTargetSec), optDur(s.TimeToResolveSec))
	if s.DeskResponseSec != nil {
		fmt.Fprintf(&b, "- Gateway desk's first reply: %s after the case was opened\n", Dur(*s.DeskResponseSec))
	}
	b.WriteString("\n## Knowledge-base articles offered\n\n")
	if len(pm.Articles) == 0 {
		b.WriteString("None.\n")
	}
	for _, a := range pm.Articles {
		fmt.Fprintf(&b, "- %s\n", oneLine(a))
	}
	b.WriteString("\n## Follow-up actions\n\n")
	if len(pm.Followups) == 0 {
		b.WriteString("None yet: /payissue followup <text>.\n")
	}
	for _, f := range pm.Followups {
		box := " "
		if f.Done {
			box = "x"
		}
		fmt.Fprintf(&b, "- [%s] %d. %s (%s", box, f.N, oneLine(f.Text), oneLine(f.By))
		if f.Done {
			fmt.Fprintf(&b, "; done by %s", oneLine(f.DoneBy))
		}
		b.WriteString(")\n")
	}
	return b.String()
}

func optDur(p *int64) string {
	if p == nil {
		return "n/a"
	}
	return Dur(*p)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func orNone(s string) string { return orText(oneLine(s), "none") }

func orText(s, alt string) string {
	if strings.TrimSpace(s) == "" {
		return alt
	}
	return s
}
