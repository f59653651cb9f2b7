package incidents

import (
	"strings"
	"testing"
)

func FuzzCheckConfig(f *testing.F) {
	f.Add("routing:\n  - name: a\n    match: {category: securty, provider: [strpe, 1]}\n    ladder:\n      - {contact: team:oncall, wait: 0s}\n")
	f.Add("intake:\n  steps:\n    - id: impact\n      when: {category: [payouts, nope]}\n")
	f.Add("providers: {stripe: {}}\nrouting: [x, {match: [1]}, {ladder: 3}]\n")
	f.Add("&a [*a]")
	f.Fuzz(func(t *testing.T, data string) {
		for _, p := range CheckConfig([]byte(data), nil, nil) {
			if p.Msg == "" || p.Line < 0 {
				t.Fatalf("bad problem %+v", p)
			}
		}
	})
}

func TestCheckConfigKeepsGoodConfigsQuiet(t *testing.T) {
	data := []byte(strings.Join([]string{
		"providers:",
		"  stripe: {name: Stripe}",
		"routing:",
		"  - name: security",
		"    match: {category: [security, declines], provider: Stripe, environment: production}",
		"    ladder:",
		"      - {contact: team:security, wait: 1m}",
		"  - name: default",
		"    ladder:",
		"      - {contact: team:oncall}",
	}, "\n"))
	p, probs := ParsePolicyYAML(data)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if got := CheckConfig(data, DefaultFlow(), p); len(got) != 0 {
		t.Errorf("a good config got problems: %+v", got)
	}
}
