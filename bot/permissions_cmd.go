package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/paybot/paybot/incidents"
)

// Forgetter is optionally implemented by the Searcher: it removes what
// Learner added.
type Forgetter interface {
	// ForgetAnswer removes the community answer learned for question;
	// removing one that does not exist is no error.
	ForgetAnswer(ctx context.Context, question string) error
	// ForgetIncident removes the past incident ref from the index; a ref
	// that was never indexed is no error.
	ForgetIncident(ctx context.Context, ref string) error
}

func (e *Engine) registerPermissionCommands() {
	e.register(&command{name: "forget", usage: "/payissue forget <question>",
		help: "remove a community answer (incident managers; in a thread also its lead)", run: e.cmdForget})
}

// cmdForget removes a community answer. Outside a thread only incident
// managers may; in an incident's thread its lead may too (the permission
// matrix, ActRemoveAnswer).
func (e *Engine) cmdForget(ctx context.Context, r *reply, args string) error {
	f, ok := e.kb.(Forgetter)
	if !ok {
		return userErrorf("The knowledge base can't remove answers in this setup.")
	}
	question := strings.TrimSpace(args)
	if question == "" {
		return userErrorf("Which answer? Give its question: /payissue forget <question>.")
	}
	inc, _ := e.threadIncident(ctx, r.ev.Conversation)
	roles := e.policy.RolesOf(r.ev.User, inc, r.ev.At)
	st, hasLead := incidents.StatusOpen, false
	if inc != nil {
		st, hasLead = inc.Status, inc.Roles.Lead != nil
	}
	if ok, who := incidents.Can(incidents.ActRemoveAnswer, roles, st, hasLead); !ok {
		return userErrorf("Sorry, only %s can remove a community answer.", who.Names())
	}
	if err := f.ForgetAnswer(ctx, question); err != nil {
		return err
	}
	r.say(KindText, fmt.Sprintf("Removed the community answer to %q.", question))
	return nil
}

// unindexTrivial removes a past incident whose resolution says nothing
// useful (it was indexed when it opened, for suggestions).
func (e *Engine) unindexTrivial(ctx context.Context, inc *incidents.Incident) {
	if f, ok := e.kb.(Forgetter); ok {
		if err := f.ForgetIncident(ctx, inc.Ref); err != nil {
			e.log.Warn("removing a trivially resolved incident from the index", "incident", inc.Ref, "err", err)
		}
	}
}
