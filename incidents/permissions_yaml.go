package incidents

import (
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// incidentManagers reads incident_managers: team ids or team roles. An
// entry that names neither can never make anyone a manager, so it is an
// error (config check shows it with its line).
func (pr *parser) incidentManagers(n *yaml.Node, p *Policy) {
	p.IncidentManagers = pr.strs(n)
	nodes := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		nodes = n.Content
	}
	for _, v := range nodes {
		if v.Kind != yaml.ScalarNode {
			continue
		}
		found := false
		var known []string
		for _, c := range p.Team {
			known = append(known, c.ID)
			if c.Role != "" {
				known = append(known, c.Role)
			}
			if strings.EqualFold(c.ID, v.Value) || (c.Role != "" && strings.EqualFold(c.Role, v.Value)) {
				found = true
			}
		}
		if !found {
			sort.Strings(known)
			pr.add(v, "incident_managers: %q is neither a team id nor a team role%s", v.Value, didYouMean(v.Value, known))
		}
	}
}
