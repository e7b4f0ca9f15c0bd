// Package browsertest is the harness of the dashboard's browser tests: one
// headless Chromium per test binary (driven with chromedp), the whole
// service wired by app.New over a throwaway PostgreSQL behind a real HTTP
// listener, a tab per test with bounded waits that fail with what the page
// showed, the pinned axe-core accessibility check and screenshots. Test
// code only: nothing but _test.go files may import it.
//
// A test package opts in with
//
//	func TestMain(m *testing.M) { os.Exit(browsertest.Main(m)) }
//
// which also runs pgtest.Main. Tests never skip for want of a browser: when
// Chromium cannot be found or started, every test that opens a tab fails
// with how to install it.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/billing/customers-api/internal/pgtest"
)

// InstallHint says how to get the browser the tests need.
const InstallHint = `The dashboard's browser tests need headless Chromium (Debian's chromium package).
Install it with
    scripts/ensure-chromium.sh        (as root it runs: apt-get install -y chromium fonts-dejavu-core)
or  sudo apt-get install -y chromium fonts-dejavu-core
or point the tests at a Chromium or Chrome binary with CHROMIUM_PATH=/path/to/chromium.`

// startTimeout bounds starting the browser.
const startTimeout = 30 * time.Second

// browser is the one Chromium of this test binary.
type browser struct {
	ctx    context.Context // a chromedp context whose browser is running
	cancel context.CancelFunc
	dir    string // its profile directory
}

// current is the browser Main started, or the reason it could not. It has
// to be package state: Open gets nothing but a *testing.T to find it with.
var (
	current  atomic.Pointer[browser]
	startErr atomic.Pointer[error]
)

// Main starts the browser, runs the package's tests through pgtest.Main
// (which starts their PostgreSQL) and stops the browser; call it from
// TestMain as os.Exit(browsertest.Main(m)). A browser that cannot start
// fails the tests that need it (see Open), not the others.
func Main(m *testing.M) int {
	b, err := start()
	if err != nil {
		startErr.Store(&err)
	} else {
		current.Store(b)
	}
	code := pgtest.Main(m)
	if b != nil {
		current.Store(nil)
		b.cancel()
		_ = os.RemoveAll(b.dir)
	}
	return code
}

// ChromiumPath finds the browser: CHROMIUM_PATH, /usr/bin/chromium, then
// chromium, chromium-browser, google-chrome and google-chrome-stable on
// PATH (what scripts/ensure-chromium.sh checks too).
func ChromiumPath() (string, error) {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("CHROMIUM_PATH=%s: %w", p, err)
		}
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium, chromium-browser or google-chrome on PATH and no /usr/bin/chromium")
}

// start launches headless Chromium with a fresh profile and the flags that
// keep it quiet on a closed network: no background networking, component
// updates, sync or QUIC.
func start() (*browser, error) {
	path, err := ChromiumPath()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dashboard-chromium-")
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox, // as root, Chromium refuses to start with its sandbox
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints,AutofillServerCommunication"),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("hide-scrollbars", true), // screenshots the same with or without overflow
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1280, 900),
		chromedp.Env("TZ=UTC", "LANG=en_US.UTF-8"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	cancel := func() { cancelCtx(); cancelAlloc() }

	// The first Do starts the browser and binds it to ctx, which has no
	// deadline; the timer only bounds the start.
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err = <-done:
	case <-time.After(startTimeout):
		err = fmt.Errorf("no answer within %s", startTimeout)
	}
	if err != nil {
		cancel()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	return &browser{ctx: ctx, cancel: cancel, dir: dir}, nil
}

// running returns the browser of this test binary, or fails t with why
// there is none and how to install one.
func running(t testing.TB) *browser {
	t.Helper()
	if b := current.Load(); b != nil {
		return b
	}
	if e := startErr.Load(); e != nil {
		t.Fatalf("headless Chromium is not available: %v\n\n%s", *e, InstallHint)
	}
	t.Fatalf("browsertest: no browser; add to this package's tests:\n\n" +
		"\tfunc TestMain(m *testing.M) { os.Exit(browsertest.Main(m)) }")
	return nil
}
