package incidents

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseFlowYAMLCustom(t *testing.T) {
	data, err := os.ReadFile("testdata/flow_custom.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFlowYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range f.Steps {
		ids = append(ids, s.ID)
	}
	want := []string{"category", "provider", "started_at", "impact", "store", "ticket", "confirm"}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("ids = %v, want %v", ids, want)
	}
	if def, _ := DefaultStep(StepCategory); !reflect.DeepEqual(f.Steps[0], def) {
		t.Errorf("a bare id should give the default step")
	}
	p := f.Steps[1]
	if p.Kind != KindChoice || !p.Required || !p.AllowOther || len(p.Choices) != 2 || p.Prompt != "Which gateway? (we mostly use Adyen)" {
		t.Errorf("provider override = %+v", p)
	}
	if a, err := p.Parse("stripe.com", testNow, testLoc); err != nil || a.Values[0] != "stripe" {
		t.Errorf("alias from YAML: %+v %v", a, err)
	}
	if a, err := p.Parse("adyen", testNow, testLoc); err != nil || a.Values[0] != "Adyen" {
		t.Errorf("plain choice from YAML: %+v %v", a, err)
	}
	if f.Steps[5].Pattern != `^\d{3,}$` || f.Steps[5].Example != "48213" || f.Steps[5].Required {
		t.Errorf("ticket = %+v", f.Steps[5])
	}
	if f.Steps[6].Kind != KindConfirm {
		t.Errorf("confirm not appended")
	}
	if err := f.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestParseFlowYAMLForms(t *testing.T) {
	for name, src := range map[string]string{
		"top-level steps": "steps:\n  - category\n  - provider\n",
		"intake list":     "intake:\n  - category\n  - provider\n  - confirm\n",
		"intake.steps":    "other: 1\nintake:\n  steps:\n    - category\n    - provider\n",
	} {
		f, err := ParseFlowYAML([]byte(src))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(f.Steps) != 3 || f.Steps[2].ID != StepConfirm {
			t.Errorf("%s: %d steps", name, len(f.Steps))
		}
	}
}

func TestParseFlowYAMLErrors(t *testing.T) {
	data, err := os.ReadFile("testdata/flow_errors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseFlowYAML(data)
	var fe FlowErrors
	if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want FlowErrors", err)
	}
	want := []Problem{
		{Line: 5, Msg: `step id "Category": use lower-case letters`},
		{Line: 9, Msg: `step store: unknown kind "dropdown"`},
		{Line: 11, Msg: `step region is a choice step but has no choices`},
		{Line: 16, Msg: `step ticket: bad pattern: missing closing ]`},
		{Line: 18, Msg: `step notes has no prompt`},
		{Line: 20, Msg: `duplicate step id "store" (first at line 8)`},
		{Line: 23, Msg: `unknown step field "colour"`},
		{Line: 29, Msg: `unknown choice field "icon"`},
	}
	if len(fe) != len(want) {
		t.Errorf("got %d problems, want %d:\n%v", len(fe), len(want), err)
	}
	for i := 0; i < len(want) && i < len(fe); i++ {
		if fe[i].Line != want[i].Line || !strings.Contains(fe[i].Msg, want[i].Msg) {
			t.Errorf("problem %d = %v, want line %d: %s", i, fe[i], want[i].Line, want[i].Msg)
		}
	}
	if !strings.Contains(err.Error(), "line 23: unknown step field") {
		t.Errorf("Error() = %s", err)
	}
}

