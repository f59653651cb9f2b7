package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/paybot/paybot/incidents"
)

func init() { addCommand(newIncidentsCmd) }

func newIncidentsCmd(a *app) *cobra.Command {
	cmd := groupCmd("incidents", "List and show incidents (read-only)")
	var listJSON, showJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List incidents, newest first",
		Args:  exactArgs(0, "takes no arguments (did you mean 'incidents show REF'?)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.incidentsList(cmd.Context(), listJSON)
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print JSON")
	show := &cobra.Command{
		Use:     "show REF",
		Short:   "Show one incident, its details and its timeline",
		Example: "  paybot incidents show PAY-1 --json",
		Args:    exactArgs(1, "give one REF, for example PAY-1"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.incidentsShow(cmd.Context(), args[0], showJSON)
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON")
	var exportFormat string
	export := &cobra.Command{
		Use:     "export REF",
		Short:   "The postmortem of one incident: summary, impact, timeline, root cause, fix, SLA, follow-ups",
		Example: "  paybot incidents export PAY-12 --format md",
		Args:    exactArgs(1, "give one REF, for example: paybot incidents export PAY-12 --format md"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.incidentsExport(cmd.Context(), args[0], &exportFormat) // report_cmd.go
		},
	}
	export.Flags().StringVar(&exportFormat, "format", "md", "md or json")
	cmd.AddCommand(list, show, export)
	return cmd
}

// openExistingStore opens the store of a data directory that must already
// exist (the read-only commands).
func (a *app) openExistingStore(ctx context.Context) (incidents.Store, error) {
	if err := a.requireDataDir(); err != nil {
		return nil, err
	}
	return a.openStore(ctx)
}

func (a *app) incidentsList(ctx context.Context, asJSON bool) error {
	store, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	list, err := store.ListIncidents(ctx, incidents.ListFilter{})
	if err != nil {
		return err
	}
	if asJSON {
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
}

func (a *app) incidentsShow(ctx context.Context, ref string, asJSON bool) error {
	store, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	inc, err := store.IncidentByRef(ctx, ref)
	if errors.Is(err, incidents.ErrNotFound) {
		return fmt.Errorf("%s: no such incident (see 'paybot incidents list')", ref)
	}
	if err != nil {
		return err
	}
	tl, err := store.Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	if asJSON {
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
		{"category", d.Category}, {"provider", incidents.GatewayName(d.Provider)}, {"environment", d.Environment},
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
	if l := inc.Roles.Lead; l != nil {
		rows = append(rows, [2]string{"lead", l.Name + " (" + l.ID + ")"})
	}
	var responders []string
	for _, u := range inc.Roles.Responders {
		responders = append(responders, u.Name)
	}
	rows = append(rows, [2]string{"responders", strings.Join(responders, ", ")})
	if u := inc.Roles.LastUpdate; u != nil {
		rows = append(rows, [2]string{"last update", fmt.Sprintf("%s (%s, %s)", u.Text, u.By.Name, u.At.Format(time.RFC3339))})
	}
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
