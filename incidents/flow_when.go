package incidents

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Condition limits an intake step to some incidents, so that a payout
// problem is not asked what share of payments is failing. A zero Condition
// always holds.
type Condition struct {
	// Category lists category values (the values of the category step's
	// choices). The step is asked only when the incident's category is one
	// of them, or while the category is not known yet.
	Category []string `yaml:"category,omitempty" json:"category,omitempty"`
}

// IsZero reports whether c always holds.
func (c Condition) IsZero() bool { return len(c.Category) == 0 }

// Holds reports whether a step with condition c is asked for details d.
func (c Condition) Holds(d *Details) bool {
	if len(c.Category) == 0 || d == nil || d.Category == "" {
		return true
	}
	return containsFold(c.Category, d.Category)
}

// applies reports whether step s is asked for inc.
func applies(s Step, inc *Incident) bool { return s.When.Holds(&inc.Details) }

// nextApplicable returns the first step after index from (-1: from the
// start) that is asked for inc, or nil.
func (f *Flow) nextApplicable(inc *Incident, from int) *Step {
	for i := from + 1; i < len(f.Steps); i++ {
		if applies(f.Steps[i], inc) {
			return &f.Steps[i]
		}
	}
	return nil
}

// firstMissing returns the first step asked for inc that was never
// answered or skipped (not the confirm step), or nil. After an edit that
// changes the category, a step that now applies is asked before the
// summary comes back.
func (f *Flow) firstMissing(inc *Incident) *Step {
	for i, s := range f.Steps {
		if s.Kind != KindConfirm && applies(s, inc) && !contains(inc.Intake.History, s.ID) {
			return &f.Steps[i]
		}
	}
	return nil
}

// dropInapplicable forgets the answers to steps that no longer apply (the
// category changed), so that a stale impact cannot set the severity and
// the summary shows only what was asked.
func (f *Flow) dropInapplicable(inc *Incident) {
	for _, s := range f.Steps {
		if s.Kind == KindConfirm || applies(s, inc) {
			continue
		}
		if contains(inc.Intake.History, s.ID) || contains(inc.Details.Skipped, s.ID) || f.displayValue(s, &inc.Details) != "" {
			inc.Details.Apply(Answer{Step: s.ID, Skipped: true})
			inc.Details.Skipped = remove(inc.Details.Skipped, s.ID)
			inc.Intake.History = remove(inc.Intake.History, s.ID)
		}
	}
}

// Position returns the 1-based number of step id among the steps asked for
// inc, and how many are asked, for "(3/8)" in a question. Steps whose
// condition fails are not counted; n is 0 for a step that is not asked.
func (f *Flow) Position(inc *Incident, id string) (n, total int) {
	for _, s := range f.Steps {
		if !applies(s, inc) {
			continue
		}
		total++
		if s.ID == id {
			n = total
		}
	}
	return n, total
}

// decodeCondition reads a step's when: mapping, for example
// `when: {category: [declines, timeouts]}`.
func decodeCondition(n *yaml.Node) (Condition, []Problem) {
	var c Condition
	if n.Kind != yaml.MappingNode {
		return c, []Problem{{Line: n.Line, Col: n.Column, Msg: "when must be a mapping, for example when: {category: [declines, timeouts]}"}}
	}
	var probs []Problem
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value != "category" {
			probs = append(probs, Problem{Line: k.Line, Col: k.Column, Msg: fmt.Sprintf("unknown when field %q%s (known: category)", k.Value, didYouMean(k.Value, []string{"category"}))})
			continue
		}
		vals := scalars(v)
		if len(vals) == 0 || (v.Kind != yaml.ScalarNode && len(vals) != len(v.Content)) {
			probs = append(probs, Problem{Line: v.Line, Col: v.Column, Msg: "when: category takes a category value or a list of them"})
			continue
		}
		for _, x := range vals {
			c.Category = append(c.Category, x.Value)
		}
	}
	return c, probs
}

// conditionProblems checks the when: conditions: only categories the
// category step offers, never on the confirm step, and never before the
// category is asked.
func (f *Flow) conditionProblems(lines *flowLines) []Problem {
	var probs []Problem
	catIdx := f.Index(StepCategory)
	var cats []string
	var catStep *Step
	if catIdx >= 0 && detailField(f.Steps[catIdx]) == StepCategory {
		catStep = &f.Steps[catIdx]
		for _, ch := range catStep.Choices {
			cats = append(cats, ch.Value)
		}
	}
	for i, s := range f.Steps {
		if s.When.IsZero() {
			continue
		}
		line := lines.field(i, "when")
		add := func(format string, args ...any) {
			probs = append(probs, Problem{Line: line, Msg: fmt.Sprintf("step %s: ", s.ID) + fmt.Sprintf(format, args...)})
		}
		switch {
		case s.Kind == KindConfirm:
			add("the confirm step is always asked; remove when:")
			continue
		case catStep == nil:
			add("when: category needs a category choice step, and the flow has none")
			continue
		case i < catIdx:
			add("when: category, but the category is asked later (step %d), so it is not known yet", catIdx+1)
			continue
		}
		for _, v := range s.When.Category {
			if containsFold(cats, v) {
				continue
			}
			if j := matchChoiceExact(catStep.Choices, v); j >= 0 {
				add("when: category %q is a label or alias; the intake stores %q, so write that", v, catStep.Choices[j].Value)
			} else if near := Nearest(v, cats); near != "" {
				add("unknown category %q in when: (did you mean %s?); the step would never be asked for it", v, near)
			} else {
				add("unknown category %q in when: (known: %s)", v, strings.Join(cats, ", "))
			}
		}
	}
	return probs
}

// fitInheritedConditions adapts the conditions that steps took over from
// the default flow (a step named by id, without its own when:) to the
// categories this flow offers: categories it does not offer are dropped,
// and a condition left with none is removed, so the step is always asked.
// Conditions written in the file are kept as written and validated.
func (f *Flow) fitInheritedConditions(lines *flowLines) {
	var cats []string
	if i := f.Index(StepCategory); i >= 0 && detailField(f.Steps[i]) == StepCategory {
		for _, c := range f.Steps[i].Choices {
			cats = append(cats, c.Value)
		}
	}
	for i := range f.Steps {
		s := &f.Steps[i]
		if s.When.IsZero() || (i < len(lines.steps) && lines.steps[i].fields["when"] > 0) {
			continue
		}
		var keep []string
		for _, c := range s.When.Category {
			if containsFold(cats, c) {
				keep = append(keep, c)
			}
		}
		s.When.Category = keep
	}
}
