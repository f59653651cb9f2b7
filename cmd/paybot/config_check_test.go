package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigCheckProblems: one testdata file per problem, and the
// file:line:col message config check must print for it. Lines and columns
// come from the YAML parser, so a key that appears twice, or a key that is
// also the name of a nested key, is reported where it is.
func TestConfigCheckProblems(t *testing.T) {
	for _, tc := range []struct {
		file string
		code int
		want string // after "<file>:"
	}{
		{"tz_after_nested", 1, `3:11: timezone "Mars/Olympus" is not a known IANA zone`},
		{"dup_top_key", 1, `5:1: timezone appears twice (first at line 1)`},
		{"dup_slack_key", 1, `4:3: bot_token appears twice under slack (first at line 2)`},
		{"unknown_top_key", 1, `1:1: unknown key "timezon", did you mean timezone?`},
		{"http_addr_list", 1, `1:12: http_addr must be a single value, not a list`},
		{"smtp_port", 1, `3:9: smtp.port must be a whole number, not "abc"`},
		{"smtp_unknown_key", 1, `2:3: unknown key "hots" under smtp, did you mean host?`},
		{"team_unknown_field", 1, `3:5: unknown team contact field "nmae", did you mean name?`},
		{"yaml_syntax", 1, `2: YAML syntax:`},
		{"routing_category", 1, `3:23: unknown category "securty" in a routing match (did you mean security?); it would never match`},
		{"routing_category_alias", 1, `4:27: routing matches category "fraud", a label or alias; the intake stores "security"`},
		{"routing_provider", 1, `7:23: unknown provider "strpe" in a routing match (did you mean stripe?)`},
		{"routing_provider_typed", 0, `3:23: warning: routing matches provider "mollie", which is neither a provider choice`},
		{"routing_environment", 1, `3:26: routing matches environment "prod", a label or alias; the intake stores "production"`},
		{"routing_wait_zero", 1, `4:40: wait 0s never gives anyone time to acknowledge`},
		{"routing_wait_negative", 1, `5:15: "-5m" is not a duration`},
		{"routing_never_fires", 1, `5:5: routing rule "security" can never fire: rule "everything" (line 2) before it matches every incident`},
		{"incident_managers_unknown", 1, `4:21: incident_managers: "incident_manger" is neither a team id nor a team role, did you mean incident_manager?`},
		{"database_url_scheme", 1, `2:15: database_url: the scheme "mysql" is not PostgreSQL's`},
		{"database_url_slash", 1, `2:15: database_url: an '@' follows the host, so the user name or password holds a '/'`},
		{"database_url_keyvalue", 1, `1:15: database_url: invalid port`},
		{"provider_no_contacts", 0, `1:1: warning: the intake offers Adyen, PayPal, Braintree, Checkout.com, Square, Authorize.Net and Worldpay, but providers: has no contacts for them`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "config", tc.file+".yaml")
			code, out, errOut := runPaybot(t, "config", "check", path)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, path+":"+tc.want) {
				t.Errorf("want %s:%s\ngot:\n%s", path, tc.want, out)
			}
			for _, leak := range []string{"main.", "yaml.Node", "map[string]string", "!!seq", "!!str", "Xk9v", "LongSecret", "Rest2"} {
				if strings.Contains(out+errOut, leak) {
					t.Errorf("message shows Go or YAML internals (%s):\n%s", leak, out)
				}
			}
		})
	}
}

// TestConfigWarningsDoNotStopTheBot: a config with only warnings loads.
func TestConfigWarningsDoNotStopTheBot(t *testing.T) {
	a := &app{configPath: filepath.Join("testdata", "config", "routing_provider_typed.yaml")}
	if err := a.loadConfig(); err != nil {
		t.Fatalf("a warning stopped the config from loading: %v", err)
	}
	a = &app{configPath: filepath.Join("testdata", "config", "routing_wait_zero.yaml")}
	if err := a.loadConfig(); err == nil || !strings.Contains(err.Error(), "routing_wait_zero.yaml:4:40:") {
		t.Fatalf("an error did not stop the config from loading: %v", err)
	}
}
