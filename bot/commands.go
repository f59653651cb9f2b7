package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents"
)

// Learner is optionally implemented by the Searcher: it keeps community
// answers and past incidents searchable.
type Learner interface {
	// LearnAnswer stores a question and its answer as a community answer.
	LearnAnswer(ctx context.Context, question, answer string, inc *incidents.Incident, by User) error
	// IndexIncident makes an incident findable as a past incident.
	IndexIncident(ctx context.Context, inc *incidents.Incident) error
}

// AnswerChecker is optionally implemented by the Learner: whether a text
// may be served to others as an answer (no mentions of people, no contact
// details, no asking for card data). It returns "" or the reason why not.
// A resolution that fails it is not made a past incident: it would be
// served to everyone who searches, as a community answer would.
type AnswerChecker interface {
	RefuseAnswer(text string) string
}

func (e *Engine) cmdHelp(_ context.Context, r *reply, _ string) error {
	var b strings.Builder
	b.WriteString("Paybot coordinates payment incidents. Commands:\n")
	b.WriteString("  /payissue <summary> — open an incident, for example /payissue card payments failing at checkout\n")
	cmds := append([]*command(nil), e.order...)
	sort.SliceStable(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %s — %s\n", c.usage, c.help)
	}
	b.WriteString("In an incident thread, reply to my questions; ask anything ending with ? and I'll search the knowledge base. " +
		"Where a slash command can't be typed (a Slack thread), mention me with the command: @Paybot status, @Paybot ack. " +
		"Outside a thread, a command without a ref acts on the channel's only open incident.")
	r.say(KindText, b.String())
	return nil
}

func (e *Engine) cmdStatus(ctx context.Context, r *reply, args string) error {
	inc, err := e.incidentFor(ctx, r, args)
	if err != nil {
		return err
	}
	if !e.visible(r, inc) { // permissions.go
		r.say(KindText, notVisible(inc))
		return nil
	}
	r.say(KindText, e.statusText(inc)).Incident = inc.Ref
	return nil
}

func (e *Engine) statusText(inc *incidents.Incident) string {
	card := cardMessage(inc)
	var b strings.Builder
	b.WriteString(card.Text + parkedNote(inc))
	fmt.Fprintf(&b, "\nOpened %s ago", roughDuration(e.clock.Now().Sub(inc.CreatedAt)))
	if inc.Status == incidents.StatusIntake {
		if s := e.flow.Current(inc); s != nil {
			fmt.Fprintf(&b, "; intake waiting for %q", s.ID)
		}
	}
	if sum := e.flow.Summary(inc); sum != "" {
		b.WriteString("\n" + sum)
	}
	if sla := e.slaText(inc); sla != "" {
		b.WriteString("\n" + sla)
	}
	return b.String()
}

func roughDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

