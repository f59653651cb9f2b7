package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paybot/paybot/incidents"
)

func (a *app) incidentsCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"incidents: use 'incidents list' or 'incidents show REF'"}
	}
	sub, rest := args[0], args[1:]
	if sub == "export" {
		return a.incidentsExport(ctx, rest) // report_cmd.go
	}
	fs := flag.NewFlagSet("incidents "+sub, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, rest)
	if err != nil {
		return err
	}
	store, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	switch sub {
	case "list":
		list, err := store.ListIncidents(ctx, incidents.ListFilter{})
		if err != nil {
			return err
		}
		if *asJSON {
			if list == nil {
				list = []*incidents.Incident{}
			}
			return writeJSON(a.stdout, list)
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REF\tSEVERITY\tSTATUS\tCREATED\tTITLE")
		for _, inc := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", inc.Ref, inc.Severity, inc.Status, inc.CreatedAt.Format(time.RFC3339), inc.Title)
		}
		return tw.Flush()
	case "show":
		if len(pos) != 1 {
			return usageError{"incidents show: give one REF, for example PAY-1"}
		}
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
		if *asJSON {
			if tl == nil {
				tl = []incidents.TimelineEntry{}
			}
			return writeJSON(a.stdout, struct {
				*incidents.Incident
				Timeline []incidents.TimelineEntry `json:"timeline"`
			}{inc, tl})
		}
		printIncident(a, inc, tl)
		return nil
	default:
		return usageError{fmt.Sprintf("incidents: unknown subcommand %q", sub)}
	}
}

func writeJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printIncident(a *app, inc *incidents.Incident, tl []incidents.TimelineEntry) {
	w := a.stdout
	fmt.Fprintf(w, "%s  %s  %s\n%s\n", inc.Ref, inc.Severity, inc.Status, inc.Title)
	fmt.Fprintf(w, "reporter: %s (%s)\nthread: %s\ncreated: %s\n", inc.Reporter.Name, inc.Reporter.ID, inc.Conversation, inc.CreatedAt.Format(time.RFC3339))
	d := inc.Details
	rows := [][2]string{
		{"category", d.Category}, {"provider", d.Provider}, {"environment", d.Environment},
		{"impact", d.Impact.String()}, {"error messages", d.ErrorMessages},
		{"transaction ids", strings.Join(d.TransactionIDs, ", ")},
		{"payment methods", strings.Join(d.PaymentMethods, ", ")}, {"steps taken", d.StepsTaken},
	}
	if d.StartedAt != nil {
		rows = append(rows, [2]string{"started", d.StartedAt.Format(time.RFC3339)})
	}
	var codes []string
	for _, c := range d.Codes {
		codes = append(codes, c.String())
	}
	rows = append(rows, [2]string{"codes", strings.Join(codes, ", ")})
	for _, r := range rows {
		if r[1] != "" {
			fmt.Fprintf(w, "%s: %s\n", r[0], r[1])
		}
	}
	fmt.Fprintln(w, "\ntimeline:")
	for _, e := range tl {
		who := e.Actor.Name
		if who == "" {
			who = e.Actor.ID
		}
		fmt.Fprintf(w, "  %s  %-9s %-10s %s\n", e.At.Format("2006-01-02 15:04:05"), e.Kind, who, e.Text)
	}
}
