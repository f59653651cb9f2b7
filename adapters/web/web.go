package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/report"
)

//go:embed static templates
var files embed.FS

// Config wires the dashboard.
type Config struct {
	Store  incidents.Store // must also be a report.Source for the analytics
	Policy *incidents.Policy
	// Location is the zone every time is shown in (the config's timezone).
	Location *time.Location
	Clock    incidents.Clock
	// Token is PAYBOT_DASHBOARD_TOKEN; empty turns the dashboard off.
	Token string
	// BaseURL is the public address links point at, for example
	// https://paybot.example.com (PAYBOT_PUBLIC_URL).
	BaseURL string
	// LinkTTL is how long a chat link and its session last (default 12h).
	LinkTTL time.Duration
	Logger  *slog.Logger
}

// Dashboard is the /dashboard/ handler and the bot's link signer.
type Dashboard struct {
	cfg   Config
	auth  *auth
	pages *template.Template
	mux   *http.ServeMux
}

// New returns the dashboard. With an empty Token it answers 404 to
// everything and Link fails.
func New(cfg Config) *Dashboard {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Clock == nil {
		cfg.Clock = incidents.SystemClock{}
	}
	if cfg.Policy == nil {
		cfg.Policy = incidents.DefaultPolicy()
	}
	if cfg.LinkTTL <= 0 {
		cfg.LinkTTL = 12 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://localhost:8080"
	}
	d := &Dashboard{cfg: cfg, auth: newAuth(cfg.Token)}
	d.pages = template.Must(template.New("").Funcs(template.FuncMap{
		"dur": func(s int64) string { return report.Dur(s) },
		"pct": report.Pct,
	}).ParseFS(files, "templates/*.html"))
	static, _ := fs.Sub(files, "static")
	m := http.NewServeMux()
	m.HandleFunc("GET /dashboard/{$}", d.guard(d.openPage))
	m.HandleFunc("GET /dashboard/incident/{ref}", d.guard(d.incidentPage))
	m.HandleFunc("GET /dashboard/analytics", d.guard(d.analyticsPage))
	m.Handle("GET /dashboard/static/", d.guard(http.StripPrefix("/dashboard/static/", http.FileServerFS(static)).ServeHTTP))
	m.HandleFunc("GET /dashboard/login", d.login)
	d.mux = m
	return d
}

// Link returns a signed login link valid for LinkTTL. Errors: the
// dashboard is off.
func (d *Dashboard) Link(now time.Time) (string, time.Time, error) {
	if d.cfg.Token == "" {
		return "", time.Time{}, errors.New("the dashboard is off: PAYBOT_DASHBOARD_TOKEN is not set")
	}
	exp := now.Add(d.cfg.LinkTTL).Truncate(time.Second)
	return d.auth.loginURL(d.cfg.BaseURL, exp), exp, nil
}

func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.cfg.Token == "" {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	d.mux.ServeHTTP(w, r)
}

