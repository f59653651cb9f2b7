package incidents

import (
	"errors"
	"testing"
	"time"
)

var (
	testLoc = time.FixedZone("CET", 3600)
	// 2026-11-26 15:30:00 CET
	testNow = time.Date(2026, 11, 26, 15, 30, 0, 0, testLoc)
)

func TestParseTime(t *testing.T) {
	at := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, testLoc) }
	tests := []struct {
		in   string
		want time.Time
	}{
		{"now", testNow},
		{"  Just now ", testNow},
		{"10 min ago", testNow.Add(-10 * time.Minute)},
		{"10 mins ago", testNow.Add(-10 * time.Minute)},
		{"10m ago", testNow.Add(-10 * time.Minute)},
		{"2 hours ago", testNow.Add(-2 * time.Hour)},
		{"2h ago", testNow.Add(-2 * time.Hour)},
		{"1.5 hours ago", testNow.Add(-90 * time.Minute)},
		{"an hour ago", testNow.Add(-time.Hour)},
		{"half an hour ago", testNow.Add(-30 * time.Minute)},
		{"a few minutes ago", testNow.Add(-3 * time.Minute)},
		{"about 20 minutes ago", testNow.Add(-20 * time.Minute)},
		{"3 days ago", testNow.Add(-72 * time.Hour)},
		{"90 seconds ago", testNow.Add(-90 * time.Second)},
		{"14:05", at(2026, 11, 26, 14, 5)},
		{"at 14:05", at(2026, 11, 26, 14, 5)},
		{"since 9:00", at(2026, 11, 26, 9, 0)},
		{"15:33", at(2026, 11, 26, 15, 33)}, // within the skew: today
		{"16:00", at(2026, 11, 25, 16, 0)},  // later than now: yesterday
		{"23:59", at(2026, 11, 25, 23, 59)},
		{"2pm", at(2026, 11, 26, 14, 0)},
		{"2:05 PM", at(2026, 11, 26, 14, 5)},
		{"12am", at(2026, 11, 26, 0, 0)},
		{"14h05", at(2026, 11, 26, 14, 5)},
		{"14:05:30", time.Date(2026, 11, 26, 14, 5, 30, 0, testLoc)},
		{"today 09:30", at(2026, 11, 26, 9, 30)},
		{"yesterday 23:10", at(2026, 11, 25, 23, 10)},
		{"Yesterday at 8am", at(2026, 11, 25, 8, 0)},
		{"2026-11-26 14:05", at(2026, 11, 26, 14, 5)},
		{"2026-11-26T14:05", at(2026, 11, 26, 14, 5)},
		{"2026-11-01", at(2026, 11, 1, 0, 0)},
		{"2026-11-26 2:05pm", at(2026, 11, 26, 14, 5)},
		{"2026-11-26T13:05:00Z", at(2026, 11, 26, 14, 5)},
		{"2026-11-26T14:05:00+01:00", at(2026, 11, 26, 14, 5)},
		{"2026-11-26t13:05:00.5z", time.Date(2026, 11, 26, 14, 5, 0, 5e8, testLoc)},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, testNow, testLoc)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if got.Location() != testLoc {
			t.Errorf("ParseTime(%q) location = %v, want %v", tt.in, got.Location(), testLoc)
		}
	}
}

func TestParseTimeErrors(t *testing.T) {
	for _, in := range []string{
		"", "   ", "soon", "tomorrow", "in 10 minutes", "25:00", "14:60", "13pm", "0am", "1405", "14",
		"2026-02-30 10:00", "2026-13-01", "2026-11-27 10:00", // future
		"2024-01-01 10:00", // too old
		"2026-11-26T20:00:00Z",
		"400 days ago", "99999 hours ago", "yesterday", "today at", "10 min", "NaN hours ago",
	} {
		_, err := ParseTime(in, testNow, testLoc)
		if err == nil {
			t.Errorf("ParseTime(%q): no error", in)
			continue
		}
		var ae *AnswerError
		if !errors.As(err, &ae) || ae.Reason == "" || !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseTime(%q): error %v is not a useful *AnswerError", in, err)
		}
	}
}

func TestParseTimeNilLocation(t *testing.T) {
	now := time.Date(2026, 11, 26, 15, 30, 0, 0, time.UTC)
	got, err := ParseTime("14:05", now, nil)
	if err != nil || !got.Equal(time.Date(2026, 11, 26, 14, 5, 0, 0, time.UTC)) {
		t.Fatalf("ParseTime nil loc = %v, %v", got, err)
	}
}

// The clock form around midnight: at 00:10, "23:50" is yesterday.
func TestParseTimeAroundMidnight(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 10, 0, 0, testLoc)
	got, err := ParseTime("23:50", now, testLoc)
	if err != nil || !got.Equal(time.Date(2026, 11, 25, 23, 50, 0, 0, testLoc)) {
		t.Fatalf("got %v, %v", got, err)
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"now", "10 min ago", "2 hours ago", "14:05", "2:05pm", "yesterday 23:10",
		"2026-11-26 14:05", "2026-11-26T13:05:00Z", "", "12am", "half an hour ago", "2026-02-29"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s, testNow, testLoc)
		if err != nil {
			var ae *AnswerError
			if !errors.As(err, &ae) || ae.Reason == "" {
				t.Fatalf("ParseTime(%q): bad error %v", s, err)
			}
			return
		}
		if got.After(testNow.Add(FutureSkew)) {
			t.Fatalf("ParseTime(%q) = %v is in the future", s, got)
		}
		if got.Before(testNow.Add(-MaxPast)) {
			t.Fatalf("ParseTime(%q) = %v is too old", s, got)
		}
	})
}
