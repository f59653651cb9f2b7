package discord

import (
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
