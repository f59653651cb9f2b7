package kb

import (
	"errors"
	"fmt"
	"time"
)

// Document kinds.
const (
	KindArticle   = "article"   // internal KB article (Markdown with front matter)
	KindCommunity = "community" // community answer (imported or captured with /payissue learn)
	KindReference = "reference" // code tables (ISO 8583, ACH, 3DS, gateway error codes)
	KindIncident  = "incident"  // past incident

	// KindPassage is the kind of the index's passage documents, one per
	// section of an article (passage.go). They are never a hit of their
	// own, never imported and never returned by Get.
	KindPassage = "passage"
)

// Doc is one searchable document.
type Doc struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Body     string   `json:"body"`
	Kind     string   `json:"kind,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	Codes    []string `json:"codes,omitempty"`
	Provider string   `json:"provider,omitempty"`
	Category string   `json:"category,omitempty"`
	URL      string   `json:"url,omitempty"`
	Source   string   `json:"source,omitempty"`
	License  string   `json:"license,omitempty"`

	// Community answers: who gave the answer and when (RFC 3339, UTC).
	// The learned question is the Title; it is also indexed as a strong
	// field of its own (question), so a question close to it ranks the
	// answer first.
	// AuthorID is the author's identity ("slack:U123"), which removal
	// checks; Author is the name shown.
	Author   string `json:"author,omitempty"`
	AuthorID string `json:"author_id,omitempty"`
	Created  string `json:"created,omitempty"`

	// Past incidents: what fixed it and why it happened, indexed as fields
	// of their own and shown as "Fix: … · Root cause: …".
	Fix       string `json:"fix,omitempty"`
	RootCause string `json:"root_cause,omitempty"`
}

// Hit is one search answer.
type Hit struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Kind    string  `json:"kind"`
	Score   float64 `json:"score"`
	URL     string  `json:"url"`
	Snippet string  `json:"snippet"`
	Source  string  `json:"source,omitempty"`
	// Author and Created are set on community answers.
	Author  string `json:"author,omitempty"`
	Created string `json:"created,omitempty"`
	// Action is set on a definition-only hit (a reference record, or a
	// document without a "What to do" section) about a code that an
	// article covers: what to do, from that article (action.go).
	Action *HitAction `json:"action,omitempty"`
}

// Result is the answer to one query. Confident is false whenever the bot
// should say it has no good answer (Hits may still hold the weak matches).
type Result struct {
	Query     string `json:"query"`
	Confident bool   `json:"confident"`
	Hits      []Hit  `json:"hits"`
}

// Options tune Open.
type Options struct {
	// Timeout is the bolt_timeout used when opening the on-disk index: how
	// long to wait for another process's lock before failing with
	// ErrIndexInUse. Default 1s.
	Timeout time.Duration
	// ArticlesDir is an optional directory of Markdown articles that add to,
	// or override (same id), the embedded starter articles.
	ArticlesDir string

	noStarter bool // tests: index without the embedded starter articles
}

// ErrIndexInUse is returned by Open when another process holds the index.
var ErrIndexInUse = errors.New("knowledge-base index is in use by another paybot process")

// ErrClosed is returned by methods called after Close.
var ErrClosed = errors.New("knowledge-base index is closed")

// LineError reports one bad line of a JSON Lines import.
type LineError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }
