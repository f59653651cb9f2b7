package incidents

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// PolicySections are the top-level keys ParsePolicyYAML reads.
var PolicySections = []string{"business_hours", "team", "providers", "sla", "routing", "authorized_roles", "status_poll", "review"}

// ParsePolicyYAML reads the escalation sections of a config file (business_hours,
// team, providers, sla, routing, authorized_roles) over DefaultPolicy: a
// section that is absent keeps its default. Other top-level keys are ignored.
// Every problem comes with its line; the policy is usable only when there are
// none.
func ParsePolicyYAML(data []byte) (*Policy, []Problem) {
	p := DefaultPolicy()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return p, []Problem{{Msg: err.Error()}}
	}
	if len(doc.Content) == 0 {
		return p, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return p, []Problem{{Line: root.Line, Msg: "the config must be a mapping of sections"}}
	}
	pr := &parser{}
	sec := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		sec[root.Content[i].Value] = root.Content[i+1]
	}
	if n := sec["business_hours"]; n != nil {
		pr.businessHours(n, &p.BusinessHours)
	}
	if n := sec["team"]; n != nil {
		pr.team(n, p)
	}
	if n := sec["providers"]; n != nil {
		pr.providers(n, p)
	}
	if n := sec["sla"]; n != nil {
		pr.sla(n, p)
	}
	if n := sec["authorized_roles"]; n != nil {
		p.AuthorizedRoles = pr.strs(n)
	}
	if n := sec["routing"]; n != nil {
		pr.routing(n, p)
	}
	if n := sec["status_poll"]; n != nil {
		p.StatusPoll = pr.pollInterval(n)
	}
	if n := sec["review"]; n != nil {
		pr.review(n, p) // incidents/review.go
	}
	pr.check(p)
	sort.SliceStable(pr.probs, func(i, j int) bool { return pr.probs[i].Line < pr.probs[j].Line })
	return p, pr.probs
}

type parser struct{ probs []Problem }

func (pr *parser) add(n *yaml.Node, format string, args ...any) {
	line, col := 0, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	pr.probs = append(pr.probs, Problem{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

// fields checks that n is a mapping with only allowed keys and returns the
// values by key.
func (pr *parser) fields(n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		pr.add(n, "%s must be a mapping", what)
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if len(allowed) > 0 && !containsFold(allowed, k.Value) {
			pr.add(k, "unknown %s field %q%s (known: %s)", what, k.Value, didYouMean(k.Value, allowed), strings.Join(allowed, ", "))
			continue
		}
		out[strings.ToLower(k.Value)] = n.Content[i+1]
	}
	return out
}

func (pr *parser) str(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		pr.add(n, "expected a single value")
		return ""
	}
	return n.Value
}

// strs accepts a single value or a list of values.
func (pr *parser) strs(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		if n.Value == "" {
			return nil
		}
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		pr.add(n, "expected a value or a list of values")
		return nil
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, pr.str(c))
	}
	return out
}

func (pr *parser) dur(n *yaml.Node) time.Duration {
	if n == nil {
		return 0
	}
	d, err := ParseDuration(pr.str(n))
	if err != nil {
		pr.add(n, "%v", err)
	}
	return d
}

func (pr *parser) strmap(n *yaml.Node, what string, allowed ...string) map[string]string {
	if n == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range pr.fields(n, what, allowed...) {
		if s := pr.str(v); s != "" {
			out[k] = s
		}
	}
	return out
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

func (pr *parser) clock(n *yaml.Node) (int, bool) {
	s := pr.str(n)
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		pr.add(n, "%q is not a time of day (for example 09:00 or 17:30)", s)
		return 0, false
	}
	return h*60 + m, true
}

