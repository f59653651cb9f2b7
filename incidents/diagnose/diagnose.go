package diagnose

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/redact"
)

// Verdict is the outcome of a check, ordered from good to bad.
type Verdict string

const (
	Pass Verdict = "pass"
	Warn Verdict = "warn"
	Fail Verdict = "fail"
	Skip Verdict = "skip" // not run because an earlier check failed
)

func (v Verdict) rank() int {
	switch v {
	case Warn:
		return 1
	case Fail:
		return 2
	}
	return 0
}

// Check names, in the order they run.
const (
	CheckDNS      = "dns"
	CheckTCP      = "tcp"
	CheckTLS      = "tls"
	CheckChain    = "chain"
	CheckHostname = "hostname"
	CheckExpiry   = "expiry"
	CheckHTTP     = "http"
)

// Check is one step's result. Detail gives the facts; Meaning says what they
// mean for payments.
type Check struct {
	Name    string  `json:"name"`
	Verdict Verdict `json:"verdict"`
	Detail  string  `json:"detail"`
	Meaning string  `json:"meaning"`
	// Millis is how long the step took, in milliseconds (0 when not timed).
	Millis float64 `json:"ms"`
}

// TLSInfo describes the handshake and the leaf certificate.
type TLSInfo struct {
	Version  string    `json:"version"`
	Cipher   string    `json:"cipher"`
	Subject  string    `json:"subject"`
	Issuer   string    `json:"issuer"`
	DNSNames []string  `json:"dns_names,omitempty"`
	NotAfter time.Time `json:"not_after"`
	// DaysLeft is whole days until NotAfter, negative once expired.
	DaysLeft int `json:"days_left"`
}

// Report is a whole diagnosis.
type Report struct {
	// Target is the URL checked, with credentials and secret query values
	// masked.
	Target   string    `json:"target"`
	Provider string    `json:"provider,omitempty"`
	Host     string    `json:"host"`
	Port     string    `json:"port"`
	At       time.Time `json:"at"`
	// Verdict is the worst verdict of the checks.
	Verdict Verdict `json:"verdict"`
	// Summary is one plain sentence: the first failure's meaning, or that
	// all is well.
	Summary   string   `json:"summary"`
	Addresses []string `json:"addresses,omitempty"`
	TLS       *TLSInfo `json:"tls,omitempty"`
	// HTTPStatus is the endpoint's status code, 0 when not reached.
	HTTPStatus int     `json:"http_status,omitempty"`
	Checks     []Check `json:"checks"`
}

// Resolver looks host names up; *net.Resolver satisfies it.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Config adjusts a diagnosis. The zero value uses the system's resolver and
// roots and a 10 s budget.
type Config struct {
	Resolver Resolver
	// RootCAs are the trusted roots; nil means the system pool.
	RootCAs *x509.CertPool
	Clock   incidents.Clock
	// Timeout bounds the whole diagnosis; default 10 s.
	Timeout time.Duration
	// ExpiryWarning is how close to expiry a certificate gets a warning;
	// default 21 days.
	ExpiryWarning time.Duration
	// SlowHTTP is the latency above which the HTTP check warns; default 2 s.
	SlowHTTP time.Duration
	// AllowPrivate permits loopback, private and link-local addresses. The
	// CLI allows them (the operator's own shell); chat does not, so that a
	// chat message cannot make the bot probe its own network (SSRF).
	AllowPrivate bool
}

// ErrUsage is returned for a target that cannot be diagnosed at all.
var ErrUsage = errors.New("diagnose: bad target")

