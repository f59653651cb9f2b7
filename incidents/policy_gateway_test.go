package incidents

import (
	"strings"
	"testing"
	"time"
)

func TestPolicyGatewayFields(t *testing.T) {
	p, probs := ParsePolicyYAML([]byte(`status_poll: 30s
providers:
  stripe:
    status_page: https://status.stripe.com
    status_poll: 2m
    status_notice_channel: slack:C0PAYMENTS
  adyen:
    status_page: https://status.adyen.com/history.rss
    api_endpoint: https://checkout-live.example/
  acme:
    name: Acme
`))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if got := p.StatusInterval("stripe"); got != 2*time.Minute {
		t.Errorf("stripe interval %s", got)
	}
	if got := p.StatusInterval("adyen"); got != 30*time.Second {
		t.Errorf("adyen interval %s", got)
	}
	if got := p.APIEndpoint("Adyen"); got != "https://checkout-live.example/" {
		t.Errorf("adyen endpoint %q", got)
	}
	if got := p.APIEndpoint("stripe"); got != "https://api.stripe.com/v1/" {
		t.Errorf("stripe default endpoint %q", got)
	}
	if got := p.APIEndpoint("acme"); got != "" {
		t.Errorf("acme endpoint %q", got)
	}
	if c, ok := ParseNoticeChannel(p.Providers["stripe"].StatusNoticeChannel); !ok || c.Platform != "slack" || c.Channel != "C0PAYMENTS" {
		t.Errorf("notice channel %+v", c)
	}
	if DefaultPolicy().StatusInterval("x") != DefaultStatusPoll {
		t.Error("default interval")
	}

	_, probs = ParsePolicyYAML([]byte(`status_poll: 1s
providers:
  stripe:
    status_page: status.stripe.com
    api_endpoint: ftp://x
    status_notice_channel: C0PAYMENTS
    status_poll: soon
`))
	var msgs []string
	for _, pb := range probs {
		msgs = append(msgs, pb.String())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"line 1: status_poll 1s is too short", "line 4: status_page", "line 5: api_endpoint", "line 6: status_notice_channel", "line 7:"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
}
