package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func runEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"--data", t.TempDir()}, args...)
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

func keys(t *testing.T, raw string) []string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestDiagnoseCLI(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer tlsSrv.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(401) }))
	defer plain.Close()

	code, out, _ := runEnv(t, nil, "diagnose", tlsSrv.URL+"/v1/?token=abc123secret")
	if code != 1 || !strings.Contains(out, "FAIL chain") || !strings.Contains(out, "self-signed") || strings.Contains(out, "abc123secret") {
		t.Fatalf("self-signed: exit %d\n%s", code, out)
	}
	code, out, _ = runEnv(t, nil, "diagnose", plain.URL, "--json")
	if code != 0 {
		t.Fatalf("plain http: exit %d\n%s", code, out)
	}
	if got := strings.Join(keys(t, out), ","); got != "addresses,at,checks,host,http_status,port,summary,target,verdict" {
		t.Fatalf("JSON keys %s", got)
	}
	var rep struct {
		Verdict string
		Checks  []struct{ Name, Verdict, Detail, Meaning string }
	}
	json.Unmarshal([]byte(out), &rep)
	if rep.Verdict != "warn" || len(rep.Checks) != 4 || rep.Checks[3].Name != "http" || rep.Checks[3].Verdict != "pass" {
		t.Fatalf("plain http report %+v", rep)
	}
	for _, bad := range [][]string{{"diagnose"}, {"diagnose", "a", "b"}, {"diagnose", "ftp://x.y"}, {"diagnose", "acme"}, {"webhook"}, {"webhook", "check"}} {
		if code, _, errOut := runEnv(t, nil, bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", bad, code, errOut)
		}
	}
}

func TestWebhookVerifyCLI(t *testing.T) {
	const secret = "whsec_cli_test_secret_value"
	body := `{"id":"evt_1","type":"charge.failed"}`
	dir := t.TempDir()
	path := filepath.Join(dir, "payload.json")
	os.WriteFile(path, []byte(body), 0o600)
	ts := time.Now().Unix()
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.%s", ts, body)
	header := fmt.Sprintf("Stripe-Signature: t=%d,v1=%s", ts, hex.EncodeToString(m.Sum(nil)))
	env := map[string]string{"PAYBOT_WEBHOOK_SECRET": secret, "OTHER": "whsec_wrong"}

	code, out, errOut := runEnv(t, env, "webhook", "verify", "--provider", "stripe", "--payload", path, "--header", header)
	if code != 0 || !strings.Contains(out, "stripe webhook: VALID") {
		t.Fatalf("valid: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runEnv(t, env, "webhook", "verify", "--provider", "stripe", "--payload", path, "--header", header, "--secret-env", "OTHER", "--json")
	if code != 1 {
		t.Fatalf("wrong secret: exit %d\n%s%s", code, out, errOut)
	}
	if got := strings.Join(keys(t, out), ","); got != "age_seconds,message,problem,provider,steps,timestamp,valid" {
		t.Fatalf("JSON keys %s", got)
	}
	if !strings.Contains(out, `"problem": "secret"`) || strings.Contains(out+errOut, "whsec_wrong") || strings.Contains(out+errOut, secret) {
		t.Fatalf("wrong secret output:\n%s%s", out, errOut)
	}
	os.WriteFile(path, []byte(body+"\n"), 0o600)
	if code, out, _ = runEnv(t, env, "webhook", "verify", "--provider", "stripe", "--payload", path, "--header", header); code != 1 || !strings.Contains(out, "INVALID (payload)") {
		t.Fatalf("altered: exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{
		{"webhook", "verify", "--provider", "stripe", "--payload", path, "--header", header, "--secret-env", "UNSET"},
		{"webhook", "verify", "--provider", "stripe", "--payload", path, "--header", "no colon here"},
		{"webhook", "verify", "--provider", "square", "--payload", path},
		{"webhook", "verify", "--provider", "stripe"},
		{"webhook", "verify", "--provider", "stripe", "--payload", filepath.Join(dir, "missing")},
	} {
		code, out, errOut := runEnv(t, env, bad...)
		if code != 2 || strings.Contains(out+errOut, secret) {
			t.Errorf("%v: exit %d, want 2\n%s%s", bad, code, out, errOut)
		}
	}
}
