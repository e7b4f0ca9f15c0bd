package dashboard_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/apitest"
	"github.com/billing/customers-api/internal/dashboard/browsertest"
)

// TestMain starts one headless Chromium and one throwaway PostgreSQL for
// every test of this package (browsertest.Main runs pgtest.Main).
func TestMain(m *testing.M) { os.Exit(browsertest.Main(m)) }

// The harness's own checks must be able to fail: axe-core, injected into a
// page under a strict Content-Security-Policy, finds a missing label, and
// a CSP violation shows in the console.
func TestBrowserHarnessFindsViolations(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html lang="en"><title>t</title>
<main><h1>Harness</h1><input id="unlabelled"><script>document.title = 'inline ran'</script></main>`))
	}))
	defer ts.Close()
	tab := browsertest.Open(t, &browsertest.Server{Env: &apitest.Env{T: t, URL: ts.URL}})
	tab.Go("/")
	tab.WaitVisible("#unlabelled")
	if title := browsertest.Eval[string](tab, "document.title"); title != "t" {
		t.Errorf("an inline script ran under default-src 'self': title %q", title)
	}
	tab.WaitFor("the CSP violation to reach the console", "true")
	if c := tab.Console(); !strings.Contains(c, "Content Security Policy") {
		t.Errorf("the blocked inline script is not in the console:\n%s", c)
	}
	// Axe fails the test on this page; run it on a fake T to see it.
	ft := &fakeT{TB: t}
	func() {
		defer func() { _ = recover() }()
		tab.T = ft
		tab.Axe("the harness page")
	}()
	tab.T = t
	if !strings.Contains(ft.msg, "label") || !strings.Contains(ft.msg, "critical") {
		t.Errorf("axe-core did not report the unlabelled input as critical: %q", ft.msg)
	}
	// The page's CSP violation is expected here; forget it so that the
	// tab's cleanup does not fail this test for it.
	tab.ForgetConsole()
}

// fakeT records a Fatalf and stops the calling function with a panic.
type fakeT struct {
	testing.TB
	msg string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic("fatal")
}
func (f *fakeT) Fatal(args ...any)   { f.msg = fmt.Sprint(args...); panic("fatal") }
func (f *fakeT) Logf(string, ...any) {}
