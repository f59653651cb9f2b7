package gatewaystatus

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents"
)

// ErrFormat is returned when a page is not the format it should be.
var ErrFormat = errors.New("status page: unexpected format")

// summary is the part of Statuspage's /api/v2/summary.json Paybot reads.
// Shape from https://developer.statuspage.io/ ("Summary" of the public
// page API): page, status {indicator, description}, components, incidents
// (unresolved only) and scheduled_maintenances (upcoming and in progress).
type summary struct {
	Page *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		URL  string `json:"url"`
	} `json:"page"`
	Status struct {
		Indicator   string `json:"indicator"`
		Description string `json:"description"`
	} `json:"status"`
	Incidents   []spIncident `json:"incidents"`
	Maintenance []spIncident `json:"scheduled_maintenances"`
}

type spIncident struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Status     string    `json:"status"`
	Impact     string    `json:"impact"`
	Shortlink  string    `json:"shortlink"`
	UpdatedAt  time.Time `json:"updated_at"`
	Components []struct {
		Name string `json:"name"`
	} `json:"components"`
	Updates []struct {
		ID        string    `json:"id"`
		Status    string    `json:"status"`
		CreatedAt time.Time `json:"created_at"`
	} `json:"incident_updates"`
}

// ParseSummary reads a Statuspage v2 summary.json and returns the page's
// indicator, its description and the active events (incidents not resolved,
// maintenances in progress or verifying), newest update first. Errors:
// ErrFormat when data is not a summary.
func ParseSummary(provider string, data []byte) (indicator, description string, events []incidents.GatewayEvent, err error) {
	var s summary
	if err := json.Unmarshal(data, &s); err != nil {
		return "", "", nil, fmt.Errorf("%w: not a Statuspage summary.json: %v", ErrFormat, err)
	}
	if s.Page == nil && s.Status.Indicator == "" {
		return "", "", nil, fmt.Errorf("%w: JSON without page or status: not a Statuspage summary.json", ErrFormat)
	}
	add := func(list []spIncident, kind string) {
		for _, in := range list {
			ev := incidents.GatewayEvent{
				Provider: provider, ID: clip(in.ID, 100), Kind: kind, Name: clip(in.Name, 300),
				Status: clip(strings.ToLower(in.Status), 40), Impact: clip(strings.ToLower(in.Impact), 40),
				URL: clip(in.Shortlink, 500), UpdatedAt: in.UpdatedAt.UTC(),
			}
			if ev.ID == "" {
				continue
			}
			for _, c := range in.Components {
				if c.Name != "" && len(ev.Components) < 20 {
					ev.Components = append(ev.Components, clip(c.Name, 100))
				}
			}
			// incident_updates is newest first; take the newest by time to
			// be safe against any order.
			var newest time.Time
			for _, u := range in.Updates {
				if ev.UpdateID == "" || u.CreatedAt.After(newest) {
					ev.UpdateID, newest = clip(u.ID, 100), u.CreatedAt
				}
			}
			if ev.URL == "" && s.Page != nil && s.Page.URL != "" {
				ev.URL = strings.TrimRight(s.Page.URL, "/") + "/incidents/" + ev.ID
			}
			if kind == incidents.GatewayMaintenance && ev.Impact == "" {
				ev.Impact = "maintenance"
			}
			if ev.Active() {
				events = append(events, ev)
			}
		}
	}
	add(s.Incidents, incidents.GatewayIncident)
	add(s.Maintenance, incidents.GatewayMaintenance)
	sortEvents(events)
	return strings.ToLower(clip(s.Status.Indicator, 40)), clip(s.Status.Description, 300), events, nil
}

func sortEvents(evs []incidents.GatewayEvent) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].UpdatedAt.After(evs[j].UpdatedAt) })
}

// feed holds RSS 2.0 (<rss><channel><item>) and Atom (<feed><entry>) at once;
// encoding/xml fills whichever matches.
type feed struct {
	XMLName xml.Name
	Channel struct {
		Items []struct {
			Title       string `xml:"title"`
			Link        string `xml:"link"`
			GUID        string `xml:"guid"`
			PubDate     string `xml:"pubDate"`
			Description string `xml:"description"`
		} `xml:"item"`
	} `xml:"channel"`
	Entries []struct {
		Title string `xml:"title"`
		ID    string `xml:"id"`
		Links []struct {
			Href string `xml:"href,attr"`
			Rel  string `xml:"rel,attr"`
		} `xml:"link"`
		Updated   string `xml:"updated"`
		Published string `xml:"published"`
		Content   string `xml:"content"`
		Summary   string `xml:"summary"`
	} `xml:"entry"`
}

