package report

import (
	"fmt"
	"strings"
)

// ChatText is a short report for a chat message (well under Discord's
// 2,000 characters for a handful of providers).
func ChatText(r *Report, days int) string {
	var b strings.Builder
	scope := "all providers"
	if r.Provider != "" {
		scope = r.Provider
	}
	fmt.Fprintf(&b, "Report for the last %d days (%s): %s", days, scope, statsLine(r.Total))
	if len(r.ByProvider) > 1 || (len(r.ByProvider) == 1 && r.Provider == "") {
		b.WriteString("\nBy provider:")
		for _, g := range r.ByProvider {
			fmt.Fprintf(&b, "\n  %s: %s", g.Key, statsLine(g.Stats))
		}
	}
	if codes := codesLine(r.TopCodes, 5, 1); codes != "" {
		b.WriteString("\nMost frequent codes: " + codes)
	}
	b.WriteString("\nFull report: paybot report --since " + fmt.Sprint(days) + "d --format md")
	return b.String()
}

func statsLine(s Stats) string {
	line := fmt.Sprintf("%d incidents (%d active)", s.Incidents, s.Active)
	if s.Acked > 0 {
		line += fmt.Sprintf("; acknowledge mean %s, p90 %s", Dur(s.MeanAckSec), Dur(s.P90AckSec))
	}
	if s.ResolveSamples > 0 {
		line += fmt.Sprintf("; resolve mean %s, p90 %s", Dur(s.MeanResolveSec), Dur(s.P90ResolveSec))
	}
	if s.ResponseCompliance >= 0 || s.ResolutionCompliance >= 0 {
		line += fmt.Sprintf("; SLA met: response %s, resolution %s; %d breaches", Pct(s.ResponseCompliance), Pct(s.ResolutionCompliance),
			s.ResponseBreached+s.ResolutionBreached)
	}
	if s.DeskCases > 0 {
		line += fmt.Sprintf("; gateway desk first reply mean %s (%d cases)", Dur(s.MeanDeskSec), s.DeskCases)
	}
	return line
}

func codesLine(codes []CodeCount, max, min int) string {
	var parts []string
	for _, c := range codes {
		if len(parts) == max || c.Incidents < min {
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", c.Code, c.Incidents))
	}
	return strings.Join(parts, ", ")
}

// DigestText is the account manager's digest: per provider the period's
// figures, the SLA misses with their incidents, and the codes that came up
// more than once. reports holds one report per provider, in order.
func DigestText(period string, reports []*Report, maxMisses int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Payments review digest for %s.", period)
	if len(reports) == 0 {
		b.WriteString("\nNo incidents this period.")
	}
	for _, r := range reports {
		name := r.Provider
		if name == "" {
			name = "all providers"
		}
		fmt.Fprintf(&b, "\n\n%s: %s", name, statsLine(r.Total))
		if len(r.Breaches) > 0 {
			fmt.Fprintf(&b, "\n  SLA misses (%d):", len(r.Breaches))
			for i, br := range r.Breaches {
				if i == maxMisses {
					fmt.Fprintf(&b, "\n    … and %d more", len(r.Breaches)-i)
					break
				}
				state := "took " + Dur(br.TookSec)
				if br.Running {
					state = Dur(br.TookSec) + " and still running"
				}
				fmt.Fprintf(&b, "\n    %s %s %s: %s target %s, %s", br.Ref, br.Severity, oneLine(br.Title), br.Clock, Dur(br.TargetSec), state)
			}
		} else if r.Total.Incidents > 0 {
			b.WriteString("\n  No SLA misses.")
		}
		if codes := codesLine(r.TopCodes, 5, 2); codes != "" {
			b.WriteString("\n  Recurring codes: " + codes)
		}
	}
	return b.String()
}
