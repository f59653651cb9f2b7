// Package storetest is the conformance suite that every incidents.Store
// implementation runs from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, dir string) incidents.Store {
//			s, err := sqlite.Open(context.Background(), filepath.Join(dir, "paybot.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite pins down the behaviour the rest of Paybot relies on: refs,
// look-ups, optimistic versioning, the append-only timeline, event
// de-duplication through the inbox, list filters, durability across a
// restart, time precision and context cancellation.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
)

// Opener opens the store whose data lives at dir. The suite passes a fresh,
// empty directory (from t.TempDir) whenever it wants an empty store, and the
// same dir again after closing a store to check what survives a restart. A
// file-based store keeps its files under dir; a server-based store derives
// a database or schema name from it. The suite closes every store it opens;
// Opener should fail the test (t.Fatal) when the store cannot be opened.
type Opener func(t *testing.T, dir string) incidents.Store

// base is the suite's clock start; millisecond-aligned so every store keeps
// it exactly.
var base = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

// Run runs the whole suite. Every subtest opens its own store, and they run
// in parallel.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"CreateAssignsRefs", testCreateAssignsRefs},
		{"CreateConcurrentRefsUnique", testCreateConcurrent},
		{"CreateDuplicateID", testCreateDuplicateID},
		{"CreateEventKey", testCreateEventKey},
		{"Lookups", testLookups},
		{"UpdateVersioning", testUpdateVersioning},
		{"UpdateConcurrentOneWins", testUpdateConcurrent},
		{"UpdateNotFound", testUpdateNotFound},
		{"Timeline", testTimeline},
		{"EventKeyDuplicate", testEventKeyDuplicate},
		{"Inbox", testInbox},
		{"InboxMessageKeys", testInboxMessageKeys},
		{"InboxConcurrentReplicas", testInboxConcurrent},
		{"ListIncidents", testList},
		{"Restart", testRestart},
		{"Times", testTimes},
		{"DetailsRoundTrip", testDetails},
		{"StateRoundTrip", testState},
		{"ContextCancelled", testContextCancelled},
		{"RolesRoundTrip", testRoles},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, &harness{open: open})
		})
	}
}

type harness struct{ open Opener }

// store is an opened store that the suite may close early (restart tests)
// and that is closed at the end of the test otherwise.
type store struct {
	incidents.Store
	once sync.Once
	err  error
}

func (s *store) Close() error {
	s.once.Do(func() { s.err = s.Store.Close() })
	return s.err
}

