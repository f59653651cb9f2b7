// Package gatewaystatus reads payment providers' public status pages and
// tells whether a provider has declared an incident or a maintenance is in
// progress.
//
// Two formats are understood:
//
//   - the Atlassian Statuspage v2 JSON API, GET <base>/api/v2/summary.json
//     (https://developer.statuspage.io/ and, for the public page API, the
//     "API" link of any Statuspage page, e.g. https://metastatuspage.com/api),
//     which lists unresolved incidents and upcoming or in-progress scheduled
//     maintenances with their components and updates;
//   - RSS 2.0 (https://www.rssboard.org/rss-specification) and Atom (RFC
//     4287) feeds, which many other status pages publish. A feed has no
//     machine-readable status, so the status is read from the first
//     <strong>Word</strong> of an item's description (the Statuspage feed
//     layout) or from status words in its title; see ParseFeed.
//
// The Poller polls every provider in its own goroutine with conditional
// requests (ETag / If-None-Match, Last-Modified / If-Modified-Since), a
// per-request timeout and exponential backoff on failure (computed by
// github.com/cenkalti/backoff/v4, with jitter so that replicas spread out),
// so one slow page never delays the others. It has no chat imports: what to
// post is decided in bot/gateway.go.
package gatewaystatus
