package bot

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents"
)

// Questions in incident threads.
//
// A message in the thread of an open incident that asks something (with or
// without a question mark: "what now", "can we retry", "how do I…") or that
// names a payment code ("ACH return R03") gets an answer in the thread;
// plain remarks stay notes on the timeline. Every question is recorded on
// the timeline (a note marked as a question), in the store and not in
// memory, so that any replica can answer "/payissue learn <answer>" with
// the last question asked there. The bot answers a question text once per
// thread, and a message without a question mark at most once per
// threadAnswerGap unless it names a code or finds an article not offered
// there before, so a busy thread is not flooded.

// threadAnswerGap is the least time between two answers to questions
// without a question mark in one thread, unless a new code or article
// appears.
const threadAnswerGap = 30 * time.Second

// Timeline data keys of a recorded question.
const (
	dataQuestion = "question" // "1" on a note that is a question
	dataAnswered = "answered" // "1" when the bot answered it
	dataCodes    = "codes"    // the keys of its codes, space-separated
)

var questionStarts = map[string]bool{
	"what": true, "whats": true, "what's": true, "why": true, "how": true, "hows": true, "how's": true,
	"can": true, "could": true, "should": true, "shall": true, "would": true, "will": true, "is": true,
	"are": true, "does": true, "do": true, "did": true, "where": true, "when": true, "which": true,
	"who": true, "whom": true, "any": true, "anyone": true, "anybody": true, "has": true, "have": true,
	"may": true, "must": true, "need": true, "isnt": true, "isn't": true, "dont": true, "don't": true,
}

var questionPhrases = []string{
	"what now", "what next", "now what", "what do we", "what should", "can we", "can i", "could we", "should we",
	"how do", "how to", "how can", "how should", "any idea", "anyone know", "does anyone", "is it safe",
	"is it ok", "do we retry", "retry?", "what does", "what is", "what's", "whats", "why is", "why are",
	"why do", "why does", "help with", "not sure what", "wondering",
	// requests, as support agents write them ("kindly advise", "pls help")
	"kindly", "please advise", "pls advise", "plz advise", "advise pls", "advise please", "please help", "pls help",
	"plz help", "need help", "help needed", "help pls", "help please", "need advice", "any advice", "any suggestion",
	"how come", "what to do", "what do i do", "whats next", "what's next", "who do we call", "who to call",
	"who should we", "is this normal", "is it normal", "is this a big deal",
}

// auxiliaries start a question only with a subject after them: "will we
// lose the payments" asks, "will update in 10 min" and "should be fixed
// now" report (remarkVerbs follow them directly).
var auxiliaries = map[string]bool{"will": true, "would": true, "should": true, "shall": true, "can": true,
	"could": true, "may": true, "must": true, "need": true, "have": true, "has": true}

var remarkVerbs = map[string]bool{"update": true, "check": true, "be": true, "look": true, "follow": true,
	"circle": true, "report": true, "keep": true, "post": true, "send": true, "ping": true, "share": true,
	"confirm": true, "let": true, "get": true, "do": true, "try": true, "monitor": true, "revert": true,
	"deploy": true, "restart": true, "rerun": true, "come": true, "go": true, "escalated": true, "done": true,
	"fixed": true, "resolved": true, "been": true, "to": true}

// questionEnds are last words that make a message a question ("customer
// card is decline why", "payout not arrived how").
var questionEnds = map[string]bool{"why": true, "how": true, "pls": true, "plz": true, "please": true, "asap": true}

// isQuestion reports whether a thread message asks something.
func isQuestion(text string) bool {
	t := strings.ToLower(strings.TrimSpace(text))
	if strings.HasSuffix(t, "?") {
		return true
	}
	first, _, _ := strings.Cut(t, " ")
	first = strings.Trim(first, ",.:;!")
	words := strings.Fields(t)
	if questionStarts[first] && len(words) >= 2 && !(auxiliaries[first] && remarkVerbs[strings.Trim(words[1], ",.:;!")]) {
		return true
	}
	if len(words) >= 3 && questionEnds[strings.Trim(words[len(words)-1], ",.:;!")] {
		return true
	}
	l := " " + t + " "
	for _, p := range questionPhrases {
		if strings.Contains(l, " "+p) {
			return true
		}
	}
	return false
}

func normQuestion(s string) string {
	return strings.ToLower(strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '?' || r == '!' || r == '.' || r == ','
	}), " "))
}

