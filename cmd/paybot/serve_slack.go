package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	slackadapter "github.com/paybot/paybot/adapters/slack"
)

// slackSettings are the SLACK_* settings, checked.
type slackSettings struct {
	botToken, secret, appToken, apiURL string
	interval                           time.Duration
}

// slackSettingsFrom reads and checks the SLACK_* settings without starting
// anything: configured is false when none is set; err says what is wrong
// with a half-configured or malformed set. serve runs it before it opens
// the store (servePreflight), and setupSlack again.
func slackSettingsFrom(lookup func(string) string) (st slackSettings, configured bool, err error) {
	get := func(k string) string { return strings.TrimSpace(lookup(k)) }
	st = slackSettings{botToken: get("SLACK_BOT_TOKEN"), secret: get("SLACK_SIGNING_SECRET"), appToken: get("SLACK_APP_TOKEN"), apiURL: get("SLACK_API_URL")}
	if st.botToken == "" && st.secret == "" && st.appToken == "" {
		return st, false, nil
	}
	switch {
	case st.botToken == "":
		return st, true, errors.New("slack is half-configured: SLACK_BOT_TOKEN is missing (SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set)")
	case st.secret == "" && st.appToken == "":
		return st, true, errors.New("slack is half-configured: SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is missing (or set SLACK_APP_TOKEN for Socket Mode)")
	case st.appToken != "" && !strings.HasPrefix(st.appToken, "xapp-"):
		return st, true, errors.New("slack: SLACK_APP_TOKEN must be an app-level token (xapp-…)")
	}
	if v := get("SLACK_CHANNEL_INTERVAL"); v != "" {
		// The pacing gap per channel (default 1s, Slack's guidance); a fake
		// API in tests takes any pace.
		if st.interval, err = time.ParseDuration(v); err != nil || st.interval <= 0 {
			return st, true, fmt.Errorf("slack: SLACK_CHANNEL_INTERVAL %q is not a positive duration", v)
		}
	}
	return st, true, nil
}

// setupSlack starts the Slack adapter when SLACK_* settings are present.
//
//   - No SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET or SLACK_APP_TOKEN: not started.
//   - SLACK_BOT_TOKEN with SLACK_APP_TOKEN: Socket Mode (no public URL needed).
//     With SLACK_SIGNING_SECRET as well, the HTTP routes are served too.
//   - SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET: HTTP on deps.Mux
//     (/slack/commands, /slack/events, /slack/interactions).
//   - Anything else is half-configured and fails fast.
//
// SLACK_API_URL points the Web API client elsewhere (a fake API, Enterprise,
// a proxy).
func setupSlack(ctx context.Context, deps platformDeps) (bool, error) {
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	st, ok, err := slackSettingsFrom(deps.Lookup)
	if !ok || err != nil {
		return false, err
	}
	botToken, secret, appToken, apiURL, interval := st.botToken, st.secret, st.appToken, st.apiURL, st.interval
	a, err := slackadapter.New(slackadapter.Options{
		BotToken:        botToken,
		SigningSecret:   secret,
		AppToken:        appToken,
		APIURL:          apiURL,
		Logger:          deps.Logger,
		Pacer:           deps.Pacer,
		ChannelInterval: interval,
		// PAYBOT_REPLY_KEY (else the bot token) keys the sealing of
		// response_url; every replica needs the same one.
		ReplyKey: strings.TrimSpace(deps.Lookup("PAYBOT_REPLY_KEY")),
	})
	if err != nil {
		return false, fmt.Errorf("slack: %w", err)
	}
	if deps.Engine != nil {
		deps.Engine.AddAdapter(a)
	}
	if deps.Ready != nil {
		deps.Ready.addPlatform("slack", a)
	}
	a.SetHandler(deps.Async)
	transport := "socket mode"
	if secret != "" {
		a.Routes(deps.Mux)
		if appToken == "" {
			transport = "http"
		} else {
			transport = "socket mode + http"
		}
	}
	go func() {
		if err := a.Start(ctx, deps.Async); err != nil {
			deps.Logger.Error("slack adapter stopped", "err", err)
		}
	}()
	attrs := []any{"transport", transport}
	if secret != "" {
		attrs = append(attrs, "routes", "/slack/commands /slack/events /slack/interactions")
	}
	if apiURL != "" {
		attrs = append(attrs, "api_url", apiURL)
	}
	deps.Logger.Info("slack adapter started", attrs...)
	return true, nil
}
