package incidents

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a flow. Line is the 1-based line in the
// YAML file, or 0 when unknown (a flow built in code).
type Problem struct {
	Line int
	// Col is the 1-based column in the YAML file, or 0 when unknown.
	Col int
	Msg string
	// Warning marks a setting that works but is probably not what was
	// meant: config check reports it and still passes.
	Warning bool
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Msg)
	}
	return p.Msg
}

// FlowErrors lists every problem found in a flow, ordered by line, so that
// `paybot config check` can print them all at once. It matches ErrInvalid
// under errors.Is.
type FlowErrors []Problem

func (e FlowErrors) Error() string {
	if len(e) == 1 {
		return "intake flow: " + e[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "intake flow: %d problems:", len(e))
	for _, p := range e {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalid) recognise a bad flow.
func (e FlowErrors) Unwrap() error { return ErrInvalid }

// stepFields are the keys a step may have in YAML.
var stepFields = []string{"id", "label", "prompt", "kind", "required", "choices", "allow_other", "example", "pattern", "when"}

var kindAliases = map[string]StepKind{
	"choice": KindChoice, "single-choice": KindChoice, "single_choice": KindChoice,
	"multi-choice": KindMulti, "multi_choice": KindMulti, "multichoice": KindMulti, "multi": KindMulti,
	"text": KindText, "list": KindList, "time": KindTime, "datetime": KindTime,
	"percent": KindPercent, "percentage": KindPercent, "confirm": KindConfirm,
}

// flowLines remembers where each step and field came from in the YAML.
type flowLines struct {
	steps []stepLines
}

type stepLines struct {
	line    int
	fields  map[string]int
	choices []int
}

func (l *flowLines) step(i int) int {
	if l == nil || i >= len(l.steps) {
		return 0
	}
	return l.steps[i].line
}

func (l *flowLines) field(i int, name string) int {
	if l == nil || i >= len(l.steps) {
		return 0
	}
	if n, ok := l.steps[i].fields[name]; ok {
		return n
	}
	return l.steps[i].line
}

func (l *flowLines) choice(i, j int) int {
	if l == nil || i >= len(l.steps) || j >= len(l.steps[i].choices) {
		return l.field(i, "choices")
	}
	return l.steps[i].choices[j]
}

var reYAMLLine = regexp.MustCompile(`line (\d+)`)

// ParseFlowYAML reads an intake flow from YAML. The steps sit under the
// `intake:` key (as a list, or as `intake: {steps: [...]}`), or under a
// top-level `steps:` key; other top-level keys are ignored, so the flow can
// live in the main config file. A step is a mapping with id, label, prompt,
// kind, required, choices, allow_other, example and pattern. A step that
// names a default step id (see DefaultFlow) starts from the default and
// overrides only the fields given; a bare id (`- provider`) takes the
// default step as is, so a config can reorder the default steps. A flow
// without a confirm step gets the default one appended.
//
// All problems are returned at once as FlowErrors with YAML line numbers.
func ParseFlowYAML(data []byte) (*Flow, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		line := 0
		if m := reYAMLLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, fmt.Sprintf("line %d: ", line))
		return nil, FlowErrors{{Line: line, Msg: "YAML syntax: " + msg}}
	}
	if len(root.Content) == 0 {
		return nil, FlowErrors{{Line: 1, Msg: "the file is empty; expected an intake: or steps: key"}}
	}
	doc := root.Content[0]
	seq, probs := findSteps(doc)
	if seq == nil {
		return nil, FlowErrors(probs)
	}
	f := &Flow{}
	lines := &flowLines{}
	for _, item := range seq.Content {
		s, sl, p := decodeStep(item)
		probs = append(probs, p...)
		f.Steps = append(f.Steps, s)
		lines.steps = append(lines.steps, sl)
	}
	if len(f.Steps) > 0 && f.confirmID() == "" {
		f.Steps = append(f.Steps, defaultConfirmStep())
		lines.steps = append(lines.steps, stepLines{line: seq.Line})
	}
	f.fitInheritedConditions(lines)
	probs = append(probs, f.problems(lines, seq.Line)...)
	if len(probs) > 0 {
		sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
		return nil, FlowErrors(probs)
	}
	return f, nil
}