func (pr *parser) businessHours(n *yaml.Node, b *BusinessHours) {
	f := pr.fields(n, "business_hours", "timezone", "days", "start", "end", "holidays")
	if v := f["timezone"]; v != nil {
		loc, err := time.LoadLocation(pr.str(v))
		if err != nil || pr.str(v) == "" {
			pr.add(v, "timezone %q is not a known IANA zone (for example Europe/Berlin)", v.Value)
		} else {
			b.Location = loc
		}
	}
	if v := f["days"]; v != nil {
		b.Days = nil
		for _, d := range pr.strs(v) {
			d = strings.ToLower(strings.TrimSpace(d))
			if from, to, ok := strings.Cut(d, "-"); ok {
				a, ok1 := weekdays[short(from)]
				z, ok2 := weekdays[short(to)]
				if !ok1 || !ok2 {
					pr.add(v, "%q is not a day range (for example mon-fri)", d)
					continue
				}
				for w := a; ; w = (w + 1) % 7 {
					b.Days = append(b.Days, w)
					if w == z {
						break
					}
				}
				continue
			}
			w, ok := weekdays[short(d)]
			if !ok {
				pr.add(v, "%q is not a day (mon, tue, wed, thu, fri, sat, sun)", d)
				continue
			}
			b.Days = append(b.Days, w)
		}
	}
	if v := f["start"]; v != nil {
		if m, ok := pr.clock(v); ok {
			b.Start = m
		}
	}
	if v := f["end"]; v != nil {
		if m, ok := pr.clock(v); ok {
			b.End = m
		}
	}
	if b.End <= b.Start {
		pr.add(n, "business_hours: end must be after start")
	}
	if v := f["holidays"]; v != nil {
		b.Holidays = map[string]bool{}
		for i, h := range pr.strs(v) {
			if _, err := time.Parse("2006-01-02", h); err != nil {
				line := v
				if v.Kind == yaml.SequenceNode {
					line = v.Content[i]
				}
				pr.add(line, "holiday %q is not a date like 2026-12-25", h)
				continue
			}
			b.Holidays[h] = true
		}
	}
}

func short(d string) string {
	d = strings.TrimSpace(d)
	if len(d) > 3 {
		return d[:3]
	}
	return d
}

// handleKeys is open: any platform name (slack, discord, console…) plus email.
var handleKeys []string

func (pr *parser) team(n *yaml.Node, p *Policy) {
	if n.Kind != yaml.SequenceNode {
		pr.add(n, "team must be a list of contacts")
		return
	}
	for _, c := range n.Content {
		f := pr.fields(c, "team contact", "id", "name", "role", "handles", "email", "phone", "rotation", "rotation_start", "schedule")
		ct := &Contact{ID: pr.str(f["id"]), Name: pr.str(f["name"]), Role: pr.str(f["role"]), Email: pr.str(f["email"]), Phone: pr.str(f["phone"])}
		if ct.ID == "" {
			pr.add(c, "a team contact needs an id")
			continue
		}
		ct.Handles = pr.strmap(f["handles"], "handles", handleKeys...)
		if ct.Email == "" {
			ct.Email = ct.Handles["email"]
		}
		delete(ct.Handles, "email")
		ct.Rotation = pr.strs(f["rotation"])
		if v := f["rotation_start"]; v != nil {
			// A date hands over at local midnight; "2026-01-05 09:00" at
			// 09:00 local, every week, whatever the daylight saving offset.
			loc := p.BusinessHours.Location
			if loc == nil {
				loc = time.UTC
			}
			t, err := time.ParseInLocation("2006-01-02", pr.str(v), loc)
			if err != nil {
				t, err = time.ParseInLocation("2006-01-02 15:04", pr.str(v), loc)
			}
			if err != nil {
				pr.add(v, "rotation_start %q is not a date like 2026-01-05 (or a date and local handover time like 2026-01-05 09:00)", v.Value)
			}
			ct.RotationStart = t
		}
		if v := f["schedule"]; v != nil {
			if v.Kind != yaml.SequenceNode {
				pr.add(v, "schedule must be a list of shifts")
			} else {
				for _, s := range v.Content {
					sf := pr.fields(s, "shift", "contact", "from", "to")
					sh := Shift{Contact: pr.str(sf["contact"])}
					for key, dst := range map[string]*time.Time{"from": &sh.From, "to": &sh.To} {
						t, err := time.Parse(time.RFC3339, pr.str(sf[key]))
						if err != nil {
							pr.add(s, "shift %s must be a time like 2026-12-24T18:00:00+01:00", key)
						}
						*dst = t
					}
					ct.Schedule = append(ct.Schedule, sh)
				}
			}
		}
		if _, dup := p.Team[ct.ID]; dup && c.Line > 0 && !(ct.ID == "oncall" || ct.ID == "security") {
			pr.add(c, "team contact %q is defined twice", ct.ID)
		}
		p.Team[ct.ID] = ct
	}
	// Rotation and schedule entries must name team members; checked after all are read.
	for _, c := range n.Content {
		f := pr.fields(&yaml.Node{Kind: yaml.MappingNode, Content: c.Content}, "team contact")
		for _, key := range []string{"rotation"} {
			if v := f[key]; v != nil {
				for i, id := range pr.strs(v) {
					if p.Team[id] == nil {
						line := v
						if v.Kind == yaml.SequenceNode {
							line = v.Content[i]
						}
						pr.add(line, "rotation names %q, who is not in the team", id)
					}
				}
			}
		}
	}
}

