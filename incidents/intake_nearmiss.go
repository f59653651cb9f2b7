package incidents

import (
	"fmt"
	"strings"
)

// PendingAnswer is a near miss waiting for the reporter to confirm: they
// typed Typed at step Step, and Paybot asked "did you mean Suggested?".
type PendingAnswer struct {
	Step      string `json:"step"`
	Typed     string `json:"typed"`
	Suggested string `json:"suggested"`
}

var (
	confirmYes = []string{"yes", "y", "yeah", "yep", "yup", "correct", "right", "ok", "okay", "sure", "that one", "yes please"}
	confirmNo  = []string{"no", "n", "nope", "keep", "keep it", "as typed", "no keep it", "neither"}
)

// nearMiss handles a typo of a known gateway on a choice step that takes
// other names (the provider): instead of storing "strpe" it asks "did you
// mean Stripe?" and remembers the question in inc.Intake.Pending. The
// reply yes takes the suggestion, no (or the same text again) keeps what
// was typed, anything else is read as a new answer. p is the question
// asked by the previous reply, if any. It returns the text to
// parse (possibly the suggestion), or a result when it asked or answered.
func (f *Flow) nearMiss(inc *Incident, p *PendingAnswer, cur *Step, text string) (string, *Answer, *IntakeResult) {
	if cur.Kind != KindChoice || !cur.AllowOther {
		return text, nil, nil
	}
	reply := strings.ToLower(strings.Join(strings.Fields(strings.TrimRight(text, ".!")), " "))
	if p != nil && p.Step == cur.ID {
		switch {
		case containsFold(confirmYes, reply):
			return p.Suggested, nil, nil
		case containsFold(confirmNo, reply) || normKey(text) == normKey(p.Typed):
			t := strings.Join(strings.Fields(p.Typed), " ")
			return "", &Answer{Step: cur.ID, Display: t, Values: []string{t}}, nil
		}
	}
	if matchChoice(cur.Choices, text) >= 0 {
		return text, nil, nil
	}
	if _, ok := FindGateway(text); ok {
		return text, nil, nil
	}
	var names []string
	for _, c := range cur.Choices {
		names = append(names, choiceLabel(c))
	}
	for _, g := range KnownGateways {
		if !containsFold(names, g.Name) {
			names = append(names, g.Name)
		}
	}
	near := Nearest(text, names)
	if near == "" {
		return text, nil, nil
	}
	typed := clip(strings.Join(strings.Fields(text), " "), 40)
	inc.Intake.Pending = &PendingAnswer{Step: cur.ID, Typed: typed, Suggested: near}
	r := reask(cur, &AnswerError{Step: cur.ID,
		Reason: fmt.Sprintf("I don't know %q as a gateway; did you mean %s? Reply yes for %s, or no to keep %q as you typed it.", typed, near, near, typed)})
	return text, nil, &r
}
