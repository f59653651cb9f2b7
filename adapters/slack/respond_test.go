package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/paybot/paybot/bot"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err    error
		reason string // "" for not permanent
		retry  time.Duration
	}{
		{slack.SlackErrorResponse{Err: "not_in_channel"}, bot.ReasonNotInChannel, 0},
		{slack.SlackErrorResponse{Err: "channel_not_found"}, bot.ReasonChannelGone, 0},
		{slack.SlackErrorResponse{Err: "is_archived"}, bot.ReasonChannelGone, 0},
		{slack.SlackErrorResponse{Err: "missing_scope"}, bot.ReasonNoPermission, 0},
		{slack.SlackErrorResponse{Err: "restricted_action"}, bot.ReasonNoPermission, 0},
		{slack.SlackErrorResponse{Err: "msg_too_long"}, "", 0},
		{fmt.Errorf("wrapped: %w", &slack.RateLimitedError{RetryAfter: 20 * time.Second}), "", 20 * time.Second},
		{slack.StatusCodeError{Code: 503, Status: "503"}, "", 0},
	} {
		got := classify(tc.err)
		var pe *bot.PermanentError
		if errors.As(got, &pe) != (tc.reason != "") || (pe != nil && pe.Reason != tc.reason) {
			t.Errorf("classify(%v) = %v, want reason %q", tc.err, got, tc.reason)
		}
		if tc.reason != "" && !errors.Is(got, bot.ErrCannotPost) {
			t.Errorf("classify(%v) does not match ErrCannotPost", tc.err)
		}
		var ra *bot.RetryAfterError
		if errors.As(got, &ra) != (tc.retry > 0) || (ra != nil && ra.After != tc.retry) {
			t.Errorf("classify(%v) = %v, want retry after %s", tc.err, got, tc.retry)
		}
	}
}

// A response_url that is not Slack's is refused when the adapter talks to
// the real Slack.
func TestRespondOnlyToSlack(t *testing.T) {
	a, err := New(Options{BotToken: "xoxb-test", SigningSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"", "http://hooks.slack.com/x", "https://evil.example/x", "https://hooks.slack.com.evil.example/x"} {
		if err := a.Respond(context.Background(), a.sealRoute(u), bot.Message{Text: "hi"}); err == nil {
			t.Errorf("Respond(%q) accepted", u)
		}
	}
	// A response_url in clear (not sealed by this adapter) is no route.
	if err := a.Respond(context.Background(), "https://hooks.slack.com/commands/1/2", bot.Message{Text: "hi"}); err == nil {
		t.Error("Respond accepted a response_url in clear")
	}
}

// A 429 whose Retry-After outlasts the caller's deadline is handed back at
// once as bot.RetryAfterError, so the outbox reschedules it instead of
// holding the call.
func TestRetryAfterBeyondDeadlineHandedBack(t *testing.T) {
	h := newHarness(t)
	calls := 0
	h.api.before = func(method string, _ url.Values, w http.ResponseWriter) bool {
		if method != "chat.postMessage" {
			return false
		}
		calls++
		w.Header().Set("Retry-After", "20")
		w.WriteHeader(429)
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := h.a.Post(ctx, bot.Message{Conversation: bot.Conversation{Platform: Platform, Channel: "C1"}, Kind: bot.KindText, Text: "hi"})
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) || ra.After != 20*time.Second {
		t.Fatalf("err = %v, want RetryAfterError 20s", err)
	}
	if time.Since(start) > time.Second || calls != 1 {
		t.Fatalf("held the call %s over %d attempts", time.Since(start), calls)
	}
}
