package slack

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/paybot/paybot/adapters/internal/replyseal"
	"github.com/paybot/paybot/bot"
)

var _ bot.Responder = (*Adapter)(nil)

// sealRoute seals a response_url into the Event.ReplyToken form: a
// response_url is a bearer credential for 30 minutes, and the reply token
// is stored (inbox payload, outbox reply_token), so it is never kept in
// clear. "" stays "".
func (a *Adapter) sealRoute(responseURL string) string {
	if responseURL == "" {
		return ""
	}
	return a.sealer.Seal([]byte(responseURL))
}

// Respond implements bot.Responder: it answers through the command's or the
// interaction's response_url, sealed in replyToken, privately to the person,
// which works even in a channel the bot is not a member of. Slack allows
// five uses within 30 minutes. The URL must be Slack's (hooks.slack.com)
// unless APIURL points the adapter elsewhere (tests, proxies). Errors never
// carry the URL.
func (a *Adapter) Respond(ctx context.Context, replyToken string, msg bot.Message) error {
	plain, err := a.sealer.Open(replyToken)
	if err != nil {
		return errf("respond: no usable response_url (none, or sealed under another key: give every replica the same PAYBOT_REPLY_KEY or SLACK_BOT_TOKEN)")
	}
	responseURL := string(plain)
	u, err := url.Parse(responseURL)
	if err != nil || responseURL == "" {
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
	if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, a.opts.HTTPClient, wm); err != nil {
		return errf("response_url: %w", replyseal.Hide(replyseal.Hide(classify(err), responseURL), u.EscapedPath()))
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

var _ bot.PostFinder = (*Adapter)(nil)

// metadataType marks messages that carry Paybot's idempotency key.
const metadataType = "paybot_message"

// FindPost implements bot.PostFinder with conversations.history (message
// metadata, scopes channels:history and groups:history): it returns the
// newest message since since whose metadata carries key.
func (a *Adapter) FindPost(ctx context.Context, c bot.Conversation, key string, since time.Time) (bot.MessageRef, bool, error) {
	if c.Channel == "" || key == "" {
		return bot.MessageRef{}, false, nil
	}
	var hist *slack.GetConversationHistoryResponse
	err := a.withRetry(ctx, "", func() error {
		var err error
		hist, err = a.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: c.Channel, Oldest: fmt.Sprintf("%d.000000", since.Unix()), Limit: 200, IncludeAllMetadata: true,
		})
		return err
	})
	if err != nil {
		return bot.MessageRef{}, false, errf("conversations.history: %w", classify(err))
	}
	for _, m := range hist.Messages {
		if m.Metadata.EventType == metadataType && fmt.Sprint(m.Metadata.EventPayload["key"]) == key {
			return bot.MessageRef{Conversation: a.conv(c.Channel, ""), ID: m.Timestamp}, true, nil
		}
	}
	return bot.MessageRef{}, false, nil
}
