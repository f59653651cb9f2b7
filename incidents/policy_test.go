package incidents

import (
	"strings"
	"testing"
	"time"
)

func routeInc(cat, provider string, sev Severity) *Incident {
	return &Incident{Ref: "PAY-1", Severity: sev, Details: Details{Category: cat, Provider: provider, Environment: EnvProduction}}
}

func TestDefaultRouting(t *testing.T) {
	p := DefaultPolicy()
	thu := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) // Thursday, in hours
	night := time.Date(2026, 11, 26, 22, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		inc   *Incident
		at    time.Time
		rule  string
		first []string
		why   string
	}{
		{"security", routeInc(CategorySecurity, "stripe", Sev1), thu, "security", []string{"team:security"}, "→ Security team"},
		{"integration", routeInc(CategoryIntegration, "adyen", Sev3), thu, "integration", []string{"provider:developer_support"}, "→ Adyen developer support"},
		{"sev1 in hours", routeInc(CategoryDeclines, "stripe", Sev1), thu, "urgent-business-hours", []string{"provider:account_manager"}, "SEV1 during business hours on Stripe → Stripe account manager"},
		{"sev2 after hours", routeInc(CategoryTimeouts, "stripe", Sev2), night, "urgent-after-hours", []string{"team:oncall", "provider:support"}, "outside business hours on Stripe → 24/7 on-call + Stripe support"},
		{"sev3", routeInc(CategoryDeclines, "stripe", Sev3), thu, "default", []string{"provider:support"}, "→ Stripe support"},
	} {
		d := Route(p, tc.inc, tc.at)
		if d.Rule != tc.rule || strings.Join(d.Ladder[0].Contacts, ",") != strings.Join(tc.first, ",") || !strings.Contains(d.Why, tc.why) {
			t.Errorf("%s: rule %s, first %v, why %q", tc.name, d.Rule, d.Ladder[0].Contacts, d.Why)
		}
	}
	// The security ladder climbs to the on-call.
	if d := Route(p, routeInc(CategorySecurity, "", Sev1), thu); len(d.Ladder) != 2 || d.Ladder[1].Contacts[0] != "team:oncall" {
		t.Errorf("security ladder = %+v", d.Ladder)
	}
}

const berlin = `
business_hours:
  timezone: Europe/Berlin
  days: mon-fri
  start: "09:00"
  end: "17:00"
  holidays: ["2026-12-25"]
providers:
  stripe:
    name: Stripe
    sla: {SEV1: 5m, SEV2: 2h}
`

func TestBusinessHoursEdges(t *testing.T) {
	p, probs := ParsePolicyYAML([]byte(berlin))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	loc, _ := time.LoadLocation("Europe/Berlin")
	bh := p.BusinessHours
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 11, 26, 16, 59, 59, 0, loc), true},      // last minute of the day
		{time.Date(2026, 11, 26, 17, 0, 0, 0, loc), false},       // end is exclusive
		{time.Date(2026, 11, 26, 8, 59, 0, 0, loc), false},       // before start
		{time.Date(2026, 11, 26, 9, 0, 0, 0, loc), true},         // start
		{time.Date(2026, 12, 25, 11, 0, 0, 0, loc), false},       // holiday (a Friday)
		{time.Date(2026, 11, 28, 11, 0, 0, 0, loc), false},       // Saturday
		{time.Date(2026, 3, 30, 7, 30, 0, 0, time.UTC), true},    // 09:30 CEST, the Monday after DST started
		{time.Date(2026, 3, 27, 7, 30, 0, 0, time.UTC), false},   // 08:30 CET, the Friday before
		{time.Date(2026, 10, 26, 15, 30, 0, 0, time.UTC), true},  // 16:30 CET, after DST ended
		{time.Date(2026, 10, 23, 15, 30, 0, 0, time.UTC), false}, // 17:30 CEST, before DST ended
	} {
		if got := bh.In(tc.at); got != tc.want {
			t.Errorf("In(%s) = %v, want %v", tc.at.In(loc), got, tc.want)
		}
	}
	// A SEV1 on the holiday goes the after-hours way.
	d := Route(p, routeInc(CategoryDeclines, "stripe", Sev1), time.Date(2026, 12, 25, 11, 0, 0, 0, loc))
	if d.Rule != "urgent-after-hours" {
		t.Errorf("holiday routed to %s", d.Rule)
	}
}

func TestProviderOverrides(t *testing.T) {
	p, _ := ParsePolicyYAML([]byte(berlin))
	if tg := p.Targets(Sev1, "stripe"); tg.Response != 5*time.Minute || tg.Source != "Stripe contract" {
		t.Errorf("SEV1 stripe = %+v, want the stricter contract 5m", tg)
	}
	if tg := p.Targets(Sev2, "stripe"); tg.Response != 30*time.Minute || tg.Source != "policy" {
		t.Errorf("SEV2 stripe = %+v, want the stricter policy 30m", tg)
	}
	if tg := p.Targets(Sev1, "adyen"); tg.Response != 15*time.Minute {
		t.Errorf("SEV1 adyen = %+v", tg)
	}
}

func TestOncallRotation(t *testing.T) {
	p, probs := ParsePolicyYAML([]byte(`
team:
  - {id: a, name: A}
  - {id: b, name: B}
  - id: oncall
    rotation: [a, b]
    rotation_start: 2026-01-05
    schedule:
      - {contact: a, from: "2026-01-13T00:00:00Z", to: "2026-01-14T00:00:00Z"}
`))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	for _, tc := range []struct {
		at   string
		want string
	}{{"2026-01-06T12:00:00Z", "a"}, {"2026-01-12T12:00:00Z", "b"}, {"2026-01-13T12:00:00Z", "a"}, {"2026-01-20T12:00:00Z", "a"}} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := p.OncallAt(at); got == nil || got.ID != tc.want {
			t.Errorf("OncallAt(%s) = %v, want %s", tc.at, got, tc.want)
		}
	}
}

func TestPolicyProblemsHaveLines(t *testing.T) {
	_, probs := ParsePolicyYAML([]byte("routing:\n  - name: x\n    match: {severity: SEV1}\n    ladder:\n      - {contact: team:ghost, wait: soon}\n"))
	var got []string
	for _, p := range probs {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"line 5: \"soon\" is not a duration", "line 5: contact \"team:ghost\"", "line 2: the last routing rule must be a default"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
}
