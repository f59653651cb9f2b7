package bot

import (
	"context"
	"errors"
	"fmt"
	"golang.org/x/text/width"
	"strings"
	"unicode"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/textutil"
)

// CommandFunc runs one /payissue subcommand. args is the text after the
// subcommand's name.
type CommandFunc func(ctx context.Context, r *reply, args string) error

type command struct {
	name    string
	aliases []string
	usage   string
	help    string
	run     CommandFunc
}

// register adds a subcommand; later features (escalate, ack, resolve…) slot
// in here without touching the router.
func (e *Engine) register(c *command) {
	e.commands[c.name] = c
	for _, a := range c.aliases {
		e.commands[a] = c
	}
	e.order = append(e.order, c)
}

func (e *Engine) registerCoreCommands() {
	e.register(&command{name: "open", usage: "/payissue open <summary>", help: "open an incident (the same as /payissue <summary>)", run: func(ctx context.Context, r *reply, args string) error {
		return e.openIncident(ctx, r, args)
	}})
	e.register(&command{name: "help", usage: "/payissue help", help: "show this help", run: e.cmdHelp})
	e.register(&command{name: "status", usage: "/payissue status [REF]", help: "show an incident (in a thread: the thread's incident)", run: e.cmdStatus})
	e.register(&command{name: "list", usage: "/payissue list", help: "list open incidents", run: e.cmdList})
	e.register(&command{name: "severity", usage: "/payissue severity SEV1..SEV4 [REF] [why]", help: "override the computed severity", run: e.cmdSeverity})
	e.register(&command{name: "cancel", usage: "/payissue cancel [REF]", help: "cancel an incident", run: e.cmdCancel})
	e.register(&command{name: "search", aliases: []string{"ask"}, usage: "/payissue search <question>", help: "search the knowledge base", run: e.cmdSearch})
	e.register(&command{name: "learn", usage: "/payissue learn <question> :: <answer>", help: "save an answer for next time (in a thread, the last question asked there is used when you give only the answer)", run: e.cmdLearn})
}

// route sends an event to the command, the intake or the knowledge base.
func (e *Engine) route(ctx context.Context, r *reply, ev Event) error {
	switch ev.Kind {
	case EventCommand:
		name, args := splitCommand(ev.Text)
		if name == "" {
			return e.cmdHelp(ctx, r, "")
		}
		if c, ok := e.commands[strings.ToLower(name)]; ok {
			return e.runCommand(ctx, r, c, args) // permissions.go
		}
		// Anything else may be the summary of a new incident (typos.go).
		return e.unknownCommand(ctx, r, ev.Text)
	case EventAction:
		return e.action(ctx, r, ev)
	case EventMessage:
		return e.message(ctx, r, ev)
	default:
		return fmt.Errorf("%w: event kind %q", incidents.ErrInvalid, ev.Kind)
	}
}

func splitCommand(text string) (name, args string) {
	text = strings.TrimSpace(text)
	text = strings.TrimPrefix(text, "/payissue")
	text = strings.TrimSpace(text)
	// The command word ends at any space (a tab, a no-break space), and is
	// read as a person sees it: full-width letters folded, invisible
	// characters dropped, a leading slash and trailing punctuation
	// ("status?", "/status", "resolve:") ignored.
	i := strings.IndexFunc(text, unicode.IsSpace)
	if i < 0 {
		i = len(text)
	}
	name, args = text[:i], strings.TrimSpace(text[i:])
	name = visibleText(width.Fold.String(name))
	name = strings.TrimLeft(name, "/")
	name = strings.TrimRight(name, "?!.,:;")
	return strings.ToLower(name), args
}

// threadIncident returns the incident whose thread the event came from.
func (e *Engine) threadIncident(ctx context.Context, c Conversation) (*incidents.Incident, error) {
	if c.Thread == "" {
		return nil, incidents.ErrNotFound
	}
	return e.store.IncidentByConversation(ctx, c)
}

// incidentFor resolves "REF" or, when empty, the thread's incident.
func (e *Engine) incidentFor(ctx context.Context, r *reply, ref string) (*incidents.Incident, error) {
	if ref = strings.TrimSpace(ref); ref != "" {
		ref, _, _ = strings.Cut(ref, " ")
		return e.byRef(ctx, r, ref)
	}
	inc, err := e.threadIncident(ctx, r.ev.Conversation)
	if errors.Is(err, incidents.ErrNotFound) {
		return e.channelIncident(ctx, r) // permissions.go
	}
	return inc, err
}

