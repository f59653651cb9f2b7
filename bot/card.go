package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
)

// The incident card is delivered by the outbox like every other message,
// in three durable steps, each recorded on the incident before the next:
// post the card (Incident.CardMessage), open its thread and link it
// (Incident.Conversation, queued in the same commit as the welcome and the
// first question). A retry after a crash resumes at the first step not
// recorded, so the card is not posted twice and never left unlinked.

// cardPost queues the posting of inc's card; replyToken is the reporter's
// route back, used when the card cannot be posted.
func (e *Engine) cardPost(inc *incidents.Incident, key, replyToken string, now time.Time) incidents.Notification {
	n := notification(inc, incidents.NotifyCard, key, outPayload{}, now)
	n.ReplyToken = replyToken
	return n
}

// deliverCard runs the card's steps that are not recorded yet.
func (e *Engine) deliverCard(ctx context.Context, n incidents.Notification) error {
	inc, err := e.store.Incident(ctx, n.IncidentID)
	if errors.Is(err, incidents.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !inc.Conversation.IsZero() || !inc.Status.Active() {
		return nil // linked already, or cancelled before it was posted
	}
	a, err := e.adapter(inc.Origin.Platform)
	if err != nil {
		return err
	}
	ref := MessageRef{Conversation: inc.Origin, ID: inc.CardMessage}
	if inc.CardMessage == "" {
		card := cardMessage(inc)
		card.Conversation = inc.Origin
		card.ReplyToken = n.ReplyToken
		card.Key = "card/" + inc.ID.String()
		posted, found := e.findPosted(ctx, a, n, inc, card.Key)
		if !found {
			var err error
			if posted, err = a.Post(ctx, card); err != nil {
				return fmt.Errorf("posting the card of %s: %w", inc.Ref, err)
			}
		}
		if posted.Conversation.Platform == "" {
			posted.Conversation.Platform = inc.Origin.Platform
		}
		ref = posted
		inc.CardMessage, inc.Origin = posted.ID, posted.Conversation
		// Record the card before anything else, so a retry opens the thread
		// on this card instead of posting another; an adapter that can find
		// its own posts (PostFinder) makes this write unnecessary.
		if _, canFind := a.(PostFinder); !canFind {
			inc, err = e.saveLinked(ctx, inc.ID, func(x *incidents.Incident) {
				x.CardMessage, x.Origin = posted.ID, posted.Conversation
				x.Details.CardProblem = ""
			}, incidents.Change{})
			if err != nil {
				return err
			}
		}
	}
	cardID, origin := inc.CardMessage, inc.Origin
	thread, err := a.OpenThread(ctx, ref, inc.Ref+" "+inc.Title)
	if err != nil {
		return fmt.Errorf("opening the thread of %s: %w", inc.Ref, err)
	}
	now := e.clock.Now()
	_, err = e.saveLinked(ctx, inc.ID, func(x *incidents.Incident) {
		x.CardMessage, x.Origin = cardID, origin
		x.Conversation = thread
		x.Details.CardProblem = ""
	}, incidents.Change{Notify: []incidents.Notification{e.welcome(inc, thread, now)}})
	return err
}

// findPosted looks, on a retry, for the card an earlier attempt may have
// posted just before the process died, where the adapter can look.
func (e *Engine) findPosted(ctx context.Context, a Adapter, n incidents.Notification, inc *incidents.Incident, key string) (MessageRef, bool) {
	pf, ok := a.(PostFinder)
	if !ok || n.Attempts <= 1 {
		return MessageRef{}, false
	}
	ref, found, err := pf.FindPost(ctx, inc.Origin, key, inc.CreatedAt.Add(-time.Minute))
	if err != nil {
		e.log.Warn("looking for an earlier card; posting it", "incident", inc.Ref, "err", err)
		return MessageRef{}, false
	}
	return ref, found
}

// welcome is the first message in a new thread: the welcome and the first
// question in one, since platforms pace posts per channel and every message
// saved is a second saved.
func (e *Engine) welcome(inc *incidents.Incident, thread Conversation, now time.Time) incidents.Notification {
	linked := *inc
	linked.Conversation = thread
	q := e.question(&linked, thread)
	q.Text = fmt.Sprintf("Thanks %s. I'll ask a few questions, one at a time, to get %s ready for the right people. "+
		"Reply in this thread. Say skip to skip an optional question, back to change the previous answer, cancel to drop the incident.\n\n",
		e.mention(thread.Platform, inc.Reporter), inc.Ref) + q.Text
	return notification(&linked, incidents.NotifyThreadPost, "welcome/"+inc.ID.String(), outPayload{Message: q}, now)
}

// saveLinked applies set to the stored incident and saves it with ch,
// re-reading it when someone else changed it meanwhile.
func (e *Engine) saveLinked(ctx context.Context, id uuid.UUID, set func(*incidents.Incident), ch incidents.Change) (*incidents.Incident, error) {
	for attempt := 0; ; attempt++ {
		inc, err := e.store.Incident(ctx, id)
		if err != nil {
			return nil, err
		}
		set(inc)
		err = e.store.UpdateIncident(ctx, inc, ch)
		if err == nil {
			e.kickOutbox()
			return inc, nil
		}
		if !errors.Is(err, incidents.ErrConflict) || attempt >= 5 {
			return nil, err
		}
	}
}

// parkIncident records why the card of n's incident cannot be posted, and
// tells the reporter, through the route that still works (the command's
// reply route), what to do. The incident stays in intake, visibly parked,
// until the same command is run again.
func (e *Engine) parkIncident(ctx context.Context, n incidents.Notification, cause error) error {
	inc, err := e.store.Incident(ctx, n.IncidentID)
	if errors.Is(err, incidents.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !inc.Conversation.IsZero() || !inc.Status.Active() {
		return nil
	}
	problem, advice := cardProblem(inc.Origin.Platform, cause)
	now := e.clock.Now()
	text := fmt.Sprintf("I can't post %s's card in this channel: %s. %s Then run the same /payissue command again: "+
		"%s is waiting (nothing is lost), and I'll post its card then.", inc.Ref, problem, advice, inc.Ref)
	reporter := inc.Reporter
	msg := Message{Conversation: inc.Origin, Incident: inc.Ref, Kind: KindNotice, Text: text, To: &reporter}
	note := notification(inc, incidents.NotifyThreadPost, fmt.Sprintf("parked/%s/%d", inc.ID, n.ID),
		outPayload{Message: msg, Respond: true}, now)
	note.ReplyToken = n.ReplyToken
	// Its own queue: the channel's queue is what cannot be posted to.
	note.ChannelKey = "reply:" + note.DedupeKey
	_, err = e.saveLinked(ctx, inc.ID, func(x *incidents.Incident) {
		x.Details.CardProblem = problem
		x.UpdatedAt = now
	}, incidents.Change{
		Timeline: []incidents.TimelineEntry{{IncidentID: inc.ID, At: now, Actor: paybotUser, Kind: incidents.EventNote,
			Text: "card not posted: " + problem}},
		Notify: []incidents.Notification{note},
	})
	return err
}

// cardProblem turns a delivery error into what went wrong and what to do.
func cardProblem(platform string, err error) (problem, advice string) {
	var pe *PermanentError
	reason := ""
	if errors.As(err, &pe) {
		reason = pe.Reason
	}
	switch reason {
	case ReasonNotInChannel:
		problem = "I'm not a member of this channel"
		advice = "Invite me with /invite @Paybot."
		if platform == "discord" {
			advice = "Give me the View Channel, Send Messages and Create Public Threads permissions here."
		}
	case ReasonChannelGone:
		problem = "the channel is gone or archived"
		advice = "Use /payissue in an active channel."
	case ReasonNoPermission:
		problem = "I lack the permission to post here"
		advice = "Ask a workspace admin to let me post in this channel."
		if platform == "discord" {
			advice = "Give me the View Channel, Send Messages and Create Public Threads permissions here."
		}
	default:
		problem = "the chat platform kept failing"
		advice = "Check that I'm still installed and in this channel."
	}
	return problem, advice
}

// parkedLike returns the incident a repeated command refers to: same
// reporter, same channel, same summary, still in intake with no thread
// (parked, or its card still on the way).
func (e *Engine) parkedLike(ctx context.Context, ev Event, summary string) (*incidents.Incident, error) {
	// The store narrows to this reporter, channel and title: under a burst
	// of new incidents whose cards are still queued, a wider list was read
	// (and decoded) whole on every /payissue. Titles match with ASCII
	// letters folded (ListFilter.Title), so a repeat that differs only in
	// the case of another letter (É, é) opens an incident of its own.
	list, err := e.store.ListIncidents(ctx, incidents.ListFilter{Statuses: []incidents.Status{incidents.StatusIntake},
		Platform: ev.Conversation.Platform, Unthreaded: true, OriginChannel: ev.Conversation.Channel,
		Reporter: ev.User.ID, Title: summary, Limit: 200})
	if err != nil {
		return nil, err
	}
	for _, inc := range list {
		if inc.Conversation.IsZero() && inc.Reporter.ID == ev.User.ID && inc.Origin.Channel == ev.Conversation.Channel &&
			strings.EqualFold(inc.Title, summary) {
			return inc, nil
		}
	}
	return nil, nil
}

// parkedNote is how list and status show a parked incident.
func parkedNote(inc *incidents.Incident) string {
	if inc.Details.CardProblem == "" {
		return ""
	}
	return " [parked: card not posted: " + inc.Details.CardProblem + "]"
}

// cardDelayNoticeAfter is after how many failed attempts the reporter is
// told that the card is late (about 7 s of retries).
const cardDelayNoticeAfter = 3

// cardDelayed tells the reporter, once, through the command's reply route,
// that the incident is saved and its card is late, so a slow platform does
// not look like a lost command (and is not retried into a second one).
func (e *Engine) cardDelayed(ctx context.Context, n incidents.Notification, now time.Time) {
	inc, err := e.store.Incident(ctx, n.IncidentID)
	if err != nil || !inc.Conversation.IsZero() {
		return
	}
	reporter := inc.Reporter
	msg := Message{Conversation: inc.Origin, Incident: inc.Ref, Kind: KindNotice, To: &reporter,
		Text: fmt.Sprintf("%s is saved, but the chat platform is slow to take its card; I keep trying and will post it here. "+
			"No need to run the command again.", inc.Ref)}
	note := notification(inc, incidents.NotifyThreadPost, "late/"+inc.ID.String(), outPayload{Message: msg, Respond: true}, now)
	note.ReplyToken = n.ReplyToken
	note.ChannelKey = "reply:" + note.DedupeKey
	if err := e.store.QueueNotifications(ctx, []incidents.Notification{note}); err != nil {
		e.log.Warn("telling the reporter the card is late", "incident", inc.Ref, "err", err)
	}
}
