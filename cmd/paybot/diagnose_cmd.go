package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents/diagnose"
	"github.com/paybot/paybot/incidents/webhooksig"
)

// Issue 12: `paybot diagnose` and `paybot webhook verify`, and the status
// page poller started beside the engine. Exit codes: 0 pass, 1 a check
// failed (or could not be completed), 2 usage.

// checkFailed is returned when the command ran but a check failed: exit 1.
type checkFailed struct{ msg string }

func (c checkFailed) Error() string { return c.msg }

func init() {
	addCommand(newDiagnoseCmd)
	addCommand(newWebhookCmd)
}

// diagnoseFlags are paybot diagnose's options.
type diagnoseFlags struct {
	json    bool
	timeout time.Duration
}

func newDiagnoseCmd(a *app) *cobra.Command {
	f := &diagnoseFlags{}
	cmd := &cobra.Command{
		Use:   "diagnose URL|PROVIDER",
		Short: "Check DNS, TCP, TLS, the certificate and HTTP of a gateway's API endpoint",
		Long: `Check DNS, TCP, TLS, the certificate chain, the hostname, the days to expiry
and the HTTP status and latency of an API endpoint, each with what it means
for payments. PROVIDER uses providers.<name>.api_endpoint or the public default.

Exit codes: 0 every check passed or warned, 1 a check failed, 2 usage.`,
		Args: exactArgs(1, "give one URL or provider, for example: paybot diagnose https://api.stripe.com/v1/"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.diagnoseCmd(cmd.Context(), f, args[0])
		},
	}
	cmd.Flags().BoolVar(&f.json, "json", false, "print the report as JSON (keys in README)")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 10*time.Second, "budget for the whole diagnosis")
	return cmd
}

func (a *app) diagnoseCmd(ctx context.Context, f *diagnoseFlags, target string) error {
	jsonOut, timeout := &f.json, &f.timeout
	provider := ""
	if !strings.Contains(target, "://") && !strings.Contains(target, ".") {
		provider = strings.ToLower(target)
		target = a.cfg.policy.APIEndpoint(provider)
		if target == "" {
			return usageError{fmt.Sprintf("no API endpoint known for %q: set providers.%s.api_endpoint or give a URL", provider, provider)}
		}
	}
	// From a shell the operator may check internal hosts too.
	rep, err := diagnose.Run(ctx, diagnose.Config{Timeout: *timeout, AllowPrivate: true}, target)
	if err != nil {
		return usageError{err.Error()}
	}
	rep.Provider = provider
	if *jsonOut {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(a.stdout, rep.Text())
	}
	if rep.Verdict == diagnose.Fail {
		return checkFailed{"diagnosis failed"}
	}
	return nil
}

// headerList collects repeated --header 'Name: value' flags.
type headerList struct{ h http.Header }

func (l *headerList) String() string { return "" }

// Type names the flag's value in help (pflag.Value).
func (l *headerList) Type() string { return "header" }

func (l *headerList) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return fmt.Errorf("header %q must look like 'Name: value'", clipArg(v))
	}
	l.h.Add(name, strings.TrimSpace(value))
	return nil
}

func clipArg(s string) string {
	if len(s) > 30 {
		return s[:30] + "…"
	}
	return s
}

// webhookFlags are paybot webhook verify's options.
type webhookFlags struct {
	provider, payloadPath, secretEnv, at, publicKey, webhookID, certPath, verifyURL string
	hdrs                                                                            headerList
	tolerance                                                                       time.Duration
	json                                                                            bool
}

