package incidents

import (
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// gatewayFields reads a provider's status_poll, api_endpoint and
// status_notice_channel (issue 12) and checks status_page.
func (pr *parser) gatewayFields(f map[string]*yaml.Node, pv *Provider) {
	if n := f["status_page"]; n != nil && pv.StatusPage != "" && !httpURL(pv.StatusPage) {
		pr.add(n, "status_page %q must be an http(s) URL: the page's base URL or a feed ending in .rss, .atom or .xml", pv.StatusPage)
	}
	if n := f["status_poll"]; n != nil {
		pv.StatusPoll = pr.pollInterval(n)
	}
	if n := f["api_endpoint"]; n != nil {
		pv.APIEndpoint = pr.str(n)
		if !httpURL(pv.APIEndpoint) {
			pr.add(n, "api_endpoint %q must be an http(s) URL such as https://api.stripe.com/v1/", pv.APIEndpoint)
		}
	}
	if n := f["status_notice_channel"]; n != nil {
		pv.StatusNoticeChannel = pr.str(n)
		if _, ok := ParseNoticeChannel(pv.StatusNoticeChannel); !ok {
			pr.add(n, "status_notice_channel %q must be platform:channel, for example slack:C0PAYMENTS", pv.StatusNoticeChannel)
		}
	}
}

func (pr *parser) pollInterval(n *yaml.Node) time.Duration {
	d := pr.dur(n)
	if d != 0 && d < MinStatusPoll {
		pr.add(n, "status_poll %s is too short: status pages are polled at most every %s", d, MinStatusPoll)
		d = MinStatusPoll
	}
	return d
}

func httpURL(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
