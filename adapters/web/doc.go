// Package web is the read-only dashboard served by `paybot serve` under
// /dashboard/: open incidents with their SLA clocks, an incident's page
// with its timeline, and the analytics as charts.
//
// It decides nothing: pages are views over the store and the report
// package. Every page is an html/template, so incident text (user text) is
// escaped in HTML, attribute and script contexts; chart data travels as a
// JSON script element read by static/app.js, and a Content-Security-Policy
// allows only the dashboard's own scripts.
//
// # Login
//
// The dashboard is off (404) when PAYBOT_DASHBOARD_TOKEN is empty. A request
// is let in with the token as "Authorization: Bearer <token>", or with the
// session cookie set by a signed link that `/payissue dashboard` hands out:
// /dashboard/login?exp=<unix>&sig=<hex>, where sig is HMAC-SHA256 over
// "link:<exp>" with a key derived from the token (HMAC-SHA256(token,
// "paybot dashboard v1")), so the token itself never travels in a link. The
// cookie holds "<exp>.<HMAC over session:<exp>>", is HttpOnly,
// SameSite=Strict, Path=/dashboard/, and Secure when the request came over
// https. Signatures are compared in constant time. Anything else gets 401
// and no data.
//
// # Charts
//
// Chart.js 4.6.1 (MIT, static/chart.js.LICENSE.md) is embedded from the npm
// package's dist/chart.umd.js, so the dashboard works with no internet and
// no CDN; it is well kept, has no dependencies and draws on a canvas.
package web
