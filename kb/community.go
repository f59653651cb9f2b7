package kb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
)

// Community answers.
//
// Anyone in a chat can teach the bot an answer, so what they teach is
// checked before it is stored: an answer that mentions people (so that a
// reader would contact a stranger) or asks for card data is refused with a
// reason. Every answer carries its author and date; one author's answer to
// a question never replaces another author's (each has its own id), and
// only its author or an incident manager may remove it.

// ErrRefused wraps the reason an answer was not accepted.
var ErrRefused = errors.New("answer refused")

// ErrNotFound is returned for an unknown document id.
var ErrNotFound = errors.New("no such knowledge-base document")

// ErrNotAllowed is returned when someone other than the author (or a
// manager) tries to remove a community answer.
var ErrNotAllowed = errors.New("only the author of an answer or an incident manager can remove it")

var (
	reMention   = regexp.MustCompile(`<[@!#][^>]*>|(^|[\s(])@[A-Za-z0-9._-]{2,}`)
	reEmail     = regexp.MustCompile(`(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b`)
	rePhone     = regexp.MustCompile(`(?:\+|\b00)\d[\d\s().-]{7,}\d|\(\d{3}\)\s*\d{3}[\s.-]\d{4}|\b\d{3}[\s.-]\d{3}[\s.-]\d{4}\b`)
	reCardAsk   = regexp.MustCompile(`(?i)\b(send|dm|d\.m\.|message|msg|email|e-mail|mail|text|whatsapp|telegram|signal|share|give|tell|post|paste|forward|provide|read out|call)\b[^.!?\n]{0,60}\b(card\s*(number|no\.?|num|details|data|info)|full\s*card|pan|cvv2?|cvc2?|cid|security\s*code|pin|expiry|expiration\s*date|card\s*verification)\b`)
	reCardAsk2  = regexp.MustCompile(`(?i)\b(card\s*(number|details)|cvv2?|cvc2?|pin|security\s*code)\b[^.!?\n]{0,40}\b(to me|to us|to my|to our|in (a )?dm|by dm|via dm|by email|privately|direct message)\b`)
	reContactMe = regexp.MustCompile(`(?i)\b(contact|ping|call|dm|message|text|email|reach)\s+(me|him|her|them|this person)\b`)
)

// CheckAnswer returns nil when text may be stored as a community answer, or
// an error wrapping ErrRefused that says why not: it mentions or points to a
// person (@someone, <@U…>, an email address, a phone number, "contact me"),
// or it asks for card data ("send me your card number", "DM your CVV").
func CheckAnswer(text string) error {
	switch {
	case reCardAsk.MatchString(text) || reCardAsk2.MatchString(text):
		return fmt.Errorf("%w: it asks people for card data (card number, CVV, PIN or expiry); nobody should ever send those in chat", ErrRefused)
	case reMention.MatchString(text):
		return fmt.Errorf("%w: it mentions a person or a channel; write what to do, and use /payissue escalate to reach people", ErrRefused)
	case reEmail.MatchString(text):
		return fmt.Errorf("%w: it holds an email address; answers say what to do, contacts live in the escalation policy", ErrRefused)
	case rePhone.MatchString(text):
		return fmt.Errorf("%w: it holds a phone number; answers say what to do, contacts live in the escalation policy", ErrRefused)
	case reContactMe.MatchString(text):
		return fmt.Errorf("%w: it asks people to contact someone; write what to do instead", ErrRefused)
	}
	return nil
}

// CommunityID is the id of author's answer to question: one per question
// and author, so a second author adds an answer instead of replacing one,
// and an author who answers again updates their own.
func CommunityID(question, author string) string {
	q := sha256.Sum256([]byte(strings.ToLower(strings.Join(strings.Fields(question), " "))))
	a := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(author))))
	return "community:" + hex.EncodeToString(q[:6]) + "-" + hex.EncodeToString(a[:3])
}

// Learn stores author's answer to question as a community answer, after
// CheckAnswer on both texts. at is the time of the answer. It returns the
// stored document. Errors: one wrapping ErrRefused, or the index's.
//
// authorID is the author's identity ("slack:U123"), authorName the name
// shown with the answer.
func (ix *Index) Learn(ctx context.Context, question, answer, authorID, authorName string, at time.Time, extra Doc) (Doc, error) {
	question, answer, author := strings.TrimSpace(question), strings.TrimSpace(answer), strings.TrimSpace(authorID)
	if question == "" || answer == "" {
		return Doc{}, fmt.Errorf("%w: a question and an answer are both needed", ErrRefused)
	}
	if author == "" {
		return Doc{}, fmt.Errorf("%w: an answer needs its author", ErrRefused)
	}
	if err := CheckAnswer(answer); err != nil {
		return Doc{}, err
	}
	if err := CheckAnswer(question); err != nil {
		return Doc{}, err
	}
	d := extra
	d.ID = CommunityID(question, author)
	d.Kind = KindCommunity
	d.Title = question
	d.Body = answer
	d.AuthorID = author
	d.Author = strings.TrimSpace(authorName)
	if d.Author == "" {
		d.Author = author
	}
	d.Created = at.UTC().Format(time.RFC3339)
	if d.Source == "" {
		d.Source = "chat"
	}
	return d, ix.Upsert(ctx, d)
}

// Get returns the stored document with id, as indexed (codes are in their
// canonical form). Errors: ErrNotFound, ErrClosed.
func (ix *Index) Get(ctx context.Context, id string) (Doc, error) {
	if ix.closed.Load() {
		return Doc{}, ErrClosed
	}
	if strings.TrimSpace(id) == "" {
		return Doc{}, ErrNotFound
	}
	req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery([]string{id}), 1, 0, false)
	req.Fields = append(append([]string{}, hitFields...), "author_id")
	sr, err := ix.alias.SearchInContext(ctx, req)
	if err != nil {
		return Doc{}, err
	}
	if len(sr.Hits) == 0 {
		return Doc{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	h := sr.Hits[0]
	return Doc{
		ID: h.ID, Title: fieldString(h, "title"), Body: fieldString(h, "body"), Kind: fieldString(h, "kind"),
		Tags: fieldStrings(h, "tags"), Codes: fieldStrings(h, "codes"), Provider: fieldString(h, "provider"),
		URL: fieldString(h, "url"), Source: fieldString(h, "source"), Author: fieldString(h, "author"),
		AuthorID: fieldString(h, "author_id"), Created: fieldString(h, "created"), Fix: fieldString(h, "fix"), RootCause: fieldString(h, "rootcause"),
	}, nil
}

// List returns the documents of one kind ("" for all) that the index is
// built from, sorted by id.
func (ix *Index) List(kind string) ([]Doc, error) {
	docs, err := ix.Docs()
	if err != nil {
		return nil, err
	}
	out := docs[:0]
	for _, d := range docs {
		if kind == "" || d.Kind == kind {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// RemoveCommunity deletes a community answer. by is the person asking;
// manager says they hold an incident-manager role. Errors: ErrNotFound (no
// such community answer), ErrNotAllowed, ErrClosed.
func (ix *Index) RemoveCommunity(ctx context.Context, id, by string, manager bool) (Doc, error) {
	d, err := ix.Get(ctx, id)
	if err != nil {
		return Doc{}, err
	}
	if d.Kind != KindCommunity {
		return Doc{}, fmt.Errorf("%w: %q is not a community answer", ErrNotFound, id)
	}
	if !manager && (d.AuthorID == "" || !strings.EqualFold(d.AuthorID, strings.TrimSpace(by))) {
		return Doc{}, ErrNotAllowed
	}
	return d, ix.Delete(ctx, id)
}
