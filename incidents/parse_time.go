package incidents

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Limits of ParseTime.
const (
	// FutureSkew is how far in the future a start time may lie, to allow
	// for clocks that differ a little.
	FutureSkew = 5 * time.Minute
	// MaxPast is how far back a start time may lie.
	MaxPast = 366 * 24 * time.Hour
)

const timeExample = "10 min ago, 14:05, yesterday 23:10, or 2026-11-26 14:05"

var (
	reAgo = regexp.MustCompile(`^(?:about |around |roughly |approx\.? |~)?(\d{1,5}(?:[.,]\d{1,2})?|an?|one|two|three|four|five|ten|fifteen|twenty|thirty|forty five|a few|a couple of|a couple|half an?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\s+ago$`)
	// 14:05, 14:05:30, 2:05pm, 2:05 pm, 2pm, 14h05, 14.05 is not accepted
	// because it reads like a number.
	reClock = regexp.MustCompile(`^(\d{1,2})(?:[:h](\d{2})(?::(\d{2}))?)?\s*(am|pm|a\.m\.|p\.m\.)?$`)
	reDate  = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t](.+))?$`)
)

var agoWords = map[string]float64{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10,
	"fifteen": 15, "twenty": 20, "thirty": 30, "forty five": 45,
	"a few": 3, "a couple": 2, "a couple of": 2, "half a": 0.5, "half an": 0.5,
}

// ParseTime reads when something started, relative to now, in loc (UTC when
// nil). It accepts "now", "10 min ago", "2 hours ago", "14:05" (today, or
// yesterday when today's 14:05 is still ahead), "2:05pm", "today 14:05",
// "yesterday 23:10", "2026-11-26 14:05", "2026-11-26", and RFC 3339. It
// refuses times more than FutureSkew ahead of now or more than MaxPast
// back. The result is in loc. Errors are *AnswerError.
func ParseTime(text string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	t, err := parseTime(text, now, loc)
	if err != nil {
		return time.Time{}, err
	}
	if t.After(now.Add(FutureSkew)) {
		return time.Time{}, &AnswerError{
			Reason:  "That time is in the future (it is now " + now.Format("2006-01-02 15:04 MST") + ").",
			Example: timeExample,
		}
	}
	if t.Before(now.Add(-MaxPast)) {
		return time.Time{}, &AnswerError{
			Reason:  "That is more than a year ago; please check the date.",
			Example: timeExample,
		}
	}
	return t.In(loc), nil
}

func parseTime(text string, now time.Time, loc *time.Location) (time.Time, error) {
	s := strings.ToLower(strings.Join(strings.Fields(text), " "))
	s = strings.TrimRight(s, ".!")
	s = strings.TrimPrefix(s, "at ")
	s = strings.TrimPrefix(s, "since ")
	switch s {
	case "":
		return time.Time{}, &AnswerError{Reason: "Please say when it started.", Example: timeExample}
	case "now", "just now", "right now", "just started", "started now", "a moment ago", "moments ago":
		return now, nil
	}
	if m := reAgo.FindStringSubmatch(s); m != nil {
		return parseAgo(m[1], m[2], now)
	}
	if t, err := time.Parse(time.RFC3339, strings.ToUpper(s)); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s)); err == nil {
		return t, nil
	}
	if m := reDate.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		if mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) {
			return time.Time{}, &AnswerError{Reason: "That date does not exist.", Example: timeExample}
		}
		h, mi, sec := 0, 0, 0
		if m[4] != "" {
			var ok bool
			h, mi, sec, ok = parseClock(strings.TrimPrefix(strings.TrimSpace(m[4]), "at "))
			if !ok {
				return time.Time{}, &AnswerError{Reason: "I could not read the time of day in that.", Example: timeExample}
			}
		}
		return time.Date(y, time.Month(mo), d, h, mi, sec, 0, loc), nil
	}
	day := 0 // 0: today, or yesterday when in the future; -1 yesterday; 1 today
	rest := s
	switch {
	case strings.HasPrefix(s, "yesterday"):
		day, rest = -1, strings.TrimPrefix(s, "yesterday")
	case strings.HasPrefix(s, "today"):
		day, rest = 1, strings.TrimPrefix(s, "today")
	}
	rest = strings.TrimSpace(rest)
	rest = strings.TrimPrefix(rest, "at ")
	if day != 0 && rest == "" {
		return time.Time{}, &AnswerError{Reason: "Please add the time of day.", Example: "yesterday 23:10, or today 09:30"}
	}
	if h, mi, sec, ok := parseClock(rest); ok {
		y, mo, d := now.Date()
		t := time.Date(y, mo, d, h, mi, sec, 0, loc)
		switch {
		case day == -1:
			t = time.Date(y, mo, d-1, h, mi, sec, 0, loc)
		case day == 0 && t.After(now.Add(FutureSkew)):
			t = time.Date(y, mo, d-1, h, mi, sec, 0, loc)
		}
		return t, nil
	}
	return time.Time{}, &AnswerError{Reason: "I could not read that as a time.", Example: timeExample}
}

func parseAgo(num, unit string, now time.Time) (time.Time, error) {
	n, ok := agoWords[num]
	if !ok {
		f, err := strconv.ParseFloat(strings.ReplaceAll(num, ",", "."), 64)
		if err != nil {
			return time.Time{}, &AnswerError{Reason: "I could not read that number.", Example: timeExample}
		}
		n = f
	}
	var d time.Duration
	switch unit[0] {
	case 's':
		d = time.Second
	case 'm':
		d = time.Minute
	case 'h':
		d = time.Hour
	case 'd':
		d = 24 * time.Hour
	}
	if n*float64(d) > float64(MaxPast) {
		return time.Time{}, &AnswerError{Reason: "That is more than a year ago; please check the number.", Example: timeExample}
	}
	return now.Add(-time.Duration(n * float64(d))).Truncate(time.Second), nil
}

// parseClock reads "14:05", "14:05:30", "2pm", "2:05 pm", "14h05".
func parseClock(s string) (h, m, sec int, ok bool) {
	c := reClock.FindStringSubmatch(s)
	if c == nil {
		return 0, 0, 0, false
	}
	h, _ = strconv.Atoi(c[1])
	if c[2] != "" {
		m, _ = strconv.Atoi(c[2])
	} else if c[4] == "" {
		return 0, 0, 0, false // a bare number is not a time
	}
	if c[3] != "" {
		sec, _ = strconv.Atoi(c[3])
	}
	switch c[4] {
	case "am", "a.m.":
		if h < 1 || h > 12 {
			return 0, 0, 0, false
		}
		if h == 12 {
			h = 0
		}
	case "pm", "p.m.":
		if h < 1 || h > 12 {
			return 0, 0, 0, false
		}
		if h != 12 {
			h += 12
		}
	}
	if h > 23 || m > 59 || sec > 59 {
		return 0, 0, 0, false
	}
	return h, m, sec, true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