func (pr *parser) desk(n *yaml.Node, what string) Desk {
	if n == nil {
		return Desk{}
	}
	f := pr.fields(n, what, "phone", "email", "portal", "hours", "handles")
	d := Desk{Phone: pr.str(f["phone"]), Email: pr.str(f["email"]), Portal: pr.str(f["portal"]), Hours: pr.str(f["hours"])}
	d.Handles = pr.strmap(f["handles"], "handles", handleKeys...)
	switch strings.ToLower(d.Hours) {
	case "", "24/7", "24x7", "always":
		if d.Hours != "" {
			d.Hours = "24/7"
		}
	case "business", "business_hours", "business hours":
		d.Hours = "business"
	default:
		pr.add(f["hours"], "%s hours must be 24/7 or business, not %q", what, d.Hours)
	}
	return d
}

func (pr *parser) providers(n *yaml.Node, p *Policy) {
	if n.Kind != yaml.MappingNode {
		pr.add(n, "providers must be a mapping from provider id (stripe, adyen…) to its contacts")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		id := strings.ToLower(n.Content[i].Value)
		f := pr.fields(n.Content[i+1], "provider", "name", "support", "developer_support", "account_manager", "status_page", "sla",
			"status_poll", "api_endpoint", "status_notice_channel")
		pv := &Provider{ID: id, Name: pr.str(f["name"]), StatusPage: pr.str(f["status_page"])}
		pr.gatewayFields(f, pv)
		pv.Support = pr.desk(f["support"], "support")
		pv.DeveloperSupport = pr.desk(f["developer_support"], "developer_support")
		if v := f["account_manager"]; v != nil {
			af := pr.fields(v, "account_manager", "name", "email", "phone", "handles")
			pv.AccountManager = Person{Name: pr.str(af["name"]), Email: pr.str(af["email"]), Phone: pr.str(af["phone"]),
				Handles: pr.strmap(af["handles"], "handles", handleKeys...)}
		}
		if v := f["sla"]; v != nil {
			pv.ResponseTargets = map[Severity]time.Duration{}
			sf := pr.fields(v, "provider sla")
			for _, kv := range pairs(v) {
				sev, err := ParseSeverity(kv[0].Value)
				if err != nil {
					pr.add(kv[0], "provider sla key %q is not a severity (SEV1…SEV4)", kv[0].Value)
					continue
				}
				val := kv[1]
				if val.Kind == yaml.MappingNode {
					vf := pr.fields(val, "provider sla", "response")
					val = vf["response"]
				}
				pv.ResponseTargets[sev] = pr.dur(val)
			}
			_ = sf
		}
		p.Providers[id] = pv
	}
}

func pairs(n *yaml.Node) [][2]*yaml.Node {
	var out [][2]*yaml.Node
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	return out
}

func (pr *parser) sla(n *yaml.Node, p *Policy) {
	if n.Kind != yaml.MappingNode {
		pr.add(n, "sla must map severities (SEV1…SEV4) to targets")
		return
	}
	for _, kv := range pairs(n) {
		sev, err := ParseSeverity(kv[0].Value)
		if err != nil {
			pr.add(kv[0], "sla key %q is not a severity (SEV1…SEV4)", kv[0].Value)
			continue
		}
		t := p.SLA[sev]
		f := pr.fields(kv[1], "sla", "response", "resolution", "update")
		if v := f["response"]; v != nil {
			t.Response = pr.dur(v)
		}
		if v := f["resolution"]; v != nil {
			t.Resolution = pr.dur(v)
		}
		if v := f["update"]; v != nil {
			t.Update = pr.dur(v)
		}
		p.SLA[sev] = t
	}
}

