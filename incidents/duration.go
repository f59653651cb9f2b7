package incidents

import (
	"fmt"
	"time"
)

// FmtDuration prints d for people, rounded to the units it shows: "45s";
// "4m 05s" below ten minutes; "12m" below an hour; "1h 05m" or "2h" below two
// days; "3d 4h" beyond. A negative duration prints as "0s": a remainder that
// has run out is said in words ("BREACHED 2m ago"), never with a minus sign.
func FmtDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if r := d.Round(time.Second); r < 10*time.Minute {
		if r < time.Minute {
			return fmt.Sprintf("%ds", int(r/time.Second))
		}
		m, s := int(r/time.Minute), int(r%time.Minute/time.Second)
		if s == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm %02ds", m, s)
	}
	if r := d.Round(time.Minute); r < 48*time.Hour {
		if r < time.Hour {
			return fmt.Sprintf("%dm", int(r/time.Minute))
		}
		h, m := int(r/time.Hour), int(r%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %02dm", h, m)
	}
	r := d.Round(time.Hour)
	days, h := int(r/(24*time.Hour)), int(r%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd %dh", days, h)
}
