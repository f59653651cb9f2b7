package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paybot/paybot/incidents"
)

// User and Conversation are the neutral identities shared with the domain.
type (
	User         = incidents.User
	Conversation = incidents.Conversation
)

// EventKind says what a person did.
type EventKind string

const (
	// EventCommand is "/payissue <args>"; Text holds the args.
	EventCommand EventKind = "command"
	// EventMessage is a plain message in a channel or thread.
	EventMessage EventKind = "message"
	// EventAction is a button press or a select; Action and Value say which.
	EventAction EventKind = "action"
)

// Event is one inbound thing a person did, translated by an adapter.
type Event struct {
	// ID is unique per platform delivery target (Slack event_id, Discord
	// interaction id, console line number). Redelivery of the same ID has no
	// effect. Adapters prefix it with the platform.
	ID string `json:"id"`
	// MessageKeys are the platform's ids of the message itself, besides the
	// envelope ID: Slack "slack:msg:<channel>:<ts>" and
	// "slack:cmid:<client_msg_id>", Discord "discord:msg:<message id>". The
	// same message delivered under a second envelope ID has no effect when
	// any of its keys was seen before. Adapters fill them; the engine's
	// inbox records them with the event.
	MessageKeys  []string     `json:"message_keys,omitempty"`
	Kind         EventKind    `json:"kind"`
	Conversation Conversation `json:"conversation"`
	User         User         `json:"user"`
	Text         string       `json:"text,omitempty"`
	// Action is the id of a pressed button or select: a step id, or a
	// command such as "escalate", "ack", "resolve".
	Action string   `json:"action,omitempty"`
	Values []string `json:"values,omitempty"`
	// Mention is true when the message addressed the bot directly.
	Mention bool      `json:"mention,omitempty"`
	At      time.Time `json:"at"`
	// ReplyToken is opaque to the core: an adapter uses it to answer an
	// interaction (Slack response_url, Discord interaction token).
	ReplyToken string `json:"reply_token,omitempty"`
	// Masked holds the labels of what RedactEvent masked in this event
	// ("Visa card ending 4242", "CVV"), so the engine can tell the sender
	// after the event was stored without its secrets.
	Masked []string `json:"masked,omitempty"`
}

// MessageKind tells an adapter how to render a message.
type MessageKind string

const (
	KindText     MessageKind = "text"
	KindCard     MessageKind = "card"     // the incident card; Card is set
	KindQuestion MessageKind = "question" // an intake question; Expects and Choices are set
	KindAnswers  MessageKind = "answers"  // knowledge-base answers; Hits is set
	KindNotice   MessageKind = "notice"   // a warning the sender must see (masked data, refusals)
	KindSummary  MessageKind = "summary"  // the intake summary awaiting confirmation
)

