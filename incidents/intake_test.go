package incidents

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var reporter = User{Platform: "slack", ID: "U1", Name: "ana"}

type walker struct {
	t    *testing.T
	f    *Flow
	inc  *Incident
	now  time.Time
	tl   []TimelineEntry
	last IntakeResult
}

func newWalker(t *testing.T) *walker {
	f := DefaultFlow()
	inc := New("checkout failing", reporter, Conversation{Platform: "slack", Channel: "C1"}, testNow)
	w := &walker{t: t, f: f, inc: inc, now: testNow}
	if s := f.Start(inc); s == nil || s.ID != StepCategory {
		t.Fatalf("Start = %+v", s)
	}
	return w
}

// say sends text and checks the result kind and the step now awaited.
func (w *walker) say(text string, kind IntakeResultKind, step string) IntakeResult {
	w.t.Helper()
	w.now = w.now.Add(time.Second)
	r := w.f.Answer(w.inc, reporter, text, w.now, testLoc)
	w.tl = append(w.tl, r.Timeline...)
	w.last = r
	got := ""
	if r.Step != nil {
		got = r.Step.ID
	}
	if r.Kind != kind || got != step {
		w.t.Fatalf("say %q: got %v at %q (err %v), want %v at %q", text, r.Kind, got, r.Err, kind, step)
	}
	if (r.Kind == Reasked || r.Kind == NotInIntake) != (r.Err != nil) {
		w.t.Fatalf("say %q: kind %v with err %v", text, r.Kind, r.Err)
	}
	if c := w.f.Current(w.inc); step != "" && (c == nil || c.ID != step) {
		w.t.Fatalf("say %q: Current = %+v, want %q", text, c, step)
	}
	return r
}

