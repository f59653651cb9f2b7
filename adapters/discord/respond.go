package discord

import (
	"context"
	"errors"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"github.com/paybot/paybot/bot"
)

var _ bot.Responder = (*Adapter)(nil)

// Respond implements bot.Responder: an ephemeral follow-up through the
// interaction sealed in replyToken while its token lives (15 minutes), on
// any replica, which reaches the person even where the bot cannot send to
// the channel. Errors: bot.ErrUnsupported when the interaction is unknown,
// expired or sealed under another key.
func (a *Adapter) Respond(ctx context.Context, replyToken string, msg bot.Message) error {
	r := a.openRoute(replyToken)
	if r == nil {
		return bot.ErrUnsupported
	}
	for _, part := range render(msg) {
		if _, err := a.replyThrough(ctx, r, part, discordgo.MessageFlagsEphemeral, false); err != nil {
			if isTokenGone(err) {
				return bot.ErrUnsupported
			}
			return wrap("respond", err)
		}
	}
	return nil
}

// classify marks Discord's refusals that only a person can fix (403
// Missing Access or Missing Permissions, 404 Unknown Channel) as
// bot.PermanentError, so the outbox stops retrying and parks the incident.
func classify(err error) error {
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response == nil {
		return err
	}
	switch re.Response.StatusCode {
	case http.StatusForbidden:
		return bot.CannotPost(bot.ReasonNoPermission, err)
	case http.StatusNotFound:
		return bot.CannotPost(bot.ReasonChannelGone, err)
	}
	return err
}

// threadExists reports Discord's "A thread has already been created for
// this message" (code 160004).
func threadExists(err error) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Message != nil && re.Message.Code == 160004
}
