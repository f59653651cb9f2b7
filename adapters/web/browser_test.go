package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds the browser: PAYBOT_CHROMIUM, then Debian's chromium.
// .ci/run installs it; locally the test skips and says how.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PAYBOT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed: apt-get install chromium (as .ci/run does), or set PAYBOT_CHROMIUM to a Chrome binary")
	return ""
}

// artifactDir keeps screenshots: PAYBOT_TEST_ARTIFACTS, or testdata/artifacts
// (ignored by git).
func artifactDir(t *testing.T) string {
	dir := os.Getenv("PAYBOT_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func browser(t *testing.T) (context.Context, context.CancelFunc) {
	profile, err := os.MkdirTemp("", "paybot-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // root in CI containers
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1200, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	// Chromium's helpers may still write to the profile for a moment after
	// the browser is told to go: remove it ourselves, without failing the
	// test on a file that appears late (t.TempDir's cleanup would).
	t.Cleanup(func() {
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, 90*time.Second)
	return ctx, func() { cancelC(); cancelB(); cancelA() }
}

// TestDashboardInChromium drives the pages in headless Chromium: without
// the login nothing shows (401); the chat link logs in; the open incidents
// and an incident's timeline render with user text escaped; the analytics
// charts have data. A screenshot of each page is kept.
func TestDashboardInChromium(t *testing.T) {
	d, srv := newDashboard(t, token)
	ctx, cancel := browser(t)
	defer cancel()

	var body string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/dashboard/"),
		chromedp.Text("body", &body, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "401 login required") || strings.Contains(body, "PAY-") {
		t.Fatalf("without login the browser sees: %q", body)
	}

	link, _, err := d.Link(now)
	if err != nil {
		t.Fatal(err)
	}
	link = strings.Replace(link, "http://localhost:8080", srv.URL, 1)
	dir := artifactDir(t)
	var open, shot []byte
	var title string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible("#open", chromedp.ByQuery), // the login page refreshes into the dashboard
		chromedp.Text("#open", &body, chromedp.ByQuery),
		chromedp.Title(&title),
		chromedp.FullScreenshot(&open, 100),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "adyen webhooks failing") || !strings.Contains(body, `<script>alert("pwned")</script> declines`) ||
		!strings.Contains(body, "left") || title != "Open incidents · Paybot" {
		t.Errorf("open incidents page: %q %q", title, body)
	}
	var alerted bool
	if err := chromedp.Run(ctx, chromedp.Evaluate(`typeof window.pwned !== "undefined"`, &alerted)); err != nil || alerted {
		t.Errorf("user text ran as script: %v", err)
	}
	save(t, dir, "dashboard-open.png", open)

	if err := chromedp.Run(ctx,
		chromedp.Click(`a[href="/dashboard/incident/PAY-10"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#timeline", chromedp.ByQuery),
		chromedp.Text("#timeline", &body, chromedp.ByQuery),
		chromedp.FullScreenshot(&shot, 100),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "intake → open") || !strings.Contains(body, "acknowledged") {
		t.Errorf("timeline: %q", body)
	}
	save(t, dir, "dashboard-incident.png", shot)

	var lengths []int
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/dashboard/analytics"),
		chromedp.WaitVisible("#compliance", chromedp.ByQuery),
		chromedp.Poll(`window.paybotCharts && window.paybotCharts.length === 2`, nil),
		chromedp.Evaluate(`window.paybotCharts.map(c => c.data.datasets[0].data.length)`, &lengths),
		chromedp.FullScreenshot(&shot, 100),
	); err != nil {
		t.Fatal(err)
	}
	// Four months of resolutions; two providers with decided SLA clocks.
	if len(lengths) != 2 || lengths[0] != 4 || lengths[1] != 2 {
		t.Errorf("chart data lengths %v, want [4 2]", lengths)
	}
	save(t, dir, "dashboard-analytics.png", shot)
}

func save(t *testing.T, dir, name string, png []byte) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(p)
	t.Logf("screenshot: %s (%d bytes)", abs, len(png))
}
