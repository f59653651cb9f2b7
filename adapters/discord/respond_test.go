package discord

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/paybot/paybot/bot"
)

func TestClassify(t *testing.T) {
	rest := func(code int) error { return &discordgo.RESTError{Response: &http.Response{StatusCode: code}} }
	for _, tc := range []struct {
		err    error
		reason string
	}{
		{rest(http.StatusForbidden), bot.ReasonNoPermission},
		{rest(http.StatusNotFound), bot.ReasonChannelGone},
		{rest(http.StatusInternalServerError), ""},
		{rest(http.StatusTooManyRequests), ""},
		{errors.New("connection reset"), ""},
	} {
		got := classify(tc.err)
		var pe *bot.PermanentError
		if errors.As(got, &pe) != (tc.reason != "") || (pe != nil && pe.Reason != tc.reason) {
			t.Errorf("classify(%v) = %v, want reason %q", tc.err, got, tc.reason)
		}
		if tc.reason != "" && !errors.Is(got, bot.ErrCannotPost) {
			t.Errorf("classify(%v) does not match ErrCannotPost", tc.err)
		}
	}
}

func TestThreadExistsIsAdopted(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	hs.fake.threadExists = true
	conv, err := hs.a.OpenThread(context.Background(), bot.MessageRef{Conversation: bot.Conversation{Platform: Platform, Channel: "c1"}, ID: "m42"}, "PAY-1 x")
	if err != nil || conv.Thread != "m42" || conv.Channel != "c1" {
		t.Fatalf("OpenThread = %+v, %v; want the existing thread m42", conv, err)
	}
}