func newWebhookCmd(a *app) *cobra.Command {
	cmd := groupCmd("webhook", "Webhook tools")
	f := &webhookFlags{hdrs: headerList{h: http.Header{}}}
	verify := &cobra.Command{
		Use:   "verify --provider stripe|adyen|paypal|braintree --payload FILE [--header 'Name: value']...",
		Short: "Check a captured webhook's signature and say which part is wrong",
		Long: `Check a captured webhook payload and its signature header against the secret
from the environment ($PAYBOT_WEBHOOK_SECRET, or the variable --secret-env
names; never the command line), and say which part is wrong: the header,
the timestamp, the payload or the secret. Secrets are never printed.

Exit codes: 0 valid, 1 invalid, 2 usage.`,
		Args: exactArgs(0, "takes no arguments: the payload comes from --payload FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.webhookVerify(cmd.Context(), f)
		},
	}
	fl := verify.Flags()
	fl.StringVar(&f.provider, "provider", "", "stripe, adyen, paypal or braintree")
	fl.StringVar(&f.payloadPath, "payload", "", "file with the raw body exactly as received (- for stdin)")
	fl.Var(&f.hdrs, "header", "a received header, 'Name: value' (repeatable)")
	fl.StringVar(&f.secretEnv, "secret-env", "PAYBOT_WEBHOOK_SECRET", "environment variable holding the secret (Stripe whsec_…, Adyen HMAC key in hex, Braintree private key)")
	fl.DurationVar(&f.tolerance, "tolerance", webhooksig.DefaultTolerance, "how old a signed timestamp may be")
	fl.StringVar(&f.at, "now", "", "check as of this time (RFC 3339), for a payload captured earlier")
	fl.StringVar(&f.publicKey, "public-key", "", "Braintree public key expected in bt_signature (default $PAYBOT_BRAINTREE_PUBLIC_KEY)")
	fl.StringVar(&f.webhookID, "webhook-id", "", "PayPal webhook id (default $PAYBOT_PAYPAL_WEBHOOK_ID)")
	fl.StringVar(&f.certPath, "paypal-cert", "", "PayPal signing certificate (PEM, downloaded from PAYPAL-CERT-URL) for offline verification")
	fl.StringVar(&f.verifyURL, "paypal-verify-url", "", "send PayPal's verify-webhook-signature call here (token from $PAYBOT_PAYPAL_ACCESS_TOKEN)")
	fl.BoolVar(&f.json, "json", false, "print the result as JSON (keys in README)")
	cmd.AddCommand(verify)
	return cmd
}

func (a *app) webhookVerify(ctx context.Context, f *webhookFlags) error {
	provider, payloadPath, hdrs, secretEnv, tolerance, at := &f.provider, &f.payloadPath, &f.hdrs, &f.secretEnv, &f.tolerance, &f.at
	publicKey, webhookID, certPath, verifyURL, jsonOut := &f.publicKey, &f.webhookID, &f.certPath, &f.verifyURL, &f.json
	var err error
	if *provider == "" || *payloadPath == "" {
		return usageError{"webhook verify needs --provider and --payload FILE"}
	}
	var payload []byte
	if *payloadPath == "-" {
		payload, err = io.ReadAll(io.LimitReader(a.stdin, 16<<20))
	} else {
		payload, err = os.ReadFile(*payloadPath)
	}
	if err != nil {
		return usageError{fmt.Sprintf("reading the payload: %v", err)}
	}
	req := webhooksig.Request{Provider: *provider, Payload: payload, Headers: hdrs.h, Tolerance: *tolerance,
		Secret: []byte(strings.TrimSpace(a.getenv(*secretEnv))), PublicKey: orEnv(*publicKey, a.getenv("PAYBOT_BRAINTREE_PUBLIC_KEY")),
		WebhookID: orEnv(*webhookID, a.getenv("PAYBOT_PAYPAL_WEBHOOK_ID")), VerifyURL: *verifyURL,
		AccessToken: a.getenv("PAYBOT_PAYPAL_ACCESS_TOKEN")}
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return usageError{fmt.Sprintf("--now %q is not RFC 3339, for example 2026-11-30T08:00:00Z", *at)}
		}
		req.Now = t
	}
	if *certPath != "" {
		if req.CertPEM, err = os.ReadFile(*certPath); err != nil {
			return usageError{fmt.Sprintf("reading --paypal-cert: %v", err)}
		}
	}
	res, err := webhooksig.Verify(ctx, req)
	if errors.Is(err, webhooksig.ErrUsage) {
		if len(req.Secret) == 0 {
			return usageError{fmt.Sprintf("no secret: set %s in the environment (never on the command line)", *secretEnv)}
		}
		return usageError{err.Error()}
	}
	if err != nil {
		return err
	}
	if *jsonOut {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		verdict := "VALID"
		if !res.Valid {
			verdict = "INVALID (" + string(res.Problem) + ")"
		}
		fmt.Fprintf(a.stdout, "%s webhook: %s\n", res.Provider, verdict)
		for _, s := range res.Steps {
			mark := "ok  "
			if !s.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(a.stdout, "  %s %-10s %s\n", mark, s.Name, s.Detail)
		}
		fmt.Fprintln(a.stdout, res.Message)
	}
	if !res.Valid {
		return checkFailed{"webhook signature check failed: " + string(res.Problem)}
	}
	return nil
}

func orEnv(flagValue, env string) string {
	if flagValue != "" {
		return flagValue
	}
	return env
}

// startGateway polls the configured status pages beside the engine until
// ctx ends (nothing when no provider has a status_page).
func (a *app) startGateway(ctx context.Context, eng *bot.Engine, log *slog.Logger) {
	p := eng.GatewayPoller(&http.Client{Timeout: 15 * time.Second})
	if p == nil {
		return
	}
	log.Info("polling gateway status pages")
	go p.Run(ctx)
}