// Feed age limits: an item whose status says it is still open counts as
// active for FeedOpenMaxAge after its last update; an item with no status
// word at all only for FeedUnknownMaxAge. Feeds keep old items for months,
// and an item a provider never marked resolved must not haunt every
// incident forever.
const (
	FeedOpenMaxAge    = 72 * time.Hour
	FeedUnknownMaxAge = 6 * time.Hour
)

var strongRe = regexp.MustCompile(`(?is)<strong>\s*([^<]{1,40}?)\s*</strong>`)
var tagRe = regexp.MustCompile(`(?s)<[^>]*>`)

// statusWords maps words found in feeds to Statuspage's status vocabulary,
// checked in this order (so "resolved" wins over "investigating" in a title
// such as "Resolved: investigating delays").
var statusWords = []struct{ word, status string }{
	{"resolved", "resolved"}, {"completed", "completed"}, {"postmortem", "postmortem"},
	{"cancelled", "cancelled"}, {"canceled", "cancelled"},
	{"in progress", "in_progress"}, {"verifying", "verifying"}, {"scheduled", "scheduled"},
	{"monitoring", "monitoring"}, {"identified", "identified"}, {"investigating", "investigating"},
	{"update", "investigating"}, {"degraded", "investigating"}, {"outage", "investigating"},
}

func feedStatus(title, desc string) string {
	if m := strongRe.FindStringSubmatch(desc); m != nil {
		w := strings.ToLower(strings.TrimSpace(m[1]))
		for _, s := range statusWords {
			if w == s.word {
				return s.status
			}
		}
	}
	text := strings.ToLower(title + " " + firstChars(tagRe.ReplaceAllString(desc, " "), 200))
	for _, s := range statusWords {
		if strings.Contains(text, s.word) {
			return s.status
		}
	}
	return ""
}

// ParseFeed reads an RSS 2.0 or Atom feed and returns the active events at
// now: items whose status (see feedStatus) is not resolved, completed or
// scheduled, within FeedOpenMaxAge, or without a status word within
// FeedUnknownMaxAge. An item's id is its guid (RSS) or id (Atom), else its
// link; its UpdateID is a hash of its date and text, so an edited item is a
// new update. Errors: ErrFormat when data is neither RSS nor Atom.
func ParseFeed(provider string, data []byte, now time.Time) ([]incidents.GatewayEvent, error) {
	var f feed
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := d.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: not an RSS or Atom feed: %v", ErrFormat, err)
	}
	switch f.XMLName.Local {
	case "rss", "feed", "RDF":
	default:
		return nil, fmt.Errorf("%w: XML root <%s> is neither <rss> nor <feed>", ErrFormat, f.XMLName.Local)
	}
	var out []incidents.GatewayEvent
	add := func(id, title, link, date, body string) {
		id = strings.TrimSpace(id)
		if id == "" {
			id = strings.TrimSpace(link)
		}
		if id == "" {
			return
		}
		at := parseFeedTime(date)
		status := feedStatus(title, body)
		ev := incidents.GatewayEvent{Provider: provider, ID: clip(id, 200), Kind: incidents.GatewayIncident,
			Name: clip(strings.TrimSpace(html.UnescapeString(title)), 300), Status: status, URL: clip(strings.TrimSpace(link), 500), UpdatedAt: at}
		switch status {
		case "in_progress", "verifying", "scheduled", "completed":
			ev.Kind, ev.Impact = incidents.GatewayMaintenance, "maintenance"
		case "":
			ev.Status = "reported"
		}
		sum := sha256.Sum256([]byte(date + "\x00" + title + "\x00" + body))
		ev.UpdateID = hex.EncodeToString(sum[:6])
		if !ev.Active() || at.IsZero() {
			return
		}
		limit := FeedOpenMaxAge
		if status == "" {
			limit = FeedUnknownMaxAge
		}
		if now.Sub(at) > limit {
			return
		}
		out = append(out, ev)
	}
	for _, it := range f.Channel.Items {
		add(it.GUID, it.Title, it.Link, it.PubDate, it.Description)
	}
	for _, en := range f.Entries {
		link := ""
		for _, l := range en.Links {
			if l.Rel == "" || l.Rel == "alternate" {
				link = l.Href
				break
			}
		}
		date := en.Updated
		if date == "" {
			date = en.Published
		}
		body := en.Content
		if body == "" {
			body = en.Summary
		}
		add(en.ID, en.Title, link, date, body)
	}
	sortEvents(out)
	if len(out) > 20 {
		out = out[:20]
	}
	return out, nil
}

var feedTimeLayouts = []string{time.RFC1123Z, time.RFC1123, time.RFC3339, time.RFC3339Nano,
	"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04:05 -0700"}

func parseFeedTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, l := range feedTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func firstChars(s string, n int) string { return clip(s, n) }
