package main

import (
	"log/slog"

	"github.com/paybot/paybot/adapters/web"
	"github.com/paybot/paybot/bot"
)

// dashboard builds the /dashboard/ handler for `paybot serve`. It is off
// (404) unless PAYBOT_DASHBOARD_TOKEN is set in the environment; links the
// bot hands out point at PAYBOT_PUBLIC_URL (default http://localhost:8080).
func (a *app) dashboard(eng *bot.Engine, log *slog.Logger) *web.Dashboard {
	d := web.New(web.Config{Store: eng.Store(), Policy: eng.Policy(), Location: eng.Location(),
		Token: a.getenv("PAYBOT_DASHBOARD_TOKEN"), BaseURL: a.lookup("PAYBOT_PUBLIC_URL"), Logger: log})
	if a.getenv("PAYBOT_DASHBOARD_TOKEN") != "" {
		eng.SetDashboard(d)
	}
	return d
}