func TestIntakeFullWalk(t *testing.T) {
	w := newWalker(t)
	w.say("9", Reasked, StepCategory)
	w.say("skip", Reasked, StepCategory) // required
	w.say("back", Reasked, StepCategory) // nothing before
	w.say("1", Asked, StepProvider)
	w.say("Stripe", Asked, StepEnvironment)
	w.say("back", Asked, StepProvider)
	if w.inc.Details.Provider != "stripe" {
		t.Fatalf("back lost the provider: %+v", w.inc.Details)
	}
	w.say("adyen", Asked, StepEnvironment)
	w.say("moon", Reasked, StepEnvironment)
	w.say("prod", Asked, StepStartedAt)
	w.say("tomorrow", Reasked, StepStartedAt)
	w.say("20 min ago", Asked, StepImpact)
	w.say("lots", Reasked, StepImpact)
	w.say("30%", Asked, StepErrorMessages)
	w.say("skip", Asked, StepTransactionIDs)
	w.say("4242 4242 4242 4242", Reasked, StepTransactionIDs)
	if !strings.Contains(w.last.Err.Error(), "card number") {
		t.Fatalf("card refusal: %v", w.last.Err)
	}
	w.say("back", Asked, StepErrorMessages)
	w.say("issuer response code 05, do_not_honor", Asked, StepTransactionIDs)
	w.say("ch_3NxYz, pi_123", Asked, StepPaymentMethods)
	w.say("/skip", Asked, StepStepsTaken)
	w.say("restarted the workers", Summary, StepConfirm)

	d := w.inc.Details
	if d.Category != CategoryDeclines || d.Provider != "adyen" || d.Environment != EnvProduction ||
		d.StartedAt == nil || d.StartedAt.Sub(testNow.Add(-20*time.Minute)).Abs() > time.Minute ||
		d.Impact != (Impact{Kind: ImpactPercent, Percent: 30}) || len(d.Codes) != 2 ||
		strings.Join(d.TransactionIDs, ",") != "ch_3NxYz,pi_123" || d.PaymentMethods != nil ||
		d.StepsTaken != "restarted the workers" || strings.Join(d.Skipped, ",") != StepPaymentMethods {
		t.Fatalf("details = %+v", d)
	}
	sum := w.f.Summary(w.inc)
	for _, want := range []string{"Category: Failed transactions / declines", "Provider: Adyen", "Environment: Production",
		"Impact: 30% failing", "Codes: iso8583:05, stripe:do_not_honor", "Transaction ids: ch_3NxYz, pi_123",
		"Payment methods: skipped", "Steps taken: restarted the workers", "Started: 2026-11-26 15:10 CET"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}

	// Edit from the summary: pick the step by number, then by name.
	w.say("maybe", Reasked, StepConfirm)
	r := w.say("edit", Edit, EditStepID)
	if len(r.Step.Choices) != 9 || r.Step.Choices[1].Value != StepProvider {
		t.Fatalf("edit choices = %+v", r.Step.Choices)
	}
	w.say("42", Reasked, EditStepID)
	w.say("back", Summary, StepConfirm)
	w.say("edit", Edit, EditStepID)
	w.say("5", Asked, StepImpact)
	w.say("200%", Reasked, StepImpact)
	w.say("all", Summary, StepConfirm)
	w.say("edit provider", Asked, StepProvider)
	w.say("back", Summary, StepConfirm) // abandons the edit, keeps the answer
	if w.inc.Details.Provider != "adyen" {
		t.Fatalf("abandoned edit changed the provider")
	}
	w.say("edit nonsense", Reasked, StepConfirm)
	w.say("change the payment methods", Asked, StepPaymentMethods)
	w.say("visa, apple pay", Summary, StepConfirm)
	if len(w.inc.Details.Skipped) != 0 {
		t.Fatalf("skipped not cleared: %v", w.inc.Details.Skipped)
	}
	if w.inc.Status != StatusIntake || w.inc.Severity != SevUnknown {
		t.Fatalf("opened too early")
	}

	w.say("yes", Opened, "")
	if w.inc.Status != StatusOpen || w.inc.Severity != Sev1 || w.inc.OpenedAt == nil || w.f.Current(w.inc) != nil {
		t.Fatalf("after yes: %v %v %v", w.inc.Status, w.inc.Severity, w.inc.OpenedAt)
	}
	tl := w.last.Timeline
	if len(tl) != 2 || tl[0].Kind != EventSeverity || tl[0].Data["to"] != "SEV1" || tl[1].Kind != EventStatus || tl[1].Data["to"] != "open" {
		t.Fatalf("final timeline = %+v", tl)
	}
	w.say("hello", NotInIntake, "")

	// Every accepted answer was recorded, with its step.
	answers := map[string]int{}
	for _, e := range w.tl {
		if e.Kind == EventAnswer {
			answers[e.Data["step"]]++
			if e.IncidentID != w.inc.ID || e.Actor != reporter || e.At.IsZero() {
				t.Fatalf("bad entry %+v", e)
			}
		}
	}
	wantAnswers := map[string]int{StepCategory: 1, StepProvider: 2, StepEnvironment: 1, StepStartedAt: 1, StepImpact: 2,
		StepErrorMessages: 2, StepTransactionIDs: 1, StepPaymentMethods: 2, StepStepsTaken: 1}
	for k, v := range wantAnswers {
		if answers[k] != v {
			t.Errorf("answers for %s = %d, want %d (%v)", k, answers[k], v, answers)
		}
	}
}

func TestIntakeCancel(t *testing.T) {
	w := newWalker(t)
	w.say("declines", Asked, StepProvider)
	r := w.say("cancel", Cancelled, "")
	if w.inc.Status != StatusCancelled || len(r.Timeline) != 1 || r.Timeline[0].Data["to"] != "cancelled" {
		t.Fatalf("cancel: %v %+v", w.inc.Status, r.Timeline)
	}
	if w.inc.Details.Category != CategoryDeclines {
		t.Fatal("cancel lost the details")
	}
	w.say("yes", NotInIntake, "")
}

func TestIntakeSeverityOverridden(t *testing.T) {
	w := newWalker(t)
	for _, a := range []string{"security", "stripe", "sandbox", "now", "unknown", "skip", "skip", "skip", "skip"} {
		w.f.Answer(w.inc, reporter, a, w.now, testLoc)
	}
	if c := w.f.Current(w.inc); c == nil || c.ID != StepConfirm {
		t.Fatalf("not at confirm: %+v", c)
	}
	w.inc.SetSeverity(Sev3, reporter, "judged by on-call", w.now)
	r := w.say("Y", Opened, "")
	if w.inc.Severity != Sev3 || len(r.Timeline) != 1 || r.Timeline[0].Kind != EventStatus {
		t.Fatalf("override lost: %v %+v", w.inc.Severity, r.Timeline)
	}
}

