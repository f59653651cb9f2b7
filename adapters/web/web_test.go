package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybot/paybot/adapters/web"
	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/sqlite"
)

const token = "test-dashboard-token-0123456789"

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

// now is the real time (to the hour): browsers and cookie jars drop a
// cookie whose expiry is past by their own clock.
var now = time.Now().UTC().Truncate(time.Hour)

const xssTitle = `<script>alert("pwned")</script> declines`

// seed writes resolved incidents over four months for stripe and adyen,
// and two open ones, one with a hostile title.
func seed(t testing.TB) incidents.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "paybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	u := incidents.User{Platform: "slack", ID: "U1", Name: "Ana"}
	mk := func(title, prov string, at time.Time, ack, resolve time.Duration) {
		inc := incidents.New(title, u, incidents.Conversation{Platform: "slack", Channel: "C1"}, at)
		inc.Details.Provider, inc.Details.Category, inc.Severity = prov, incidents.CategoryDeclines, incidents.Sev2
		inc.Details.Codes = []incidents.Code{{System: "iso8583", Value: "05"}}
		if err := s.CreateIncident(ctx, inc, incidents.Change{Timeline: []incidents.TimelineEntry{{IncidentID: inc.ID, At: at, Actor: u, Kind: incidents.EventCreated, Text: title}}}); err != nil {
			t.Fatal(err)
		}
		open, _ := inc.Transition(incidents.StatusOpen, u, at)
		tl := []incidents.TimelineEntry{open}
		if ack > 0 {
			tl = append(tl, incidents.TimelineEntry{IncidentID: inc.ID, At: at.Add(ack), Actor: u, Kind: incidents.EventAck, Text: "acknowledged"})
		}
		if resolve > 0 {
			res, _ := inc.Transition(incidents.StatusResolved, u, at.Add(resolve))
			tl = append(tl, res)
		}
		if err := s.UpdateIncident(ctx, inc, incidents.Change{Timeline: tl}); err != nil {
			t.Fatal(err)
		}
	}
	for m := 1; m <= 4; m++ {
		at := now.AddDate(0, -m, 0)
		mk(fmt.Sprintf("stripe declines %d", m), "stripe", at, 10*time.Minute, time.Duration(m)*time.Hour)
		mk(fmt.Sprintf("adyen timeouts %d", m), "adyen", at.Add(time.Hour), 45*time.Minute, time.Duration(m+4)*time.Hour)
	}
	mk(xssTitle, "stripe", now.Add(-20*time.Minute), 0, 0)
	mk("adyen webhooks failing", "adyen", now.Add(-2*time.Hour), 5*time.Minute, 0)
	return s
}

func newDashboard(t testing.TB, tok string) (*web.Dashboard, *httptest.Server) {
	t.Helper()
	d := web.New(web.Config{Store: seed(t), Token: tok, Clock: &fixedClock{now}, Location: time.UTC})
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return d, srv
}

func get(t *testing.T, c *http.Client, u string, hdr map[string]string) (int, string, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

func TestOffWithoutToken(t *testing.T) {
	d, srv := newDashboard(t, "")
	for _, p := range []string{"/dashboard/", "/dashboard/analytics", "/dashboard/login?exp=1&sig=x"} {
		if code, _, _ := get(t, srv.Client(), srv.URL+p, map[string]string{"Authorization": "Bearer "}); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404 when off", p, code)
		}
	}
	if _, _, err := d.Link(now); err == nil {
		t.Error("Link works while off")
	}
}

