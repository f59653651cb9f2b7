package incidents

import (
	"fmt"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents/redact"
	"github.com/paybot/paybot/incidents/textutil"
)

// GatewayCase is the case number a gateway's support desk gave for an
// incident, with who recorded it and when (UTC).
type GatewayCase struct {
	Number string    `json:"number"`
	By     User      `json:"by"`
	At     time.Time `json:"at"`
}

// PacketOptions say how a packet is written for the desk.
type PacketOptions struct {
	// Location is the one time zone every time is written in, labelled
	// ("2026-11-26 15:30 CET"); nil means UTC.
	Location *time.Location
	// Policy gives the provider's spelling and the merchant's ids at the
	// gateway (providers.<id>.merchant_id / account_id); may be nil.
	Policy *Policy
}

// Packet renders the support packet in UTC without provider ids; see
// PacketFor.
func Packet(inc *Incident, timeline []TimelineEntry, articlesTried []string) (plain, markdown string) {
	return PacketFor(inc, timeline, articlesTried, PacketOptions{})
}

// deskKinds are the timeline entries a gateway's desk reads: what happened
// to the incident, not who inside the company was paged (no escalation,
// acknowledgement or role entries), nor each intake answer (the fields
// above hold the final ones).
var deskKinds = map[EventKind]bool{
	EventCreated: true, EventStatus: true, EventSeverity: true, EventUpdate: true,
	EventResolution: true, EventDiagnosis: true, EventGateway: true, EventCase: true,
}

// PacketFor renders the support packet for a gateway's support desk: ref,
// the merchant's id at the gateway, the desk's case number, impact and
// start, environment, error messages and extracted codes, transaction ids,
// payment methods, steps already taken, the KB articles already tried, and
// what happened, every time in one labelled zone. It holds the final
// intake answers only and nothing of the internal escalation (no contact
// names, no ladder). It returns the same content as plain text and as
// Markdown. Every free text passes through the redaction function once
// more, so card data is masked even if it slipped into a stored field.
func PacketFor(inc *Incident, timeline []TimelineEntry, articlesTried []string, o PacketOptions) (plain, markdown string) {
	type field struct{ label, value string }
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	stamp := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04 MST") }
	d := inc.Details
	started := "unknown"
	if d.StartedAt != nil {
		started = stamp(*d.StartedAt)
	}
	var codes []string
	for _, c := range d.Codes {
		codes = append(codes, c.String())
	}
	provider := GatewayName(d.Provider)
	var merchantID, accountID string
	if o.Policy != nil {
		if pv := o.Policy.Providers[strings.ToLower(d.Provider)]; pv != nil {
			provider = nonEmpty(pv.Name, provider)
			merchantID, accountID = pv.MerchantID, pv.AccountID
		}
	}
	sev := inc.Severity.String()
	fields := []field{
		{"Reference", inc.Ref},
		{"Summary", inc.Title},
		{"Severity", sev},
		{"Status", string(inc.Status)},
		{"Provider", provider},
	}
	if merchantID != "" {
		fields = append(fields, field{"Merchant ID", merchantID})
	}
	if accountID != "" {
		fields = append(fields, field{"Account ID", accountID})
	}
	if c := d.GatewayCase; c != nil {
		fields = append(fields, field{"Gateway case number", c.Number})
	}
	fields = append(fields, []field{
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
	}...)
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
	fmt.Fprintf(&p, "Support packet %s (times in %s)\n", inc.Ref, zoneLabel(loc))
	fmt.Fprintf(&m, "## Support packet %s (times in %s)\n\n", inc.Ref, zoneLabel(loc))
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
	n := 0
	for _, e := range timeline {
		if !deskKinds[e.Kind] {
			continue
		}
		n++
		// No names: the desk needs what happened, not who inside the
		// company did it.
		text := e.Text
		if e.Kind == EventSeverity && e.Data["to"] != "" {
			text = e.Data["from"] + " → " + e.Data["to"] // the reason names people
		}
		line := fmt.Sprintf("%s %s: %s", stamp(e.At), e.Kind, redact.String(oneLine(text)))
		fmt.Fprintf(&p, "  %s\n", line)
		fmt.Fprintf(&m, "- %s\n", mdEscape(line))
	}
	if n == 0 {
		p.WriteString("  (empty)\n")
		m.WriteString("- (empty)\n")
	}
	return p.String(), m.String()
}

// zoneLabel names a location for the packet's header: "Europe/Berlin" or
// "UTC".
func zoneLabel(loc *time.Location) string {
	if loc == nil || loc.String() == "" || loc.String() == "Local" {
		return "UTC"
	}
	return loc.String()
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
