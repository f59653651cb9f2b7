// Package report turns stored incidents into the figures a payments team
// brings to its gateway: time to acknowledge and to resolve (mean and p90),
// SLA compliance and breaches for response and resolution, by provider,
// category, severity and month; incident counts; the most frequent error
// codes; and the gateway desk's time to first response where a case number
// was recorded. It also renders postmortems and the account manager's digest.
//
// Everything here is a pure function over incidents and their timelines.
// Stores feed it through Source, which streams rows, so a report over
// 100,000 incidents never holds them all in memory (see BENCHMARKS.md).
//
// # One accessor
//
// Every figure is computed from Facts, which one function, FactsOf, reads
// from an incident and its timeline. Today the SLA state lives partly in
// Details.Extra strings written by bot/escalation.go; FactsOf prefers the
// timeline (ack entries, status entries, resolution entries, case entries)
// and the incident's own fields over those strings. When the SLA state
// becomes typed fields of incidents.Incident, FactsOf is the one place to
// switch, and the stores' ScanReport column lists the one query to change.
//
// # Definitions
//
//   - The SLA clocks start at the incident's last move to open (a reopen
//     restarts them), falling back to OpenedAt.
//   - Time to acknowledge: from the clock start to the first ack entry after
//     it. Time to resolve: from the clock start to ResolvedAt.
//   - The response clock stops at the first acknowledgement or the
//     resolution, whichever is first. A clock counts for compliance once it
//     is decided: stopped (met when within the target, else breached), or
//     still running past its target at the report's time (breached).
//     Compliance is met / decided, in percent.
//   - p90 is the nearest-rank percentile: the ceil(0.9·n)-th smallest value.
//     Means and percentiles are whole seconds (means rounded half up).
//   - Incidents are grouped by the month of their creation in the report's
//     time zone; "-" stands for an empty provider or category.
//   - Desk response: from the first case entry (the gateway's case number,
//     /payissue case <number>) to the first desk_reply case entry.
package report