// ParseTarget accepts a URL or a bare host ("api.stripe.com",
// "api.stripe.com:443") and returns a URL. Errors: ErrUsage.
func ParseTarget(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("%w: give a URL such as https://api.stripe.com/v1/", ErrUsage)
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("%w: %q is not a URL such as https://api.stripe.com/v1/", ErrUsage, redact.String(raw))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("%w: only http and https URLs can be checked, not %s", ErrUsage, u.Scheme)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// Run diagnoses target (a URL or host). It returns an error only for an
// unusable target (ErrUsage); every network failure is a Fail check in the
// report.
func Run(ctx context.Context, cfg Config, target string) (*Report, error) {
	u, err := ParseTarget(target)
	if err != nil {
		return nil, err
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.Clock == nil {
		cfg.Clock = incidents.SystemClock{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.ExpiryWarning <= 0 {
		cfg.ExpiryWarning = 21 * 24 * time.Hour
	}
	if cfg.SlowHTTP <= 0 {
		cfg.SlowHTTP = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	d := &run{cfg: cfg, u: u, r: &Report{Target: MaskURL(u.String()), Host: u.Hostname(), Port: u.Port(), At: cfg.Clock.Now().UTC()}}
	if d.r.Port == "" {
		d.r.Port = "443"
		if u.Scheme == "http" {
			d.r.Port = "80"
		}
	}
	d.all(ctx)
	d.finish()
	return d.r, nil
}

type run struct {
	cfg   Config
	u     *url.URL
	r     *Report
	addrs []net.IPAddr
	conn  net.Conn
}

func (d *run) add(c Check) { d.r.Checks = append(d.r.Checks, c) }

func (d *run) skip(names ...string) {
	for _, n := range names {
		d.add(Check{Name: n, Verdict: Skip, Detail: "not checked", Meaning: "An earlier step failed, so this could not be checked."})
	}
}

func ms(t time.Duration) float64 { return float64(t.Microseconds()) / 1000 }

func (d *run) all(ctx context.Context) {
	tlsChecks := []string{CheckTLS, CheckChain, CheckHostname, CheckExpiry}
	if !d.dns(ctx) {
		d.skip(append([]string{CheckTCP}, append(tlsChecks, CheckHTTP)...)...)
		return
	}
	if !d.tcp(ctx) {
		d.skip(append(tlsChecks, CheckHTTP)...)
		return
	}
	if d.u.Scheme == "https" {
		if !d.tls(ctx) {
			d.skip(CheckHTTP)
			return
		}
	} else {
		d.conn.Close()
		d.add(Check{Name: CheckTLS, Verdict: Warn, Detail: "plain http, no TLS",
			Meaning: "This endpoint is not encrypted. Gateways require HTTPS for API calls; check the URL in your configuration."})
	}
	d.http(ctx)
}

// private reports whether ip is not a public internet address.
func private(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast()
}

func (d *run) refusePrivate() bool {
	if d.cfg.AllowPrivate {
		return false
	}
	for _, a := range d.addrs {
		if private(a.IP) {
			d.add(Check{Name: CheckDNS, Verdict: Fail, Detail: fmt.Sprintf("%s is a private or local address; not checked", a.IP),
				Meaning: "Diagnoses from chat only check public endpoints. Run paybot diagnose from a shell to check an internal host."})
			return true
		}
	}
	return false
}

func (d *run) dns(ctx context.Context) bool {
	host := d.u.Hostname()
	if ip := net.ParseIP(host); ip != nil {
		d.addrs = []net.IPAddr{{IP: ip}}
		d.r.Addresses = []string{ip.String()}
		if d.refusePrivate() {
			return false
		}
		d.add(Check{Name: CheckDNS, Verdict: Pass, Detail: "an IP address was given, nothing to resolve", Meaning: "No DNS lookup needed."})
		return true
	}
	start := time.Now()
	addrs, err := d.cfg.Resolver.LookupIPAddr(ctx, host)
	took := time.Since(start)
	if err != nil || len(addrs) == 0 {
		why := "no addresses"
		if err != nil {
			why = err.Error()
		}
		d.add(Check{Name: CheckDNS, Verdict: Fail, Millis: ms(took), Detail: fmt.Sprintf("%s does not resolve: %s", host, why),
			Meaning: fmt.Sprintf("Your servers cannot find %s, so no payment request leaves them. Check the host name in your configuration and your DNS resolver; if it resolves elsewhere, the problem is DNS on your side.", host)})
		return false
	}
	d.addrs = addrs
	for _, a := range addrs {
		d.r.Addresses = append(d.r.Addresses, a.IP.String())
	}
	if d.refusePrivate() {
		return false
	}
	c := Check{Name: CheckDNS, Verdict: Pass, Millis: ms(took),
		Detail:  fmt.Sprintf("%s resolves to %s in %s", host, strings.Join(d.r.Addresses, ", "), fmtMS(took)),
		Meaning: "DNS works: your servers can find the gateway."}
	if took > 2*time.Second {
		c.Verdict, c.Meaning = Warn, "DNS answers, but slowly: every new connection to the gateway waits this long first. Check your resolver."
	}
	d.add(c)
	return true
}

func (d *run) tcp(ctx context.Context) bool {
	var dialer net.Dialer
	var lastErr error
	start := time.Now()
	for _, a := range d.addrs {
		addr := net.JoinHostPort(a.IP.String(), d.r.Port)
		c, err := dialer.DialContext(ctx, "tcp", addr)
		if err == nil {
			took := time.Since(start)
			d.conn = c
			v, meaning := Pass, "The gateway accepts connections: the network path and firewalls let traffic through."
			if took > time.Second {
				v, meaning = Warn, "The connection works but takes long to set up: expect slow or timing-out payment calls. Check the network path (proxy, NAT, firewall)."
			}
			d.add(Check{Name: CheckTCP, Verdict: v, Millis: ms(took), Detail: fmt.Sprintf("connected to %s in %s", addr, fmtMS(took)), Meaning: meaning})
			return true
		}
		lastErr = err
	}
	took := time.Since(start)
	meaning := fmt.Sprintf("Nothing accepts connections on port %s: a firewall or proxy blocks the way out, the gateway is down, or the port is wrong. Payment calls fail before any data is sent.", d.r.Port)
	if errors.Is(lastErr, context.DeadlineExceeded) || isTimeout(lastErr) {
		meaning = fmt.Sprintf("Connections to port %s time out: usually a firewall silently dropping traffic, or a network outage between you and the gateway. Payment calls hang until their timeout.", d.r.Port)
	}
	d.add(Check{Name: CheckTCP, Verdict: Fail, Millis: ms(took), Detail: fmt.Sprintf("cannot connect to %s port %s: %v", d.r.Host, d.r.Port, lastErr), Meaning: meaning})
	return false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (d *run) tls(ctx context.Context) bool {
	host := d.u.Hostname()
	start := time.Now()
	// Verification is done below, part by part; see the package comment.
	tc := tls.Client(d.conn, &tls.Config{ServerName: host, InsecureSkipVerify: true}) //nolint:gosec // verified by hand below
	err := tc.HandshakeContext(ctx)
	took := time.Since(start)
	if err != nil {
		d.conn.Close()
		d.add(Check{Name: CheckTLS, Verdict: Fail, Millis: ms(took), Detail: "TLS handshake failed: " + err.Error(),
			Meaning: "The secure connection could not be set up (no common TLS version or cipher, or something that is not the gateway answers on this port). Payment calls fail before they reach the gateway."})
		d.skip(CheckChain, CheckHostname, CheckExpiry)
		return false
	}
	defer tc.Close()
	st := tc.ConnectionState()
	leaf := st.PeerCertificates[0]
	info := &TLSInfo{Version: tls.VersionName(st.Version), Cipher: tls.CipherSuiteName(st.CipherSuite),
		Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(), DNSNames: leaf.DNSNames, NotAfter: leaf.NotAfter.UTC()}
	d.r.TLS = info
	v, meaning := Pass, "The secure connection works with a current protocol."
	if st.Version < tls.VersionTLS12 {
		v, meaning = Warn, "The gateway accepted an old TLS version; card networks (PCI DSS) require TLS 1.2 or newer, so expect the gateway to refuse it soon."
	}
	d.add(Check{Name: CheckTLS, Verdict: v, Millis: ms(took), Detail: fmt.Sprintf("%s, %s", info.Version, info.Cipher), Meaning: meaning})

	now := d.cfg.Clock.Now()
	inter := x509.NewCertPool()
	for _, c := range st.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	// Judge trust at a moment the leaf is valid, so an expired but trusted
	// certificate is reported as expired, not as untrusted.
	at := now
	if now.After(leaf.NotAfter) {
		at = leaf.NotAfter.Add(-time.Second)
	} else if now.Before(leaf.NotBefore) {
		at = leaf.NotBefore.Add(time.Second)
	}
	_, verr := leaf.Verify(x509.VerifyOptions{Roots: d.cfg.RootCAs, Intermediates: inter, CurrentTime: at})
	ok := true
	switch {
	case verr == nil:
		d.add(Check{Name: CheckChain, Verdict: Pass, Detail: "issued by " + info.Issuer + ", chain verifies to a trusted root",
			Meaning: "The certificate is signed by an authority your servers trust."})
	case isSelfSigned(leaf):
		ok = false
		d.add(Check{Name: CheckChain, Verdict: Fail, Detail: "self-signed certificate (" + info.Subject + "): " + verr.Error(),
			Meaning: "The certificate is self-signed, so no client will trust it: either something between you and the gateway intercepts TLS (a proxy or firewall), or this is not the gateway's real endpoint. Payment calls fail with a certificate error."})
	default:
		ok = false
		d.add(Check{Name: CheckChain, Verdict: Fail, Detail: "chain does not verify: " + verr.Error(),
			Meaning: "The certificate is not signed by an authority your servers trust: a TLS-intercepting proxy, a missing intermediate certificate, or an outdated trust store on your servers. Payment calls fail with a certificate error."})
	}
	if herr := leaf.VerifyHostname(host); herr != nil {
		ok = false
		names := strings.Join(leaf.DNSNames, ", ")
		if names == "" {
			names = leaf.Subject.CommonName
		}
		d.add(Check{Name: CheckHostname, Verdict: Fail, Detail: fmt.Sprintf("certificate is for %s, not %s", names, host),
			Meaning: fmt.Sprintf("The certificate belongs to another host (%s): DNS or a proxy sends you somewhere else, or the URL in your configuration is wrong. Clients refuse the connection.", names)})
	} else {
		d.add(Check{Name: CheckHostname, Verdict: Pass, Detail: "certificate covers " + host, Meaning: "The certificate is for the host you called."})
	}
	left := leaf.NotAfter.Sub(now)
	// Whole days, truncated toward zero: -2 means it expired two days ago.
	info.DaysLeft = int(left.Hours() / 24)
	switch {
	case now.Before(leaf.NotBefore):
		ok = false
		d.add(Check{Name: CheckExpiry, Verdict: Fail, Detail: "certificate not valid until " + leaf.NotBefore.UTC().Format(time.RFC3339),
			Meaning: "The certificate is not valid yet: either the server's certificate was installed too early or your server's clock is wrong. Clients refuse the connection."})
	case left < 0:
		ok = false
		ago := int((-left).Hours() / 24)
		d.add(Check{Name: CheckExpiry, Verdict: Fail, Detail: "certificate expired " + leaf.NotAfter.UTC().Format(time.RFC3339),
			Meaning: fmt.Sprintf("The certificate expired %s: every API call fails before it reaches the gateway. If this is the gateway's host, tell them now; if it is a proxy of yours, renew its certificate.", daysAgo(ago))})
	case left < d.cfg.ExpiryWarning:
		d.add(Check{Name: CheckExpiry, Verdict: Warn, Detail: fmt.Sprintf("certificate expires %s (%d days)", leaf.NotAfter.UTC().Format("2006-01-02"), info.DaysLeft),
			Meaning: fmt.Sprintf("The certificate expires in %d days; when it does, every API call fails. Make sure it is renewed.", info.DaysLeft)})
	default:
		d.add(Check{Name: CheckExpiry, Verdict: Pass, Detail: fmt.Sprintf("valid until %s (%d days)", leaf.NotAfter.UTC().Format("2006-01-02"), info.DaysLeft),
			Meaning: "The certificate is valid for a while yet."})
	}
	return ok
}

func daysAgo(n int) string {
	switch n {
	case 0:
		return "today"
	case 1:
		return "1 day ago"
	}
	return strconv.Itoa(n) + " days ago"
}

func isSelfSigned(c *x509.Certificate) bool {
	return c.Issuer.String() == c.Subject.String() && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func (d *run) http(ctx context.Context) {
	addr := net.JoinHostPort(d.addrs[0].IP.String(), d.r.Port)
	tr := &http.Transport{
		// Connect to the address already resolved, so the check follows
		// the same path as the steps before it.
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, network, addr)
		},
		TLSClientConfig:   &tls.Config{RootCAs: d.cfg.RootCAs, ServerName: d.u.Hostname(), Time: d.cfg.Clock.Now},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.u.String(), nil)
	if err != nil {
		d.add(Check{Name: CheckHTTP, Verdict: Fail, Detail: err.Error(), Meaning: "The URL cannot be requested."})
		return
	}
	req.Header.Set("User-Agent", "paybot-diagnose/1")
	start := time.Now()
	resp, err := client.Do(req)
	took := time.Since(start)
	if err != nil {
		meaning := "The gateway did not answer the HTTP request: payment calls would fail or time out the same way."
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			meaning = "The gateway accepted the connection but did not answer in time: payment calls would time out. This usually points to the gateway (check its status page) or a proxy in between."
		}
		d.add(Check{Name: CheckHTTP, Verdict: Fail, Millis: ms(took), Detail: "request failed: " + MaskURLsIn(err.Error()), Meaning: meaning})
		return
	}
	resp.Body.Close()
	d.r.HTTPStatus = resp.StatusCode
	c := Check{Name: CheckHTTP, Millis: ms(took), Detail: fmt.Sprintf("HTTP %d in %s", resp.StatusCode, fmtMS(took))}
	switch {
	case resp.StatusCode >= 500:
		c.Verdict, c.Meaning = Fail, fmt.Sprintf("The gateway answers with a server error (%d): the problem is on the gateway's side. Check its status page and contact its support.", resp.StatusCode)
	case resp.StatusCode == http.StatusTooManyRequests:
		c.Verdict, c.Meaning = Warn, "The gateway is rate-limiting this host (429): payment calls from here may be refused until the rate drops."
	default:
		c.Verdict, c.Meaning = Pass, "The gateway's API answers (an error such as 401 or 404 is normal for a request without credentials)."
		if took > d.cfg.SlowHTTP {
			c.Verdict, c.Meaning = Warn, fmt.Sprintf("The gateway answers, but slowly (%s): expect slow checkouts and timeouts in payment calls.", fmtMS(took))
		}
	}
	d.add(c)
}

func (d *run) finish() {
	d.r.Verdict = Pass
	var first *Check
	for i := range d.r.Checks {
		c := &d.r.Checks[i]
		if c.Verdict.rank() > d.r.Verdict.rank() {
			d.r.Verdict = c.Verdict
		}
		if c.Verdict == Fail && first == nil {
			first = c
		}
	}
	switch {
	case first != nil:
		d.r.Summary = first.Meaning
	case d.r.Verdict == Warn:
		for _, c := range d.r.Checks {
			if c.Verdict == Warn {
				d.r.Summary = "Reachable, with a warning: " + c.Meaning
				break
			}
		}
	default:
		s := fmt.Sprintf("All checks passed: %s is reachable", d.r.Host)
		if d.r.TLS != nil {
			s += fmt.Sprintf(", its certificate is valid for %d more days", d.r.TLS.DaysLeft)
		}
		for _, c := range d.r.Checks {
			if c.Name == CheckHTTP {
				s += fmt.Sprintf(" and it answers in %s", fmtMS(time.Duration(c.Millis*float64(time.Millisecond))))
			}
		}
		d.r.Summary = s + ". If payments still fail, the cause is more likely in the requests themselves (credentials, parameters) or with the bank."
	}
}

func fmtMS(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

// Text renders the report for chat and the terminal: one line per check,
// then the summary.
func (r *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Diagnosis of %s", r.Target)
	if r.Provider != "" {
		fmt.Fprintf(&b, " (%s)", r.Provider)
	}
	fmt.Fprintf(&b, ": %s\n", strings.ToUpper(string(r.Verdict)))
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "  %-4s %-8s %s", strings.ToUpper(string(c.Verdict)), c.Name, c.Detail)
		if c.Verdict == Fail || c.Verdict == Warn {
			fmt.Fprintf(&b, "\n       → %s", c.Meaning)
		}
		b.WriteByte('\n')
	}
	b.WriteString(r.Summary)
	return b.String()
}
