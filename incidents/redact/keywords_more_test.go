package redact

import (
	"strings"
	"testing"
)

// TestRedactMoreSecretForms: short password names, cookies and session ids
// in header and key=value form, and incoming-webhook URLs.
func TestRedactMoreSecretForms(t *testing.T) {
	for in, secret := range map[string]string{
		"pass: PassColon881":                      "PassColon881",
		"pw=PwEq77331":                            "PwEq77331",
		"Cookie: session=SessCookie7788":          "SessCookie7788",
		"Set-Cookie: sid=SidCookie1122; HttpOnly": "SidCookie1122",
		"session_id=AbCd1234EfGh5678":             "AbCd1234EfGh5678",
		"https://hooks.slack.com/services/T11111111/B22222222/YYYYabcdEFGH1234wxyz": "YYYYabcdEFGH1234wxyz",
	} {
		if out := String(in); strings.Contains(out, secret) {
			t.Errorf("String(%q) = %q", in, out)
		}
	}
	for _, in := range []string{"the pass was fine", "pw check ok", "session expired, please retry", "cookie banner shown", "the sid column",
		"we pass PAY-12 to tier2", "pass PAY-7 on to the desk", "pw reset flow v2 shipped", "pwd was /srv/app2"} {
		if out := String(in); out != in {
			t.Errorf("String(%q) = %q: masked prose", in, out)
		}
	}
}