func (pr *parser) routing(n *yaml.Node, p *Policy) {
	if n.Kind != yaml.SequenceNode {
		pr.add(n, "routing must be a list of rules")
		return
	}
	p.Routing = nil
	for i, rn := range n.Content {
		f := pr.fields(rn, "routing rule", "name", "match", "ladder")
		r := Rule{Name: pr.str(f["name"]), Line: rn.Line}
		if r.Name == "" {
			r.Name = fmt.Sprintf("rule %d", i+1)
		}
		if v := f["match"]; v != nil {
			mf := pr.fields(v, "match", "category", "severity", "provider", "environment", "business_hours")
			r.Match.Categories = pr.strs(mf["category"])
			r.Match.Providers = pr.strs(mf["provider"])
			r.Match.Environments = pr.strs(mf["environment"])
			for _, s := range pr.strs(mf["severity"]) {
				sev, err := ParseSeverity(s)
				if err != nil {
					pr.add(mf["severity"], "%q is not a severity (SEV1…SEV4)", s)
					continue
				}
				r.Match.Severities = append(r.Match.Severities, sev)
			}
			if bh := mf["business_hours"]; bh != nil {
				switch strings.ToLower(pr.str(bh)) {
				case "true", "yes", "inside", "in":
					r.Match.BusinessHours = boolp(true)
				case "false", "no", "outside", "out":
					r.Match.BusinessHours = boolp(false)
				default:
					pr.add(bh, "business_hours must be true (inside) or false (outside)")
				}
			}
		}
		ln := f["ladder"]
		if ln == nil || ln.Kind != yaml.SequenceNode || len(ln.Content) == 0 {
			pr.add(rn, "routing rule %q needs a ladder: a list of levels, each with contact and wait", r.Name)
		} else {
			for _, lv := range ln.Content {
				lf := pr.fields(lv, "ladder level", "contact", "contacts", "wait")
				l := Level{Contacts: append(pr.strs(lf["contact"]), pr.strs(lf["contacts"])...), Wait: pr.dur(lf["wait"])}
				if len(l.Contacts) == 0 {
					pr.add(lv, "ladder level needs a contact, for example team:oncall or provider:account_manager")
				}
				for _, c := range l.Contacts {
					if msg := validRef(c, p); msg != "" {
						pr.add(lv, "%s", msg)
					}
				}
				if lf["wait"] == nil {
					l.Wait = 15 * time.Minute
				}
				r.Ladder = append(r.Ladder, l)
			}
		}
		p.Routing = append(p.Routing, r)
	}
	if len(p.Routing) > 0 {
		last := p.Routing[len(p.Routing)-1]
		m := last.Match
		if len(m.Categories)+len(m.Severities)+len(m.Providers)+len(m.Environments) > 0 || m.BusinessHours != nil {
			pr.add(n.Content[len(n.Content)-1], "the last routing rule must be a default that matches everything (no match:)")
		}
	} else {
		pr.add(n, "routing needs at least a default rule")
	}
}

var providerRefs = []string{"account_manager", "support", "developer_support"}

func validRef(ref string, p *Policy) string {
	kind, id, ok := strings.Cut(ref, ":")
	switch {
	case !ok:
		return fmt.Sprintf("contact %q must look like team:<id> or provider:<account_manager|support|developer_support>", ref)
	case kind == "team":
		if p.Team[id] == nil {
			return fmt.Sprintf("contact %q: there is no team entry with id %q", ref, id)
		}
	case kind == "provider":
		if !containsFold(providerRefs, id) {
			return fmt.Sprintf("contact %q: use provider:account_manager, provider:support or provider:developer_support", ref)
		}
	default:
		return fmt.Sprintf("contact %q must start with team: or provider:", ref)
	}
	return ""
}

// check validates what only makes sense once everything is read.
func (pr *parser) check(p *Policy) {
	for sev, t := range p.SLA {
		if t.Response <= 0 || t.Resolution <= 0 || t.Update <= 0 {
			pr.add(nil, "sla %s needs response, resolution and update greater than zero", sev)
		}
	}
}