// Choice is a button or select option.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Card is the incident card posted in the channel and updated in place.
type Card struct {
	Ref      string `json:"ref"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Status   string `json:"status"`
	Reporter User   `json:"reporter"`
	Category string `json:"category,omitempty"`
	Provider string `json:"provider,omitempty"`
	SLA      string `json:"sla,omitempty"`
	// Gateway is the provider's declared status-page incidents and
	// maintenances, one line; "" when none (bot/gateway.go).
	Gateway string `json:"gateway,omitempty"`
	// Lead and LastUpdate come from /payissue lead and /payissue update.
	Lead       *User  `json:"lead,omitempty"`
	LastUpdate string `json:"last_update,omitempty"`
	// Actions are the buttons on the card ("escalate", "ack", "resolve").
	Actions []Choice `json:"actions,omitempty"`
}

// Hit is one knowledge-base answer: the document, the sentence or two of it
// that answer the question (Snippet), and where to read the rest.
type Hit struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Snippet string `json:"snippet"`
	Source  string `json:"source"` // "internal KB", "community answer", "reference code", "past incident PAY-12"
	URL     string `json:"url,omitempty"`
	// Show is the command that prints the whole document, written the way
	// the platform types it ("/payissue show stripe-do-not-honor"; Discord:
	// "/payissue show id:stripe-do-not-honor"). The engine sets it.
	Show string `json:"show,omitempty"`
	// Action is set on a hit that only defines a code (a reference
	// record) when an article says what to do about that code.
	Action *HitAction `json:"action,omitempty"`
}

// HitAction is what to do about a definition-only hit's code, taken from
// an article that covers the code.
type HitAction struct {
	Text         string `json:"text"`          // the action sentence or two
	ArticleID    string `json:"article_id"`    // the article it comes from
	ArticleTitle string `json:"article_title"` // its title
	URL          string `json:"url,omitempty"` // the article's link
	// Show is the command that prints the article, written the way the
	// platform types it. The engine sets it.
	Show string `json:"show,omitempty"`
}

// ActionLine is how every platform words a hit's action: "What to do
// (from <article title>): <text>"; "" when the hit has none.
func (h Hit) ActionLine() string {
	if h.Action == nil || h.Action.Text == "" {
		return ""
	}
	return "What to do (from " + h.Action.ArticleTitle + "): " + h.Action.Text
}

// ActionRead is how every platform says where to read the action's
// article: "Read it: <command>" (or its link when there is no command);
// "" when the hit has no action.
func (h Hit) ActionRead() string {
	switch {
	case h.Action == nil || h.Action.Text == "":
		return ""
	case h.Action.Show != "":
		return "Read it: " + h.Action.Show
	case h.Action.URL != "":
		return "Read it: " + h.Action.URL
	}
	return ""
}

// Message is one outbound message, neutral of platform.
type Message struct {
	Conversation Conversation `json:"conversation"`
	Incident     string       `json:"incident,omitempty"` // the ref, when the message belongs to one
	Kind         MessageKind  `json:"kind"`
	Text         string       `json:"text"`
	Card         *Card        `json:"card,omitempty"`
	// Expects is the id of the intake step awaiting an answer, if any.
	Expects string   `json:"expects,omitempty"`
	Choices []Choice `json:"choices,omitempty"`
	Multi   bool     `json:"multi,omitempty"`
	Hits    []Hit    `json:"hits,omitempty"`
	// To, when set on a notice, means only that person needs to see it;
	// adapters with the Ephemeral capability show it privately.
	To         *User  `json:"to,omitempty"`
	ReplyToken string `json:"-"`
	// Key, when set, is an idempotency key the adapter attaches to the
	// posted message where the platform keeps one (Slack message metadata),
	// so PostFinder can find the message after a crash.
	Key string `json:"key,omitempty"`
}

// MessageRef identifies a posted message so it can be updated.
type MessageRef struct {
	Conversation Conversation `json:"conversation"`
	ID           string       `json:"id"`
	// MessageKeys are the platform's ids of the message itself, besides the
	// envelope ID: Slack "slack:msg:<channel>:<ts>" and
	// "slack:cmid:<client_msg_id>", Discord "discord:msg:<message id>". The
	// same message delivered under a second envelope ID has no effect when
	// any of its keys was seen before. Adapters fill them; the engine's
	// inbox records them with the event.
	MessageKeys []string `json:"message_keys,omitempty"`
}

// Handler receives events from an adapter. The engine implements it.
type Handler interface {
	// HandleEvent processes ev. It returns once the event is durably
	// accepted; errors mean the adapter should report failure to the platform
	// so that it retries.
	HandleEvent(ctx context.Context, ev Event) error
}

// Adapter connects one chat platform. It translates and decides nothing.
type Adapter interface {
	// Platform is the name used in User.Platform and Conversation.Platform.
	Platform() string
	// Post sends msg to msg.Conversation and returns its reference.
	Post(ctx context.Context, msg Message) (MessageRef, error)
	// Update replaces a posted message.
	Update(ctx context.Context, ref MessageRef, msg Message) error
	// OpenThread starts a thread on a posted message and returns it. name is
	// a short title (the incident ref and title).
	OpenThread(ctx context.Context, root MessageRef, name string) (Conversation, error)
	// Start delivers events to h until ctx is done.
	Start(ctx context.Context, h Handler) error
}

// Optional capabilities, discovered with a type assertion. Where one is
// missing the core falls back to a plain post.

// Mentioner writes a mention of a user in the platform's syntax.
type Mentioner interface {
	Mention(u User) string
}

// DirectMessenger sends a private message to a person.
type DirectMessenger interface {
	DirectMessage(ctx context.Context, to User, msg Message) error
}

// NameMessenger is a DirectMessenger that can reach a contact known only by
// name (the console prints such messages for whoever sits at it), so a
// contact without a handle on the platform still gets the message.
type NameMessenger interface {
	DirectMessenger
	MessagesByName() bool
}

// Ephemeral shows a message in a conversation to one person only.
type Ephemeral interface {
	PostEphemeral(ctx context.Context, to User, msg Message) error
}

// ErrUnsupported is returned when an adapter lacks a capability.
var ErrUnsupported = errors.New("not supported by this chat platform")

// Responder answers the person behind an event through the platform's
// short-lived reply route (Slack response_url, Discord interaction
// follow-up), which works even where the bot cannot post in the channel.
// replyToken is Event.ReplyToken.
type Responder interface {
	Respond(ctx context.Context, replyToken string, msg Message) error
}

// PostFinder finds a message the bot posted in c, since since, carrying
// key (Message.Key), so a delivery retried after a crash (posted, but the
// process died before recording it) adopts that message instead of posting
// a second one. ok is false when there is none.
type PostFinder interface {
	FindPost(ctx context.Context, c Conversation, key string, since time.Time) (ref MessageRef, ok bool, err error)
}

// ErrCannotPost is matched (errors.Is) by every PermanentError: the platform
// refused for good, and retrying the same call cannot succeed until a person
// changes something (invites the bot, restores the channel, grants a
// permission).
var ErrCannotPost = errors.New("the bot cannot post there")

// Reasons of a PermanentError, so the core can tell the person what to do.
const (
	ReasonNotInChannel = "not_in_channel" // the bot is not a member: invite it
	ReasonChannelGone  = "channel_gone"   // the channel was deleted or archived
	ReasonNoPermission = "no_permission"  // the bot lacks a scope or permission there
)

// PermanentError is returned by an adapter when the platform refuses a call
// for good (Slack not_in_channel, channel_not_found; Discord 403/404).
// Reason is one of the Reason constants; Err is the platform's error.
type PermanentError struct {
	Reason string
	Err    error
}

// CannotPost wraps a platform error as permanent.
func CannotPost(reason string, err error) error { return &PermanentError{Reason: reason, Err: err} }

func (e *PermanentError) Error() string {
	return fmt.Sprintf("cannot post (%s): %v", e.Reason, e.Err)
}

func (e *PermanentError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCannotPost) true.
func (e *PermanentError) Is(target error) bool { return target == ErrCannotPost }
