package incidents

import (
	"fmt"
	"strings"
	"time"
)

// IntakeResultKind says what Flow.Answer did with a reply.
type IntakeResultKind int

const (
	// Asked: the answer was accepted and the next step is asked.
	Asked IntakeResultKind = iota + 1
	// Reasked: the reply was refused (Err says why); the same step waits.
	Reasked
	// Summary: all steps are answered; the confirm step shows Flow.Summary.
	Summary
	// Opened: the reporter confirmed; the incident is open and its severity
	// computed.
	Opened
	// Cancelled: the reporter cancelled; the incident is cancelled.
	Cancelled
	// Edit: the reporter wants to change an answer; Step asks which one.
	Edit
	// NotInIntake: the incident is not in intake (already open or
	// cancelled); nothing changed.
	NotInIntake
)

func (k IntakeResultKind) String() string {
	switch k {
	case Asked:
		return "asked"
	case Reasked:
		return "reasked"
	case Summary:
		return "summary"
	case Opened:
		return "opened"
	case Cancelled:
		return "cancelled"
	case Edit:
		return "edit"
	case NotInIntake:
		return "not-in-intake"
	}
	return fmt.Sprintf("IntakeResultKind(%d)", int(k))
}

// IntakeResult is the outcome of one reply during intake.
type IntakeResult struct {
	Kind IntakeResultKind
	// Step is the step now awaiting an answer (nil when Opened, Cancelled
	// or NotInIntake). It is a copy; changing it changes nothing.
	Step *Step
	// Err explains a refused reply (Kind Reasked).
	Err *AnswerError
	// Timeline holds the entries to append atomically with the incident
	// (answers, severity, status).
	Timeline []TimelineEntry
}

// EditStepID is the id of the pseudo step that asks which answer to change.
// Flow ids cannot start with an underscore, so it never clashes.
const EditStepID = "_edit"

// Intake commands.
const (
	CmdSkip   = "skip"
	CmdBack   = "back"
	CmdCancel = "cancel"
)

// Start positions inc at the first step and returns it. Answers already in
// inc.Details are kept.
func (f *Flow) Start(inc *Incident) *Step {
	first := f.nextApplicable(inc, -1)
	if first == nil {
		return nil
	}
	inc.Intake = IntakeState{Step: first.ID}
	s := *first
	return &s
}

// Current returns the step inc awaits, or nil when inc is not in intake or
// not started.
func (f *Flow) Current(inc *Incident) *Step {
	if inc.Status != StatusIntake || inc.Intake.Step == "" {
		return nil
	}
	if inc.Intake.Step == EditStepID {
		s := f.editStep(inc)
		return &s
	}
	if s := f.Step(inc.Intake.Step); s != nil {
		c := *s
		return &c
	}
	return nil
}

// confirmID is the id of the flow's confirm step, or "".
func (f *Flow) confirmID() string {
	for i := len(f.Steps) - 1; i >= 0; i-- {
		if f.Steps[i].Kind == KindConfirm {
			return f.Steps[i].ID
		}
	}
	return ""
}

// editStep is the choice of answered steps offered after "edit".
func (f *Flow) editStep(inc *Incident) Step {
	s := Step{
		ID:       EditStepID,
		Label:    "Edit",
		Prompt:   "Which answer do you want to change? Reply with its number or name, or back to return to the summary.",
		Kind:     KindChoice,
		Required: true,
	}
	for _, st := range f.editable(inc) {
		s.Choices = append(s.Choices, Choice{Value: st.ID, Label: st.Title(), Aliases: []string{st.ID}})
	}
	if len(s.Choices) > 0 {
		s.Example = "1, or " + s.Choices[0].Value
	}
	return s
}

// editable lists the steps that were answered or skipped, in flow order.
func (f *Flow) editable(inc *Incident) []Step {
	visited := map[string]bool{}
	for _, id := range inc.Intake.History {
		visited[id] = true
	}
	var out []Step
	for _, st := range f.Steps {
		if st.Kind != KindConfirm && visited[st.ID] {
			out = append(out, st)
		}
	}
	return out
}

