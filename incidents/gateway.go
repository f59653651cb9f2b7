package incidents

import (
	"context"
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