// findSteps locates the sequence of steps in the document.
func findSteps(doc *yaml.Node) (*yaml.Node, []Problem) {
	switch doc.Kind {
	case yaml.SequenceNode:
		return doc, nil
	case yaml.MappingNode:
	default:
		return nil, []Problem{{Line: doc.Line, Msg: "expected a mapping with an intake: or steps: key"}}
	}
	if v := mapValue(doc, "intake"); v != nil {
		switch v.Kind {
		case yaml.SequenceNode:
			return v, nil
		case yaml.MappingNode:
			if s := mapValue(v, "steps"); s != nil {
				if s.Kind == yaml.SequenceNode {
					return s, nil
				}
				return nil, []Problem{{Line: s.Line, Msg: "intake.steps must be a list of steps"}}
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				if k := v.Content[i].Value; k != "steps" {
					return nil, []Problem{{Line: v.Content[i].Line, Msg: fmt.Sprintf("unknown key %q under intake (expected steps)", k)}}
				}
			}
			return nil, []Problem{{Line: v.Line, Msg: "intake has no steps"}}
		}
		return nil, []Problem{{Line: v.Line, Msg: "intake must be a list of steps, or a mapping with steps:"}}
	}
	if s := mapValue(doc, "steps"); s != nil {
		if s.Kind == yaml.SequenceNode {
			return s, nil
		}
		return nil, []Problem{{Line: s.Line, Msg: "steps must be a list of steps"}}
	}
	return nil, []Problem{{Line: doc.Line, Msg: "no intake steps found: expected an intake: or steps: key"}}
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func decodeStep(n *yaml.Node) (Step, stepLines, []Problem) {
	sl := stepLines{line: n.Line, fields: map[string]int{}}
	var probs []Problem
	switch n.Kind {
	case yaml.ScalarNode:
		if d, ok := DefaultStep(n.Value); ok {
			return d, sl, nil
		}
		return Step{ID: n.Value}, sl, []Problem{{Line: n.Line, Msg: fmt.Sprintf("%q is not a default step; give a mapping with id, prompt and kind", n.Value)}}
	case yaml.MappingNode:
	default:
		return Step{}, sl, []Problem{{Line: n.Line, Msg: "a step must be a mapping (id, prompt, kind…) or the id of a default step"}}
	}
	// First pass: the id and kind decide the starting point.
	vals := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !contains(stepFields, k.Value) {
			probs = append(probs, Problem{Line: k.Line, Msg: fmt.Sprintf("unknown step field %q (known: %s)", k.Value, strings.Join(stepFields, ", "))})
			continue
		}
		if _, dup := vals[k.Value]; dup {
			probs = append(probs, Problem{Line: k.Line, Msg: fmt.Sprintf("field %q given twice", k.Value)})
			continue
		}
		vals[k.Value] = v
		sl.fields[k.Value] = k.Line
	}
	str := func(name string) (string, bool) {
		v, ok := vals[name]
		if !ok {
			return "", false
		}
		if v.Kind != yaml.ScalarNode {
			probs = append(probs, Problem{Line: v.Line, Msg: fmt.Sprintf("%s must be a plain value", name)})
			return "", false
		}
		return v.Value, true
	}
	boolean := func(name string) (bool, bool) {
		v, ok := vals[name]
		if !ok {
			return false, false
		}
		var b bool
		if v.Kind != yaml.ScalarNode || v.Decode(&b) != nil {
			probs = append(probs, Problem{Line: v.Line, Msg: fmt.Sprintf("%s must be true or false", name)})
			return false, false
		}
		return b, true
	}

	var s Step
	id, _ := str("id")
	kindText, hasKind := str("kind")
	kind := StepKind(kindText)
	if k, ok := kindAliases[strings.ToLower(strings.TrimSpace(kindText))]; ok {
		kind = k
	}
	if d, ok := DefaultStep(id); ok && (!hasKind || kind == d.Kind) {
		s = d
	} else {
		s.ID = id
	}
	if hasKind {
		s.Kind = kind
	}
	if v, ok := str("label"); ok {
		s.Label = v
	}
	if v, ok := str("prompt"); ok {
		s.Prompt = v
	}
	if v, ok := str("example"); ok {
		s.Example = v
	}
	if v, ok := str("pattern"); ok {
		s.Pattern = v
	}
	if v, ok := boolean("required"); ok {
		s.Required = v
	}
	if v, ok := boolean("allow_other"); ok {
		s.AllowOther = v
	}
	if wn, ok := vals["when"]; ok {
		w, p := decodeCondition(wn)
		probs = append(probs, p...)
		s.When = w
	}
	if cn, ok := vals["choices"]; ok {
		s.Choices = nil
		if cn.Kind != yaml.SequenceNode {
			probs = append(probs, Problem{Line: cn.Line, Msg: "choices must be a list"})
		} else {
			for _, c := range cn.Content {
				ch, p := decodeChoice(c)
				probs = append(probs, p...)
				s.Choices = append(s.Choices, ch)
				sl.choices = append(sl.choices, c.Line)
			}
		}
	}
	return s, sl, probs
}

var choiceFields = []string{"value", "label", "aliases"}

func decodeChoice(n *yaml.Node) (Choice, []Problem) {
	switch n.Kind {
	case yaml.ScalarNode:
		return Choice{Value: n.Value, Label: n.Value}, nil
	case yaml.MappingNode:
	default:
		return Choice{}, []Problem{{Line: n.Line, Msg: "a choice must be a plain value or a mapping with value, label and aliases"}}
	}
	var c Choice
	var probs []Problem
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "value", "label":
			if v.Kind != yaml.ScalarNode {
				probs = append(probs, Problem{Line: v.Line, Msg: fmt.Sprintf("choice %s must be a plain value", k.Value)})
				continue
			}
			if k.Value == "value" {
				c.Value = v.Value
			} else {
				c.Label = v.Value
			}
		case "aliases":
			var al []string
			if err := v.Decode(&al); err != nil {
				probs = append(probs, Problem{Line: v.Line, Msg: "choice aliases must be a list of words"})
				continue
			}
			c.Aliases = al
		default:
			probs = append(probs, Problem{Line: k.Line, Msg: fmt.Sprintf("unknown choice field %q (known: %s)", k.Value, strings.Join(choiceFields, ", "))})
		}
	}
	if c.Value == "" && c.Label != "" {
		c.Value = c.Label
	}
	return c, probs
}