// Answer applies a reply (already redacted) to inc's current step and
// moves the intake on. It changes inc in place (Details, Intake, Status,
// Severity) and returns the timeline entries that record the change; the
// caller stores both together. Commands: "skip" (optional steps only),
// "back" (the previous step again), "cancel" (the incident is cancelled).
// At the confirm step "yes" opens the incident and "edit" or "edit <step>"
// changes one answer and comes back to the summary. A refused reply never
// loses earlier answers. A reply to an intake that was never started starts
// it (Kind Asked, the first step) without using the text.
func (f *Flow) Answer(inc *Incident, actor User, text string, now time.Time, loc *time.Location) IntakeResult {
	if inc.Status != StatusIntake {
		return IntakeResult{Kind: NotInIntake, Err: &AnswerError{Reason: fmt.Sprintf("This incident is %s, not in intake.", inc.Status)}}
	}
	if len(f.Steps) == 0 {
		return IntakeResult{Kind: Reasked, Err: &AnswerError{Reason: "The intake flow has no steps; please tell an admin."}}
	}
	if inc.Intake.Step == "" {
		return IntakeResult{Kind: Asked, Step: f.Start(inc)}
	}
	cur := f.Current(inc)
	if cur == nil {
		// The flow changed under a running intake: resume at the first
		// step not answered yet.
		return f.resume(inc)
	}
	cmd := strings.ToLower(strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(text), "/!")))
	cmd = strings.TrimRight(cmd, ".!")
	// A "did you mean" question lasts one reply.
	pending := inc.Intake.Pending
	inc.Intake.Pending = nil

	switch cmd {
	case CmdCancel, "abort", "cancel incident":
		return f.cancel(inc, actor, now)
	case CmdBack, "go back", "previous":
		return f.back(inc, cur)
	case CmdSkip, "pass":
		if cur.Kind == KindConfirm || cur.ID == EditStepID {
			break // handled below as an ordinary (wrong) reply
		}
		if cur.Required {
			return reask(cur, &AnswerError{Step: cur.ID, Reason: "This question is required and cannot be skipped.", Example: cur.Example})
		}
		a := Answer{Step: cur.ID, Display: "skipped", Skipped: true}
		inc.Details.Apply(a)
		e := TimelineEntry{IncidentID: inc.ID, At: now, Actor: actor, Kind: EventAnswer, Text: "skipped",
			Data: map[string]string{"step": cur.ID, "skipped": "true"}}
		inc.UpdatedAt = now
		return f.advance(inc, cur, []TimelineEntry{e}, actor, now)
	}

	if cur.ID == EditStepID {
		i := matchChoice(cur.Choices, text)
		if i < 0 {
			return reask(cur, &AnswerError{Step: cur.ID, Reason: fmt.Sprintf("Pick one of: %s.", choiceList(cur.Choices)), Example: cur.Example})
		}
		return f.editTo(inc, cur.Choices[i].Value)
	}

	text, kept, asked := f.nearMiss(inc, pending, cur, text)
	if asked != nil {
		return *asked
	}
	var a Answer
	if kept != nil {
		a = *kept
	} else {
		var err error
		if a, err = cur.Parse(text, now, loc); err != nil {
			return reask(cur, err.(*AnswerError))
		}
	}

	if cur.Kind == KindConfirm {
		if a.Values[0] == "yes" {
			return f.open(inc, actor, now)
		}
		if len(a.Values) > 1 {
			target := f.findEditable(inc, a.Values[1])
			if target == "" {
				ch := f.editStep(inc)
				return reask(cur, &AnswerError{Step: cur.ID, Reason: fmt.Sprintf("There is no answer %q to edit. Pick one of: %s.", clip(a.Values[1], 30), choiceList(ch.Choices)), Example: "edit provider"})
			}
			return f.editTo(inc, target)
		}
		inc.Intake.Step = EditStepID
		s := f.editStep(inc)
		return IntakeResult{Kind: Edit, Step: &s}
	}

	inc.Details.Apply(a)
	inc.UpdatedAt = now
	e := TimelineEntry{IncidentID: inc.ID, At: now, Actor: actor, Kind: EventAnswer, Text: a.Display,
		Data: map[string]string{"step": cur.ID}}
	return f.advance(inc, cur, []TimelineEntry{e}, actor, now)
}

func reask(cur *Step, err *AnswerError) IntakeResult {
	return IntakeResult{Kind: Reasked, Step: cur, Err: err}
}

// findEditable resolves "provider", "2" or "Error messages" to the id of an
// answered step.
func (f *Flow) findEditable(inc *Incident, target string) string {
	es := f.editStep(inc)
	for _, p := range []string{"the ", "my ", "step "} {
		target = strings.TrimPrefix(target, p)
	}
	if i := matchChoice(es.Choices, target); i >= 0 {
		return es.Choices[i].Value
	}
	return ""
}

// editTo asks step id again and returns to the confirm step after it.
func (f *Flow) editTo(inc *Incident, id string) IntakeResult {
	inc.Intake.ReturnTo = f.confirmID()
	inc.Intake.Step = id
	return IntakeResult{Kind: Asked, Step: f.Current(inc)}
}

