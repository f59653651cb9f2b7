package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
)

// testClaimsDisjoint opens the same store twice, as two replicas do, and
// claims jobs and notifications from both at once: each is claimed exactly
// once.
func testClaimsDisjoint(t *testing.T, h *harness) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := h.openAt(t, dir), h.openAt(t, dir)
	jsA, obA := stores(t, a.Store)
	jsB, obB := stores(t, b.Store)
	inc := newIncident(1, "slack")
	mustCreate(t, a, inc, incidents.Change{})
	const n = 60
	var jobs []incidents.Job
	var notes []incidents.Notification
	for i := range n {
		jobs = append(jobs, incidents.Job{IncidentID: inc.ID, Kind: incidents.JobUpdateReminder, DueAt: base, DedupeKey: fmt.Sprintf("j%d", i)})
		notes = append(notes, incidents.Notification{IncidentID: inc.ID, Kind: incidents.NotifyThreadPost,
			Payload: []byte(`{}`), DedupeKey: fmt.Sprintf("n%d", i), NextAttemptAt: base})
	}
	if err := jsA.ScheduleJobs(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	if err := obB.QueueNotifications(ctx, notes); err != nil {
		t.Fatal(err)
	}
	var (
		mu        sync.Mutex
		gotJobs   = map[int64]int{}
		gotNotes  = map[int64]int{}
		wg        sync.WaitGroup
		claimErrs []error
	)
	for w := range 4 {
		js, ob := jsA, obA
		if w%2 == 1 {
			js, ob = jsB, obB
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, err1 := js.ClaimDueJobs(ctx, base, time.Minute, 3)
				x, err2 := ob.ClaimNotifications(ctx, base, time.Minute, 3)
				mu.Lock()
				if err1 != nil || err2 != nil {
					claimErrs = append(claimErrs, err1, err2)
					mu.Unlock()
					return
				}
				for _, k := range j {
					gotJobs[k.ID]++
				}
				for _, k := range x {
					gotNotes[k.ID]++
				}
				mu.Unlock()
				if len(j) == 0 && len(x) == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range claimErrs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(gotJobs) != n || len(gotNotes) != n {
		t.Fatalf("claimed %d jobs and %d notifications, want %d each", len(gotJobs), len(gotNotes), n)
	}
	for id, c := range gotJobs {
		if c != 1 {
			t.Errorf("job %d claimed %d times", id, c)
		}
	}
	for id, c := range gotNotes {
		if c != 1 {
			t.Errorf("notification %d claimed %d times", id, c)
		}
	}
}