func TestIntakeNotStartedAndStaleStep(t *testing.T) {
	f := DefaultFlow()
	inc := New("x", reporter, Conversation{}, testNow)
	if f.Current(inc) != nil {
		t.Fatal("Current before Start")
	}
	r := f.Answer(inc, reporter, "1", testNow, testLoc)
	if r.Kind != Asked || r.Step.ID != StepCategory {
		t.Fatalf("answer before start: %+v", r)
	}
	// The flow changed under a running intake.
	f.Answer(inc, reporter, "1", testNow, testLoc)
	inc.Intake.Step = "gone"
	r = f.Answer(inc, reporter, "x", testNow, testLoc)
	if r.Kind != Asked || r.Step.ID != StepProvider {
		t.Fatalf("stale step: %+v", r)
	}
}

// A flow without a confirm step opens when its last step is answered, and
// answers to custom steps land in Details.Extra.
func TestIntakeCustomFlow(t *testing.T) {
	f := &Flow{Steps: []Step{
		{ID: "store", Label: "Store", Kind: KindChoice, Prompt: "Store?", Required: true, Choices: []Choice{{Value: "eu", Label: "EU"}, {Value: "us", Label: "US"}}},
		{ID: "note", Kind: KindText, Prompt: "Note?"},
	}}
	inc := New("x", reporter, Conversation{}, testNow)
	f.Start(inc)
	if r := f.Answer(inc, reporter, "us", testNow, nil); r.Kind != Asked {
		t.Fatalf("%+v", r)
	}
	if got := f.Summary(inc); got != "Store: US" {
		t.Fatalf("summary %q", got)
	}
	r := f.Answer(inc, reporter, "hello", testNow, nil)
	if r.Kind != Opened || inc.Details.Extra["store"] != "US" || inc.Details.Extra["note"] != "hello" || len(r.Timeline) != 3 {
		t.Fatalf("%+v %+v", r, inc.Details)
	}
}

func TestIntakeStateSurvivesJSON(t *testing.T) {
	w := newWalker(t)
	w.say("2", Asked, StepProvider)
	w.say("worldpay", Asked, StepEnvironment)
	b, err := json.Marshal(w.inc)
	if err != nil {
		t.Fatal(err)
	}
	var inc Incident
	if err := json.Unmarshal(b, &inc); err != nil {
		t.Fatal(err)
	}
	w.inc = &inc
	w.say("back", Asked, StepProvider)
	w.say("Worldpay", Asked, StepEnvironment)
}

func TestDetailsApply(t *testing.T) {
	var d Details
	d.Apply(Answer{Step: StepStepsTaken, Display: "a"})
	d.Apply(Answer{Step: StepStepsTaken, Skipped: true})
	d.Apply(Answer{Step: "custom", Display: "x"})
	d.Apply(Answer{Step: StepImpact, Display: "oops"}) // no Impact: a custom step reusing the id
	d.Apply(Answer{Step: StepConfirm, Values: []string{"yes"}})
	if d.StepsTaken != "" || len(d.Skipped) != 1 || d.Extra["custom"] != "x" || d.Extra[StepImpact] != "oops" || d.Extra[StepConfirm] != "" {
		t.Fatalf("%+v", d)
	}
	d.Apply(Answer{Step: "custom", Skipped: true})
	if _, ok := d.Extra["custom"]; ok || len(d.Skipped) != 2 {
		t.Fatalf("%+v", d)
	}
}

func TestDefaultFlowIDs(t *testing.T) {
	want := []string{"category", "provider", "environment", "started_at", "impact", "error_messages",
		"transaction_ids", "payment_methods", "steps_taken", "confirm"}
	f := DefaultFlow()
	if len(f.Steps) != len(want) {
		t.Fatalf("%d steps", len(f.Steps))
	}
	for i, s := range f.Steps {
		if s.ID != want[i] || s.Prompt == "" || s.Example == "" {
			t.Errorf("step %d = %+v", i, s)
		}
	}
	f.Steps[0].Prompt = "changed"
	if DefaultFlow().Steps[0].Prompt == "changed" {
		t.Fatal("DefaultFlow shares state")
	}
}

func BenchmarkFlowAnswer(b *testing.B) {
	f := DefaultFlow()
	replies := []string{"declines", "stripe", "prod", "10 min ago", "30%", "response code 05 do_not_honor, HTTP 502",
		"ch_3NxYz, pi_123", "visa, apple pay", "restarted", "yes"}
	b.ReportAllocs()
	for b.Loop() {
		inc := New("x", reporter, Conversation{}, testNow)
		f.Start(inc)
		for _, r := range replies {
			f.Answer(inc, reporter, r, testNow, testLoc)
		}
		if inc.Status != StatusOpen {
			b.Fatal("not opened")
		}
	}
}
