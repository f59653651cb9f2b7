package incidents

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)

func at(m float64) time.Time     { return t0.Add(time.Duration(m * float64(time.Minute))) }
func ptr(t time.Time) *time.Time { return &t }

func TestSLAObserve(t *testing.T) {
	sev1 := SLATarget{Response: 10 * time.Minute, Resolution: time.Hour}
	sev3 := SLATarget{Response: 4 * time.Hour, Resolution: 72 * time.Hour}
	bob := User{Platform: "slack", ID: "U0BOB"}
	for _, tc := range []struct {
		name          string
		sla           SLA
		sev           Severity
		t             SLATarget
		now           time.Time
		notBefore     time.Time
		wantResp      *Breach
		wantRes       *Breach
		wantRecorded  bool
		keepsExisting bool
	}{
		{name: "not started", sla: SLA{}, sev: Sev1, t: sev1, now: at(100)},
		{name: "before the target", sla: SLA{ClockStart: t0}, sev: Sev1, t: sev1, now: at(9.99)},
		{name: "at the target nobody responded: breached", sla: SLA{ClockStart: t0}, sev: Sev1, t: sev1, now: at(10),
			wantResp: &Breach{At: at(10), Severity: Sev1, Target: 10 * time.Minute}, wantRecorded: true},
		{name: "responded exactly at the target: met", sla: SLA{ClockStart: t0, RespondedAt: ptr(at(10)), RespondedBy: &bob}, sev: Sev1, t: sev1, now: at(30)},
		{name: "responded late", sla: SLA{ClockStart: t0, RespondedAt: ptr(at(12))}, sev: Sev1, t: sev1, now: at(30),
			wantResp: &Breach{At: at(10), Severity: Sev1, Target: 10 * time.Minute}, wantRecorded: true},
		{name: "observed late, the breach is at the target", sla: SLA{ClockStart: t0}, sev: Sev1, t: sev1, now: at(90),
			wantResp: &Breach{At: at(10), Severity: Sev1, Target: 10 * time.Minute},
			wantRes:  &Breach{At: at(60), Severity: Sev1, Target: time.Hour}, wantRecorded: true},
		{name: "an upgrade makes it overdue: breach at the upgrade", sla: SLA{ClockStart: t0}, sev: Sev1, t: sev1, now: at(20), notBefore: at(20),
			wantResp: &Breach{At: at(20), Severity: Sev1, Target: 10 * time.Minute}, wantRecorded: true},
		{name: "stopped before the target, observed after: no breach", sla: SLA{ClockStart: t0, StoppedAt: ptr(at(5))}, sev: Sev1, t: sev1, now: at(100)},
		{name: "stopped exactly at the resolution target: met", sla: SLA{ClockStart: t0, RespondedAt: ptr(at(1)), StoppedAt: ptr(at(60))}, sev: Sev1, t: sev1, now: at(100)},
		{name: "a recorded breach stays under a looser target", sla: SLA{ClockStart: t0, ResponseBreach: &Breach{At: at(10), Severity: Sev1, Target: 10 * time.Minute}},
			sev: Sev3, t: sev3, now: at(30), wantResp: &Breach{At: at(10), Severity: Sev1, Target: 10 * time.Minute}},
		{name: "no target, no breach", sla: SLA{ClockStart: t0}, sev: Sev1, t: SLATarget{}, now: at(1000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.sla
			got := s.Observe(tc.sev, tc.t, tc.now, tc.notBefore)
			if got != tc.wantRecorded {
				t.Errorf("Observe = %v, want %v", got, tc.wantRecorded)
			}
			if !reflect.DeepEqual(s.ResponseBreach, tc.wantResp) {
				t.Errorf("response breach = %+v, want %+v", s.ResponseBreach, tc.wantResp)
			}
			if !reflect.DeepEqual(s.ResolutionBreach, tc.wantRes) {
				t.Errorf("resolution breach = %+v, want %+v", s.ResolutionBreach, tc.wantRes)
			}
		})
	}
}

func TestSLARespondStartStop(t *testing.T) {
	bob := User{Platform: "slack", ID: "U0BOB"}
	carol := User{Platform: "slack", ID: "U0CAROL"}
	var s SLA
	if s.Respond(bob, at(1)) || s.Running() {
		t.Fatal("a response before the clocks start counts")
	}
	s.Start(t0)
	if !s.Running() || s.Respond(bob, at(-1)) {
		t.Fatal("start, or a response before it")
	}
	if !s.Respond(bob, at(3)) || s.Respond(carol, at(4)) || *s.RespondedBy != bob || !s.RespondedAt.Equal(at(3)) {
		t.Fatalf("first response: %+v", s)
	}
	s.Stop(at(30))
	s.Stop(at(40)) // stopping again changes nothing
	if s.Running() || !s.StoppedAt.Equal(at(30)) {
		t.Fatalf("stop: %+v", s)
	}
	last := at(20)
	s.LastUpdateAt = &last
	s.Start(at(100)) // reopened
	if len(s.Earlier) != 1 || !s.Earlier[0].RespondedAt.Equal(at(3)) || !s.Earlier[0].StoppedAt.Equal(at(30)) || s.Earlier[0].LastUpdateAt != nil {
		t.Fatalf("earlier round: %+v", s.Earlier)
	}
	if s.RespondedAt != nil || s.StoppedAt != nil || !s.ClockStart.Equal(at(100)) || s.LastUpdateAt == nil {
		t.Fatalf("new round: %+v", s)
	}
	// A response at the moment the clocks stop counts (a responder resolves).
	s.Stop(at(110))
	if !s.Respond(carol, at(110)) || s.Respond(bob, at(111)) {
		t.Fatalf("response at the stop: %+v", s)
	}
}

