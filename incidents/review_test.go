package incidents

import (
	"testing"
	"time"
)

func TestDigestNextRun(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	d := Digest{Enabled: true, Weekday: time.Monday, At: 9 * 60, Location: berlin}
	tests := []struct {
		name string
		from time.Time
		want time.Time
	}{
		{"thursday to monday", time.Date(2026, 11, 26, 14, 30, 0, 0, time.UTC), time.Date(2026, 11, 30, 9, 0, 0, 0, berlin)},
		{"monday before nine", time.Date(2026, 11, 30, 7, 59, 59, 0, time.UTC), time.Date(2026, 11, 30, 9, 0, 0, 0, berlin)},
		{"exactly at nine: the next week", time.Date(2026, 11, 30, 9, 0, 0, 0, berlin), time.Date(2026, 12, 7, 9, 0, 0, 0, berlin)},
		{"across the spring DST change", time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 9, 0, 0, 0, berlin)},
		{"across the autumn DST change", time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC), time.Date(2026, 10, 26, 9, 0, 0, 0, berlin)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := d.NextRun(tc.from)
			if !got.Equal(tc.want) {
				t.Errorf("NextRun(%v) = %v, want %v", tc.from, got, tc.want)
			}
		})
	}
}

// FuzzDigestNextRun: the next run is after t, within a week, on the
// configured weekday and local time.
func FuzzDigestNextRun(f *testing.F) {
	f.Add(int64(1795000000), uint8(1), uint16(540))
	f.Add(int64(1774746000), uint8(0), uint16(150)) // Berlin's spring change, 02:30 does not exist
	f.Fuzz(func(t *testing.T, unix int64, wd uint8, at uint16) {
		if unix < 0 || unix > 4102444800 {
			return
		}
		berlin, _ := time.LoadLocation("Europe/Berlin")
		d := Digest{Weekday: time.Weekday(wd % 7), At: int(at % (24 * 60)), Location: berlin}
		from := time.Unix(unix, 0)
		got := d.NextRun(from)
		if !got.After(from) || got.Sub(from) > 8*24*time.Hour {
			t.Fatalf("NextRun(%v) = %v", from, got)
		}
		if got.In(berlin).Weekday() != d.Weekday {
			t.Fatalf("NextRun(%v) = %v, not a %v", from, got, d.Weekday)
		}
	})
}
