package incidents

import (
	"os"
	"testing"
	"time"
)

// TestRotationHandsOverOnLocalCalendarDays drives the weekly rotation of
// paybot.example.yaml ([bob, alice] from 2026-01-05, Europe/Berlin) across
// both daylight saving changes: the handover stays at Monday 00:00 local,
// never 01:00 in summer or 23:00 on Sunday in winter.
func TestRotationHandsOverOnLocalCalendarDays(t *testing.T) {
	data, err := os.ReadFile("../paybot.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, probs := ParsePolicyYAML(data)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		at, want string
	}{
		{"2026-01-04 23:59", "alice"}, // the week before the start
		{"2026-01-05 00:00", "bob"},
		{"2026-01-11 23:59", "bob"},
		{"2026-01-12 00:00", "alice"},
		// DST starts Sunday 2026-03-29 02:00 CET → 03:00 CEST. The week of
		// 2026-03-23 is alice's (week 11); the week of 2026-03-30 is bob's.
		{"2026-03-29 23:59", "alice"},
		{"2026-03-30 00:00", "bob"},
		{"2026-03-30 00:30", "bob"}, // the reported case: 168 absolute hours kept alice until 01:00
		{"2026-03-30 00:59", "bob"},
		// All summer the handover stays at 00:00 local (week 25 is alice's).
		{"2026-06-28 23:59", "bob"},
		{"2026-06-29 00:30", "alice"},
		// DST ends Sunday 2026-10-25 03:00 CEST → 02:00 CET; that week
		// (week 41) is alice's, 169 hours long, and 2026-10-26 is bob's.
		{"2026-10-25 23:59", "alice"},
		{"2026-10-26 00:00", "bob"},
	} {
		if got := p.OncallAt(at(tc.at)); got == nil || got.ID != tc.want {
			t.Errorf("OncallAt(%s Berlin) = %v, want %s", tc.at, got, tc.want)
		}
	}
	// The explicit Christmas shift still wins over the rotation.
	if got := p.OncallAt(at("2026-12-25 12:00")); got == nil || got.ID != "alice" {
		t.Errorf("Christmas shift: %v", got)
	}
}

func TestRotationWeek(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	// A 09:00 handover; the spring-forward day has no 02:30, so a 02:30
	// handover happens at 03:00 CEST, the first instant after it.
	nine := time.Date(2026, 1, 5, 9, 0, 0, 0, berlin)
	twoThirty := time.Date(2026, 3, 22, 2, 30, 0, 0, berlin)
	for _, tc := range []struct {
		name  string
		start time.Time
		at    time.Time
		want  int
	}{
		{"start", nine, nine, 0},
		{"just before start", nine, nine.Add(-time.Nanosecond), -1},
		{"a week before start", nine, time.Date(2025, 12, 29, 9, 0, 0, 0, berlin), -1},
		{"eight days before start", nine, time.Date(2025, 12, 28, 9, 0, 0, 0, berlin), -2},
		{"monday 08:59 summer", nine, time.Date(2026, 3, 30, 8, 59, 0, 0, berlin), 11},
		{"monday 09:00 summer", nine, time.Date(2026, 3, 30, 9, 0, 0, 0, berlin), 12},
		{"gap day 01:59 CET", twoThirty, time.Date(2026, 3, 29, 1, 59, 0, 0, berlin), 0},
		{"gap day 03:00 CEST", twoThirty, time.Date(2026, 3, 29, 3, 0, 0, 0, berlin), 1},
		{"asked in UTC", nine, time.Date(2026, 3, 30, 7, 0, 0, 0, time.UTC), 12}, // 09:00 CEST
		{"asked in UTC, a minute early", nine, time.Date(2026, 3, 30, 6, 59, 0, 0, time.UTC), 11},
	} {
		if got := RotationWeek(tc.start, tc.at); got != tc.want {
			t.Errorf("%s: RotationWeek = %d, want %d", tc.name, got, tc.want)
		}
	}
}
