package incidents

import (
	"strings"
	"testing"
	"time"
)

func TestCanSpecialCases(t *testing.T) {
	for _, tc := range []struct {
		a       Action
		roles   Role
		st      Status
		hasLead bool
		want    bool
	}{
		{ActCancel, RoleReporter, StatusIntake, false, true},
		{ActCancel, RoleReporter, StatusOpen, false, false},
		{ActCancel, RoleManager, StatusOpen, true, true},
		{ActNameLead, RoleResponderOf, StatusOpen, false, false}, // join, lead me, downgrade, cancel: no
		{ActNameLead, RoleReporter, StatusOpen, false, true},
		{ActNameLead, RoleOncall, StatusOpen, false, true},
		{ActNameLead, RoleResponderOf, StatusOpen, true, false},
		{ActNameLead, RoleLeader, StatusOpen, true, true},
		{ActReopenCancelled, RoleLeader, StatusCancelled, true, false},
		{ActReopenCancelled, RoleManager, StatusCancelled, true, true},
		{ActSeverityDown, RoleOncall, StatusOpen, true, false},
		{ActAck, RoleReporter, StatusEscalated, false, false},
		{Action("fly"), RoleManager, StatusOpen, false, false},
		{ActView, 0, StatusOpen, false, false},
	} {
		if got, who := Can(tc.a, tc.roles, tc.st, tc.hasLead); got != tc.want {
			t.Errorf("Can(%s, %s, %s, lead=%v) = %v (who: %s), want %v", tc.a, tc.roles.Names(), tc.st, tc.hasLead, got, who.Names(), tc.want)
		}
	}
}

func TestRolesOfFromConfig(t *testing.T) {
	p, probs := ParsePolicyYAML([]byte(`
team:
  - {id: mia, name: Mia, role: duty_manager, handles: {slack: UMIA}}
  - {id: sec, name: Sec, role: security, handles: {slack: USEC}}
  - {id: bob, name: Bob, handles: {slack: UBOB}}
  - {id: oncall, rotation: [bob], rotation_start: 2026-01-05}
incident_managers: [duty_manager]
authorized_roles: [security]
`))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	now := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	u := func(id string) User { return User{Platform: "slack", ID: id} }
	if r := p.RolesOf(u("UMIA"), nil, now); !r.Has(RoleManager) {
		t.Errorf("mia: %s", r.Names())
	}
	if r := p.RolesOf(u("USEC"), nil, now); r != RoleOncall {
		t.Errorf("sec: %s", r.Names())
	}
	if r := p.RolesOf(u("UBOB"), nil, now); r != RoleOncall {
		t.Errorf("bob on call: %s", r.Names())
	}
	if r := p.RolesOf(User{Platform: "discord", ID: "UMIA"}, nil, now); r != 0 {
		t.Errorf("a handle on another platform: %s", r.Names())
	}
	inc := &Incident{Reporter: u("UR")}
	inc.Roles.AddResponder(u("URON"))
	if r := p.RolesOf(u("URON"), inc, now); r != RoleResponderOf {
		t.Errorf("ron: %s", r.Names())
	}
}

func TestIncidentManagersMustNameSomeone(t *testing.T) {
	_, probs := ParsePolicyYAML([]byte("team:\n  - {id: mia, role: duty_manager}\nincident_managers: [duty_manager, nobody]\n"))
	if len(probs) != 1 || probs[0].Line != 3 || !strings.Contains(probs[0].Msg, `"nobody"`) {
		t.Fatalf("problems: %+v", probs)
	}
}

func TestTrivialResolution(t *testing.T) {
	for fix, want := range map[string]bool{
		"nothing :: nothing": true, "n/a": true, "fixed": true, "ok": true, "-": true, "abc": true,
		"rotated the webhook secret": false, "rollback": false,
	} {
		f, c, _ := strings.Cut(fix, "::")
		if got := TrivialResolution(f, c); got != want {
			t.Errorf("%q: %v, want %v", fix, got, want)
		}
	}
}

// TestVariantsNeedTheRolesOfTheirAction: the actions that exist only to
// word a refusal as what was attempted need exactly the roles of the
// action they are a use of, so splitting the wording changed no permission.
func TestVariantsNeedTheRolesOfTheirAction(t *testing.T) {
	for variant, of := range map[Action]Action{
		ActSeveritySet:  ActSeverityUp,
		ActCaseReply:    ActCase,
		ActFollowupDone: ActFollowup,
		ActFollowupList: ActFollowup,
	} {
		if permissions[variant] != permissions[of] {
			t.Errorf("%q needs %s, %q needs %s", variant, permissions[variant].Names(), of, permissions[of].Names())
		}
	}
}