// threadMessage handles a message in the thread of an incident past its
// intake: a question or a code gets an answer (once, paced), anything else
// is a note.
func (e *Engine) threadMessage(ctx context.Context, r *reply, inc *incidents.Incident, ev Event, text string) error {
	var keys []string
	for _, c := range incidents.ExtractCodes(text) {
		if k := c.Key(); k != "" {
			keys = append(keys, k)
		}
	}
	if cf, ok := e.kb.(CodeFinder); ok {
		// codes the knowledge base holds that no code system names
		for _, k := range cf.KnownCodes(ctx, text) {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	asked := ev.Mention || isQuestion(text)
	if !asked && len(keys) == 0 {
		// Plain updates in the thread go on the timeline.
		return r.save(ctx, inc, incidents.TimelineEntry{
			IncidentID: inc.ID, At: ev.At, Actor: ev.User, Kind: incidents.EventNote, Text: text,
		})
	}
	entry := incidents.TimelineEntry{IncidentID: inc.ID, At: ev.At, Actor: ev.User, Kind: incidents.EventNote, Text: text,
		Data: map[string]string{dataQuestion: "1"}}
	if len(keys) > 0 {
		entry.Data[dataCodes] = strings.Join(keys, " ")
	}
	explicit := ev.Mention || strings.HasSuffix(text, "?")
	st := e.threadState(ctx, inc)
	query := withIncidentCodes(text, keys, inc)
	var hits []Hit
	answer := false
	switch {
	case st.asked[normQuestion(text)]:
		// the same question was answered here before
	case explicit:
		answer = true
	case e.kb != nil:
		// A question without a question mark, or a code named in passing:
		// answer only when the knowledge base is sure, so remarks that
		// merely read like questions ("is the deploy done") draw no "I
		// don't know"; and within threadAnswerGap of the last answer only
		// when it brings something new (a code, or an article not yet
		// offered here), so a busy thread is not flooded.
		found, confident, err := e.kb.Ask(ctx, query, 3)
		if err != nil {
			return err
		}
		if confident && len(found) > 0 && st.fresh(keys, found[0].ID, ev.At) {
			hits, answer = found, true
		}
	}
	if answer {
		entry.Data[dataAnswered] = "1"
	}
	if err := r.save(ctx, inc, entry); err != nil {
		return err
	}
	switch {
	case !answer:
		return nil
	case explicit:
		return e.answerQuestion(ctx, r, query)
	}
	e.showHints(r.ev.Conversation.Platform, hits)
	m := r.say(KindAnswers, answersText(hits))
	m.Hits = hits
	e.recordOfferedInThread(ctx, r, hits) // review.go
	return nil
}

// nextStepPhrases ask what to do next without saying about what: in an
// incident's thread, about its codes.
var nextStepPhrases = []string{"retry", "what now", "what next", "now what", "what do we do", "what should we",
	"what should i", "next step", "how do we fix", "how to fix", "what to do", "how do we handle", "can we"}

// withIncidentCodes is the question asked of the knowledge base for a
// thread message: a question about the next step that names no code of its
// own ("can we retry", "what now") is asked about the incident's codes
// ("can we retry do_not_honor"), so the answer fits the incident rather
// than any decline. Other messages are asked as written.
func withIncidentCodes(text string, keys []string, inc *incidents.Incident) string {
	if len(keys) > 0 || len(inc.Details.Codes) == 0 {
		return text
	}
	low := strings.ToLower(text)
	for _, p := range nextStepPhrases {
		if strings.Contains(low, p) {
			var codes []string
			for _, c := range inc.Details.Codes {
				codes = append(codes, c.Value)
			}
			return text + " " + strings.Join(codes, " ")
		}
	}
	return text
}

// threadQA is what an incident's timeline (the store, shared by replicas)
// says about the answers given in its thread.
type threadQA struct {
	asked   map[string]bool // normalised texts of the questions answered
	codes   map[string]bool // code keys named in answered questions
	offered map[string]bool // ids of the documents offered in answers
	last    time.Time       // when the last question was answered
}

func (e *Engine) threadState(ctx context.Context, inc *incidents.Incident) threadQA {
	st := threadQA{asked: map[string]bool{}, codes: map[string]bool{}, offered: map[string]bool{}}
	tl, err := e.store.Timeline(ctx, inc.ID)
	if err != nil {
		return st // answer rather than stay silent on a read error
	}
	for _, t := range tl {
		if t.Kind == incidents.EventKBOffered {
			for _, id := range strings.Split(t.Data["ids"], "\n") {
				if id != "" {
					st.offered[id] = true
				}
			}
			continue
		}
		if t.Data[dataAnswered] != "1" {
			continue
		}
		st.asked[normQuestion(t.Text)] = true
		for _, k := range strings.Fields(t.Data[dataCodes]) {
			st.codes[k] = true
		}
		if t.At.After(st.last) {
			st.last = t.At
		}
	}
	return st
}

// fresh reports whether an implicit question at now, naming the code keys
// and best answered by the document top, may be answered: after
// threadAnswerGap, or sooner when a code or the document is new here.
func (st threadQA) fresh(keys []string, top string, now time.Time) bool {
	if st.last.IsZero() || now.Sub(st.last) >= threadAnswerGap || !st.offered[top] {
		return true
	}
	for _, k := range keys {
		if !st.codes[k] {
			return true
		}
	}
	return false
}

// lastQuestion is the last question recorded in the incident's thread.
func lastQuestion(ctx context.Context, store incidents.Store, inc *incidents.Incident) string {
	tl, err := store.Timeline(ctx, inc.ID)
	if err != nil {
		return ""
	}
	for i := len(tl) - 1; i >= 0; i-- {
		t := tl[i]
		if t.Kind == incidents.EventNote && (t.Data[dataQuestion] == "1" || strings.HasSuffix(strings.TrimSpace(t.Text), "?")) {
			return t.Text
		}
	}
	return ""
}