func (e *Engine) message(ctx context.Context, r *reply, ev Event) error {
	text := strings.TrimSpace(ev.Text)
	if strings.HasPrefix(text, "/payissue") || e.mentionCommand(&ev) { // native.go: "@Paybot status"
		ev.Kind = EventCommand
		return e.route(ctx, r, ev)
	}
	inc, err := e.threadIncident(ctx, ev.Conversation)
	switch {
	case err == nil && inc.Status == incidents.StatusIntake:
		return e.answerIntake(ctx, r, inc, text)
	case err == nil:
		return e.threadMessage(ctx, r, inc, ev, text) // threadqa.go
	case errors.Is(err, incidents.ErrNotFound):
		if ev.Mention {
			return e.answerQuestion(ctx, r, text)
		}
		return nil // chatter in a channel is none of our business
	default:
		return err
	}
}

func (e *Engine) action(ctx context.Context, r *reply, ev Event) error {
	if c, ok := e.commands[ev.Action]; ok {
		return e.runCommand(ctx, r, c, strings.Join(ev.Values, " "))
	}
	inc, err := e.threadIncident(ctx, ev.Conversation)
	if err != nil {
		return err
	}
	if inc.Status != incidents.StatusIntake || inc.Intake.Step != ev.Action {
		return userErrorf("That question has already been answered. The intake is at a later step now.")
	}
	return e.answerIntake(ctx, r, inc, strings.Join(ev.Values, ", "))
}

func (e *Engine) openIncident(ctx context.Context, r *reply, summary string) error {
	ev := r.ev
	// Judge what a person sees; keep what was typed (adapters put word
	// joiners into typed mentions so they can never go out live again).
	seen := visibleText(summary)
	switch {
	case refPattern.MatchString(seen):
		return userErrorf("%s is a ref, not a summary: /payissue status %s shows it, /payissue open <summary> opens a new incident.", strings.ToUpper(seen), strings.ToUpper(seen))
	case strings.HasPrefix(seen, "-"):
		return userErrorf("/payissue help lists the commands; /payissue <summary> opens an incident, for example: /payissue card payments failing at checkout")
	case letterCount(seen) < 3:
		return userErrorf("Give a short summary, for example: /payissue card payments failing at checkout")
	}
	summary = textutil.Cut(summary, 200) // never half a character or grapheme
	// The same command again while its incident has no card (parked, or
	// still on the way) posts that incident's card: never a second incident.
	if prev, err := e.parkedLike(ctx, ev, summary); err != nil {
		return err
	} else if prev != nil {
		prev.Details.CardProblem = ""
		return r.commit(ctx, prev, incidents.Change{
			Notify: []incidents.Notification{e.cardPost(prev, "card/"+prev.ID.String()+"/"+r.key(), ev.ReplyToken, ev.At)},
		})
	}
	// A new incident starts in the channel even when typed in a thread. The
	// card and the thread are platform objects: the outbox posts them and
	// records them on the incident (see card.go).
	origin := ev.Conversation
	origin.Thread = ""
	inc := incidents.New(summary, ev.User, origin, ev.At)
	e.flow.Start(inc)
	created := incidents.TimelineEntry{IncidentID: inc.ID, At: ev.At, Actor: ev.User, Kind: incidents.EventCreated, Text: summary}
	return r.create(ctx, inc, incidents.Change{
		Timeline: []incidents.TimelineEntry{created},
		Notify:   []incidents.Notification{e.cardPost(inc, "card/"+inc.ID.String(), ev.ReplyToken, ev.At)},
	})
}

func (e *Engine) answerIntake(ctx context.Context, r *reply, inc *incidents.Incident, text string) error {
	if err := e.mayAnswerIntake(r, inc, text); err != nil {
		return err
	}
	res := e.flow.Answer(inc, r.ev.User, text, r.ev.At, e.loc)
	thread := inc.Conversation
	if err := r.save(ctx, inc, res.Timeline...); err != nil {
		return err
	}
	switch res.Kind {
	case incidents.Reasked:
		r.add(Message{Conversation: thread, Incident: inc.Ref, Kind: KindNotice,
			Text: "That doesn't fit: " + res.Err.Error()})
		r.add(e.question(inc, thread))
	case incidents.Asked, incidents.Edit, incidents.Summary:
		r.add(e.question(inc, thread))
	case incidents.Opened:
		r.cardUpdate = inc
		r.add(Message{Conversation: thread, Incident: inc.Ref, Kind: KindText,
			Text: fmt.Sprintf("%s is open as %s. %s", inc.Ref, inc.Severity, openedAdvice(inc))})
		e.suggest(ctx, r, inc)
		e.offerDuplicates(ctx, r, inc) // review.go
	case incidents.NotInIntake:
		r.add(Message{Conversation: thread, Incident: inc.Ref, Kind: KindNotice, Text: inc.Ref + " is no longer in intake."})
	case incidents.Cancelled:
		r.cardUpdate = inc
		r.add(Message{Conversation: thread, Incident: inc.Ref, Kind: KindText, Text: inc.Ref + " is cancelled. Nothing more will happen in this thread."})
	}
	return nil
}