func TestParseFlowYAMLSmallErrors(t *testing.T) {
	tests := []struct {
		src  string
		line int
		msg  string
	}{
		{"intake: [category\n", 1, "YAML syntax"},
		{"", 1, "empty"},
		{"bot: {name: x}\n", 1, "no intake steps"},
		{"intake: 3\n", 1, "intake must be a list"},
		{"intake:\n  stepz: []\n", 2, `unknown key "stepz"`},
		{"steps: []\n", 1, "no steps"},
		{"steps:\n  - nonsense\n", 2, `"nonsense" is not a default step`},
		{"steps:\n  - [a, b]\n", 2, "must be a mapping"},
		{"steps:\n  - id: x\n    kind: text\n    prompt: X\n    required: maybe\n", 5, "required must be true or false"},
		{"steps:\n  - id: x\n    kind: text\n    prompt: X\n    choices: [a]\n", 5, "does not use them"},
		{"steps:\n  - id: x\n    kind: time\n    prompt: X\n    allow_other: true\n", 5, "allow_other works only"},
		{"steps:\n  - id: x\n    kind: choice\n    prompt: X\n    choices: [a, A]\n", 5, `choice "A" appears twice`},
		{"steps:\n  - id: x\n    kind: confirm\n    prompt: X\n  - category\n", 3, "must be the last"},
		{"steps:\n  - id: x\n    prompt: X\n", 2, "has no kind"},
		{"steps:\n  - id: x\n    id: y\n    kind: text\n    prompt: X\n", 3, "given twice"},
		{"steps:\n  - kind: text\n    prompt: X\n", 2, "has no id"},
		{"steps:\n  - id: x\n    kind: percent\n    prompt: X\n    pattern: a\n", 5, "pattern works only"},
		{"steps:\n  - confirm\n", 2, "asks nothing"},
	}
	for _, tt := range tests {
		_, err := ParseFlowYAML([]byte(tt.src))
		var fe FlowErrors
		if !errors.As(err, &fe) {
			t.Errorf("%q: err = %v, want FlowErrors", tt.src, err)
			continue
		}
		found := false
		for _, p := range fe {
			if p.Line == tt.line && strings.Contains(p.Msg, tt.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: got %v, want line %d: %s", tt.src, err, tt.line, tt.msg)
		}
	}
}

func TestValidateInCode(t *testing.T) {
	if err := DefaultFlow().Validate(); err != nil {
		t.Fatalf("default flow: %v", err)
	}
	f := &Flow{Steps: []Step{{ID: "a", Kind: KindText, Prompt: "A"}, {ID: "a", Kind: KindText, Prompt: "A"}}}
	err := f.Validate()
	var fe FlowErrors
	if !errors.As(err, &fe) || len(fe) != 2 || fe[0].Line != 0 || !strings.Contains(err.Error(), "duplicate") || !strings.Contains(err.Error(), "no confirm") {
		t.Fatalf("Validate = %v", err)
	}
	if err := (&Flow{}).Validate(); err == nil {
		t.Fatal("empty flow valid")
	}
}

// A kind given for a default id replaces the default step instead of
// merging into it.
func TestParseFlowYAMLReplaceDefault(t *testing.T) {
	f, err := ParseFlowYAML([]byte("steps:\n  - id: provider\n    kind: text\n    prompt: Gateway name?\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := f.Steps[0]; s.Kind != KindText || len(s.Choices) != 0 || s.AllowOther || s.Required {
		t.Fatalf("provider = %+v", s)
	}
}

// TestReservedStepIDs: an intake step may not take an id that Paybot uses for
// its own incident state, or its answer would be taken for (or erased by)
// escalation state.
func TestReservedStepIDs(t *testing.T) {
	for _, id := range []string{"acked_by", "resolution", "root_cause", "escalations", "escalation_level", "clock_start", "responded_at", "reopens", "resolved_by", "sla"} {
		yml := "intake:\n  - category\n  - id: " + id + "\n    kind: text\n    prompt: Who?\n  - confirm\n"
		_, err := ParseFlowYAML([]byte(yml))
		if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("step id %q: err = %v, want a reserved-id problem on line 3", id, err)
		}
	}
	// The default flow and ordinary custom ids stay valid.
	if err := DefaultFlow().Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFlowYAML([]byte("intake:\n  - category\n  - id: acked_by_answer\n    kind: text\n    prompt: Who?\n  - confirm\n")); err != nil {
		t.Errorf("acked_by_answer: %v", err)
	}
}