var reStepID = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Validate checks a flow: steps with ids (lower-case letters, digits and _),
// unique ids, known kinds, prompts, choices for choice steps, compilable
// patterns, and exactly one confirm step, last. It returns FlowErrors with
// every problem, or nil.
func (f *Flow) Validate() error {
	if p := f.problems(nil, 0); len(p) > 0 {
		return FlowErrors(p)
	}
	return nil
}

func (f *Flow) problems(lines *flowLines, seqLine int) []Problem {
	var probs []Problem
	add := func(line int, format string, args ...any) {
		probs = append(probs, Problem{Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	if len(f.Steps) == 0 {
		add(seqLine, "the flow has no steps")
		return probs
	}
	firstAt := map[string]int{}
	confirms := 0
	for i, s := range f.Steps {
		name := s.ID
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		switch {
		case s.ID == "":
			add(lines.step(i), "step %d has no id", i+1)
		case !reStepID.MatchString(s.ID):
			add(lines.field(i, "id"), "step id %q: use lower-case letters, digits and _, starting with a letter (at most 64)", s.ID)
		case IsReservedStepID(s.ID):
			// Answers live in Details.Extra by step id; these names are
			// Paybot's own incident state (state.go).
			add(lines.field(i, "id"), "step id %q is reserved for Paybot's own incident state; choose another id, for example %q", s.ID, s.ID+"_answer")
		}
		if s.ID != "" {
			if j, dup := firstAt[s.ID]; dup {
				if l := lines.step(j); l > 0 {
					add(lines.field(i, "id"), "duplicate step id %q (first at line %d)", s.ID, l)
				} else {
					add(lines.field(i, "id"), "duplicate step id %q", s.ID)
				}
			} else {
				firstAt[s.ID] = i
			}
		}
		known := true
		switch s.Kind {
		case KindChoice, KindMulti, KindText, KindList, KindTime, KindPercent:
		case KindConfirm:
			confirms++
			if i != len(f.Steps)-1 {
				add(lines.field(i, "kind"), "step %s: the confirm step must be the last step", name)
			}
		case "":
			known = false
			add(lines.step(i), "step %s has no kind (use choice, multi-choice, text, list, time, percent or confirm)", name)
		default:
			known = false
			add(lines.field(i, "kind"), "step %s: unknown kind %q (use choice, multi-choice, text, list, time, percent or confirm)", name, s.Kind)
		}
		if strings.TrimSpace(s.Prompt) == "" {
			add(lines.step(i), "step %s has no prompt", name)
		}
		isChoice := s.Kind == KindChoice || s.Kind == KindMulti
		if isChoice && len(s.Choices) == 0 {
			add(lines.step(i), "step %s is a %s step but has no choices", name, s.Kind)
		}
		if known && !isChoice && len(s.Choices) > 0 {
			add(lines.field(i, "choices"), "step %s has choices, but a %s step does not use them", name, s.Kind)
		}
		if s.AllowOther && known && s.Kind != KindChoice {
			add(lines.field(i, "allow_other"), "step %s: allow_other works only on choice steps", name)
		}
		seenVal := map[string]bool{}
		for j, c := range s.Choices {
			switch {
			case strings.TrimSpace(c.Value) == "":
				add(lines.choice(i, j), "step %s: choice %d has no value", name, j+1)
			case seenVal[normKey(c.Value)]:
				add(lines.choice(i, j), "step %s: choice %q appears twice", name, c.Value)
			}
			seenVal[normKey(c.Value)] = true
		}
		if s.Pattern != "" {
			if _, err := regexp.Compile(s.Pattern); err != nil {
				add(lines.field(i, "pattern"), "step %s: bad pattern: %s", name, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			} else if known && s.Kind != KindText && s.Kind != KindList && !(s.Kind == KindChoice && s.AllowOther) {
				add(lines.field(i, "pattern"), "step %s: pattern works only on text, list and allow_other choice steps", name)
			}
		}
	}
	probs = append(probs, f.conditionProblems(lines)...)
	switch {
	case confirms == 0:
		add(seqLine, "the flow has no confirm step (kind: confirm) at the end")
	case confirms > 1:
		add(seqLine, "the flow has %d confirm steps; it needs exactly one, at the end", confirms)
	}
	if len(f.Steps) == 1 && confirms == 1 {
		add(seqLine, "the flow asks nothing before confirm")
	}
	return probs
}
