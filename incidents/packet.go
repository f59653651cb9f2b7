package incidents

import (
	"fmt"
	"strings"

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
		{"Provider", GatewayName(d.Provider)},
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
	if v := GatewaySummary(d.Gateway); v != "" {
		fields = append(fields, field{"Gateway status page", v})
	}
	if v := lastDiagnosis(timeline); v != "" {
		fields = append(fields, field{"Connectivity diagnosis", v})
	}
	if v := inc.Resolution.Fix; v != "" {
		fields = append(fields, field{"Resolution", v})
	}
	if v := inc.Resolution.RootCause; v != "" {
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

// lastDiagnosis is the text of the newest diagnosis in the timeline.
func lastDiagnosis(tl []TimelineEntry) string {
	for i := len(tl) - 1; i >= 0; i-- {
		if tl[i].Kind == EventDiagnosis {
			return tl[i].Text
		}
	}
	return ""
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
