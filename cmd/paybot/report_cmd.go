package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/report"
)

func init() { addCommand(newReportCmd) }

func newReportCmd(a *app) *cobra.Command {
	var since, provider, format string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "SLA and incident analytics: MTTA, MTTR, SLA compliance, breaches, top codes",
		Long: `Mean and p90 time to acknowledge and to resolve, SLA compliance (response and
resolution, % met) and breaches, by provider, category, severity and month;
incident counts; the most frequent error codes; the gateway desk's time to
first reply where a case number was recorded. Read-only.`,
		Example: "  paybot report --since 90d --provider stripe --format csv",
		Args:    exactArgs(0, "takes no arguments (flags: --since, --provider, --format)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.reportCmd(cmd.Context(), &since, &provider, &format)
		},
	}
	cmd.Flags().StringVar(&since, "since", "30d", "how far back: 30d, 12h, 90d; 'all' for everything")
	cmd.Flags().StringVar(&provider, "provider", "", "only this provider (as given at intake, any case)")
	cmd.Flags().StringVar(&format, "format", "md", "md, csv or json")
	return cmd
}

// reportCmd is `paybot report [--since 30d] [--provider P] [--format md|csv|json]`.
func (a *app) reportCmd(ctx context.Context, since, provider, format *string) error {
	if !validFormat(*format, report.Formats) {
		return usageError{fmt.Sprintf("report: --format %q: use md, csv or json", *format)}
	}
	now := reportNow()
	var from time.Time
	if *since != "all" {
		d, err := incidents.ParseDuration(*since)
		if err != nil || d <= 0 {
			return usageError{fmt.Sprintf("report: --since %q: use a duration such as 30d or 12h, or all", *since)}
		}
		from = now.Add(-d)
	}
	store, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	src, ok := store.(report.Source)
	if !ok {
		return errors.New("report: this store cannot stream reports")
	}
	r, err := report.Run(ctx, src, a.cfg.policy, report.Query{From: from, Provider: *provider, Location: a.cfg.location}, now)
	if err != nil {
		return err
	}
	return report.Write(a.stdout, r, *format)
}

// incidentsExport is `paybot incidents export REF --format md|json`: the
// postmortem, its times in the config's time zone.
func (a *app) incidentsExport(ctx context.Context, ref string, format *string) error {
	pos := []string{ref}
	if !validFormat(*format, []string{"md", "json"}) {
		return usageError{fmt.Sprintf("incidents export: --format %q: use md or json", *format)}
	}
	store, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	inc, err := store.IncidentByRef(ctx, pos[0])
	if errors.Is(err, incidents.ErrNotFound) {
		return fmt.Errorf("%s: no such incident (see 'paybot incidents list')", pos[0])
	}
	if err != nil {
		return err
	}
	tl, err := store.Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	pm := report.NewPostmortem(inc, tl, a.cfg.policy, a.cfg.location, reportNow())
	if *format == "json" {
		return pm.WriteJSON(a.stdout)
	}
	_, err = fmt.Fprint(a.stdout, pm.Markdown())
	return err
}

// reportNow is the report's "now"; tests pin it.
var reportNow = time.Now

func validFormat(f string, allowed []string) bool {
	for _, a := range allowed {
		if strings.EqualFold(f, a) {
			return true
		}
	}
	return false
}
