package discord

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// rewriteTransport sends requests meant for discord.com to another base URL.
// discordgo builds every REST URL from package-level Endpoint* values computed
// at init, so changing EndpointDiscord later redirects nothing; swapping the
// session client's transport does.
type rewriteTransport struct {
	base *url.URL
	next http.RoundTripper
}

var apiVersionPath = regexp.MustCompile(`/api(/v\d+)?$`)

func newRewriteTransport(base string, next http.RoundTripper) (*rewriteTransport, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if next == nil {
		next = http.DefaultTransport
	}
	return &rewriteTransport{base: u, next: next}, nil
}

func (t *rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	host := r.URL.Hostname()
	if host != "discord.com" && host != "discordapp.com" {
		return t.next.RoundTrip(r)
	}
	r2 := r.Clone(r.Context())
	r2.URL.Scheme = t.base.Scheme
	r2.URL.Host = t.base.Host
	r2.Host = t.base.Host
	r2.URL.Path = rewritePath(strings.TrimSuffix(t.base.Path, "/"), r.URL.Path)
	r2.URL.RawPath = ""
	return t.next.RoundTrip(r2)
}

// rewritePath maps discordgo's "/api/v9/…" onto the base path: a base ending
// in /api/vN replaces the version, a base ending in /api or any other prefix
// is prepended.
func rewritePath(basePath, reqPath string) string {
	if basePath == "" {
		return reqPath
	}
	if m := apiVersionPath.FindStringIndex(basePath); m != nil {
		prefix := basePath[:m[0]]
		if strings.HasSuffix(basePath, "/api") {
			return prefix + reqPath
		}
		// replace /api/vN of the request with the base's
		rest := strings.TrimPrefix(reqPath, "/api")
		if strings.HasPrefix(rest, "/v") {
			if i := strings.Index(rest[1:], "/"); i >= 0 {
				rest = rest[i+1:]
			} else {
				rest = ""
			}
		}
		return basePath + rest
	}
	return basePath + reqPath
}