func TestTransitionRunsTheClocks(t *testing.T) {
	rep := User{Platform: "slack", ID: "U1"}
	inc := New("x", rep, Conversation{Platform: "slack", Channel: "C"}, t0)
	mustT := func(s Status, m float64) {
		t.Helper()
		if _, err := inc.Transition(s, rep, at(m)); err != nil {
			t.Fatal(err)
		}
	}
	mustT(StatusOpen, 2)
	if !inc.SLA.ClockStart.Equal(at(2)) {
		t.Fatalf("open: %+v", inc.SLA)
	}
	mustT(StatusResolved, 30)
	mustT(StatusOpen, 60)
	mustT(StatusCancelled, 70)
	if len(inc.SLA.Earlier) != 1 || !inc.SLA.ClockStart.Equal(at(60)) || !inc.SLA.StoppedAt.Equal(at(70)) {
		t.Fatalf("after reopen and cancel: %+v", inc.SLA)
	}
}

func TestUpgradeLegacyExtra(t *testing.T) {
	rep := User{Platform: "slack", ID: "U1", Name: "Rita"}
	opened, resolved := at(1), at(20)
	for _, tc := range []struct {
		name     string
		extra    map[string]string
		status   Status
		check    func(t *testing.T, inc *Incident)
		wantRest map[string]string
	}{
		{
			name:   "self-resolved SEV1: the old responded_at was no response",
			status: StatusResolved,
			extra: map[string]string{"resolution": "restarted", "resolved_by": "Rita",
				"responded_at": resolved.Format(time.RFC3339Nano), "store": "US"},
			check: func(t *testing.T, inc *Incident) {
				if inc.SLA.RespondedAt != nil || inc.Resolution.Fix != "restarted" || inc.Resolution.ResolvedBy.Name != "Rita" {
					t.Fatalf("%+v %+v", inc.SLA, inc.Resolution)
				}
				if !inc.SLA.ClockStart.Equal(opened) || !inc.SLA.StoppedAt.Equal(resolved) {
					t.Fatalf("clocks %+v", inc.SLA)
				}
			},
			wantRest: map[string]string{"store": "US"},
		},
		{
			name:   "acknowledged: responded_at is kept",
			status: StatusEscalated,
			extra: map[string]string{"acked_by": "Bob", "responded_at": at(7).Format(time.RFC3339Nano),
				"escalations": "1", "escalation_level": "2", "escalation_rule": "ladder"},
			check: func(t *testing.T, inc *Incident) {
				if inc.SLA.RespondedAt == nil || !inc.SLA.RespondedAt.Equal(at(7)) || !inc.Escalation.Acked() ||
					inc.Escalation.Level != 2 || inc.Escalation.Round != 1 || inc.Escalation.Rule != "ladder" || inc.SLA.StoppedAt != nil {
					t.Fatalf("%+v %+v", inc.SLA, inc.Escalation)
				}
			},
		},
		{
			name:   "garbage values are dropped, not kept as answers",
			status: StatusOpen,
			extra:  map[string]string{"escalations": "many", "clock_start": "yesterday", "reopens": ""},
			check: func(t *testing.T, inc *Incident) {
				if inc.Escalation.Round != 0 || !inc.SLA.ClockStart.Equal(opened) || inc.Reopens != 0 {
					t.Fatalf("%+v", inc)
				}
			},
		},
		{
			name:   "reopened: clock_start and reopens",
			status: StatusOpen,
			extra:  map[string]string{"clock_start": at(50).Format(time.RFC3339Nano), "reopens": "2", "root_cause": "expired key"},
			check: func(t *testing.T, inc *Incident) {
				if !inc.SLA.ClockStart.Equal(at(50)) || inc.Reopens != 2 || inc.Resolution.RootCause != "expired key" {
					t.Fatalf("%+v", inc)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inc := &Incident{Reporter: rep, Status: tc.status, OpenedAt: &opened, Details: Details{Extra: tc.extra}}
			if tc.status == StatusResolved {
				inc.ResolvedAt = &resolved
			}
			if err := DecodeState(inc, []byte("{}")); err != nil {
				t.Fatal(err)
			}
			tc.check(t, inc)
			if !reflect.DeepEqual(inc.Details.Extra, tc.wantRest) {
				t.Errorf("Extra = %v, want %v", inc.Details.Extra, tc.wantRest)
			}
			// Idempotent, and a typed row is not upgraded again.
			raw, err := EncodeState(inc)
			if err != nil {
				t.Fatal(err)
			}
			again := &Incident{Reporter: rep, Status: tc.status, OpenedAt: &opened, ResolvedAt: inc.ResolvedAt}
			if err := DecodeState(again, raw); err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(State{again.Escalation, again.SLA, again.Resolution, again.Reopens})
			b, _ := json.Marshal(State{inc.Escalation, inc.SLA, inc.Resolution, inc.Reopens})
			if string(a) != string(b) {
				t.Errorf("round trip:\n%s\n%s", a, b)
			}
		})
	}
}

// TestActiveStatuses: the list stores select by in SQL is exactly the
// statuses Active is true for.
func TestActiveStatuses(t *testing.T) {
	in := map[Status]bool{}
	for _, s := range ActiveStatuses() {
		in[s] = true
	}
	for _, s := range []Status{StatusIntake, StatusOpen, StatusEscalated, StatusResolved, StatusClosed, StatusCancelled} {
		if s.Active() != in[s] {
			t.Errorf("%s: Active %v, in ActiveStatuses %v", s, s.Active(), in[s])
		}
	}
	for s := range transitions {
		if s.Active() != in[s] {
			t.Errorf("%s (from the transitions): Active %v, in ActiveStatuses %v", s, s.Active(), in[s])
		}
	}
}