func openedAdvice(inc *incidents.Incident) string {
	switch inc.Severity {
	case incidents.Sev1:
		return "This is the highest severity: escalate now with /payissue escalate."
	case incidents.Sev2:
		return "Escalate with /payissue escalate if it isn't improving."
	default:
		return "Ask me anything about it in this thread; I'll search the knowledge base."
	}
}

// question renders the step the incident awaits.
func (e *Engine) question(inc *incidents.Incident, thread Conversation) Message {
	step := e.flow.Current(inc)
	if step == nil {
		return Message{Conversation: thread, Incident: inc.Ref, Kind: KindText, Text: "The intake is complete."}
	}
	m := Message{Conversation: thread, Incident: inc.Ref, Kind: KindQuestion, Expects: step.ID, Multi: step.Kind == incidents.KindMulti}
	var b strings.Builder
	if step.Kind == incidents.KindConfirm {
		m.Kind = KindSummary
		b.WriteString("Here is what I have for " + inc.Ref + ":\n")
		b.WriteString(e.flow.Summary(inc))
		b.WriteString("\n" + step.Prompt)
	} else {
		n, total := e.flow.Position(inc, step.ID)
		fmt.Fprintf(&b, "%s (%d/%d)", step.Prompt, n, total)
	}
	for i, c := range step.Choices {
		m.Choices = append(m.Choices, Choice{Value: c.Value, Label: c.Label})
		fmt.Fprintf(&b, "\n  %d) %s", i+1, c.Label)
	}
	var hints []string
	switch {
	case step.Kind == incidents.KindMulti:
		hints = append(hints, "pick one or more, for example 1, 3")
	case len(step.Choices) > 0 && step.Kind != incidents.KindConfirm:
		hints = append(hints, "reply with a number or a name")
	}
	if step.Example != "" && len(step.Choices) == 0 {
		hints = append(hints, "for example: "+step.Example)
	}
	if !step.Required && step.Kind != incidents.KindConfirm {
		hints = append(hints, "skip")
	}
	if len(inc.Intake.History) > 0 {
		hints = append(hints, "back")
	}
	if len(hints) > 0 {
		b.WriteString("\n(" + strings.Join(hints, " · ") + ")")
	}
	m.Text = b.String()
	return m
}

// cardMessage renders the incident card.
func cardMessage(inc *incidents.Incident) Message {
	sev := "not assessed"
	if inc.Severity != incidents.SevUnknown {
		sev = inc.Severity.String()
	}
	c := &Card{
		Ref: inc.Ref, Title: inc.Title, Severity: sev, Status: string(inc.Status),
		Reporter: inc.Reporter, Category: inc.Details.Category, Provider: incidents.GatewayName(inc.Details.Provider),
		Gateway: incidents.GatewaySummary(inc.Details.Gateway),
	}
	c.Actions = cardActions(inc.Status) // native.go
	m := Message{
		Conversation: inc.Origin, Incident: inc.Ref, Kind: KindCard, Card: c,
		Text: fmt.Sprintf("%s · %s · %s — %s (reported by %s)", inc.Ref, sev, inc.Status, inc.Title, displayName(inc.Reporter)),
	}
	cardRoles(&m, inc) // workflow.go
	return m
}

func displayName(u User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.ID
}

func (e *Engine) mention(platform string, u User) string {
	if a, err := e.adapter(platform); err == nil {
		if m, ok := a.(Mentioner); ok {
			return m.Mention(u)
		}
	}
	return "@" + displayName(u)
}

// visibleText drops what renders as nothing (format characters such as
// zero-width spaces, variation selectors) and trims the rest, so an
// invisible title is no title.
func visibleText(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) || r == 0x034F {
			return -1
		}
		return r
	}, s))
}

// letterCount counts the letters of s outside mentions ("@paybot" alone
// says nothing about the problem).
func letterCount(s string) int {
	n := 0
	for _, w := range strings.Fields(s) {
		if strings.HasPrefix(w, "@") || strings.HasPrefix(w, "<@") {
			continue
		}
		for _, r := range w {
			if unicode.IsLetter(r) {
				n++
			}
		}
	}
	return n
}
