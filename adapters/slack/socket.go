package slack

import (
	"context"
	"errors"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/paybot/paybot/bot"
)

// runSocketMode connects with the app-level token and delivers events to h
// until ctx is done. socketmode reconnects by itself; each envelope is
// acknowledged with client.Ack only after h accepted it, so an envelope
// that failed is redelivered by Slack.
func (a *Adapter) runSocketMode(ctx context.Context, h bot.Handler) error {
	client := socketmode.New(a.api)
	a.log.Info("slack socket mode connecting")
	done := make(chan error, 1)
	go func() { done <- client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-done:
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return errf("socket mode: %w", err)
		case evt, ok := <-client.Events:
			if !ok {
				return nil
			}
			a.handleSocketEvent(ctx, client, evt)
		}
	}
}

func (a *Adapter) handleSocketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	var in inbound
	switch evt.Type {
	case socketmode.EventTypeConnected:
		a.socketUp.Store(true)
		a.log.Info("slack socket mode connected")
		return
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth, socketmode.EventTypeDisconnect:
		a.socketUp.Store(false)
		a.log.Warn("slack socket mode connection problem", "type", evt.Type)
		return
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok {
			break
		}
		in = a.fromEventsAPI(ev)
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			break
		}
		in = a.fromSlashCommand(cmd, evt.Request.EnvelopeID)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			break
		}
		in = a.fromInteraction(cb)
	default:
		return
	}
	if evt.Request == nil || evt.Request.EnvelopeID == "" {
		return
	}
	if in.openModal != nil {
		a.openModalAsync(in.openModal)
	}
	if err := a.deliver(ctx, in); err != nil {
		return // no ack: Slack redelivers
	}
	var payload any
	if evt.Type == socketmode.EventTypeInteractive {
		if cb, ok := evt.Data.(slack.InteractionCallback); ok && cb.Type == slack.InteractionTypeViewSubmission {
			payload = map[string]string{"response_action": "clear"}
		}
	}
	if err := client.Ack(*evt.Request, payload); err != nil {
		a.log.Warn("slack socket mode ack failed", "err", err)
	}
}
