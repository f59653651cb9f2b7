package incidents

import "testing"

func TestRoles(t *testing.T) {
	ana := User{Platform: "slack", ID: "U1", Name: "ana"}
	bob := User{Platform: "slack", ID: "U2", Name: "bob"}
	bobDiscord := User{Platform: "discord", ID: "U2", Name: "bob"}
	var r Roles
	if !r.AddResponder(ana) || r.AddResponder(User{Platform: "slack", ID: "u1", Name: "Ana S."}) {
		t.Fatal("a responder was added twice")
	}
	if prev := r.SetLead(bob); prev != nil || !r.IsResponder(bob) || r.IsResponder(bobDiscord) {
		t.Fatalf("lead: %+v", r)
	}
	if prev := r.SetLead(ana); prev == nil || prev.ID != "U2" || r.Lead.ID != "U1" || len(r.Responders) != 2 {
		t.Fatalf("second lead: %+v", r)
	}
	if SameUser(User{}, User{}) {
		t.Error("two empty users are the same person")
	}
}