func TestLoginRequired(t *testing.T) {
	d, srv := newDashboard(t, token)
	link, exp, err := d.Link(now)
	if err != nil || !exp.Equal(now.Add(12*time.Hour)) {
		t.Fatal(link, exp, err)
	}
	lu, _ := url.Parse(link)
	q := lu.Query()
	tampered := url.Values{"exp": {fmt.Sprint(exp.Unix() + 3600)}, "sig": {q.Get("sig")}}
	expired, _, _ := web.New(web.Config{Store: seed(t), Token: token, Clock: &fixedClock{now}}).Link(now.Add(-13 * time.Hour))
	eu, _ := url.Parse(expired)
	otherToken, _, _ := web.New(web.Config{Store: seed(t), Token: "another-token", Clock: &fixedClock{now}}).Link(now)
	ou, _ := url.Parse(otherToken)
	pages := []string{"/dashboard/", "/dashboard/incident/PAY-1", "/dashboard/analytics", "/dashboard/static/chart.umd.js"}
	for _, p := range pages {
		for name, hdr := range map[string]map[string]string{
			"nothing":            nil,
			"wrong bearer":       {"Authorization": "Bearer nope"},
			"token as basic":     {"Authorization": "Basic " + token},
			"forged cookie":      {"Cookie": "paybot_dashboard=99999999999.deadbeef"},
			"link sig as cookie": {"Cookie": "paybot_dashboard=" + q.Get("exp") + "." + q.Get("sig")},
		} {
			code, body, _ := get(t, srv.Client(), srv.URL+p, hdr)
			if code != http.StatusUnauthorized || strings.Contains(body, "PAY-") || strings.Contains(body, "stripe") {
				t.Errorf("%s with %s: %d %q", p, name, code, body)
			}
		}
		if code, _, _ := get(t, srv.Client(), srv.URL+p, map[string]string{"Authorization": "Bearer " + token}); code != http.StatusOK {
			t.Errorf("%s with the bearer token: %d", p, code)
		}
	}
	for name, l := range map[string]string{"tampered exp": "/dashboard/login?" + tampered.Encode(), "expired": eu.Path + "?" + eu.RawQuery,
		"other token": ou.Path + "?" + ou.RawQuery, "no sig": "/dashboard/login"} {
		code, _, resp := get(t, srv.Client(), srv.URL+l, nil)
		if code != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
			t.Errorf("login with %s: %d, cookies %v", name, code, resp.Cookies())
		}
	}
	// The signed link sets the session cookie with every flag.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	code, _, resp := get(t, c, srv.URL+lu.Path+"?"+lu.RawQuery, nil)
	if code != http.StatusOK || len(resp.Cookies()) != 1 {
		t.Fatalf("login: %d %v", code, resp.Cookies())
	}
	ck := resp.Cookies()[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/dashboard/" || ck.Secure {
		t.Errorf("cookie flags: %+v (Secure only over https)", ck)
	}
	req := httptest.NewRequest("GET", "/dashboard/login?"+lu.RawQuery, nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, req)
	if cs := rec.Result().Cookies(); len(cs) != 1 || !cs[0].Secure {
		t.Errorf("https login cookie: %+v", cs)
	}
	if code, body, _ := get(t, c, srv.URL+"/dashboard/", nil); code != http.StatusOK || !strings.Contains(body, "adyen webhooks failing") {
		t.Errorf("with the cookie: %d", code)
	}
}

func TestPagesEscapeUserText(t *testing.T) {
	_, srv := newDashboard(t, token)
	auth := map[string]string{"Authorization": "Bearer " + token}
	code, body, resp := get(t, srv.Client(), srv.URL+"/dashboard/", auth)
	if code != 200 || strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;") {
		t.Errorf("open page does not escape the title: %d\n%s", code, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	// PAY-9 is the hostile one (the ninth created).
	code, body, _ = get(t, srv.Client(), srv.URL+"/dashboard/incident/PAY-9", auth)
	if code != 200 || strings.Contains(body, "<script>alert") || !strings.Contains(body, "Timeline") {
		t.Errorf("incident page: %d\n%s", code, body)
	}
	if code, _, _ := get(t, srv.Client(), srv.URL+"/dashboard/incident/PAY-999", auth); code != 404 {
		t.Errorf("unknown incident: %d", code)
	}
	code, body, _ = get(t, srv.Client(), srv.URL+"/dashboard/analytics", auth)
	var months []string
	for m := 4; m >= 1; m-- {
		months = append(months, `"`+now.AddDate(0, -m, 0).Format("2006-01")+`"`)
	}
	if code != 200 || !strings.Contains(body, `"labels":[`+strings.Join(months, ",")+`]`) {
		t.Errorf("analytics: %d\n%s", code, body)
	}
}