// advance records cur as answered and moves to the next step, or back to
// the summary when an edit is in progress.
func (f *Flow) advance(inc *Incident, cur *Step, tl []TimelineEntry, actor User, now time.Time) IntakeResult {
	st := &inc.Intake
	if n := len(st.History); n == 0 || st.History[n-1] != cur.ID {
		if !contains(st.History, cur.ID) {
			st.History = append(st.History, cur.ID)
		}
	}
	f.dropInapplicable(inc)
	var next *Step
	if st.ReturnTo != "" {
		if m := f.firstMissing(inc); m != nil {
			next = m // a step the edit made applicable; ReturnTo stays
		} else {
			next = f.Step(st.ReturnTo)
			st.ReturnTo = ""
		}
	}
	if next == nil {
		next = f.nextApplicable(inc, f.Index(cur.ID))
	}
	if next == nil {
		// A flow without a confirm step opens when the last step is answered.
		r := f.open(inc, actor, now)
		r.Timeline = append(tl, r.Timeline...)
		return r
	}
	st.Step = next.ID
	n := *next
	if n.Kind == KindConfirm {
		return IntakeResult{Kind: Summary, Step: &n, Timeline: tl}
	}
	return IntakeResult{Kind: Asked, Step: &n, Timeline: tl}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// back re-asks the step answered before cur. During an edit, back returns
// to the summary.
func (f *Flow) back(inc *Incident, cur *Step) IntakeResult {
	st := &inc.Intake
	if st.ReturnTo != "" || cur.ID == EditStepID {
		to := st.ReturnTo
		if to == "" {
			to = f.confirmID()
		}
		st.ReturnTo = ""
		st.Step = to
		return IntakeResult{Kind: Summary, Step: f.Current(inc)}
	}
	// History holds the answered steps in order; the step before cur is
	// the last one in History that comes before cur in the flow.
	ci := f.Index(cur.ID)
	for len(st.History) > 0 {
		prev := st.History[len(st.History)-1]
		st.History = st.History[:len(st.History)-1]
		if pi := f.Index(prev); pi >= 0 && (pi < ci || ci < 0) {
			st.Step = prev
			return IntakeResult{Kind: Asked, Step: f.Current(inc)}
		}
	}
	return reask(cur, &AnswerError{Step: cur.ID, Reason: "This is the first question; there is nothing to go back to.", Example: cur.Example})
}

func (f *Flow) cancel(inc *Incident, actor User, now time.Time) IntakeResult {
	e, err := inc.Transition(StatusCancelled, actor, now)
	if err != nil {
		return IntakeResult{Kind: Reasked, Step: f.Current(inc), Err: &AnswerError{Step: inc.Intake.Step, Reason: "This incident cannot be cancelled now."}}
	}
	inc.Intake.Step = ""
	inc.Intake.ReturnTo = ""
	return IntakeResult{Kind: Cancelled, Timeline: []TimelineEntry{e}}
}

// open confirms the intake: severity (unless someone set it by hand), then
// status open.
func (f *Flow) open(inc *Incident, actor User, now time.Time) IntakeResult {
	prevSev, prevOverridden := inc.Severity, inc.SeverityOverridden
	var tl []TimelineEntry
	if !inc.SeverityOverridden {
		tl = append(tl, inc.SetSeverity(ComputeSeverity(inc.Details), actor, "computed", now))
	}
	e, err := inc.Transition(StatusOpen, actor, now)
	if err != nil {
		inc.Severity, inc.SeverityOverridden = prevSev, prevOverridden
		return IntakeResult{Kind: Reasked, Step: f.Current(inc), Err: &AnswerError{Step: inc.Intake.Step, Reason: "This incident cannot be opened now."}}
	}
	inc.Intake.Step = ""
	inc.Intake.ReturnTo = ""
	return IntakeResult{Kind: Opened, Timeline: append(tl, e)}
}

func (f *Flow) resume(inc *Incident) IntakeResult {
	for _, s := range f.Steps {
		if !contains(inc.Intake.History, s.ID) && applies(s, inc) {
			inc.Intake.Step = s.ID
			inc.Intake.ReturnTo = ""
			c := s
			if c.Kind == KindConfirm {
				return IntakeResult{Kind: Summary, Step: &c}
			}
			return IntakeResult{Kind: Asked, Step: &c}
		}
	}
	return IntakeResult{Kind: Asked, Step: f.Start(inc)}
}

// Summary renders the collected details as plain text, one "Label: value"
// line per answered or skipped step, in flow order.
func (f *Flow) Summary(inc *Incident) string {
	d := &inc.Details
	var b strings.Builder
	for _, s := range f.Steps {
		if s.Kind == KindConfirm {
			continue
		}
		v := f.displayValue(s, d)
		if v == "" {
			if contains(d.Skipped, s.ID) {
				v = "skipped"
			} else {
				continue
			}
		}
		fmt.Fprintf(&b, "%s: %s\n", s.Title(), v)
		if s.ID == StepErrorMessages && len(d.Codes) > 0 {
			codes := make([]string, len(d.Codes))
			for i, c := range d.Codes {
				codes[i] = c.String()
			}
			fmt.Fprintf(&b, "Codes: %s\n", strings.Join(codes, ", "))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// displayValue reads back the stored answer to s, or "" when there is none.
func (f *Flow) displayValue(s Step, d *Details) string {
	label := func(v string) string {
		for _, c := range s.Choices {
			if c.Value == v {
				return choiceLabel(c)
			}
		}
		switch {
		case s.ID == StepProvider:
			return GatewayName(v)
		case s.Kind == KindMulti:
			return otherLabel(v) // a method kept by name under Other
		}
		return v
	}
	oneLine := func(t string) string { return clip(strings.Join(strings.Fields(t), " "), 300) }
	switch detailField(s) {
	case StepCategory:
		return label(d.Category)
	case StepProvider:
		return label(d.Provider)
	case StepEnvironment:
		return label(d.Environment)
	case StepStartedAt:
		if d.StartedAt != nil {
			return d.StartedAt.Format("2006-01-02 15:04 MST")
		}
		return ""
	case StepImpact:
		return d.Impact.String()
	case StepErrorMessages:
		return oneLine(d.ErrorMessages)
	case StepTransactionIDs:
		return strings.Join(d.TransactionIDs, ", ")
	case StepPaymentMethods:
		var l []string
		for _, v := range d.PaymentMethods {
			l = append(l, label(v))
		}
		return strings.Join(l, ", ")
	case StepStepsTaken:
		return oneLine(d.StepsTaken)
	}
	return oneLine(d.Extra[s.ID])
}

// detailField names the Details field a step fills: its id when the id is
// a default step id and the kind fits that field, otherwise "" (Extra).
func detailField(s Step) string {
	switch s.ID {
	case StepCategory, StepProvider, StepEnvironment:
		if s.Kind == KindChoice {
			return s.ID
		}
	case StepStartedAt:
		if s.Kind == KindTime {
			return s.ID
		}
	case StepImpact:
		if s.Kind == KindPercent {
			return s.ID
		}
	case StepErrorMessages, StepStepsTaken:
		return s.ID
	case StepTransactionIDs:
		if s.Kind == KindList {
			return s.ID
		}
	case StepPaymentMethods:
		if s.Kind == KindMulti {
			return s.ID
		}
	}
	return ""
}

// Apply stores an answer in the Details field named by its step id:
// category, provider, environment (the choice value, or the typed text for
// a provider not in the list), started_at, impact, error_messages (and the
// codes found in it), transaction_ids, payment_methods, steps_taken. Any
// other step goes into Extra as its Display text. A skipped answer clears
// the field and is listed in Skipped; an answer removes its step from
// Skipped. Answers to confirm carry nothing and are ignored.
func (d *Details) Apply(a Answer) {
	if a.Step == "" || a.Step == StepConfirm {
		return
	}
	first := ""
	if len(a.Values) > 0 {
		first = a.Values[0]
	}
	field := a.Step
	switch a.Step {
	case StepCategory, StepProvider, StepEnvironment:
		if !a.Skipped && first == "" {
			field = ""
		}
	case StepStartedAt:
		if !a.Skipped && a.Time == nil {
			field = ""
		}
	case StepImpact:
		if !a.Skipped && a.Impact == nil {
			field = ""
		}
	case StepTransactionIDs, StepPaymentMethods:
		if !a.Skipped && len(a.Values) == 0 {
			field = ""
		}
	case StepErrorMessages, StepStepsTaken:
	default:
		field = ""
	}
	d.Skipped = remove(d.Skipped, a.Step)
	if a.Skipped {
		d.Skipped = append(d.Skipped, a.Step)
	}
	switch field {
	case StepCategory:
		d.Category = first
	case StepProvider:
		d.Provider = first
	case StepEnvironment:
		d.Environment = first
	case StepStartedAt:
		if a.Time != nil {
			t := *a.Time
			d.StartedAt = &t
		} else {
			d.StartedAt = nil
		}
	case StepImpact:
		if a.Impact != nil {
			d.Impact = *a.Impact
		} else {
			d.Impact = Impact{}
		}
	case StepErrorMessages:
		if a.Skipped {
			d.ErrorMessages, d.Codes = "", nil
		} else {
			d.ErrorMessages, d.Codes = a.Display, a.Codes
		}
	case StepTransactionIDs:
		d.TransactionIDs = append([]string(nil), a.Values...)
	case StepPaymentMethods:
		d.PaymentMethods = append([]string(nil), a.Values...)
	case StepStepsTaken:
		if a.Skipped {
			d.StepsTaken = ""
		} else {
			d.StepsTaken = a.Display
		}
	default:
		if a.Skipped {
			delete(d.Extra, a.Step)
			return
		}
		if d.Extra == nil {
			d.Extra = map[string]string{}
		}
		d.Extra[a.Step] = a.Display
	}
}

func remove(list []string, s string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