func (d *Dashboard) guard(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !d.auth.bearer(r) && !d.auth.session(r, d.cfg.Clock.Now()) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="paybot dashboard"`)
			http.Error(w, "401 login required: open the link from /payissue dashboard, or send the dashboard token as a bearer token", http.StatusUnauthorized)
			return
		}
		next(w, r)
	}
}

// login turns a signed link into a session cookie. The page it returns
// moves on by a same-site refresh, so the SameSite=Strict cookie is sent
// (a redirect from a chat app's link would count as cross-site).
func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := d.cfg.Clock.Now()
	if !d.auth.valid("link", q.Get("exp"), q.Get("sig"), now) {
		http.Error(w, "401 this link is invalid or expired: ask for a new one with /payissue dashboard", http.StatusUnauthorized)
		return
	}
	var exp int64
	fmt.Sscan(q.Get("exp"), &exp)
	http.SetCookie(w, d.auth.sessionCookie(r, time.Unix(exp, 0)))
	d.render(w, "login.html", nil)
}

func (d *Dashboard) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := d.pages.ExecuteTemplate(w, name, data); err != nil {
		d.cfg.Logger.Error("dashboard page", "page", name, "err", err)
	}
}

// clock is one SLA clock as shown.
type clock struct {
	Label string // "12m of 15m", "met in 10m", "BREACHED 5m ago"
	State string // ok, warn, breached, met, missed
}

type openRow struct {
	Ref, Title, Severity, Status, Provider, Opened string
	Response, Resolution                           clock
}

func (d *Dashboard) openPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	list, err := d.cfg.Store.ListIncidents(ctx, incidents.ListFilter{Statuses: []incidents.Status{incidents.StatusIntake, incidents.StatusOpen, incidents.StatusEscalated}, Limit: 200})
	if err != nil {
		d.fail(w, err)
		return
	}
	now := d.cfg.Clock.Now()
	var rows []openRow
	for _, inc := range list {
		tl, err := d.cfg.Store.Timeline(ctx, inc.ID)
		if err != nil {
			d.fail(w, err)
			return
		}
		f := report.FactsOf(inc, tl, d.cfg.Policy, now)
		row := openRow{Ref: inc.Ref, Title: inc.Title, Severity: inc.Severity.String(), Status: string(inc.Status),
			Provider: inc.Details.Provider, Opened: inc.CreatedAt.In(d.cfg.Location).Format("2006-01-02 15:04 MST")}
		if f.ClockStart != nil {
			row.Response = slaClock(*f.ClockStart, f.RespondedAt, f.Targets.Response, now)
			row.Resolution = slaClock(*f.ClockStart, f.ResolvedAt, f.Targets.Resolution, now)
		} else {
			row.Response, row.Resolution = clock{"in intake", "ok"}, clock{"in intake", "ok"}
		}
		rows = append(rows, row)
	}
	d.render(w, "open.html", map[string]any{"Rows": rows, "Zone": d.cfg.Location.String(), "Now": now.In(d.cfg.Location).Format("2006-01-02 15:04 MST")})
}

func slaClock(start time.Time, stop *time.Time, target time.Duration, now time.Time) clock {
	if target <= 0 {
		return clock{"no target", "ok"}
	}
	fd := func(x time.Duration) string { return incidents.FmtDuration(x) }
	if stop != nil {
		took := stop.Sub(start)
		if took <= target {
			return clock{"met in " + fd(took), "met"}
		}
		return clock{"missed: " + fd(took) + " of " + fd(target), "missed"}
	}
	el := now.Sub(start)
	switch {
	case el > target:
		return clock{"BREACHED " + fd(el-target) + " ago (target " + fd(target) + ")", "breached"}
	case el >= target*8/10:
		return clock{fd(el) + " of " + fd(target) + ", " + fd(target-el) + " left", "warn"}
	}
	return clock{fd(el) + " of " + fd(target) + ", " + fd(target-el) + " left", "ok"}
}

type entryRow struct{ At, Actor, Kind, Text string }

func (d *Dashboard) incidentPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	inc, err := d.cfg.Store.IncidentByRef(ctx, r.PathValue("ref"))
	if errors.Is(err, incidents.ErrNotFound) {
		http.Error(w, "no such incident", http.StatusNotFound)
		return
	}
	if err != nil {
		d.fail(w, err)
		return
	}
	tl, err := d.cfg.Store.Timeline(ctx, inc.ID)
	if err != nil {
		d.fail(w, err)
		return
	}
	now := d.cfg.Clock.Now()
	pm := report.NewPostmortem(inc, tl, d.cfg.Policy, d.cfg.Location, now)
	f := report.FactsOf(inc, tl, d.cfg.Policy, now)
	var resp, res clock
	if f.ClockStart != nil {
		resp = slaClock(*f.ClockStart, f.RespondedAt, f.Targets.Response, now)
		res = slaClock(*f.ClockStart, f.ResolvedAt, f.Targets.Resolution, now)
	}
	d.render(w, "incident.html", map[string]any{"PM": pm, "Response": resp, "Resolution": res, "Opened": f.ClockStart != nil})
}

// chartData is what static/app.js draws; keys are stable.
type chartData struct {
	Resolve struct {
		Labels []string  `json:"labels"` // months
		Mean   []float64 `json:"mean_hours"`
		P90    []float64 `json:"p90_hours"`
	} `json:"resolve"`
	Compliance struct {
		Labels     []string  `json:"labels"` // providers
		Response   []float64 `json:"response_pct"`
		Resolution []float64 `json:"resolution_pct"`
	} `json:"compliance"`
}

// analyticsDays is the window of the analytics page.
const analyticsDays = 365

func (d *Dashboard) analyticsPage(w http.ResponseWriter, r *http.Request) {
	src, ok := d.cfg.Store.(report.Source)
	if !ok {
		http.Error(w, "analytics need a store that streams reports", http.StatusNotImplemented)
		return
	}
	now := d.cfg.Clock.Now()
	rep, err := report.Run(r.Context(), src, d.cfg.Policy, report.Query{From: now.AddDate(0, 0, -analyticsDays), Location: d.cfg.Location}, now)
	if err != nil {
		d.fail(w, err)
		return
	}
	var cd chartData
	cd.Resolve.Labels, cd.Resolve.Mean, cd.Resolve.P90 = []string{}, []float64{}, []float64{}
	cd.Compliance.Labels, cd.Compliance.Response, cd.Compliance.Resolution = []string{}, []float64{}, []float64{}
	for _, g := range rep.ByMonth {
		if g.ResolveSamples == 0 {
			continue
		}
		cd.Resolve.Labels = append(cd.Resolve.Labels, g.Key)
		cd.Resolve.Mean = append(cd.Resolve.Mean, hours(g.MeanResolveSec))
		cd.Resolve.P90 = append(cd.Resolve.P90, hours(g.P90ResolveSec))
	}
	groups := append([]report.Group(nil), rep.ByProvider...)
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].Key < groups[j].Key })
	for _, g := range groups {
		if g.ResponseCompliance < 0 && g.ResolutionCompliance < 0 {
			continue
		}
		cd.Compliance.Labels = append(cd.Compliance.Labels, g.Key)
		cd.Compliance.Response = append(cd.Compliance.Response, max(g.ResponseCompliance, 0))
		cd.Compliance.Resolution = append(cd.Compliance.Resolution, max(g.ResolutionCompliance, 0))
	}
	d.render(w, "analytics.html", map[string]any{"Report": rep, "Charts": cd, "Days": analyticsDays, "Zone": d.cfg.Location.String()})
}

func hours(s int64) float64 { return float64(s*100/3600) / 100 }

func (d *Dashboard) fail(w http.ResponseWriter, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	d.cfg.Logger.Error("dashboard", "err", err)
	http.Error(w, "something went wrong reading the store; see the log", http.StatusInternalServerError)
}
