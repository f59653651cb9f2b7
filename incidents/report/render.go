package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Formats Write understands.
var Formats = []string{"md", "csv", "json"}

// Write renders r as md, csv or json. Errors: an unknown format, or w's.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case "md", "markdown", "":
		_, err := io.WriteString(w, Markdown(r, 0))
		return err
	case "csv":
		return CSV(w, r)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return fmt.Errorf("unknown format %q (use md, csv or json)", format)
}

// Dur renders whole seconds exactly: 45s, 12m05s, 3h02m00s, 2d04h00m00s.
func Dur(s int64) string {
	if s < 0 {
		return "-" + Dur(-s)
	}
	d, h, m, sec := s/86400, s/3600%24, s/60%60, s%60
	switch {
	case d > 0:
		return fmt.Sprintf("%dd%02dh%02dm%02ds", d, h, m, sec)
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, sec)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, sec)
	}
	return fmt.Sprintf("%ds", sec)
}

// Pct renders a compliance figure; -1 is "n/a".
func Pct(p float64) string {
	if p < 0 {
		return "n/a"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

func durOr(n int, s int64) string {
	if n == 0 {
		return "n/a"
	}
	return Dur(s)
}

// Markdown renders the report as Markdown tables. maxBreaches bounds the
// breach list (0: all).
func Markdown(r *Report, maxBreaches int) string {
	var b strings.Builder
	scope := "all providers"
	if r.Provider != "" {
		scope = r.Provider
	}
	fmt.Fprintf(&b, "# Incident report: %s\n\n", scope)
	from := "the beginning"
	if !r.From.IsZero() {
		from = r.From.In(loc(r)).Format("2006-01-02 15:04")
	}
	fmt.Fprintf(&b, "%s to %s (%s). %d incidents: %d active, %d resolved, %d cancelled.\n\n",
		from, r.To.In(loc(r)).Format("2006-01-02 15:04 MST"), r.Zone,
		r.Total.Incidents, r.Total.Active, r.Total.Resolved, r.Total.Cancelled)
	header := "| %s | incidents | mean ack | p90 ack | mean resolve | p90 resolve | response SLA | resolution SLA | breaches | desk reply (cases) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
	row := func(key string, s Stats) {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %d | %s |\n", mdCell(key), s.Incidents,
			durOr(s.Acked, s.MeanAckSec), durOr(s.Acked, s.P90AckSec),
			durOr(s.ResolveSamples, s.MeanResolveSec), durOr(s.ResolveSamples, s.P90ResolveSec),
			Pct(s.ResponseCompliance), Pct(s.ResolutionCompliance), s.ResponseBreached+s.ResolutionBreached,
			deskCell(s))
	}
	fmt.Fprintf(&b, header, "scope")
	row("total", r.Total)
	for _, sec := range []struct {
		title  string
		groups []Group
	}{{"provider", r.ByProvider}, {"category", r.ByCategory}, {"severity", r.BySeverity}, {"month", r.ByMonth}} {
		fmt.Fprintf(&b, "\n## By %s\n\n", sec.title)
		fmt.Fprintf(&b, header, sec.title)
		for _, g := range sec.groups {
			row(g.Key, g.Stats)
		}
	}
	b.WriteString("\n## Most frequent error codes\n\n")
	if len(r.TopCodes) == 0 {
		b.WriteString("None recorded.\n")
	} else {
		b.WriteString("| code | incidents | providers |\n|---|---:|---|\n")
		for _, c := range r.TopCodes {
			fmt.Fprintf(&b, "| %s | %d | %s |\n", mdCell(c.Code), c.Incidents, mdCell(strings.Join(c.Providers, ", ")))
		}
	}
	fmt.Fprintf(&b, "\n## SLA breaches (%d)\n\n", len(r.Breaches))
	if len(r.Breaches) == 0 {
		b.WriteString("None.\n")
		return b.String()
	}
	b.WriteString("| incident | provider | severity | clock | target | took |\n|---|---|---|---|---:|---:|\n")
	for i, br := range r.Breaches {
		if maxBreaches > 0 && i == maxBreaches {
			fmt.Fprintf(&b, "\n… and %d more.\n", len(r.Breaches)-i)
			break
		}
		took := Dur(br.TookSec)
		if br.Running {
			took += " (running)"
		}
		fmt.Fprintf(&b, "| %s %s | %s | %s | %s | %s | %s |\n", br.Ref, mdCell(br.Title), mdCell(br.Provider), br.Severity, br.Clock, Dur(br.TargetSec), took)
	}
	return b.String()
}

func deskCell(s Stats) string {
	if s.DeskCases == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%s (%d)", Dur(s.MeanDeskSec), s.DeskCases)
}

// mdCell keeps user text from breaking a table row.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}

// CSV writes one row per scope: dimension (total, provider, category,
// severity, month), key, then the Stats columns; then one row per top code
// (dimension "code").
func CSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	cols := []string{"dimension", "key", "incidents", "active", "resolved", "cancelled", "acked", "mean_ack_s", "p90_ack_s",
		"resolve_samples", "mean_resolve_s", "p90_resolve_s", "response_met", "response_breached", "response_compliance_pct",
		"resolution_met", "resolution_breached", "resolution_compliance_pct", "desk_cases", "mean_desk_response_s", "p90_desk_response_s"}
	if err := cw.Write(cols); err != nil {
		return err
	}
	i := strconv.Itoa
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	row := func(dim, key string, s Stats) []string {
		return []string{dim, csvSafe(key), i(s.Incidents), i(s.Active), i(s.Resolved), i(s.Cancelled), i(s.Acked), i64(s.MeanAckSec), i64(s.P90AckSec),
			i(s.ResolveSamples), i64(s.MeanResolveSec), i64(s.P90ResolveSec), i(s.ResponseMet), i(s.ResponseBreached), f(s.ResponseCompliance),
			i(s.ResolutionMet), i(s.ResolutionBreached), f(s.ResolutionCompliance), i(s.DeskCases), i64(s.MeanDeskSec), i64(s.P90DeskSec)}
	}
	rows := [][]string{row("total", "total", r.Total)}
	for _, sec := range []struct {
		dim    string
		groups []Group
	}{{"provider", r.ByProvider}, {"category", r.ByCategory}, {"severity", r.BySeverity}, {"month", r.ByMonth}} {
		for _, g := range sec.groups {
			rows = append(rows, row(sec.dim, g.Key, g.Stats))
		}
	}
	for _, c := range r.TopCodes {
		cr := make([]string, len(cols))
		cr[0], cr[1], cr[2] = "code", csvSafe(c.Code), i(c.Incidents)
		rows = append(rows, cr)
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// csvSafe stops a spreadsheet from reading user text as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsAny(s[:1], "=+-@\t\r") && s != "-" {
		return "'" + s
	}
	return s
}

func loc(r *Report) *time.Location {
	if l, err := time.LoadLocation(r.Zone); err == nil {
		return l
	}
	return time.UTC
}
