package diagnose_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents/diagnose"
)

// resolver answers every name in its map with 127.0.0.1 and fails others.
type resolver map[string]bool

func (r resolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	if r[host] {
		return []net.IPAddr{{IP: net.IPv4(127, 0, 0, 1)}}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func tlsServer(t *testing.T, cert tls.Certificate, h http.Handler) string {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.StartTLS()
	t.Cleanup(s.Close)
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	return port
}

func TestVerdicts(t *testing.T) {
	pki := newPKI(t)
	now := time.Now()
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	fail := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	valid := tlsServer(t, pki.leaf(t, "gateway.test", now.Add(-time.Hour), now.Add(90*24*time.Hour), false), ok)
	soon := tlsServer(t, pki.leaf(t, "gateway.test", now.Add(-time.Hour), now.Add(5*24*time.Hour+time.Hour), false), ok)
	self := tlsServer(t, pki.leaf(t, "gateway.test", now.Add(-time.Hour), now.Add(90*24*time.Hour), true), ok)
	expired := tlsServer(t, pki.leaf(t, "gateway.test", now.Add(-90*24*time.Hour), now.Add(-2*24*time.Hour-time.Hour), false), ok)
	other := tlsServer(t, pki.leaf(t, "other.test", now.Add(-time.Hour), now.Add(90*24*time.Hour), false), ok)
	errors5xx := tlsServer(t, pki.leaf(t, "gateway.test", now.Add(-time.Hour), now.Add(90*24*time.Hour), false), fail)
	hang := tlsServer(t, pki.leaf(t, "gateway.test", now.Add(-time.Hour), now.Add(90*24*time.Hour), false), slow)
	// A port with nothing listening.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	_, closed, _ := net.SplitHostPort(l.Addr().String())
	l.Close()

	cfg := diagnose.Config{Resolver: resolver{"gateway.test": true}, RootCAs: pki.Roots, Timeout: 1500 * time.Millisecond, AllowPrivate: true}
	for _, tc := range []struct {
		name, url string
		verdict   diagnose.Verdict
		failed    string // the check that fails or warns first
		meaning   string // words the summary must contain
	}{
		{"valid", "https://gateway.test:" + valid + "/v1/", diagnose.Pass, "", "All checks passed"},
		{"expires soon", "https://gateway.test:" + soon + "/", diagnose.Warn, "expiry", "expires in 5 days"},
		{"self-signed", "https://gateway.test:" + self + "/", diagnose.Fail, "chain", "self-signed"},
		{"expired", "https://gateway.test:" + expired + "/", diagnose.Fail, "expiry", "expired 2 days ago: every API call fails before it reaches the gateway"},
		{"other host", "https://gateway.test:" + other + "/", diagnose.Fail, "hostname", "another host (other.test)"},
		{"server error", "https://gateway.test:" + errors5xx + "/", diagnose.Fail, "http", "server error (502)"},
		{"hangs", "https://gateway.test:" + hang + "/", diagnose.Fail, "http", "did not answer in time"},
		{"no dns", "https://nxdomain.test/", diagnose.Fail, "dns", "cannot find nxdomain.test"},
		{"port closed", "https://gateway.test:" + closed + "/", diagnose.Fail, "tcp", "Nothing accepts connections"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := diagnose.Run(context.Background(), cfg, tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict != tc.verdict {
				t.Fatalf("verdict %s, want %s\n%s", r.Verdict, tc.verdict, r.Text())
			}
			first := ""
			for _, c := range r.Checks {
				if c.Verdict == diagnose.Fail || c.Verdict == diagnose.Warn {
					first = c.Name
					break
				}
			}
			if first != tc.failed {
				t.Errorf("first failing check %q, want %q\n%s", first, tc.failed, r.Text())
			}
			if !strings.Contains(r.Summary, tc.meaning) {
				t.Errorf("summary %q lacks %q", r.Summary, tc.meaning)
			}
			if len(r.Checks) != 7 {
				t.Errorf("%d checks, want all 7 reported (skipped ones too)", len(r.Checks))
			}
			if _, err := json.Marshal(r); err != nil {
				t.Fatal(err)
			}
		})
	}
	// The hostname-mismatch case still verifies the chain: only the name is wrong.
	r, _ := diagnose.Run(context.Background(), cfg, "https://gateway.test:"+other+"/")
	for _, c := range r.Checks {
		if c.Name == "chain" && c.Verdict != diagnose.Pass {
			t.Errorf("other host: chain %s, want pass", c.Verdict)
		}
	}
	if r.TLS == nil || r.TLS.Version == "" || r.TLS.Cipher == "" {
		t.Errorf("tls info %+v", r.TLS)
	}
}

func TestRefusesPrivateByDefault(t *testing.T) {
	for _, target := range []string{"https://127.0.0.1:1/", "https://gateway.test/", "http://169.254.169.254/latest/meta-data/", "https://[::1]/"} {
		r, err := diagnose.Run(context.Background(), diagnose.Config{Resolver: resolver{"gateway.test": true}}, target)
		if err != nil {
			t.Fatal(err)
		}
		if r.Verdict != diagnose.Fail || r.Checks[0].Name != "dns" || !strings.Contains(r.Summary, "only check public endpoints") {
			t.Errorf("%s: %s", target, r.Text())
		}
	}
}

func TestBadTargets(t *testing.T) {
	for _, bad := range []string{"", "ftp://x", "https://", "::::"} {
		if _, err := diagnose.Run(context.Background(), diagnose.Config{}, bad); !errors.Is(err, diagnose.ErrUsage) {
			t.Errorf("Run(%q) = %v, want ErrUsage", bad, err)
		}
	}
	u, err := diagnose.ParseTarget("api.stripe.com")
	if err != nil || u.String() != "https://api.stripe.com/" {
		t.Errorf("bare host: %v %v", u, err)
	}
}

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://stspg.io/abc?token=s3cr3tvalue":                   "https://stspg.io/abc?token=REDACTED",
		"https://status.example.com/?x=1&api_key=AbC&page=2":       "https://status.example.com/?x=1&api_key=REDACTED&page=2",
		"https://user:hunter2@status.example.com/history.rss":      "https://REDACTED@status.example.com/history.rss",
		"https://status.stripe.com/incidents/abc":                  "https://status.stripe.com/incidents/abc",
		"https://h.test/?X-Amz-Signature=deadbeef&access_token=zz": "https://h.test/?X-Amz-Signature=REDACTED&access_token=REDACTED",
	} {
		if got := diagnose.MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
	}
	got := diagnose.MaskURLsIn("see https://stspg.io/abc?token=s3cr3t. and card 4242 4242 4242 4242")
	if strings.Contains(got, "s3cr3t") || strings.Contains(got, "4242 4242 4242 4242") || !strings.Contains(got, "token=REDACTED.") {
		t.Errorf("MaskURLsIn = %q", got)
	}
}

// MaskURL reads URLs from status pages and servers: it must never panic,
// and a token value never survives it.
func FuzzMaskURL(f *testing.F) {
	f.Add("https://stspg.io/abc?token=s3cr3tvalue", "s3cr3tvalue")
	f.Add("https://u:p@h.test/?a=1&api_key=zzzzzz&b", "zzzzzz")
	f.Add("%%%://", "x")
	f.Fuzz(func(t *testing.T, raw, secret string) {
		out := diagnose.MaskURL(raw)
		_ = diagnose.MaskURLsIn(raw)
		u := "https://h.test/p?token=" + url.QueryEscape(secret)
		if len(secret) >= 6 && !strings.Contains("https://h.test/p?token=REDACTED", secret) && strings.Contains(diagnose.MaskURL(u), url.QueryEscape(secret)) {
			t.Fatalf("token survived: %q -> %q", u, diagnose.MaskURL(u))
		}
		_ = out
	})
}
