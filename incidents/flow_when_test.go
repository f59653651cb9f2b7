package incidents

import (
	"errors"
	"strings"
	"testing"
)

// TestIntakeQuestionsByCategory: payout problems and security concerns are
// not asked what share of payments is failing, nor which payment methods;
// changing the category from the summary drops or asks those questions.
func TestIntakeQuestionsByCategory(t *testing.T) {
	for _, tc := range []struct {
		category string
		steps    []string // asked after category, up to confirm
	}{
		{"payouts", []string{StepProvider, StepEnvironment, StepStartedAt, StepErrorMessages, StepTransactionIDs, StepStepsTaken}},
		{"security", []string{StepProvider, StepEnvironment, StepStartedAt, StepErrorMessages, StepTransactionIDs, StepStepsTaken}},
		{"declines", []string{StepProvider, StepEnvironment, StepStartedAt, StepImpact, StepErrorMessages, StepTransactionIDs, StepPaymentMethods, StepStepsTaken}},
		{"other", []string{StepProvider, StepEnvironment, StepStartedAt, StepImpact, StepErrorMessages, StepTransactionIDs, StepPaymentMethods, StepStepsTaken}},
	} {
		t.Run(tc.category, func(t *testing.T) {
			w := newWalker(t)
			answers := map[string]string{StepProvider: "stripe", StepEnvironment: "production", StepStartedAt: "10 min ago",
				StepImpact: "all", StepErrorMessages: "skip", StepTransactionIDs: "skip", StepPaymentMethods: "visa", StepStepsTaken: "skip"}
			next := tc.steps[0]
			w.say(tc.category, Asked, next)
			for i, s := range tc.steps {
				if n, total := w.f.Position(w.inc, s); n != i+2 || total != len(tc.steps)+2 {
					t.Errorf("%s is %d/%d, want %d/%d", s, n, total, i+2, len(tc.steps)+2)
				}
				want, kind := StepConfirm, Summary
				if i+1 < len(tc.steps) {
					want, kind = tc.steps[i+1], Asked
				}
				w.say(answers[s], kind, want)
			}
		})
	}

	// Declines with impact "all" (SEV1 material), then edited to payouts:
	// the impact and payment methods are dropped, and the severity is not
	// taken from a question that no longer applies.
	w := newWalker(t)
	for _, a := range []string{"declines", "stripe", "production", "now", "all", "skip", "skip", "visa", "skip"} {
		w.f.Answer(w.inc, reporter, a, w.now, testLoc)
	}
	w.say("edit category", Asked, StepCategory)
	w.say("payouts", Summary, StepConfirm)
	if w.inc.Details.Impact.Kind != "" || len(w.inc.Details.PaymentMethods) != 0 {
		t.Errorf("answers to questions that no longer apply kept: %+v", w.inc.Details)
	}
	if sum := w.f.Summary(w.inc); strings.Contains(sum, "Impact") || strings.Contains(sum, "Payment methods") {
		t.Errorf("summary shows dropped answers:\n%s", sum)
	}
	// Back to declines: the impact is asked (it is required) before the
	// summary comes back; payment methods too.
	w.say("edit category", Asked, StepCategory)
	w.say("declines", Asked, StepImpact)
	w.say("60%", Asked, StepPaymentMethods)
	w.say("skip", Summary, StepConfirm)
	w.say("yes", Opened, "")
	if w.inc.Severity != Sev1 {
		t.Errorf("severity %s, want SEV1 from 60%%", w.inc.Severity)
	}
}

func TestFlowYAMLWhen(t *testing.T) {
	good := `intake:
  - category
  - provider
  - id: payout_ids
    prompt: Which payouts are late? Payout ids or dates and amounts.
    kind: text
    when: {category: payouts}
  - id: impact
    when: {}
`
	f, err := ParseFlowYAML([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if s := f.Step("payout_ids"); s == nil || len(s.When.Category) != 1 || s.When.Category[0] != "payouts" {
		t.Errorf("when not read: %+v", s)
	}
	if s := f.Step(StepImpact); s == nil || !s.When.IsZero() {
		t.Errorf("when: {} did not clear the default condition: %+v", s)
	}

	bad := `intake:
  - id: early
    prompt: Asked before the category?
    kind: text
    when: {category: payouts}
  - category
  - id: a
    prompt: A?
    kind: text
    when: {category: [payuts, fraud, nonsense]}
  - id: b
    prompt: B?
    kind: text
    when: {categroy: payouts}
  - id: c
    prompt: C?
    kind: text
    when: payouts
`
	_, err = ParseFlowYAML([]byte(bad))
	var fe FlowErrors
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{
		"line 5: step early: when: category, but the category is asked later",
		`line 10: step a: unknown category "payuts" in when: (did you mean payouts?)`,
		`line 10: step a: when: category "fraud" is a label or alias; the intake stores "security"`,
		`line 10: step a: unknown category "nonsense" in when: (known: declines, timeouts, integration, security, payouts, other)`,
		`line 14: unknown when field "categroy", did you mean category?`,
		"line 18: when must be a mapping",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}

// TestFlowYAMLInheritedConditions: a default step taken into a flow with
// its own categories keeps only the categories that flow offers, and is
// always asked when none is left; no problem is reported for a when: the
// file does not contain.
func TestFlowYAMLInheritedConditions(t *testing.T) {
	f, err := ParseFlowYAML([]byte(`intake:
  - id: category
    kind: choice
    prompt: What is it?
    choices: [refunds, declines]
  - impact
  - payment_methods
`))
	if err != nil {
		t.Fatal(err)
	}
	if s := f.Step(StepImpact); strings.Join(s.When.Category, ",") != "declines" {
		t.Errorf("impact when = %v, want [declines]", s.When.Category)
	}
	f, err = ParseFlowYAML([]byte(`intake:
  - id: category
    kind: choice
    prompt: What is it?
    choices: [refunds, chargebacks]
  - impact
`))
	if err != nil {
		t.Fatal(err)
	}
	if s := f.Step(StepImpact); !s.When.IsZero() {
		t.Errorf("impact when = %v, want none", s.When.Category)
	}
}
