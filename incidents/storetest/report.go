package storetest

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/report"
)

// RunReport checks report.Source: the window, the provider filter, and the timeline entries of the asked kinds only.
func RunReport(t *testing.T, open Opener) {
	h := &harness{open: open}
	s := h.fresh(t)
	src, ok := s.Store.(report.Source)
	if !ok {
		t.Fatalf("%T does not implement report.Source", s.Store)
	}
	ctx := context.Background()
	var all []*incidents.Incident
	for i, prov := range []string{"stripe", "Adyen", "stripe", "", "stripe"} {
		inc := newIncident(i*10, "slack")
		inc.Details.Provider = prov
		if i == 2 {
			inc.Details.Codes = []incidents.Code{{System: "iso8583", Value: "05"}, {System: "stripe", Value: "do_not_honor"}}
		}
		mustCreate(t, s, inc, incidents.Change{Timeline: []incidents.TimelineEntry{created(inc)}})
		entry, err := inc.Transition(incidents.StatusOpen, alice, inc.CreatedAt.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		ack := incidents.TimelineEntry{IncidentID: inc.ID, At: inc.CreatedAt.Add(2 * time.Minute), Actor: bob, Kind: incidents.EventAck, Text: "ack"}
		note := incidents.TimelineEntry{IncidentID: inc.ID, At: inc.CreatedAt.Add(3 * time.Minute), Actor: bob, Kind: incidents.EventNote, Text: "note"}
		cs := incidents.TimelineEntry{IncidentID: inc.ID, At: inc.CreatedAt.Add(4 * time.Minute), Actor: bob, Kind: incidents.EventCase, Text: "case",
			Data: map[string]string{"number": "CS-1"}}
		esc := incidents.TimelineEntry{IncidentID: inc.ID, At: inc.CreatedAt.Add(5 * time.Minute), Actor: bob, Kind: incidents.EventStatus,
			Text: "open → escalated", Data: map[string]string{"from": "open", "to": "escalated"}}
		mustUpdate(t, s, inc, incidents.Change{Timeline: []incidents.TimelineEntry{entry, ack, note, cs, esc}})
		all = append(all, inc)
	}
	type got struct {
		Ref   string
		Kinds []string
		Data  []map[string]string
		Codes int
	}
	scan := func(from, to time.Time, provider string) []got {
		t.Helper()
		var out []got
		err := src.ScanReport(ctx, from, to, provider, report.FactKinds, report.FactDataKeys, func(inc *incidents.Incident, tl []incidents.TimelineEntry) error {
			g := got{Ref: inc.Ref, Codes: len(inc.Details.Codes)}
			for _, e := range tl {
				if e.IncidentID != inc.ID {
					t.Errorf("%s: entry of another incident", inc.Ref)
				}
				g.Kinds = append(g.Kinds, string(e.Kind))
				g.Data = append(g.Data, e.Data)
			}
			if inc.OpenedAt == nil || !inc.OpenedAt.Equal(inc.CreatedAt.Add(time.Minute)) {
				t.Errorf("%s: OpenedAt %v", inc.Ref, inc.OpenedAt)
			}
			out = append(out, g)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Stores stream in any order; refs follow creation here.
		sort.Slice(out, func(i, j int) bool {
			return len(out[i].Ref) < len(out[j].Ref) || (len(out[i].Ref) == len(out[j].Ref) && out[i].Ref < out[j].Ref)
		})
		return out
	}
	kinds := []string{string(incidents.EventStatus), string(incidents.EventAck), string(incidents.EventCase)}
	res := scan(time.Time{}, time.Time{}, "")
	if len(res) != 5 {
		t.Fatalf("all: %d incidents, want 5", len(res))
	}
	for i, g := range res {
		if g.Ref != all[i].Ref || !reflect.DeepEqual(g.Kinds, kinds) {
			t.Errorf("row %d = %+v, want %s with %v", i, g, all[i].Ref, kinds)
		}
		if g.Data[2]["number"] != "CS-1" || g.Data[0]["to"] != "open" {
			t.Errorf("row %d data %v", i, g.Data)
		}
	}
	if res[2].Codes != 2 {
		t.Errorf("codes of %s: %d, want 2", res[2].Ref, res[2].Codes)
	}
	// The window is [from, to); the provider matches in any case.
	res = scan(all[1].CreatedAt, all[4].CreatedAt, "STRIPE")
	if len(res) != 1 || res[0].Ref != all[2].Ref {
		t.Errorf("window+stripe = %+v, want only %s", res, all[2].Ref)
	}
	res = scan(time.Time{}, time.Time{}, "adyen")
	if len(res) != 1 || res[0].Ref != all[1].Ref {
		t.Errorf("adyen = %+v", res)
	}
	// A later change of provider is what the next report sees.
	moved := mustGet(t, s, all[1].ID)
	moved.Details.Provider = "Checkout.com"
	mustUpdate(t, s, moved, incidents.Change{})
	if res = scan(time.Time{}, time.Time{}, "adyen"); len(res) != 0 {
		t.Errorf("adyen after the change = %+v", res)
	}
	if res = scan(time.Time{}, time.Time{}, "checkout.com"); len(res) != 1 || res[0].Ref != all[1].Ref {
		t.Errorf("checkout.com after the change = %+v", res)
	}
	// No kinds: incidents without entries.
	n := 0
	if err := src.ScanReport(ctx, time.Time{}, time.Time{}, "", nil, nil, func(_ *incidents.Incident, tl []incidents.TimelineEntry) error {
		n++
		if len(tl) != 0 {
			t.Errorf("no kinds asked, got %d entries", len(tl))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("no kinds: %d incidents", n)
	}
	// Plain kinds bring every entry of the kind; "status:to=open" only the
	// moves to open.
	plain := 0
	if err := src.ScanReport(ctx, time.Time{}, time.Time{}, "", kinds, nil, func(_ *incidents.Incident, tl []incidents.TimelineEntry) error {
		plain += len(tl)
		if len(tl) != 4 || tl[3].Data["to"] != "escalated" || tl[3].Data["from"] != "open" {
			t.Errorf("plain kinds: %+v", tl)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if plain != 20 {
		t.Errorf("plain kinds: %d entries, want 20", plain)
	}
	// fn's error stops the scan and comes back as is.
	stop := errors.New("stop")
	calls := 0
	err := src.ScanReport(ctx, time.Time{}, time.Time{}, "", kinds, nil, func(*incidents.Incident, []incidents.TimelineEntry) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("fn error: err=%v calls=%d", err, calls)
	}
}
