package incidents

import (
	"fmt"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents/textutil"
)

// StepKind says how an intake answer is parsed.
type StepKind string

const (
	KindChoice  StepKind = "choice"
	KindMulti   StepKind = "multi-choice"
	KindText    StepKind = "text"
	KindList    StepKind = "list"
	KindTime    StepKind = "time"
	KindPercent StepKind = "percent"
	// KindConfirm shows the summary and takes "yes" or "edit".
	KindConfirm StepKind = "confirm"
)

// Choice is one option of a choice or multi-choice step.
type Choice struct {
	Value   string   `yaml:"value" json:"value"`
	Label   string   `yaml:"label" json:"label"`
	Aliases []string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
}

// Step is one question of the intake. Flows are data: the default flow is
// built in and a YAML file can replace or reorder it.
type Step struct {
	ID string `yaml:"id" json:"id"`
	// Label is the short name of the answer in the summary ("Provider").
	// When empty, it is derived from ID.
	Label    string   `yaml:"label,omitempty" json:"label,omitempty"`
	Prompt   string   `yaml:"prompt" json:"prompt"`
	Kind     StepKind `yaml:"kind" json:"kind"`
	Required bool     `yaml:"required" json:"required"`
	Choices  []Choice `yaml:"choices,omitempty" json:"choices,omitempty"`
	// AllowOther lets a choice step take free text that matches no choice
	// (a gateway that is not in the list).
	AllowOther bool `yaml:"allow_other,omitempty" json:"allow_other,omitempty"`
	// Example is shown when an answer is refused.
	Example string `yaml:"example,omitempty" json:"example,omitempty"`
	// Pattern, when set, is a regular expression every text or list item
	// must match.
	Pattern string `yaml:"pattern,omitempty" json:"pattern,omitempty"`
	// When limits the step to some categories (see Condition).
	When Condition `yaml:"when,omitempty" json:"when,omitempty"`
}

// Title is the step's Label, or a readable form of its ID
// ("error_messages" becomes "Error messages").
func (s Step) Title() string {
	if s.Label != "" {
		return s.Label
	}
	t := strings.TrimSpace(strings.NewReplacer("_", " ", "-", " ").Replace(s.ID))
	if t == "" {
		return s.ID
	}
	return textutil.UpperFirst(t)
}

// Flow is the ordered list of intake steps. Its methods never change the
// flow, so one Flow may serve many intakes at once; all intake state lives
// in Incident.Intake and Incident.Details.
type Flow struct {
	Steps []Step `yaml:"steps" json:"steps"`
}

// Index returns the position of the step with id, or -1.
func (f *Flow) Index(id string) int {
	for i := range f.Steps {
		if f.Steps[i].ID == id {
			return i
		}
	}
	return -1
}

// Step returns the step with id, or nil.
func (f *Flow) Step(id string) *Step {
	if i := f.Index(id); i >= 0 {
		return &f.Steps[i]
	}
	return nil
}

// Answer is a validated answer to one step.
type Answer struct {
	Step    string `json:"step"`
	Display string `json:"display"` // how the answer reads back in the summary
	// Values holds the choice values of a choice or multi-choice step, or the
	// items of a list step.
	Values  []string   `json:"values,omitempty"`
	Time    *time.Time `json:"time,omitempty"`
	Impact  *Impact    `json:"impact,omitempty"`
	Codes   []Code     `json:"codes,omitempty"`
	Skipped bool       `json:"skipped,omitempty"`
}

// AnswerError explains why an answer was refused and shows what would fit.
// It matches ErrInvalid under errors.Is.
type AnswerError struct {
	Step    string
	Reason  string
	Example string
}

func (e *AnswerError) Error() string {
	if e.Example == "" {
		return e.Reason
	}
	return fmt.Sprintf("%s For example: %s", e.Reason, e.Example)
}

// Unwrap lets errors.Is(err, ErrInvalid) recognise a refused answer.
func (e *AnswerError) Unwrap() error { return ErrInvalid }