func (h *harness) openAt(t *testing.T, dir string) *store {
	t.Helper()
	s := &store{Store: h.open(t, dir)}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// fresh opens an empty store.
func (h *harness) fresh(t *testing.T) *store {
	t.Helper()
	return h.openAt(t, t.TempDir())
}

var (
	alice = incidents.User{Platform: "slack", ID: "U0ALICE", Name: "Alice"}
	bob   = incidents.User{Platform: "slack", ID: "U0BOB", Name: "Bob"}
	botU  = incidents.User{Platform: "slack", ID: "B0PAYBOT", Name: "paybot"}
)

// newIncident returns an incident in intake created at base+n minutes.
func newIncident(n int, platform string) *incidents.Incident {
	at := base.Add(time.Duration(n) * time.Minute)
	rep := incidents.User{Platform: platform, ID: fmt.Sprintf("U%03d", n), Name: "reporter"}
	inc := incidents.New(fmt.Sprintf("Card declines spike #%d", n), rep,
		incidents.Conversation{Platform: platform, Channel: "C-payments"}, at)
	inc.Details.Category = incidents.CategoryDeclines
	inc.Intake = incidents.IntakeState{Step: "provider", History: []string{"category"}}
	return inc
}

func created(inc *incidents.Incident) incidents.TimelineEntry {
	return incidents.TimelineEntry{IncidentID: inc.ID, At: inc.CreatedAt, Actor: inc.Reporter,
		Kind: incidents.EventCreated, Text: "opened with /payissue"}
}

func mustCreate(t *testing.T, s incidents.Store, inc *incidents.Incident, ch incidents.Change) {
	t.Helper()
	if err := s.CreateIncident(context.Background(), inc, ch); err != nil {
		t.Fatalf("CreateIncident(%q): %v", inc.Title, err)
	}
}

func mustUpdate(t *testing.T, s incidents.Store, inc *incidents.Incident, ch incidents.Change) {
	t.Helper()
	if err := s.UpdateIncident(context.Background(), inc, ch); err != nil {
		t.Fatalf("UpdateIncident(%s v%d): %v", inc.Ref, inc.Version, err)
	}
}

func mustGet(t *testing.T, s incidents.Store, id uuid.UUID) *incidents.Incident {
	t.Helper()
	got, err := s.Incident(context.Background(), id)
	if err != nil {
		t.Fatalf("Incident(%s): %v", id, err)
	}
	return got
}

func mustTimeline(t *testing.T, s incidents.Store, id uuid.UUID) []incidents.TimelineEntry {
	t.Helper()
	tl, err := s.Timeline(context.Background(), id)
	if err != nil {
		t.Fatalf("Timeline(%s): %v", id, err)
	}
	return tl
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// normalize returns a copy of inc with every time in UTC and without a
// monotonic reading, so that reflect.DeepEqual compares instants.
func normalize(inc *incidents.Incident) incidents.Incident {
	c := *inc
	c.CreatedAt = c.CreatedAt.UTC()
	c.UpdatedAt = c.UpdatedAt.UTC()
	c.OpenedAt = utcPtr(c.OpenedAt)
	c.ResolvedAt = utcPtr(c.ResolvedAt)
	c.Details.StartedAt = utcPtr(c.Details.StartedAt)
	c.SLA.ClockStart = c.SLA.ClockStart.UTC()
	return c
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func sameIncident(t *testing.T, what string, got, want *incidents.Incident) {
	t.Helper()
	g, w := normalize(got), normalize(want)
	if !reflect.DeepEqual(g, w) {
		gj, _ := json.MarshalIndent(g, "", "  ")
		wj, _ := json.MarshalIndent(w, "", "  ")
		t.Fatalf("%s: incident differs\n got: %s\nwant: %s", what, gj, wj)
	}
}

func refs(list []*incidents.Incident) []string {
	out := make([]string, len(list))
	for i, inc := range list {
		out[i] = inc.Ref
	}
	return out
}

var refPattern = regexp.MustCompile(`^PAY-[1-9][0-9]*$`)

func testCreateAssignsRefs(t *testing.T, h *harness) {
	s := h.fresh(t)
	for i, want := range []string{"PAY-1", "PAY-2", "PAY-3"} {
		inc := newIncident(i, "slack")
		inc.Ref = "PAY-999" // ignored: the store assigns refs
		inc.Version = 7     // ignored: a new incident starts at version 1
		mustCreate(t, s, inc, incidents.Change{Timeline: []incidents.TimelineEntry{created(inc)}})
		if inc.Ref != want || inc.Version != 1 {
			t.Fatalf("created #%d: ref %q version %d, want %q version 1", i, inc.Ref, inc.Version, want)
		}
		sameIncident(t, "read back after create", mustGet(t, s, inc.ID), inc)
	}
}

func testCreateConcurrent(t *testing.T, h *harness) {
	s := h.fresh(t)
	const n = 50
	incs := make([]*incidents.Incident, n)
	errs := make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range incs {
		incs[i] = newIncident(i, "slack")
		wg.Go(func() {
			start.Wait()
			errs[i] = s.CreateIncident(context.Background(), incs[i],
				incidents.Change{Timeline: []incidents.TimelineEntry{created(incs[i])}})
		})
	}
	start.Done()
	wg.Wait()
	seen := map[string]bool{}
	for i, inc := range incs {
		if errs[i] != nil {
			t.Fatalf("create #%d: %v", i, errs[i])
		}
		if !refPattern.MatchString(inc.Ref) {
			t.Fatalf("create #%d: ref %q is not PAY-<n>", i, inc.Ref)
		}
		if seen[inc.Ref] {
			t.Fatalf("ref %s assigned twice", inc.Ref)
		}
		seen[inc.Ref] = true
		got, err := s.IncidentByRef(context.Background(), inc.Ref)
		if err != nil || got.ID != inc.ID {
			t.Fatalf("IncidentByRef(%s) = %v, %v; want incident %s", inc.Ref, got, err, inc.ID)
		}
	}
	all, err := s.ListIncidents(context.Background(), incidents.ListFilter{})
	if err != nil || len(all) != n {
		t.Fatalf("ListIncidents: %d incidents, %v; want %d", len(all), err, n)
	}
}

func testCreateDuplicateID(t *testing.T, h *harness) {
	s := h.fresh(t)
	inc := newIncident(1, "slack")
	mustCreate(t, s, inc, incidents.Change{})
	dup := newIncident(2, "discord")
	dup.ID = inc.ID
	wantErr(t, "create with an existing id", s.CreateIncident(context.Background(), dup, incidents.Change{}), incidents.ErrDuplicate)
	sameIncident(t, "original after duplicate create", mustGet(t, s, inc.ID), inc)
}

func testCreateEventKey(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	first := newIncident(1, "slack")
	mustCreate(t, s, first, incidents.Change{EventKey: "slack:Ev001", Timeline: []incidents.TimelineEntry{created(first)}})
	if ok, err := s.EventProcessed(ctx, "slack:Ev001"); err != nil || !ok {
		t.Fatalf("EventProcessed after create = %v, %v; want true", ok, err)
	}
	// A redelivered /payissue must not open a second incident.
	again := newIncident(2, "slack")
	wantErr(t, "create with a processed event key",
		s.CreateIncident(ctx, again, incidents.Change{EventKey: "slack:Ev001", Timeline: []incidents.TimelineEntry{created(again)}}),
		incidents.ErrDuplicate)
	if _, err := s.Incident(ctx, again.ID); !errors.Is(err, incidents.ErrNotFound) {
		t.Fatalf("duplicate create was stored: Incident = %v", err)
	}
	all, err := s.ListIncidents(ctx, incidents.ListFilter{})
	if err != nil || len(all) != 1 {
		t.Fatalf("ListIncidents after duplicate create: %v, %v; want only %s", refs(all), err, first.Ref)
	}
}

func testLookups(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	inc := newIncident(1, "slack")
	mustCreate(t, s, inc, incidents.Change{})
	other := newIncident(2, "discord")
	mustCreate(t, s, other, incidents.Change{})
	// The thread is known only after the card was posted.
	inc.Conversation = incidents.Conversation{Platform: "slack", Channel: "C-payments", Thread: "1710408413.000100"}
	inc.CardMessage = "1710408413.000100"
	mustUpdate(t, s, inc, incidents.Change{})

	sameIncident(t, "Incident(id)", mustGet(t, s, inc.ID), inc)

	for _, tc := range []struct {
		ref  string
		want *incidents.Incident
	}{
		{"PAY-1", inc}, {"pay-1", inc}, {"Pay-2", other}, {" PAY-2 ", other},
		{"PAY-3", nil}, {"PAY-", nil}, {"", nil}, {"1", nil}, {"PAY-01x", nil},
	} {
		got, err := s.IncidentByRef(ctx, tc.ref)
		if tc.want == nil {
			wantErr(t, fmt.Sprintf("IncidentByRef(%q)", tc.ref), err, incidents.ErrNotFound)
			continue
		}
		if err != nil {
			t.Fatalf("IncidentByRef(%q): %v", tc.ref, err)
		}
		sameIncident(t, fmt.Sprintf("IncidentByRef(%q)", tc.ref), got, tc.want)
	}

	for _, tc := range []struct {
		name string
		c    incidents.Conversation
		want *incidents.Incident
	}{
		{"thread", inc.Conversation, inc},
		{"other thread", incidents.Conversation{Platform: "slack", Channel: "C-payments", Thread: "1710408413.000200"}, nil},
		{"channel only", incidents.Conversation{Platform: "slack", Channel: "C-payments"}, nil},
		{"other platform", incidents.Conversation{Platform: "discord", Channel: "C-payments", Thread: "1710408413.000100"}, nil},
		{"zero", incidents.Conversation{}, nil},
	} {
		got, err := s.IncidentByConversation(ctx, tc.c)
		if tc.want == nil {
			wantErr(t, "IncidentByConversation "+tc.name, err, incidents.ErrNotFound)
			continue
		}
		if err != nil {
			t.Fatalf("IncidentByConversation %s: %v", tc.name, err)
		}
		sameIncident(t, "IncidentByConversation "+tc.name, got, tc.want)
	}

	_, err := s.Incident(ctx, uuid.New())
	wantErr(t, "Incident(unknown id)", err, incidents.ErrNotFound)
	_, err = s.Timeline(ctx, uuid.New())
	wantErr(t, "Timeline(unknown id)", err, incidents.ErrNotFound)
}

func testUpdateVersioning(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	inc := newIncident(1, "slack")
	mustCreate(t, s, inc, incidents.Change{Timeline: []incidents.TimelineEntry{created(inc)}})

	stale := mustGet(t, s, inc.ID) // version 1, as read by a second replica

	now := base.Add(2 * time.Minute)
	inc.Details.Provider = "stripe"
	inc.Intake = incidents.IntakeState{Step: "impact", History: []string{"category", "provider"}}
	inc.UpdatedAt = now
	mustUpdate(t, s, inc, incidents.Change{EventKey: "slack:Ev002", Timeline: []incidents.TimelineEntry{{
		IncidentID: inc.ID, At: now, Actor: alice, Kind: incidents.EventAnswer, Text: "provider: stripe",
		Data: map[string]string{"step": "provider", "value": "stripe"},
	}}})
	if inc.Version != 2 {
		t.Fatalf("version after update = %d, want 2", inc.Version)
	}
	sameIncident(t, "after update", mustGet(t, s, inc.ID), inc)

	// The stale copy loses: nothing of its change is written, not even its
	// event key.
	stale.Title = "stale title"
	stale.Details.Provider = "adyen"
	err := s.UpdateIncident(ctx, stale, incidents.Change{EventKey: "slack:Ev003", Timeline: []incidents.TimelineEntry{{
		IncidentID: inc.ID, At: now, Actor: bob, Kind: incidents.EventNote, Text: "stale note",
	}}})
	wantErr(t, "update from a stale version", err, incidents.ErrConflict)
	if stale.Version != 1 {
		t.Fatalf("a refused update changed inc.Version to %d", stale.Version)
	}
	sameIncident(t, "after refused update", mustGet(t, s, inc.ID), inc)
	if tl := mustTimeline(t, s, inc.ID); len(tl) != 2 {
		t.Fatalf("timeline after refused update has %d entries, want 2", len(tl))
	}
	if ok, err := s.EventProcessed(ctx, "slack:Ev003"); err != nil || ok {
		t.Fatalf("event key of a refused update: processed = %v, %v; want false", ok, err)
	}

	// Reload and retry: the usual answer to ErrConflict.
	fresh := mustGet(t, s, inc.ID)
	fresh.Title = "retried title"
	mustUpdate(t, s, fresh, incidents.Change{EventKey: "slack:Ev003"})
	if fresh.Version != 3 {
		t.Fatalf("version after retry = %d, want 3", fresh.Version)
	}
	sameIncident(t, "after retry", mustGet(t, s, inc.ID), fresh)
}

func testUpdateConcurrent(t *testing.T, h *harness) {
	s := h.fresh(t)
	inc := newIncident(1, "slack")
	mustCreate(t, s, inc, incidents.Change{})
	const n = 10
	errs := make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		c := *inc
		c.Title = fmt.Sprintf("writer %d", i)
		wg.Go(func() {
			start.Wait()
			errs[i] = s.UpdateIncident(context.Background(), &c, incidents.Change{Timeline: []incidents.TimelineEntry{{
				IncidentID: c.ID, At: base, Actor: alice, Kind: incidents.EventNote, Text: c.Title,
			}}})
		})
	}
	start.Done()
	wg.Wait()
	won := ""
	for i, err := range errs {
		switch {
		case err == nil && won == "":
			won = fmt.Sprintf("writer %d", i)
		case err == nil:
			t.Fatalf("two updates from version 1 both succeeded (%s and writer %d)", won, i)
		case !errors.Is(err, incidents.ErrConflict):
			t.Fatalf("writer %d: %v, want ErrConflict", i, err)
		}
	}
	got := mustGet(t, s, inc.ID)
	if won == "" || got.Title != won || got.Version != 2 {
		t.Fatalf("after the race: title %q version %d, want %q version 2", got.Title, got.Version, won)
	}
	if tl := mustTimeline(t, s, inc.ID); len(tl) != 1 || tl[0].Text != won {
		t.Fatalf("timeline after the race: %+v, want one entry from %s", tl, won)
	}
}

func testUpdateNotFound(t *testing.T, h *harness) {
	s := h.fresh(t)
	ghost := newIncident(1, "slack")
	ghost.Version = 1
	err := s.UpdateIncident(context.Background(), ghost, incidents.Change{EventKey: "slack:Ev404",
		Timeline: []incidents.TimelineEntry{created(ghost)}})
	wantErr(t, "update of an unknown incident", err, incidents.ErrNotFound)
	if ok, err := s.EventProcessed(context.Background(), "slack:Ev404"); err != nil || ok {
		t.Fatalf("event key of a failed update: processed = %v, %v; want false", ok, err)
	}
}

func testTimeline(t *testing.T, h *harness) {
	s := h.fresh(t)
	inc := newIncident(1, "slack")
	mustCreate(t, s, inc, incidents.Change{})
	if tl := mustTimeline(t, s, inc.ID); len(tl) != 0 {
		t.Fatalf("timeline of an incident created without entries: %+v", tl)
	}
	other := newIncident(2, "slack")
	mustCreate(t, s, other, incidents.Change{Timeline: []incidents.TimelineEntry{created(other)}})

	var want []incidents.TimelineEntry
	add := func(entries ...incidents.TimelineEntry) {
		t.Helper()
		inc.UpdatedAt = inc.UpdatedAt.Add(time.Second)
		mustUpdate(t, s, inc, incidents.Change{Timeline: entries})
		want = append(want, entries...)
	}
	add(incidents.TimelineEntry{IncidentID: inc.ID, At: base.Add(time.Second), Actor: alice, Kind: incidents.EventAnswer,
		Text: "provider: stripe", Data: map[string]string{"step": "provider", "value": "stripe"}})
	tr, err := inc.Transition(incidents.StatusOpen, botU, base.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	add(inc.SetSeverity(incidents.Sev2, botU, "computed", base.Add(2*time.Second)), tr)
	// An entry with a zero IncidentID belongs to the incident being saved.
	add(incidents.TimelineEntry{At: base.Add(3 * time.Second), Actor: bob, Kind: incidents.EventNote, Text: "looking into it"})
	add() // an update without entries appends nothing

	got := mustTimeline(t, s, inc.ID)
	if len(got) != len(want) {
		t.Fatalf("timeline has %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, g := range got {
		w := want[i]
		w.Seq = int64(i + 1)
		w.IncidentID = inc.ID
		if g.Seq != w.Seq || g.IncidentID != w.IncidentID || !g.At.Equal(w.At) || g.Actor != w.Actor ||
			g.Kind != w.Kind || g.Text != w.Text || len(g.Data) != len(w.Data) || (len(w.Data) > 0 && !reflect.DeepEqual(g.Data, w.Data)) {
			t.Fatalf("entry %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	if tl := mustTimeline(t, s, other.ID); len(tl) != 1 || tl[0].Seq != 1 || tl[0].Kind != incidents.EventCreated {
		t.Fatalf("the other incident's timeline: %+v, want its one created entry", tl)
	}
}

func testEventKeyDuplicate(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	inc := newIncident(1, "slack")
	mustCreate(t, s, inc, incidents.Change{})
	inc.Details.Provider = "stripe"
	mustUpdate(t, s, inc, incidents.Change{EventKey: "slack:Ev100", Timeline: []incidents.TimelineEntry{{
		IncidentID: inc.ID, At: base, Actor: alice, Kind: incidents.EventAnswer, Text: "provider: stripe"}}})
	saved := *inc

	// The redelivery, applied to the fresh version: refused, nothing written.
	redo := mustGet(t, s, inc.ID)
	redo.Details.Provider = "stripe-again"
	err := s.UpdateIncident(ctx, redo, incidents.Change{EventKey: "slack:Ev100", Timeline: []incidents.TimelineEntry{{
		IncidentID: inc.ID, At: base, Actor: alice, Kind: incidents.EventAnswer, Text: "provider: stripe-again"}}})
	wantErr(t, "second change with the same event key", err, incidents.ErrDuplicate)
	if redo.Version != saved.Version {
		t.Fatalf("a refused duplicate changed inc.Version to %d", redo.Version)
	}
	sameIncident(t, "after duplicate", mustGet(t, s, inc.ID), &saved)
	if tl := mustTimeline(t, s, inc.ID); len(tl) != 1 {
		t.Fatalf("timeline after duplicate has %d entries, want 1", len(tl))
	}

	// The redelivery applied to the version it was first built on is both
	// stale and a duplicate; ErrDuplicate wins, so the engine drops it
	// instead of reloading and retrying.
	stale := saved
	stale.Version = 1
	err = s.UpdateIncident(ctx, &stale, incidents.Change{EventKey: "slack:Ev100"})
	wantErr(t, "stale duplicate", err, incidents.ErrDuplicate)

	// MarkEventProcessed on a key a change already consumed.
	wantErr(t, "MarkEventProcessed after change", s.MarkEventProcessed(ctx, "slack:Ev100", base), incidents.ErrDuplicate)
}

func testInbox(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	inc := newIncident(1, "slack")
	mustCreate(t, s, inc, incidents.Change{})

	pending := func(limit int, want ...string) {
		t.Helper()
		got, err := s.PendingEvents(ctx, limit)
		if err != nil {
			t.Fatalf("PendingEvents(%d): %v", limit, err)
		}
		keys := make([]string, len(got))
		for i, e := range got {
			keys[i] = e.Key
		}
		if len(want) == 0 && len(keys) == 0 {
			return
		}
		if !reflect.DeepEqual(keys, want) {
			t.Fatalf("PendingEvents(%d) = %q, want %q", limit, keys, want)
		}
	}
	processed := func(key string, want bool) {
		t.Helper()
		if ok, err := s.EventProcessed(ctx, key); err != nil || ok != want {
			t.Fatalf("EventProcessed(%q) = %v, %v; want %v", key, ok, err, want)
		}
	}

	pending(10)
	processed("e1", false)
	// Enqueued out of order: PendingEvents orders by receive time.
	events := []struct {
		key     string
		payload []byte
		at      time.Time
	}{
		{"e2", []byte(`{"type":"event_callback","event_id":"Ev2"}`), base.Add(2 * time.Second)},
		{"e1", []byte{0, 1, 2, 0xff}, base.Add(1 * time.Second)},
		{"e3", []byte{}, base.Add(3 * time.Second)},
	}
	for _, e := range events {
		if err := s.EnqueueEvent(ctx, e.key, e.payload, e.at); err != nil {
			t.Fatalf("EnqueueEvent(%s): %v", e.key, err)
		}
	}
	got, err := s.PendingEvents(ctx, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("PendingEvents: %+v, %v", got, err)
	}
	for i, want := range []int{1, 0, 2} {
		e := events[want]
		if got[i].Key != e.key || string(got[i].Payload) != string(e.payload) || !got[i].ReceivedAt.Equal(e.at) ||
			got[i].ReceivedAt.Location() != time.UTC {
			t.Fatalf("pending[%d] = %+v, want %+v (in UTC)", i, got[i], e)
		}
	}
	pending(2, "e1", "e2")
	processed("e1", false) // received is not processed

	wantErr(t, "EnqueueEvent of a pending key", s.EnqueueEvent(ctx, "e1", nil, base), incidents.ErrDuplicate)

	// Processing through a change.
	mustUpdate(t, s, inc, incidents.Change{EventKey: "e1"})
	processed("e1", true)
	pending(10, "e2", "e3")

	// Processing through MarkEventProcessed.
	if err := s.MarkEventProcessed(ctx, "e2", base.Add(time.Minute)); err != nil {
		t.Fatalf("MarkEventProcessed(e2): %v", err)
	}
	processed("e2", true)
	pending(10, "e3")
	wantErr(t, "MarkEventProcessed twice", s.MarkEventProcessed(ctx, "e2", base), incidents.ErrDuplicate)
	wantErr(t, "EnqueueEvent of a processed key", s.EnqueueEvent(ctx, "e2", nil, base), incidents.ErrDuplicate)
	pending(10, "e3")

	// A key processed without being enqueued first.
	if err := s.MarkEventProcessed(ctx, "e9", base); err != nil {
		t.Fatalf("MarkEventProcessed(e9): %v", err)
	}
	processed("e9", true)
	wantErr(t, "EnqueueEvent after MarkEventProcessed", s.EnqueueEvent(ctx, "e9", nil, base), incidents.ErrDuplicate)
	pending(10, "e3")
}

func testList(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	// Created out of order: "newest first" follows CreatedAt, not insertion.
	mk := func(minute int, platform string, status incidents.Status, thread bool) *incidents.Incident {
		inc := newIncident(minute, platform)
		inc.Status = status
		if thread {
			inc.Conversation = incidents.Conversation{Platform: platform, Channel: "C-payments", Thread: fmt.Sprint(minute)}
		}
		mustCreate(t, s, inc, incidents.Change{})
		return inc
	}
	a := mk(10, "slack", incidents.StatusOpen, true)
	b := mk(30, "discord", incidents.StatusEscalated, true)
	c := mk(20, "slack", incidents.StatusResolved, true)
	d := mk(40, "slack", incidents.StatusIntake, false) // no thread yet: its origin counts
	e := mk(5, "discord", incidents.StatusOpen, true)
	// The oldest two, cancelled and on a platform of their own, so that
	// only the origin, reporter and title filters below pick them out.
	f := newIncident(1, "console")
	f.Status = incidents.StatusCancelled
	f.Origin.Channel = "C-other"
	mustCreate(t, s, f, incidents.Change{})
	g := newIncident(2, "console")
	g.Status = incidents.StatusCancelled
	g.Title = "Ébauche"
	mustCreate(t, s, g, incidents.Change{})

	for _, tc := range []struct {
		name string
		f    incidents.ListFilter
		want []*incidents.Incident
	}{
		{"all", incidents.ListFilter{}, []*incidents.Incident{d, b, c, a, e, g, f}},
		{"origin channel", incidents.ListFilter{OriginChannel: "C-other"}, []*incidents.Incident{f}},
		{"origin channel slack intake", incidents.ListFilter{OriginChannel: "C-payments", Platform: "slack",
			Statuses: []incidents.Status{incidents.StatusIntake}}, []*incidents.Incident{d}},
		{"reporter", incidents.ListFilter{Reporter: "U030"}, []*incidents.Incident{b}},
		{"reporter and channel", incidents.ListFilter{Reporter: "U001", OriginChannel: "C-other"}, []*incidents.Incident{f}},
		{"reporter elsewhere", incidents.ListFilter{Reporter: "U001", OriginChannel: "C-payments"}, nil},
		{"unknown reporter", incidents.ListFilter{Reporter: "U999"}, nil},
		{"title any case", incidents.ListFilter{Title: "card DECLINES spike #30"}, []*incidents.Incident{b}},
		{"title is whole", incidents.ListFilter{Title: "Card declines spike"}, nil},
		{"title other letters as they are", incidents.ListFilter{Title: "Ébauche"}, []*incidents.Incident{g}},
		{"title other letters keep their case", incidents.ListFilter{Title: "éBAUCHE"}, nil},
		{"open", incidents.ListFilter{Statuses: []incidents.Status{incidents.StatusOpen}}, []*incidents.Incident{a, e}},
		{"active", incidents.ListFilter{Statuses: []incidents.Status{incidents.StatusIntake, incidents.StatusOpen, incidents.StatusEscalated}},
			[]*incidents.Incident{d, b, a, e}},
		{"closed none", incidents.ListFilter{Statuses: []incidents.Status{incidents.StatusClosed}}, nil},
		{"slack", incidents.ListFilter{Platform: "slack"}, []*incidents.Incident{d, c, a}},
		{"discord open", incidents.ListFilter{Platform: "discord", Statuses: []incidents.Status{incidents.StatusOpen}}, []*incidents.Incident{e}},
		{"teams", incidents.ListFilter{Platform: "teams"}, nil},
		{"limit 2", incidents.ListFilter{Limit: 2}, []*incidents.Incident{d, b}},
		{"slack limit 1", incidents.ListFilter{Platform: "slack", Limit: 1}, []*incidents.Incident{d}},
		{"limit above count", incidents.ListFilter{Limit: 50}, []*incidents.Incident{d, b, c, a, e, g, f}},
		{"unthreaded", incidents.ListFilter{Unthreaded: true}, []*incidents.Incident{d, g, f}},
		{"unthreaded discord", incidents.ListFilter{Unthreaded: true, Platform: "discord"}, nil},
	} {
		got, err := s.ListIncidents(ctx, tc.f)
		if err != nil {
			t.Fatalf("ListIncidents %s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(refs(got), refs(tc.want)) {
			t.Fatalf("ListIncidents %s = %v, want %v", tc.name, refs(got), refs(tc.want))
		}
		for i := range got {
			sameIncident(t, "ListIncidents "+tc.name, got[i], tc.want[i])
		}
	}
}

func testRestart(t *testing.T, h *harness) {
	ctx := context.Background()
	dir := t.TempDir()
	s := h.openAt(t, dir)
	inc := newIncident(1, "slack")
	mustCreate(t, s, inc, incidents.Change{EventKey: "ev-create", Timeline: []incidents.TimelineEntry{created(inc)}})
	inc.Conversation = incidents.Conversation{Platform: "slack", Channel: "C-payments", Thread: "1710408413.000100"}
	inc.Details.Provider = "adyen"
	inc.Intake = incidents.IntakeState{Step: "impact", History: []string{"category", "provider"}, ReturnTo: "summary"}
	inc.UpdatedAt = base.Add(time.Minute)
	mustUpdate(t, s, inc, incidents.Change{EventKey: "ev-answer", Timeline: []incidents.TimelineEntry{{
		IncidentID: inc.ID, At: inc.UpdatedAt, Actor: alice, Kind: incidents.EventAnswer, Text: "provider: adyen",
		Data: map[string]string{"step": "provider"}}}})
	for i, key := range []string{"ev-a", "ev-b"} {
		if err := s.EnqueueEvent(ctx, key, []byte(key), base.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkEventProcessed(ctx, "ev-a", base); err != nil {
		t.Fatal(err)
	}
	tl := mustTimeline(t, s, inc.ID)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	r := h.openAt(t, dir)
	sameIncident(t, "after restart", mustGet(t, r, inc.ID), inc)
	if got, err := r.IncidentByConversation(ctx, inc.Conversation); err != nil || got.ID != inc.ID {
		t.Fatalf("IncidentByConversation after restart: %v, %v", got, err)
	}
	if got := mustTimeline(t, r, inc.ID); !reflect.DeepEqual(got, tl) {
		t.Fatalf("timeline after restart:\n got %+v\nwant %+v", got, tl)
	}
	for _, key := range []string{"ev-create", "ev-answer", "ev-a"} {
		if ok, err := r.EventProcessed(ctx, key); err != nil || !ok {
			t.Fatalf("EventProcessed(%s) after restart = %v, %v", key, ok, err)
		}
	}
	p, err := r.PendingEvents(ctx, 10)
	if err != nil || len(p) != 1 || p[0].Key != "ev-b" || string(p[0].Payload) != "ev-b" || !p[0].ReceivedAt.Equal(base.Add(time.Second)) {
		t.Fatalf("PendingEvents after restart = %+v, %v; want ev-b", p, err)
	}
	// Refs continue; they are never reused.
	next := newIncident(2, "slack")
	mustCreate(t, r, next, incidents.Change{})
	if next.Ref != "PAY-2" {
		t.Fatalf("first ref after restart = %s, want PAY-2", next.Ref)
	}
	// Optimistic versioning continues from the stored version.
	stale := *inc
	stale.Version = 1
	wantErr(t, "stale update after restart", r.UpdateIncident(ctx, &stale, incidents.Change{}), incidents.ErrConflict)
	mustUpdate(t, r, inc, incidents.Change{})
}

func testTimes(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.fresh(t)
	berlin := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		name string
		at   time.Time
	}{
		{"utc millis", base},
		{"nanoseconds", time.Date(2026, 3, 14, 9, 26, 53, 123_456_789, time.UTC)},
		{"other zone", time.Date(2026, 3, 14, 10, 26, 53, 589_000_000, berlin)},
		{"local with monotonic", time.Now()},
		{"far future", time.Date(2199, 12, 31, 23, 59, 59, 999_000_000, time.UTC)},
	} {
		inc := newIncident(0, "slack")
		inc.CreatedAt, inc.UpdatedAt = tc.at, tc.at.Add(time.Millisecond)
		opened, resolved := tc.at.Add(time.Second), tc.at.Add(time.Hour)
		inc.OpenedAt, inc.ResolvedAt = &opened, &resolved
		started := tc.at.Add(-time.Hour)
		inc.Details.StartedAt = &started
		mustCreate(t, s, inc, incidents.Change{Timeline: []incidents.TimelineEntry{created(inc)}})
		got := mustGet(t, s, inc.ID)
		for _, c := range []struct {
			field     string
			got, want *time.Time
			utc       bool
		}{
			{"CreatedAt", &got.CreatedAt, &inc.CreatedAt, true},
			{"UpdatedAt", &got.UpdatedAt, &inc.UpdatedAt, true},
			{"OpenedAt", got.OpenedAt, inc.OpenedAt, true},
			{"ResolvedAt", got.ResolvedAt, inc.ResolvedAt, true},
			{"Details.StartedAt", got.Details.StartedAt, inc.Details.StartedAt, false},
		} {
			if c.got == nil {
				t.Fatalf("%s: %s came back nil", tc.name, c.field)
			}
			checkTime(t, tc.name+" "+c.field, *c.got, *c.want, c.utc)
		}
		if tl := mustTimeline(t, s, inc.ID); len(tl) != 1 {
			t.Fatalf("%s: timeline %+v", tc.name, tl)
		} else {
			checkTime(t, tc.name+" timeline At", tl[0].At, inc.CreatedAt, true)
		}
	}
	// Nil optional times stay nil.
	inc := newIncident(0, "slack")
	mustCreate(t, s, inc, incidents.Change{})
	if got := mustGet(t, s, inc.ID); got.OpenedAt != nil || got.ResolvedAt != nil || got.Details.StartedAt != nil {
		t.Fatalf("nil times came back as %v %v %v", got.OpenedAt, got.ResolvedAt, got.Details.StartedAt)
	}
	// ... and a set time can be cleared again (a reopened incident).
	resolved := base.Add(time.Hour)
	inc.ResolvedAt = &resolved
	mustUpdate(t, s, inc, incidents.Change{})
	inc.ResolvedAt = nil
	mustUpdate(t, s, inc, incidents.Change{})
	if got := mustGet(t, s, inc.ID); got.ResolvedAt != nil {
		t.Fatalf("cleared ResolvedAt came back as %v", got.ResolvedAt)
	}
	_ = ctx
}

// checkTime wants the same instant to the millisecond or better; stored
// columns come back in UTC.
func checkTime(t *testing.T, what string, got, want time.Time, utc bool) {
	t.Helper()
	if d := got.Sub(want); d < -time.Millisecond+1 || d > time.Millisecond-1 {
		t.Fatalf("%s: got %v, want %v (off by %v)", what, got, want, d)
	}
	if want.Nanosecond()%int(time.Millisecond) == 0 && !got.Equal(want) {
		t.Fatalf("%s: got %v, want exactly %v", what, got, want)
	}
	if utc && got.Location() != time.UTC {
		t.Fatalf("%s: location %v, want UTC", what, got.Location())
	}
}

func testDetails(t *testing.T, h *harness) {
	s := h.fresh(t)
	started := base.Add(-90 * time.Minute)
	for _, tc := range []struct {
		name   string
		d      incidents.Details
		intake incidents.IntakeState
	}{
		{name: "zero"},
		{name: "empty collections", d: incidents.Details{Codes: []incidents.Code{}, TransactionIDs: []string{},
			PaymentMethods: []string{}, Extra: map[string]string{}, Skipped: []string{}},
			intake: incidents.IntakeState{History: []string{}}},
		{name: "full", d: incidents.Details{
			Category: incidents.CategoryDeclines, Provider: "stripe", Environment: "production",
			StartedAt: &started, Impact: incidents.Impact{Kind: incidents.ImpactPercent, Percent: 12.5},
			ErrorMessages:  "card_declined: do_not_honor; \"quoted\" and ünïcode ✓\nsecond line",
			Codes:          []incidents.Code{{System: "stripe", Value: "do_not_honor"}, {System: "iso8583", Value: "05"}},
			TransactionIDs: []string{"pi_3N…", "ch_1"}, PaymentMethods: []string{"visa", "apple_pay"},
			StepsTaken: "retried; checked status page", Extra: map[string]string{"merchant_id": "acct_123", "empty": ""},
			Skipped: []string{"steps_taken"},
		}, intake: incidents.IntakeState{Step: "summary", History: []string{"category", "provider", "impact"}, ReturnTo: "summary"}},
		{name: "impact all", d: incidents.Details{Impact: incidents.Impact{Kind: incidents.ImpactAll}}},
	} {
		inc := newIncident(1, "slack")
		inc.Details, inc.Intake = tc.d, tc.intake
		inc.CardMessage = ""
		mustCreate(t, s, inc, incidents.Change{})
		got := mustGet(t, s, inc.ID)
		want := *inc
		// encoding/json's omitempty drops empty slices and maps, so an empty
		// collection comes back nil; that is the documented JSON shape.
		if tc.name == "empty collections" {
			want.Details = incidents.Details{}
			want.Intake = incidents.IntakeState{}
		}
		sameIncident(t, "details "+tc.name, got, &want)

		// And through an update, replacing a full value with a zero one.
		got.Details, got.Intake = incidents.Details{}, incidents.IntakeState{}
		mustUpdate(t, s, got, incidents.Change{})
		sameIncident(t, "details cleared "+tc.name, mustGet(t, s, inc.ID), got)
	}
}

func testContextCancelled(t *testing.T, h *harness) {
	s := h.fresh(t)
	inc := newIncident(1, "slack")
	mustCreate(t, s, inc, incidents.Change{})
	if err := s.EnqueueEvent(context.Background(), "pending", nil, base); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fresh := newIncident(2, "slack")
	upd := *inc
	upd.Title = "changed under a cancelled context"
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"CreateIncident", func() error { return s.CreateIncident(ctx, fresh, incidents.Change{EventKey: "c1"}) }},
		{"UpdateIncident", func() error { return s.UpdateIncident(ctx, &upd, incidents.Change{EventKey: "c2"}) }},
		{"Incident", func() error { _, err := s.Incident(ctx, inc.ID); return err }},
		{"IncidentByRef", func() error { _, err := s.IncidentByRef(ctx, inc.Ref); return err }},
		{"IncidentByConversation", func() error {
			_, err := s.IncidentByConversation(ctx, incidents.Conversation{Platform: "slack", Channel: "C", Thread: "1"})
			return err
		}},
		{"ListIncidents", func() error { _, err := s.ListIncidents(ctx, incidents.ListFilter{}); return err }},
		{"Timeline", func() error { _, err := s.Timeline(ctx, inc.ID); return err }},
		{"EventProcessed", func() error { _, err := s.EventProcessed(ctx, "pending"); return err }},
		{"MarkEventProcessed", func() error { return s.MarkEventProcessed(ctx, "c3", base) }},
		{"EnqueueEvent", func() error { return s.EnqueueEvent(ctx, "c4", nil, base) }},
		{"PendingEvents", func() error { _, err := s.PendingEvents(ctx, 10); return err }},
	} {
		if err := tc.call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: error %v, want context.Canceled", tc.name, err)
		}
	}
	// Nothing was written.
	bg := context.Background()
	if _, err := s.Incident(bg, fresh.ID); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("cancelled create was stored: %v", err)
	}
	sameIncident(t, "after cancelled update", mustGet(t, s, inc.ID), inc)
	for _, key := range []string{"c1", "c2", "c3", "c4"} {
		if ok, err := s.EventProcessed(bg, key); err != nil || ok {
			t.Errorf("EventProcessed(%s) after cancelled calls = %v, %v", key, ok, err)
		}
	}
	if p, err := s.PendingEvents(bg, 10); err != nil || len(p) != 1 {
		t.Errorf("PendingEvents after cancelled calls = %+v, %v; want only the one enqueued before", p, err)
	}
}

// fullState is typed domain state with every field set: two rounds of SLA
// clocks, breaches, engagements with and without a chat identity.
func fullState() (incidents.Escalation, incidents.SLA, incidents.Resolution) {
	at := func(m int) *time.Time { t := base.Add(time.Duration(m) * time.Minute); return &t }
	oncall := incidents.User{Platform: "slack", ID: "U0ONCALL", Name: "On-call"}
	esc := incidents.Escalation{
		Round: 2, Rule: "urgent-after-hours", Level: 2,
		Engaged: []incidents.Engagement{
			{Round: 1, Level: 1, Contact: "provider:support", Label: "Stripe support", At: *at(5)},
			{Round: 2, Level: 1, Contact: "team:oncall", Label: "24/7 on-call (Bob)", User: &oncall, At: *at(70)},
			{Round: 2, Level: 2, Contact: "team:security", Label: "Security", At: *at(75)},
		},
		AckedBy: &bob, AckedAt: at(80),
	}
	sla := incidents.SLA{
		ClockStart: *at(60), RespondedAt: at(80), RespondedBy: &bob,
		ResponseBreach:   &incidents.Breach{At: *at(75), Severity: incidents.Sev1, Target: 15 * time.Minute},
		ResolutionBreach: nil, LastUpdateAt: at(81),
		Earlier: []incidents.SLA{{
			ClockStart: *at(1), StoppedAt: at(30),
			ResolutionBreach: &incidents.Breach{At: *at(25), Severity: incidents.Sev2, Target: 24 * time.Minute},
		}},
	}
	res := incidents.Resolution{Fix: "rotated the webhook secret", RootCause: "the secret expired ✓", ResolvedBy: &alice}
	return esc, sla, res
}

// testState round-trips the typed escalation, SLA and resolution state
// through a create and an update, and clears it again.
func testState(t *testing.T, h *harness) {
	s := h.fresh(t)
	inc := newIncident(1, "slack")
	inc.Escalation, inc.SLA, inc.Resolution = fullState()
	inc.Reopens = 1
	inc.Details.Extra = map[string]string{"merchant_id": "acct_1"}
	mustCreate(t, s, inc, incidents.Change{})
	got := mustGet(t, s, inc.ID)
	sameIncident(t, "typed state after create", got, inc)

	got.SLA.ResolutionBreach = &incidents.Breach{At: base.Add(3 * time.Hour), Severity: incidents.Sev1, Target: 2 * time.Hour}
	stop := base.Add(4 * time.Hour)
	got.SLA.StoppedAt = &stop
	got.Reopens = 2
	mustUpdate(t, s, got, incidents.Change{})
	again := mustGet(t, s, inc.ID)
	sameIncident(t, "typed state after update", again, got)
	if again.Escalation.Engaged[1].User == nil || again.SLA.Earlier[0].ResolutionBreach.Target != 24*time.Minute {
		t.Fatalf("nested state lost: %+v", again.SLA)
	}

	again.Escalation, again.SLA, again.Resolution, again.Reopens = incidents.Escalation{}, incidents.SLA{}, incidents.Resolution{}, 0
	mustUpdate(t, s, again, incidents.Change{})
	cleared := mustGet(t, s, inc.ID)
	sameIncident(t, "typed state cleared", cleared, again)
	if cleared.Details.Extra["merchant_id"] != "acct_1" || len(cleared.Details.Extra) != 1 {
		t.Fatalf("intake answers changed: %v", cleared.Details.Extra)
	}
}

// LegacyWriter rewrites the stored row of incident id as a version before
// typed state left it: the state column at its default ('{}') and details
// set to the given JSON. Each store's tests supply one, in the store's SQL.
type LegacyWriter func(t *testing.T, dir string, id uuid.UUID, details []byte)

// RunLegacyUpgrade checks that a row written before typed state, whose
// escalation and SLA state sits in Details.Extra, reads back with that state
// in the typed fields and only intake answers left in Extra, and that the
// next write stores the typed form.
func RunLegacyUpgrade(t *testing.T, open Opener, legacy LegacyWriter) {
	dir := t.TempDir()
	h := &harness{open: open}
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	s := h.openAt(t, dir)
	inc := newIncident(1, "slack")
	if _, err := inc.Transition(incidents.StatusOpen, inc.Reporter, at(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := inc.Transition(incidents.StatusResolved, bob, at(40)); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, inc, incidents.Change{})
	details, _ := json.Marshal(incidents.Details{Category: incidents.CategoryDeclines, Extra: map[string]string{
		"merchant_id":      "acct_9", // an intake answer: stays
		"escalations":      "2",
		"escalation_rule":  "urgent-after-hours",
		"escalation_level": "3",
		"acked_by":         "Bob",
		"responded_at":     at(20).Format(time.RFC3339Nano),
		"reopens":          "1",
		"resolution":       "rotated the key",
		"root_cause":       "expired key",
		"resolved_by":      "Bob",
		"clock_start":      at(10).Format(time.RFC3339Nano),
	}})
	legacy(t, dir, inc.ID, details)

	got := mustGet(t, s, inc.ID)
	check := func(what string, got *incidents.Incident) {
		t.Helper()
		e, sla, r := got.Escalation, got.SLA, got.Resolution
		if e.Round != 2 || e.Rule != "urgent-after-hours" || e.Level != 3 || e.AckedBy == nil || e.AckedBy.Name != "Bob" {
			t.Fatalf("%s: escalation %+v", what, e)
		}
		if !sla.ClockStart.Equal(at(10)) || sla.RespondedAt == nil || !sla.RespondedAt.Equal(at(20)) ||
			sla.StoppedAt == nil || !sla.StoppedAt.Equal(at(40)) {
			t.Fatalf("%s: sla %+v", what, sla)
		}
		if r.Fix != "rotated the key" || r.RootCause != "expired key" || r.ResolvedBy == nil || r.ResolvedBy.Name != "Bob" || got.Reopens != 1 {
			t.Fatalf("%s: resolution %+v reopens %d", what, r, got.Reopens)
		}
		if len(got.Details.Extra) != 1 || got.Details.Extra["merchant_id"] != "acct_9" {
			t.Fatalf("%s: Extra holds more than intake answers: %v", what, got.Details.Extra)
		}
	}
	check("legacy row read", got)
	// The next write stores the typed form; a later read needs no upgrade.
	got.Title = "rewritten"
	mustUpdate(t, s, got, incidents.Change{})
	check("after the next write", mustGet(t, s, inc.ID))
	list, err := s.ListIncidents(context.Background(), incidents.ListFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("ListIncidents = %v, %v", list, err)
	}
	check("listed", list[0])
}

// testInboxConcurrent enqueues from two handles on one store (two
// replicas) at once: events that carry the same message keys are one
// message, so exactly one of them is recorded, and it is recorded whole; a
// refused event leaves none of its keys behind. The copies of a message
// reach the two handles with its keys in opposite orders, the order in
// which two writers would lock them into a deadlock.
func testInboxConcurrent(t *testing.T, h *harness) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := h.openAt(t, dir), h.openAt(t, dir)
	const rounds, messages = 10, 64
	events := 2 * rounds * messages
	var accepted atomic.Int32
	errs := make(chan error, events)
	id := func(r, m, c int) string { return fmt.Sprintf("ev-%d-%d-%d", r, m, c) }
	for r := range rounds {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for m := range messages {
			for c := range 2 {
				wg.Go(func() {
					keys := []string{fmt.Sprintf("msg-%d-%d", r, m), fmt.Sprintf("alt-%d-%d", r, m), "side-" + id(r, m, c)}
					s := a
					if c == 1 {
						s = b
						keys[0], keys[1] = keys[1], keys[0]
					}
					<-start
					err := s.EnqueueEvent(ctx, id(r, m, c), []byte("{}"), base, keys...)
					switch {
					case err == nil:
						accepted.Add(1)
					case errors.Is(err, incidents.ErrDuplicate):
					default:
						errs <- err
					}
				})
			}
		}
		close(start)
		wg.Wait()
	}
	close(errs)
	for err := range errs {
		t.Fatalf("EnqueueEvent: %v", err)
	}
	if n := accepted.Load(); n != rounds*messages {
		t.Fatalf("%d events accepted, want one per message: %d", n, rounds*messages)
	}
	pending, err := a.PendingEvents(ctx, 10*events)
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]bool{}
	for _, p := range pending {
		in[p.Key] = true
	}
	if len(in) != rounds*messages {
		t.Fatalf("%d events pending, want %d", len(in), rounds*messages)
	}
	for r := range rounds {
		for m := range messages {
			for c := range 2 {
				err := a.EnqueueEvent(ctx, "probe-"+id(r, m, c), nil, base, "side-"+id(r, m, c))
				if rec := in[id(r, m, c)]; rec && !errors.Is(err, incidents.ErrDuplicate) {
					t.Fatalf("event %s was recorded but its side key is free (err %v)", id(r, m, c), err)
				} else if !rec && err != nil {
					t.Fatalf("event %s was refused but left its side key behind: %v", id(r, m, c), err)
				}
			}
		}
	}
}
