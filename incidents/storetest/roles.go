package storetest

import (
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
)

// testRoles: the lead, the responders, the last status update and a
// pending intake question survive a create, an update and a clear.
func testRoles(t *testing.T, h *harness) {
	s := h.fresh(t)
	inc := newIncident(1, "slack")
	ana := incidents.User{Platform: "slack", ID: "U100", Name: "ana"}
	bob := incidents.User{Platform: "slack", ID: "U200", Name: "bob"}
	inc.Roles.SetLead(ana)
	inc.Intake.Pending = &incidents.PendingAnswer{Step: "provider", Typed: "strpe", Suggested: "Stripe"}
	mustCreate(t, s, inc, incidents.Change{})
	got := mustGet(t, s, inc.ID)
	sameIncident(t, "roles after create", got, inc)

	got.Roles.AddResponder(bob)
	got.Roles.LastUpdate = &incidents.StatusUpdate{Text: "rolled back; declines falling", By: bob, At: base.Add(time.Hour)}
	got.Intake.Pending = nil
	mustUpdate(t, s, got, incidents.Change{})
	again := mustGet(t, s, inc.ID)
	sameIncident(t, "roles after update", again, got)
	if !again.Roles.IsResponder(bob) || again.Roles.Lead == nil || again.Roles.Lead.ID != "U100" {
		t.Fatalf("roles = %+v", again.Roles)
	}

	again.Roles = incidents.Roles{}
	mustUpdate(t, s, again, incidents.Change{})
	sameIncident(t, "roles cleared", mustGet(t, s, inc.ID), again)
}
