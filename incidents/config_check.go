package incidents

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// CheckConfig finds what ParseFlowYAML and ParsePolicyYAML accept one by
// one but that can never work together: routing rules that can never match
// or never fire, and providers the intake offers with nobody to call. data
// is the whole config file; flow and p are what it parsed to (each without
// problems). Problems carry the line and column of the value at fault;
// Warning ones are reported without failing the check.
//
// Errors:
//   - a routing match on a category, provider or environment that the
//     intake never stores ("securty", "strpe"), with the nearest value;
//   - a rule that comes after a rule matching every incident;
//   - a ladder wait of 0s (negative ones are refused by the parser).
//
// Warnings:
//   - a provider offered by the intake that has no contacts under
//     providers: while a ladder engages provider:… contacts;
//   - a routing match on a provider that is neither offered nor
//     configured: it matches only a name someone types by hand.
func CheckConfig(data []byte, flow *Flow, p *Policy) []Problem {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil // the parsers report these
	}
	if flow == nil {
		flow = DefaultFlow()
	}
	if p == nil {
		p = DefaultPolicy()
	}
	root := doc.Content[0]
	c := &checker{flow: flow, policy: p}
	if n := mapValue(root, "routing"); n != nil && n.Kind == yaml.SequenceNode {
		c.routing(n)
	}
	c.providerContacts(root)
	sort.SliceStable(c.probs, func(i, j int) bool {
		if c.probs[i].Line != c.probs[j].Line {
			return c.probs[i].Line < c.probs[j].Line
		}
		return c.probs[i].Col < c.probs[j].Col
	})
	return c.probs
}

type checker struct {
	flow   *Flow
	policy *Policy
	probs  []Problem
}

func (c *checker) add(n *yaml.Node, warning bool, format string, args ...any) {
	c.probs = append(c.probs, Problem{Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...), Warning: warning})
}

// scalars returns the value nodes of a scalar or a list of scalars.
func scalars(n *yaml.Node) []*yaml.Node {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value == "" {
			return nil
		}
		return []*yaml.Node{n}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, c := range n.Content {
			if c.Kind == yaml.ScalarNode {
				out = append(out, c)
			}
		}
		return out
	}
	return nil
}

// choiceValues are the values a choice step stores, or nil when the flow
// has no such choice step.
func (c *checker) choiceValues(stepID string) ([]string, *Step) {
	s := c.flow.Step(stepID)
	if s == nil || detailField(*s) != stepID {
		return nil, s
	}
	vals := make([]string, len(s.Choices))
	for i, ch := range s.Choices {
		vals[i] = ch.Value
	}
	return vals, s
}

func (c *checker) routing(seq *yaml.Node) {
	catchAll := ""
	catchAllLine := 0
	for i, rn := range seq.Content {
		if rn.Kind != yaml.MappingNode {
			continue
		}
		name := fmt.Sprintf("rule %d", i+1)
		if v := mapValue(rn, "name"); v != nil && v.Value != "" {
			name = v.Value
		}
		if catchAll != "" {
			c.add(rn, false, "routing rule %q can never fire: rule %q (line %d) before it matches every incident", name, catchAll, catchAllLine)
		}
		match := mapValue(rn, "match")
		if match == nil || (match.Kind == yaml.MappingNode && len(match.Content) == 0) {
			if catchAll == "" {
				catchAll, catchAllLine = name, rn.Line
			}
		} else if match.Kind == yaml.MappingNode {
			c.matchValues(match)
		}
		if ladder := mapValue(rn, "ladder"); ladder != nil && ladder.Kind == yaml.SequenceNode {
			for _, lv := range ladder.Content {
				if lv.Kind != yaml.MappingNode {
					continue
				}
				if w := mapValue(lv, "wait"); w != nil && w.Kind == yaml.ScalarNode {
					if d, err := ParseDuration(w.Value); err == nil && d <= 0 {
						c.add(w, false, "wait %s never gives anyone time to acknowledge: the next level is engaged at once (use at least 1m, or put the contacts in one level)", w.Value)
					}
				}
			}
		}
	}
}

func (c *checker) matchValues(match *yaml.Node) {
	if n := mapValue(match, "category"); n != nil {
		vals, step := c.choiceValues(StepCategory)
		for _, v := range scalars(n) {
			c.known(v, "category", vals, step, false)
		}
	}
	if n := mapValue(match, "environment"); n != nil {
		vals, step := c.choiceValues(StepEnvironment)
		for _, v := range scalars(n) {
			c.known(v, "environment", vals, step, false)
		}
	}
	if n := mapValue(match, "provider"); n != nil {
		vals, step := c.choiceValues(StepProvider)
		for id := range c.policy.Providers {
			if !containsFold(vals, id) {
				vals = append(vals, id)
			}
		}
		sort.Strings(vals)
		for _, v := range scalars(n) {
			c.known(v, "provider", vals, step, step != nil && step.AllowOther)
		}
	}
}

// known checks that a routing match value v is one the intake can store.
// open says the step also stores typed names, so an unknown value that is
// no near miss is only a warning.
func (c *checker) known(v *yaml.Node, what string, vals []string, step *Step, open bool) {
	if vals == nil {
		c.add(v, false, "routing matches %s %q, but the intake has no %s choice step, so it never matches", what, v.Value, what)
		return
	}
	if containsFold(vals, v.Value) {
		return
	}
	if step != nil {
		if i := matchChoiceExact(step.Choices, v.Value); i >= 0 {
			c.add(v, false, "routing matches %s %q, a label or alias; the intake stores %q, so write that", what, v.Value, step.Choices[i].Value)
			return
		}
	}
	if near := Nearest(v.Value, vals); near != "" {
		c.add(v, false, "unknown %s %q in a routing match (did you mean %s?); it would never match", what, v.Value, near)
		return
	}
	if open {
		c.add(v, true, "routing matches provider %q, which is neither a provider choice of the intake nor under providers:; it matches only when someone types that name", v.Value)
		return
	}
	c.add(v, false, "unknown %s %q in a routing match; it would never match (known: %s)", what, v.Value, strings.Join(vals, ", "))
}

// providerContacts warns once about the providers the intake offers that
// have no contacts, when some ladder engages provider contacts and the file
// configures providers, the intake or the routing.
func (c *checker) providerContacts(root *yaml.Node) {
	usesProvider := false
	for _, r := range c.policy.Routing {
		for _, l := range r.Ladder {
			for _, ref := range l.Contacts {
				if strings.HasPrefix(ref, "provider:") {
					usesProvider = true
				}
			}
		}
	}
	_, step := c.choiceValues(StepProvider)
	if !usesProvider || step == nil {
		return
	}
	var missing []string
	for _, ch := range step.Choices {
		if c.policy.Providers[strings.ToLower(ch.Value)] == nil {
			missing = append(missing, choiceLabel(ch))
		}
	}
	if len(missing) == 0 {
		return
	}
	// A file that sets none of these leaves escalation at its defaults:
	// nothing to point at, and nothing the reader chose.
	var at *yaml.Node
	for _, key := range []string{"providers", "intake", "routing"} {
		if mapValue(root, key) != nil {
			at = keyNode(root, key)
			break
		}
	}
	if at == nil {
		return
	}
	c.add(at, true, "the intake offers %s, but providers: has no contacts for %s: ladder levels with provider:support, provider:account_manager or provider:developer_support reach nobody for those incidents",
		andList(missing), map[bool]string{true: "it", false: "them"}[len(missing) == 1])
}

// keyNode returns the key node of key in mapping m (for its position).
func keyNode(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return m
}
