package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/report"
)

// reportCmd is `paybot report [--since 30d] [--provider P] [--format md|csv|json]`.
func (a *app) reportCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	since := fs.String("since", "30d", "how far back: 30d, 12h, 90d; 'all' for everything")
	provider := fs.String("provider", "", "only this provider (as given at intake, any case)")
	format := fs.String("format", "md", "md, csv or json")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("report: unexpected %q (flags: --since, --provider, --format)", pos[0])}
	}
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
	store, err := a.openStore(ctx)
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
func (a *app) incidentsExport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("incidents export", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	format := fs.String("format", "md", "md or json")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"incidents export: give one REF, for example: paybot incidents export PAY-12 --format md"}
	}
	if !validFormat(*format, []string{"md", "json"}) {
		return usageError{fmt.Sprintf("incidents export: --format %q: use md or json", *format)}
	}
	store, err := a.openStore(ctx)
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
