package incidents

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Timeline kinds written by the review features (issue 13): the gateway's
// case number, follow-up actions, knowledge-base articles offered, merges.
const (
	// EventCase records the gateway desk's case number (Data "number") or,
	// with Data "event" = "desk_reply", the desk's first reply on it.
	EventCase = "case"
	// EventFollowup is a follow-up action: Data "action" = "add" with
	// "n" (1-based) and the text, or "done" with "n".
	EventFollowup = "followup"
	// EventKBOffered lists the knowledge-base articles the bot offered in
	// the thread: Data "titles" (newline-separated) and "ids".
	EventKBOffered = "kb_offered"
	// EventMerge records a merge: on the surviving incident Data "from"
	// (the merged ref) and the moved reporter; on the merged one Data "into".
	EventMerge = "merge"
	// EventDuplicate records that the intake matched an open incident:
	// Data "of" (the ref) and "why".
	EventDuplicate = "duplicate"
)

// JobDigest is the account manager's digest: a system job (no incident)
// that posts the period's figures and schedules the next period's run.
const JobDigest = "review_digest"

// Review configures the review features: the scheduled digest and the
// window in which a report with the same provider and error code counts as
// a duplicate.
type Review struct {
	Digest Digest
	// DuplicateWindow is how far back an open incident with the same
	// provider and code counts as the same problem (default 2h).
	DuplicateWindow time.Duration
}

// Digest is when and where the account manager's digest is posted.
// Enabled is false when the config has no review.digest section.
type Digest struct {
	Enabled  bool
	Platform string // "slack", "discord", "console"…
	Channel  string
	Weekday  time.Weekday
	// At is minutes after local midnight.
	At        int
	Location  *time.Location
	Providers []string // empty: every provider
	// Period is how much history one digest covers: 7 days.
	Period time.Duration
}

// DefaultReview is the review configuration without a config file.
func DefaultReview() Review {
	return Review{DuplicateWindow: 2 * time.Hour}
}

// NextRun returns the first digest time strictly after t: the configured
// weekday and local time, across DST changes.
func (d Digest) NextRun(t time.Time) time.Time {
	loc := d.Location
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	for i := 0; i <= 8; i++ {
		day := lt.AddDate(0, 0, i)
		c := time.Date(day.Year(), day.Month(), day.Day(), d.At/60, d.At%60, 0, 0, loc)
		if c.Weekday() == d.Weekday && c.After(t) {
			return c
		}
	}
	return lt.AddDate(0, 0, 7) // unreachable
}

// review parses the review section:
//
//	review:
//	  duplicate_window: 2h
//	  digest: {platform: slack, channel: C123, weekday: monday, time: "09:00", zone: Europe/Berlin, providers: [stripe]}
func (pr *parser) review(n *yaml.Node, p *Policy) {
	f := pr.fields(n, "review", "digest", "duplicate_window")
	if v := f["duplicate_window"]; v != nil {
		if d := pr.dur(v); d > 0 {
			p.Review.DuplicateWindow = d
		} else {
			pr.add(v, "review duplicate_window must be greater than zero (for example 2h)")
		}
	}
	dn := f["digest"]
	if dn == nil {
		return
	}
	df := pr.fields(dn, "review digest", "platform", "channel", "weekday", "time", "zone", "providers")
	d := Digest{Enabled: true, Platform: strings.ToLower(pr.str(df["platform"])), Channel: pr.str(df["channel"]),
		Location: time.UTC, Period: 7 * 24 * time.Hour, Weekday: time.Monday, At: 9 * 60}
	if d.Channel == "" {
		pr.add(dn, "review digest needs a channel")
	}
	if d.Platform == "" {
		pr.add(dn, "review digest needs a platform (slack, discord or console)")
	}
	if v := df["weekday"]; v != nil {
		wd, ok := parseWeekday(pr.str(v))
		if !ok {
			pr.add(v, "review digest weekday %q: use monday … sunday", v.Value)
		}
		d.Weekday = wd
	}
	if v := df["time"]; v != nil {
		var h, m int
		s := pr.str(v)
		if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || h < 0 || h > 23 || m < 0 || m > 59 || len(s) != 5 {
			pr.add(v, "review digest time %q: use HH:MM, for example 09:00", s)
		} else {
			d.At = h*60 + m
		}
	}
	if v := df["zone"]; v != nil {
		loc, err := time.LoadLocation(pr.str(v))
		if err != nil {
			pr.add(v, "review digest zone %q is not a known IANA zone (for example Europe/Berlin)", v.Value)
		} else {
			d.Location = loc
		}
	}
	for _, s := range pr.strs(df["providers"]) {
		d.Providers = append(d.Providers, strings.ToLower(s))
	}
	p.Review.Digest = d
}

func parseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		name := strings.ToLower(wd.String())
		if s == name || (len(s) >= 3 && strings.HasPrefix(name, s)) {
			return wd, true
		}
	}
	return time.Monday, false
}

// EventMergedEntry is a copy of a merged incident's timeline entry: Data
// "from" (its ref), "kind" and "at" (the original's).
const EventMergedEntry = "merged_entry"
