package incidents

import (
	"fmt"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents/redact"
	"github.com/paybot/paybot/incidents/textutil"
)

// Packet renders the support packet for a gateway's support team: ref,
// impact and start, environment, error messages and extracted codes,
// transaction ids, payment methods, steps already taken, the KB articles
// already tried, and the timeline. It returns the same content as plain text
// and as Markdown. Every free text passes through the redaction function once
// more, so card data is masked even if it slipped into a stored field.
func Packet(inc *Incident, timeline []TimelineEntry, articlesTried []string) (plain, markdown string) {
	type field struct{ label, value string }
	d := inc.Details
	started := "unknown"
	if d.StartedAt != nil {
		started = d.StartedAt.UTC().Format("2006-01-02 15:04 MST")
	}
	var codes []string
	for _, c := range d.Codes {
		codes = append(codes, c.String())
	}
	sev := inc.Severity.String()
	fields := []field{
		{"Reference", inc.Ref},
		{"Summary", inc.Title},
		{"Severity", sev},
		{"Status", string(inc.Status)},
		{"Provider", d.Provider},
		{"Environment", d.Environment},
		{"Impact", d.Impact.String()},
		{"Started", started},
		{"Category", d.Category},
		{"Error messages", d.ErrorMessages},
		{"Codes", strings.Join(codes, ", ")},
		{"Transaction IDs", strings.Join(d.TransactionIDs, ", ")},
		{"Payment methods", strings.Join(d.PaymentMethods, ", ")},
		{"Steps already taken", d.StepsTaken},
		{"KB articles tried", strings.Join(articlesTried, "; ")},
	}
	if v := d.Extra["resolution"]; v != "" {
		fields = append(fields, field{"Resolution", v})
	}
	if v := d.Extra["root_cause"]; v != "" {
		fields = append(fields, field{"Root cause", v})
	}
	var p, m strings.Builder
	fmt.Fprintf(&p, "Support packet %s\n", inc.Ref)
	fmt.Fprintf(&m, "## Support packet %s\n\n", inc.Ref)
	for _, f := range fields {
		v := redact.String(strings.TrimSpace(f.value))
		if v == "" {
			v = "—"
		}
		fmt.Fprintf(&p, "%s: %s\n", f.label, v)
		fmt.Fprintf(&m, "- **%s:** %s\n", f.label, mdEscape(v))
	}
	p.WriteString("Timeline:\n")
	m.WriteString("\n### Timeline\n\n")
	for _, e := range timeline {
		who := e.Actor.Name
		if who == "" {
			who = nonEmpty(e.Actor.ID, "paybot")
		}
		line := fmt.Sprintf("%s %s (%s): %s", e.At.UTC().Format("2006-01-02 15:04"), who, e.Kind, redact.String(oneLine(e.Text)))
		fmt.Fprintf(&p, "  %s\n", line)
		fmt.Fprintf(&m, "- %s\n", mdEscape(line))
	}
	if len(timeline) == 0 {
		p.WriteString("  (empty)\n")
		m.WriteString("- (empty)\n")
	}
	return p.String(), m.String()
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = textutil.Ellipsis(s, 300)
	}
	return s
}

func mdEscape(s string) string {
	r := strings.NewReplacer("*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`)
	return r.Replace(s)
}

// fmtDuration prints a duration compactly: 45s, 15m, 1h30m, 3d.
func FmtDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d.Minutes()))
		if sec := int(d.Seconds()) % 60; sec != 0 && d < 10*time.Minute {
			s += fmt.Sprintf("%02ds", sec)
		}
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh", int(d.Hours()))
		if mm := int(d.Minutes()) % 60; mm != 0 {
			s += fmt.Sprintf("%02dm", mm)
		}
	default:
		s = fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	if neg {
		return "-" + s
	}
	return s
}