func (e *Engine) cmdList(ctx context.Context, r *reply, _ string) error {
	list, err := e.store.ListIncidents(ctx, incidents.ListFilter{
		Statuses: []incidents.Status{incidents.StatusIntake, incidents.StatusOpen, incidents.StatusEscalated},
		Platform: r.ev.Conversation.Platform, // another platform's incidents are not listed
		Limit:    50,
	})
	if err != nil {
		return err
	}
	if len(list) == 0 {
		r.say(KindText, "No open incidents.")
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d open incident(s):", len(list))
	for _, inc := range list {
		// Elsewhere than its channel an incident is listed by ref only.
		if !e.visible(r, inc) { // permissions.go
			fmt.Fprintf(&b, "\n  %s · %s (in another channel)", inc.Ref, inc.Status)
			continue
		}
		fmt.Fprintf(&b, "\n  %s%s", cardMessage(inc).Text, parkedNote(inc))
	}
	r.say(KindText, b.String())
	return nil
}

func (e *Engine) cmdCancel(ctx context.Context, r *reply, args string) error {
	inc, err := e.incidentFor(ctx, r, args)
	if err != nil {
		return err
	}
	entry, err := inc.Transition(incidents.StatusCancelled, r.ev.User, r.ev.At)
	if err != nil {
		return userErrorf("%s is %s and can't be cancelled.", inc.Ref, inc.Status)
	}
	if err := r.save(ctx, inc, entry); err != nil {
		return err
	}
	r.cardUpdate = inc
	r.add(Message{Conversation: inc.Conversation, Incident: inc.Ref, Kind: KindText,
		Text: fmt.Sprintf("%s was cancelled by %s.", inc.Ref, e.mention(inc.Conversation.Platform, r.ev.User))})
	return nil
}

func (e *Engine) cmdSearch(ctx context.Context, r *reply, args string) error {
	if strings.TrimSpace(args) == "" {
		return userErrorf("What should I look for? For example: /payissue search stripe do_not_honor")
	}
	return e.answerQuestion(ctx, r, args)
}

// noAnswer is said when the knowledge base has nothing good enough.
const noAnswer = "I don't have a good answer for that. Try the exact error code or message, " +
	"or escalate to a person with /payissue escalate."

func (e *Engine) answerQuestion(ctx context.Context, r *reply, question string) error {
	if e.kb == nil {
		r.say(KindText, "The knowledge base isn't available right now. Escalate with /payissue escalate if this is urgent.")
		return nil
	}
	hits, confident, err := e.kb.Ask(ctx, question, 3)
	if err != nil {
		return err
	}
	if !confident || len(hits) == 0 {
		r.say(KindText, noAnswer)
		return nil
	}
	e.showHints(r.ev.Conversation.Platform, hits)
	m := r.say(KindAnswers, answersText(hits))
	m.Hits = hits
	e.recordOfferedInThread(ctx, r, hits) // review.go
	return nil
}

// showHints sets each hit's Show (and its action's): the command that
// prints the whole document on platform (native.go writes it the
// platform's way).
//
// It also defuses mentions in the hits' text (plain, review.go): titles,
// passages and sources come from imported documents, Markdown articles and
// community answers, and a "<@U123>", "<!here>" or "@everyone" written
// there must never reach a chat as a live mention.
func (e *Engine) showHints(platform string, hits []Hit) {
	for i := range hits {
		hits[i].Title, hits[i].Snippet, hits[i].Source = plain(hits[i].Title), plain(hits[i].Snippet), plain(hits[i].Source)
		if a := hits[i].Action; a != nil {
			c := *a
			c.Text, c.ArticleTitle = plain(c.Text), plain(c.ArticleTitle)
			hits[i].Action = &c
		}
		if hits[i].ID != "" {
			hits[i].Show = e.commandExample(platform, "show", [2]string{"id", hits[i].ID})
		}
		if a := hits[i].Action; a != nil && a.ArticleID != "" {
			c := *a // the searcher's value stays as it was
			c.Show = e.commandExample(platform, "show", [2]string{"id", a.ArticleID})
			hits[i].Action = &c
		}
	}
}

// answersText is the plain-text form of an answer: per hit the title and
// source, the passage that answers, what to do from the article that
// covers a definition's code (and how to read it), the link, and the
// command that prints the whole document.
func answersText(hits []Hit) string {
	var b strings.Builder
	b.WriteString("Here is what I found:")
	for i, h := range hits {
		fmt.Fprintf(&b, "\n%d. %s [%s]", i+1, h.Title, h.Source)
		if h.Snippet != "" {
			fmt.Fprintf(&b, "\n   %s", h.Snippet)
		}
		if l := h.ActionLine(); l != "" {
			fmt.Fprintf(&b, "\n   %s", l)
			if r := h.ActionRead(); r != "" {
				fmt.Fprintf(&b, "\n   %s", r)
			}
		}
		if h.URL != "" {
			fmt.Fprintf(&b, "\n   %s", h.URL)
		}
		if h.Show != "" {
			fmt.Fprintf(&b, "\n   Whole article: %s", h.Show)
		}
	}
	return b.String()
}

// suggest offers articles for a freshly opened incident's codes and title.
func (e *Engine) suggest(ctx context.Context, r *reply, inc *incidents.Incident) {
	// Incidents are indexed when resolved (indexIncident), not when opened:
	// an open incident has no fix to offer.
	if e.kb == nil {
		return
	}
	var q []string
	for _, c := range inc.Details.Codes {
		q = append(q, c.Value)
	}
	q = append(q, inc.Details.Provider, inc.Title)
	hits, confident, err := e.kb.Ask(ctx, strings.Join(q, " "), 3)
	if err != nil || !confident || len(hits) == 0 {
		return
	}
	// A past incident that is this incident is no suggestion.
	kept := hits[:0]
	for _, h := range hits {
		if !strings.HasSuffix(h.ID, inc.Ref) {
			kept = append(kept, h)
		}
	}
	if len(kept) == 0 {
		return
	}
	e.showHints(inc.Conversation.Platform, kept)
	r.add(Message{Conversation: inc.Conversation, Incident: inc.Ref, Kind: KindAnswers,
		Text: strings.Replace(answersText(kept), "Here is what I found:", "These articles may help:", 1), Hits: kept})
	e.recordOffered(ctx, r, inc, kept) // review.go
}

func (e *Engine) cmdLearn(ctx context.Context, r *reply, args string) error {
	l, ok := e.kb.(Learner)
	if !ok {
		return userErrorf("The knowledge base can't learn answers in this setup.")
	}
	question, answer, found := strings.Cut(args, "::")
	question, answer = strings.TrimSpace(question), strings.TrimSpace(answer)
	inc, _ := e.threadIncident(ctx, r.ev.Conversation)
	if !found {
		answer, question = question, ""
		if inc != nil {
			question = lastQuestion(ctx, e.store, inc)
		}
	}
	if question == "" || answer == "" {
		return userErrorf("Tell me the question and the answer: /payissue learn <question> :: <answer>. " +
			"In an incident thread, /payissue learn <answer> uses the last question asked there.")
	}
	if err := l.LearnAnswer(ctx, question, answer, inc, r.ev.User); err != nil {
		var ue *userError
		if !found && errors.As(err, &ue) && strings.Contains(ue.msg, "the question ") {
			// the question was the thread's last, not typed here: say
			// which it was and how to give one in other words
			return userErrorf("%s (The question was the last one asked in this thread; to answer it in other words, use /payissue learn <question> :: <answer>.)", ue.msg)
		}
		return err
	}
	r.say(KindText, fmt.Sprintf("Thanks, I saved that as a community answer to %q.", question))
	return nil
}

// Resume re-asks the pending question of every unfinished intake on a
// platform, newest last, so a restarted console carries on where it was.
// It returns once they are delivered, also when the running outbox worker
// claimed them first (deliverAll), so the console routes the next line
// knowing which questions were asked.
func (e *Engine) Resume(ctx context.Context, platform string) error {
	list, err := e.store.ListIncidents(ctx, incidents.ListFilter{Statuses: []incidents.Status{incidents.StatusIntake}, Platform: platform, Limit: 20})
	if err != nil {
		return err
	}
	now := e.clock.Now()
	var ns []incidents.Notification
	for i := len(list) - 1; i >= 0; i-- {
		inc := list[i]
		if inc.Conversation.IsZero() {
			continue
		}
		key := fmt.Sprintf("resume/%s/%d/%d", inc.ID, inc.Version, now.UnixNano())
		ns = append(ns,
			e.threadPost(inc, key+"/1", fmt.Sprintf("Resuming the intake of %s (%s).", inc.Ref, inc.Title), now),
			notification(inc, incidents.NotifyThreadPost, key+"/2", outPayload{Message: e.question(inc, inc.Conversation)}, now))
	}
	if len(ns) == 0 {
		return nil
	}
	if err := e.store.QueueNotifications(ctx, ns); err != nil {
		return err
	}
	return e.deliverAll(ctx)
}

// cmdSeverity overrides the computed severity: "/payissue severity SEV1
// [REF] [why]". The override sticks when the intake is confirmed later.
func (e *Engine) cmdSeverity(ctx context.Context, r *reply, args string) error {
	level, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	sev, err := incidents.ParseSeverity(level)
	if err != nil {
		return userErrorf("Give the new severity, for example: /payissue severity SEV2 (SEV1 is the worst, SEV4 the mildest).")
	}
	inc, why, err := e.incidentArg(ctx, r, rest)
	if err != nil {
		return err
	}
	if !inc.Status.Active() {
		return userErrorf("%s is %s; its severity can't change any more.", inc.Ref, inc.Status)
	}
	reason := "set by " + displayName(r.ev.User)
	if why != "" {
		reason += ": " + why
	}
	entry, note := e.setSeverity(inc, sev, r.ev.User, reason, r.ev.At)
	if err := r.commit(ctx, inc, incidents.Change{Timeline: []incidents.TimelineEntry{entry}}); err != nil {
		return err
	}
	r.cardUpdate = inc
	r.add(Message{Conversation: inc.Conversation, Incident: inc.Ref, Kind: KindText,
		Text: fmt.Sprintf("%s set the severity of %s to %s.%s", e.mention(inc.Conversation.Platform, r.ev.User), inc.Ref, sev, prefixed(" ", note))})
	return nil
}
