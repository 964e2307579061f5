package app_test

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

// browser starts headless Chromium for one test and returns a context to
// drive it with. Without Chromium the test is skipped, unless
// CONCORD_REQUIRE_BROWSER is set (CI sets it after installing Debian's
// chromium), when it fails.
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := os.Getenv("CONCORD_CHROMIUM")
	if exe == "" {
		exe, _ = exec.LookPath("chromium")
	}
	if exe == "" {
		if os.Getenv("CONCORD_REQUIRE_BROWSER") != "" {
			t.Fatal("Chromium is required (CONCORD_REQUIRE_BROWSER) but neither CONCORD_CHROMIUM nor chromium on PATH names it")
		}
		t.Skip("no Chromium: install Debian's chromium (CI does) or set CONCORD_CHROMIUM")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1366, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelCtx := chromedp.NewContext(actx)
	// The first run starts the browser and must not carry a timeout, which
	// would stop the browser with it; later runs use one.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("starting Chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(bctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// artifacts is where screenshots go: CONCORD_ARTIFACTS, else a directory
// under the system's temporary directory that outlives the test, so that
// the pictures can be looked at.
func artifacts(t *testing.T) string {
	dir := os.Getenv("CONCORD_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "concord-e2e")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shot saves a full-page screenshot as name.png (quality 100 is PNG).
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(artifacts(t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// text returns the visible text of the element sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// mustContain fails unless the page's main element contains every want.
func mustContain(t *testing.T, ctx context.Context, page string, want ...string) {
	t.Helper()
	got := text(t, ctx, "main")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: the page does not say %q; it says:\n%s", page, w, got)
		}
	}
}

// labelled fails when a form control of the page has no label: every
// input, select and textarea must be named by a <label>, aria-label or
// aria-labelledby, so that a screen reader can say what it is for.
func labelled(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(
		'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea'))
		.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
		.map(e => e.name || e.id || e.outerHTML.slice(0, 60))`))
	if err != nil {
		t.Fatalf("%s: checking labels: %v", page, err)
	}
	if len(names) > 0 {
		t.Errorf("%s: form controls without a label: %v", page, names)
	}
}
