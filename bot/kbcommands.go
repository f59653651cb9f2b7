package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Knowledge-base commands beyond search and learn: show a whole article and
// remove a community answer.

// Article is a whole knowledge-base document, as /payissue show prints it.
type Article struct {
	ID     string
	Title  string
	Text   string // the whole body (Markdown)
	URL    string
	Source string // "internal KB", "community answer by Ana, 2026-11-30", …
	// Incident is the ref of the incident in whose thread a community
	// answer was learned ("PAY-3"), or "".
	Incident string
}

// ArticleReader is an optional ability of the Searcher: read a whole
// document by id. Errors: ErrNoArticle when there is none with that id.
type ArticleReader interface {
	Article(ctx context.Context, id string) (Article, error)
}

// Unlearner is an optional ability of the Searcher: remove a community
// answer. manager says whether by holds an incident-manager role; others may
// remove only their own answers. Errors: ErrNoArticle, ErrNotAuthor.
type Unlearner interface {
	Unlearn(ctx context.Context, id string, by User, manager bool) (question string, err error)
}

var (
	// ErrNoArticle: no knowledge-base document has that id.
	ErrNoArticle = errors.New("no such knowledge-base document")
	// ErrNotAuthor: only the author or an incident manager may do that.
	ErrNotAuthor = errors.New("not the author of that answer")
)

// Refusal is the error a Learner returns when it will not store an answer;
// the user sees "I didn't save that answer: <reason>".
func Refusal(reason string) error {
	return &userError{"I didn't save that answer: " + reason}
}

func (e *Engine) registerKBCommands() {
	e.register(&command{name: "show", aliases: []string{"article"}, usage: "/payissue show <article id>", help: "print a whole knowledge-base article (a search answer's \"Whole article:\" line gives the command with its id)", run: e.cmdShow})
	e.register(&command{name: "unlearn", usage: "/payissue unlearn <answer id>", help: "remove a community answer (its author or an incident manager)", run: e.cmdUnlearn})
}

// maxShow is the longest document /payissue show prints whole (bytes): a
// starter article is 1 to 3 KB. The adapters split a long message (Discord
// at 2,000 characters, Slack in sections of 3,000), so a whole article
// arrives in a few messages; a longer imported document is cut with a
// pointer to paybot kb show, which prints it all.
const maxShow = 12000

func (e *Engine) cmdShow(ctx context.Context, r *reply, args string) error {
	id := strings.TrimSpace(args)
	if id == "" {
		return userErrorf("Which article? Give its id, for example: %s", e.commandExample(r.ev.Conversation.Platform, "show", [2]string{"id", "stripe-do-not-honor"}))
	}
	ar, ok := e.kb.(ArticleReader)
	if !ok {
		return userErrorf("The knowledge base can't show articles in this setup.")
	}
	a, err := ar.Article(ctx, id)
	if errors.Is(err, ErrNoArticle) {
		// Every platform ends a search answer with a "Whole article:"
		// line holding the show command with the id (the brackets after
		// a title hold its source, such as [internal KB]).
		return userErrorf("I don't know an article with the id %q. The \"Whole article:\" line under each search answer gives the command with the article's id, for example %s", id, e.commandExample(r.ev.Conversation.Platform, "show", [2]string{"id", "stripe-do-not-honor"}))
	}
	if err != nil {
		return err
	}
	var b strings.Builder
	// The article's text is a document's or a community member's: its
	// mentions are defused (plain, review.go).
	fmt.Fprintf(&b, "%s [%s]\n\n%s", plain(a.Title), plain(a.Source), plain(strings.TrimSpace(a.Text)))
	if a.URL != "" {
		fmt.Fprintf(&b, "\n\nMore: %s", a.URL)
	}
	text := b.String()
	if len(text) > maxShow {
		cut := maxShow
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut-- // never split a character
		}
		text = text[:cut] + "…\n(shortened; paybot kb show " + a.ID + " prints it all)"
	}
	r.say(KindText, text)
	return nil
}

func (e *Engine) cmdUnlearn(ctx context.Context, r *reply, args string) error {
	id := strings.TrimSpace(args)
	if id == "" {
		return userErrorf("Which answer? Give its id, from the \"Whole article:\" line under the search answer that shows it, for example: %s", e.commandExample(r.ev.Conversation.Platform, "unlearn", [2]string{"id", "community:3f2a…"}))
	}
	u, ok := e.kb.(Unlearner)
	if !ok {
		return userErrorf("The knowledge base can't remove answers in this setup.")
	}
	q, err := u.Unlearn(ctx, id, r.ev.User, e.mayRemoveAnswer(ctx, r, id)) // permissions.go
	switch {
	case errors.Is(err, ErrNoArticle):
		return userErrorf("I don't know a community answer with the id %q.", id)
	case errors.Is(err, ErrNotAuthor):
		return userErrorf("Only the person who gave that answer, an incident manager or, for an answer learned in an incident's thread, that incident's lead can remove it.")
	case err != nil:
		return err
	}
	r.say(KindText, fmt.Sprintf("Removed the community answer to %q.", q))
	return nil
}
