package report_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
)

// seedBase is when incident 0 is created; incident i is created i hours
// later, so incidents 0–287 fall in January 2026 and the rest in February.
var seedBase = time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)

var seedProviders = []string{"stripe", "adyen", "paypal"}
var seedSeverity = map[string]incidents.Severity{"stripe": incidents.Sev1, "adyen": incidents.Sev2, "paypal": incidents.Sev3}

// seedIncident builds incident i of the deterministic seed and its timeline:
//
//   - provider: stripe, adyen, paypal by i%3, with severity SEV1, SEV2, SEV3;
//     category declines for even i, timeouts for odd i;
//   - opened 1 minute after creation, escalated at once, acknowledged
//     (i%10+1)·5 minutes after opening;
//   - resolved (i%4+1) hours after opening unless i%5 == 4 (still escalated);
//   - codes: iso8583:05 for stripe, plus stripe:do_not_honor when i%7 == 0;
//   - case number when i%25 == 0, 10 minutes after opening, and the desk's
//     first reply (i/25+1)·10 minutes after that.
//
// Incidents 300–309 are instead cancelled during intake.
func seedIncident(i int) (*incidents.Incident, []incidents.TimelineEntry) {
	created := seedBase.Add(time.Duration(i) * time.Hour)
	u := incidents.User{Platform: "fake", ID: fmt.Sprintf("u%d", i%17), Name: "reporter"}
	inc := incidents.New(fmt.Sprintf("seed incident %d", i), u, incidents.Conversation{Platform: "fake", Channel: "C1"}, created)
	inc.Conversation = incidents.Conversation{Platform: "fake", Channel: "C1", Thread: fmt.Sprintf("t%d", i)}
	tl := []incidents.TimelineEntry{{IncidentID: inc.ID, At: created, Actor: u, Kind: incidents.EventCreated, Text: inc.Title}}
	st := func(at time.Time, from, to incidents.Status) {
		tl = append(tl, incidents.TimelineEntry{IncidentID: inc.ID, At: at, Actor: u, Kind: incidents.EventStatus,
			Text: string(from) + " → " + string(to), Data: map[string]string{"from": string(from), "to": string(to)}})
	}
	if i >= 300 && i < 310 { // cancelled in intake: counted, never timed
		st(created.Add(time.Minute), incidents.StatusIntake, incidents.StatusCancelled)
		inc.Status = incidents.StatusCancelled
		inc.UpdatedAt = created.Add(time.Minute)
		return inc, tl
	}
	prov := seedProviders[i%3]
	inc.Details.Provider = prov
	inc.Severity = seedSeverity[prov]
	inc.Details.Category = map[bool]string{true: incidents.CategoryDeclines, false: incidents.CategoryTimeouts}[i%2 == 0]
	if prov == "stripe" {
		inc.Details.Codes = append(inc.Details.Codes, incidents.Code{System: "iso8583", Value: "05"})
	}
	if i%7 == 0 {
		inc.Details.Codes = append(inc.Details.Codes, incidents.Code{System: "stripe", Value: "do_not_honor"})
	}
	opened := created.Add(time.Minute)
	inc.OpenedAt = &opened
	st(opened, incidents.StatusIntake, incidents.StatusOpen)
	st(opened, incidents.StatusOpen, incidents.StatusEscalated)
	ack := opened.Add(time.Duration(i%10+1) * 5 * time.Minute)
	tl = append(tl, incidents.TimelineEntry{IncidentID: inc.ID, At: ack, Actor: u, Kind: incidents.EventAck, Text: "acknowledged"})
	inc.Status = incidents.StatusEscalated
	last := ack
	if i%25 == 0 {
		cs := opened.Add(10 * time.Minute)
		reply := cs.Add(time.Duration(i/25+1) * 10 * time.Minute)
		tl = append(tl,
			incidents.TimelineEntry{IncidentID: inc.ID, At: cs, Actor: u, Kind: incidents.EventCase, Text: "case CS-" + fmt.Sprint(i), Data: map[string]string{"number": "CS-" + fmt.Sprint(i)}},
			incidents.TimelineEntry{IncidentID: inc.ID, At: reply, Actor: u, Kind: incidents.EventCase, Text: "desk replied", Data: map[string]string{"event": "desk_reply"}})
		if reply.After(last) {
			last = reply
		}
	}
	if i%5 != 4 {
		res := opened.Add(time.Duration(i%4+1) * time.Hour)
		st(res, incidents.StatusEscalated, incidents.StatusResolved)
		tl = append(tl, incidents.TimelineEntry{IncidentID: inc.ID, At: res, Actor: u, Kind: incidents.EventResolution, Text: "fixed",
			Data: map[string]string{"resolution": "fixed", "root_cause": "seed"}})
		inc.Status = incidents.StatusResolved
		inc.ResolvedAt = &res
		if res.After(last) {
			last = res
		}
	}
	inc.UpdatedAt = last
	return inc, tl
}

// seedStore writes incidents [from, to) of the seed, with workers writing
// side by side so a big seed shares commits.
func seedStore(tb testing.TB, s incidents.Store, from, to, workers int) {
	tb.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				inc, tl := seedIncident(i)
				final := *inc
				inc.Status = incidents.StatusIntake
				if err := s.CreateIncident(ctx, inc, incidents.Change{Timeline: tl[:1]}); err != nil {
					errs <- err
					return
				}
				final.Ref, final.Version = inc.Ref, inc.Version
				if err := s.UpdateIncident(ctx, &final, incidents.Change{Timeline: tl[1:]}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := from; i < to; i++ {
		select {
		case next <- i:
		case err := <-errs:
			close(next)
			wg.Wait()
			tb.Fatal(err)
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		tb.Fatal(err)
	default:
	}
}

func fmtInt(i int) string { return fmt.Sprint(i) }
