package incidents

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
)

// EventGateway is the timeline kind of a gateway status-page post, and
// EventDiagnosis that of a connectivity diagnosis.
const (
	EventGateway   = "gateway"
	EventDiagnosis = "diagnosis"
)

// Kinds of GatewayEvent.
const (
	GatewayIncident    = "incident"
	GatewayMaintenance = "maintenance"
)

// GatewayEvent is one incident or maintenance that a payment provider
// declares on its public status page, as last read by the poller.
type GatewayEvent struct {
	Provider string `json:"provider"`
	// ID is the status page's own id (Statuspage incident id, feed guid).
	ID   string `json:"id"`
	Kind string `json:"kind"` // GatewayIncident or GatewayMaintenance
	Name string `json:"name"`
	// Status is the page's word for it: investigating, identified,
	// monitoring, resolved, postmortem; scheduled, in_progress, verifying,
	// completed for maintenances.
	Status string `json:"status"`
	// Impact is none, minor, major, critical or maintenance ("" when unknown).
	Impact     string   `json:"impact,omitempty"`
	Components []string `json:"components,omitempty"`
	URL        string   `json:"url,omitempty"`
	// UpdateID identifies the latest update; a new one means the provider
	// said something new.
	UpdateID  string    `json:"update_id,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Active reports whether the event still affects payments: an incident not
// yet resolved, or a maintenance in progress.
func (g GatewayEvent) Active() bool {
	switch g.Status {
	case "resolved", "postmortem", "completed", "scheduled", "cancelled":
		return false
	}
	return true
}

// Revision is what must change for the event to be posted again: the
// latest update id and the status.
func (g GatewayEvent) Revision() string { return g.UpdateID + "/" + g.Status }

// GatewaySnapshot is the last poll of one provider's status page.
type GatewaySnapshot struct {
	Provider string `json:"provider"`
	Source   string `json:"source"` // the URL polled
	// Indicator is the page's overall indicator: none, minor, major,
	// critical, maintenance; "" for feeds, which have none.
	Indicator   string `json:"indicator,omitempty"`
	Description string `json:"description,omitempty"`
	// Events are the active incidents and maintenances.
	Events []GatewayEvent `json:"events,omitempty"`
	// FetchedAt is when the page last answered (200 or 304); CheckedAt when
	// it was last asked. Err is the last failure, "" after a success.
	FetchedAt time.Time `json:"fetched_at"`
	CheckedAt time.Time `json:"checked_at"`
	Err       string    `json:"err,omitempty"`
	// ETag and LastModified are the validators for the next conditional
	// request.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// GatewayStore keeps the status-page state that must survive a restart and
// be shared by replicas: the last snapshot per provider, and the keys of
// notices already posted. Implemented by incidents/sqlite and
// incidents/postgres; incidents/storetest.RunGateway checks both.
type GatewayStore interface {
	// SaveGatewaySnapshot replaces the provider's snapshot. Errors:
	// ErrInvalid for an empty provider.
	SaveGatewaySnapshot(ctx context.Context, s GatewaySnapshot) error
	// GatewaySnapshots returns every provider's snapshot, by provider name.
	GatewaySnapshots(ctx context.Context) ([]GatewaySnapshot, error)
	// ClaimGatewayPost records key (insert-if-absent) and reports whether
	// this call inserted it: of replicas racing with the same key exactly
	// one gets true. incident is uuid.Nil for a channel notice. Errors:
	// ErrInvalid for an empty key.
	ClaimGatewayPost(ctx context.Context, key, provider string, incident uuid.UUID, at time.Time) (bool, error)
}

// DefaultAPIEndpoints are the public API base URLs /payissue diagnose checks
// for known gateways when a provider sets no api_endpoint. Each is the
// documented production host (Stripe: docs.stripe.com/api; PayPal:
// developer.paypal.com/api/rest; Braintree: the gateway host of the Braintree
// SDKs; Adyen: its Checkout API test host, since live hosts carry a
// merchant-specific prefix; Checkout.com, Mollie, Square, Worldpay and
// Klarna: their API references).
var DefaultAPIEndpoints = map[string]string{
	"stripe":    "https://api.stripe.com/v1/",
	"paypal":    "https://api-m.paypal.com/v1/",
	"braintree": "https://api.braintreegateway.com/",
	"adyen":     "https://checkout-test.adyen.com/",
	"checkout":  "https://api.checkout.com/",
	"mollie":    "https://api.mollie.com/v2/",
	"square":    "https://connect.squareup.com/v2/",
	"worldpay":  "https://access.worldpay.com/",
	"klarna":    "https://api.klarna.com/",
}

// DefaultStatusPoll is the status-page interval when none is configured.
const DefaultStatusPoll = 60 * time.Second

// MinStatusPoll is the shortest interval accepted: status pages are public
// services, and a poll every few seconds would be rude and pointless.
const MinStatusPoll = 10 * time.Second

// APIEndpoint returns the URL to diagnose for a provider: its api_endpoint,
// else the public default, else "".
func (p *Policy) APIEndpoint(provider string) string {
	id := strings.ToLower(strings.TrimSpace(provider))
	if pr := p.Providers[id]; pr != nil && pr.APIEndpoint != "" {
		return pr.APIEndpoint
	}
	return DefaultAPIEndpoints[id]
}

// StatusInterval is how often the provider's status page is polled.
func (p *Policy) StatusInterval(provider string) time.Duration {
	if pr := p.Providers[strings.ToLower(provider)]; pr != nil && pr.StatusPoll > 0 {
		return pr.StatusPoll
	}
	if p.StatusPoll > 0 {
		return p.StatusPoll
	}
	return DefaultStatusPoll
}

// ParseNoticeChannel splits "platform:channel". ok is false when s is not
// of that form.
func ParseNoticeChannel(s string) (Conversation, bool) {
	platform, channel, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || platform == "" || channel == "" || strings.ContainsAny(platform, " /") {
		return Conversation{}, false
	}
	return Conversation{Platform: strings.ToLower(platform), Channel: channel}, true
}

// Line renders one event on one line: name, status, impact, affected
// components and link. URLs are not masked here; callers mask what they
// post.
func (g GatewayEvent) Line() string {
	var b strings.Builder
	if g.Kind == GatewayMaintenance {
		b.WriteString("Maintenance: ")
	}
	b.WriteString(g.Name)
	b.WriteString(" — " + strings.ReplaceAll(g.Status, "_", " "))
	var extra []string
	if g.Impact != "" && g.Impact != "none" && g.Impact != "maintenance" {
		extra = append(extra, g.Impact+" impact")
	}
	if len(g.Components) > 0 {
		extra = append(extra, "affects "+strings.Join(g.Components, ", "))
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, "; ") + ")")
	}
	if g.URL != "" {
		b.WriteString(" " + g.URL)
	}
	return b.String()
}

// GatewaySummary is the one-line gateway status of an incident for its card
// and support packet: "" when the provider's status page shows nothing
// active.
func GatewaySummary(evs []GatewayEvent) string {
	var parts []string
	for _, g := range evs {
		parts = append(parts, g.Line())
	}
	return strings.Join(parts, " · ")
}
