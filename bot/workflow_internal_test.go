package bot

import (
	"testing"

	"github.com/paybot/paybot/incidents"
)

func TestResolvePerson(t *testing.T) {
	p := incidents.DefaultPolicy()
	p.Team["bob"] = &incidents.Contact{ID: "bob", Name: "Bob Meyer", Handles: map[string]string{"slack": "U0BOB", "console": "bob"}}
	ana := User{Platform: "slack", ID: "U0ANA", Name: "ana"}
	for _, tc := range []struct {
		self User
		text string
		want User
		ok   bool
	}{
		{ana, "me", ana, true},
		{ana, "<@U0CAROL>", User{Platform: "slack", ID: "U0CAROL", Name: "U0CAROL"}, true},
		{ana, "<@U0CAROL|carol>", User{Platform: "slack", ID: "U0CAROL", Name: "carol"}, true},
		{User{Platform: "discord", ID: "1"}, "<@!123456789012345678>", User{Platform: "discord", ID: "123456789012345678", Name: "123456789012345678"}, true},
		{ana, "@bob", User{Platform: "slack", ID: "U0BOB", Name: "Bob Meyer"}, true},
		{ana, "BobMeyer", User{Platform: "slack", ID: "U0BOB", Name: "Bob Meyer"}, true},
		{ana, "@carol", User{}, false}, // a bare name on Slack says nobody
		{User{Platform: "console", ID: "ana"}, "carol", User{Platform: "console", ID: "carol", Name: "carol"}, true},
		{ana, "<!channel>", User{}, false},
		{ana, "<!here|here>", User{}, false},
		{ana, "bob and carol", User{}, false},
		{ana, "", User{}, false},
	} {
		got, ok := resolvePerson(p, tc.self, tc.text, tc.self.Platform == "console")
		if ok != tc.ok || got != tc.want {
			t.Errorf("resolvePerson(%q) = %+v, %v; want %+v, %v", tc.text, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPlainMentions(t *testing.T) {
	for in, want := range map[string]string{
		"handing over to <@U0BOB>":           "handing over to @U0BOB",
		"handing over to <@U0BOB|bob>":       "handing over to @bob",
		"<!channel> all good":                "@channel all good",
		"<!here|here> and <!everyone>":       "@here and @everyone",
		"<!subteam^S123|payments-oncall> ok": "@payments-oncall ok",
		"see <#C123|incidents>":              "see #incidents",
		"discord <@!123> <@&456>":            "discord @123 @456",
		"<https://status.stripe.com|status>": "<https://status.stripe.com|status>",
		"a < b > c":                          "a < b > c",
	} {
		if got := plainMentions(in); got != want {
			t.Errorf("plainMentions(%q) = %q, want %q", in, got, want)
		}
	}
}
