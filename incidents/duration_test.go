package incidents

import (
	"testing"
	"time"
)

func TestFmtDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-2 * time.Second, "0s"}, // never "-2s"
		{-time.Hour, "0s"},
		{0, "0s"},
		{499 * time.Millisecond, "0s"},
		{500 * time.Millisecond, "1s"},
		{45 * time.Second, "45s"},
		{59*time.Second + 600*time.Millisecond, "1m"},
		{4*time.Minute + 5*time.Second, "4m 05s"},
		{5 * time.Minute, "5m"},
		{9*time.Minute + 59*time.Second + 600*time.Millisecond, "10m"},
		{12*time.Minute + 29*time.Second, "12m"},
		{12*time.Minute + 31*time.Second, "13m"},
		{59*time.Minute + 45*time.Second, "1h"},
		{65 * time.Minute, "1h 05m"},
		{2 * time.Hour, "2h"},
		{47*time.Hour + 59*time.Minute + 40*time.Second, "2d"},
		{3*24*time.Hour + 4*time.Hour, "3d 4h"},
		{7 * 24 * time.Hour, "7d"},
	} {
		if got := FmtDuration(tc.d); got != tc.want {
			t.Errorf("FmtDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
