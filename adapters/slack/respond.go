package slack

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/paybot/paybot/bot"
)

var _ bot.Responder = (*Adapter)(nil)

// Respond implements bot.Responder: it answers through the command's or the
// interaction's response_url (replyToken), privately to the person, which
// works even in a channel the bot is not a member of. Slack allows five
// uses within 30 minutes. The URL must be Slack's (hooks.slack.com) unless
// APIURL points the adapter elsewhere (tests, proxies).
func (a *Adapter) Respond(ctx context.Context, replyToken string, msg bot.Message) error {
	u, err := url.Parse(replyToken)
	if err != nil || replyToken == "" {
		return errf("respond: no usable response_url")
	}
	if a.opts.APIURL == "" && (u.Scheme != "https" || u.Host != "hooks.slack.com") {
		return errf("respond: response_url is not Slack's")
	}
	blocks, fallback := Render(msg)
	wm := &slack.WebhookMessage{Text: fallback, ResponseType: "ephemeral"}
	if len(blocks) > 0 {
		wm.Blocks = &slack.Blocks{BlockSet: blocks}
	}
	if err := slack.PostWebhookCustomHTTPContext(ctx, replyToken, a.opts.HTTPClient, wm); err != nil {
		return errf("response_url: %w", classify(err))
	}
	return nil
}

// classify turns Slack's answers into the errors the core acts on: a
// refusal that only a person can fix becomes bot.PermanentError (the
// outbox stops retrying and parks the incident); a 429 becomes
// bot.RetryAfterError (the outbox retries no sooner).
func classify(err error) error {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch strings.TrimSpace(se.Err) {
		case "not_in_channel":
			return bot.CannotPost(bot.ReasonNotInChannel, err)
		case "channel_not_found", "is_archived":
			return bot.CannotPost(bot.ReasonChannelGone, err)
		case "missing_scope", "restricted_action", "restricted_action_read_only_channel",
			"restricted_action_thread_only_channel", "restricted_action_non_threadable_channel",
			"not_allowed_token_type", "ekm_access_denied", "team_access_not_granted":
			return bot.CannotPost(bot.ReasonNoPermission, err)
		}
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &bot.RetryAfterError{After: rl.RetryAfter, Err: err}
	}
	return err
}
