package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents/diagnose"
	"github.com/paybot/paybot/incidents/webhooksig"
)

// Issue 12: `paybot diagnose` and `paybot webhook verify`, and the status
// page poller started beside the engine. Exit codes: 0 pass, 1 a check
// failed (or could not be completed), 2 usage.

const gatewayUsage = `  diagnose URL|PROVIDER [--json] [--timeout 10s]  check DNS, TCP, TLS, certificate and HTTP of an API endpoint
  webhook verify --provider stripe|adyen|paypal|braintree --payload FILE [--header 'Name: value']... [--json]
                                                 check a captured webhook's signature (secret from $PAYBOT_WEBHOOK_SECRET or --secret-env NAME)
`

// checkFailed is returned when the command ran but a check failed: exit 1.
type checkFailed struct{ msg string }

func (c checkFailed) Error() string { return c.msg }

// gatewayCLI dispatches "diagnose" and "webhook".
func (a *app) gatewayCLI(ctx context.Context, cmd string, args []string) error {
	if cmd == "diagnose" {
		return a.diagnoseCmd(ctx, args)
	}
	if len(args) == 0 || args[0] != "verify" {
		return usageError{"webhook: did you mean 'webhook verify'?"}
	}
	return a.webhookVerify(ctx, args[1:])
}

func (a *app) diagnoseCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("diagnose", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	jsonOut := fs.Bool("json", false, "print the report as JSON (keys in README)")
	timeout := fs.Duration("timeout", 10*time.Second, "budget for the whole diagnosis")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return usageError{err.Error()}
	}
	if len(pos) != 1 {
		return usageError{"diagnose needs one URL or provider, for example: paybot diagnose https://api.stripe.com/v1/"}
	}
	target, provider := pos[0], ""
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

func (a *app) webhookVerify(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("webhook verify", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	provider := fs.String("provider", "", "stripe, adyen, paypal or braintree")
	payloadPath := fs.String("payload", "", "file with the raw body exactly as received (- for stdin)")
	hdrs := &headerList{h: http.Header{}}
	fs.Var(hdrs, "header", "a received header, 'Name: value' (repeatable)")
	secretEnv := fs.String("secret-env", "PAYBOT_WEBHOOK_SECRET", "environment variable holding the secret (Stripe whsec_…, Adyen HMAC key in hex, Braintree private key)")
	tolerance := fs.Duration("tolerance", webhooksig.DefaultTolerance, "how old a signed timestamp may be")
	at := fs.String("now", "", "check as of this time (RFC 3339), for a payload captured earlier")
	publicKey := fs.String("public-key", "", "Braintree public key expected in bt_signature (default $PAYBOT_BRAINTREE_PUBLIC_KEY)")
	webhookID := fs.String("webhook-id", "", "PayPal webhook id (default $PAYBOT_PAYPAL_WEBHOOK_ID)")
	certPath := fs.String("paypal-cert", "", "PayPal signing certificate (PEM, downloaded from PAYPAL-CERT-URL) for offline verification")
	verifyURL := fs.String("paypal-verify-url", "", "send PayPal's verify-webhook-signature call here (token from $PAYBOT_PAYPAL_ACCESS_TOKEN)")
	jsonOut := fs.Bool("json", false, "print the result as JSON (keys in README)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return usageError{err.Error()}
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("webhook verify: unexpected argument %q", clipArg(pos[0]))}
	}
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
