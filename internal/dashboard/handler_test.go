package dashboard_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/dashboard"
)

// get asks the dashboard's handler alone (no browser, no database).
func get(t *testing.T, method, target string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	dashboard.Handler().ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func staticFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("static", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every answer, errors included, carries the security headers.
func TestHandlerSecurityHeaders(t *testing.T) {
	for _, c := range []struct{ method, path string }{
		{"GET", "/dashboard"}, {"GET", "/dashboard/"}, {"GET", "/dashboard/customers?filter=a:b"},
		{"GET", "/dashboard/app.js"}, {"GET", "/dashboard/style.css"}, {"GET", "/dashboard/missing.js"},
		{"POST", "/dashboard/"}, {"HEAD", "/dashboard/app.js"},
	} {
		res := get(t, c.method, c.path, nil)
		h := res.Header
		if got := h.Get("Content-Security-Policy"); got != "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'" {
			t.Errorf("%s %s: Content-Security-Policy %q", c.method, c.path, got)
		}
		if strings.Contains(h.Get("Content-Security-Policy"), "unsafe") {
			t.Errorf("%s %s: the policy allows unsafe sources", c.method, c.path)
		}
		if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s: X-Content-Type-Options %q", c.method, c.path, got)
		}
		if got := h.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s %s: Referrer-Policy %q", c.method, c.path, got)
		}
	}
}

func TestHandlerContentTypes(t *testing.T) {
	for path, want := range map[string]string{
		"/dashboard/":            "text/html; charset=utf-8",
		"/dashboard/index.html":  "text/html; charset=utf-8",
		"/dashboard/app.js":      "text/javascript; charset=utf-8",
		"/dashboard/filter.js":   "text/javascript; charset=utf-8",
		"/dashboard/style.css":   "text/css; charset=utf-8",
		"/dashboard/favicon.svg": "image/svg+xml",
	} {
		res := get(t, "GET", path, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, res.StatusCode)
		}
		if got := res.Header.Get("Content-Type"); got != want {
			t.Errorf("GET %s: Content-Type %q, want %q", path, got, want)
		}
		if res.Header.Get("ETag") == "" || res.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: ETag %q, Cache-Control %q", path, res.Header.Get("ETag"), res.Header.Get("Cache-Control"))
		}
	}
}

// Every path that is not a file is a page of the dashboard: index.html,
// for client-side routing. Customer ids may hold dots.
func TestHandlerServesIndexForPages(t *testing.T) {
	index := staticFile(t, "index.html")
	for _, path := range []string{
		"/dashboard", "/dashboard/", "/dashboard/sign-in", "/dashboard/customers?filter=email:*@x.com&sort=-revision",
		"/dashboard/customers/ada.lovelace", "/dashboard/customers/cus_1/merge?target=x", "/dashboard/customers/app.js",
		"/dashboard/settings/custom-fields", "/dashboard/settings/webhooks/7c9e6679", "/dashboard/no/such/page",
		"/dashboard/static/", "/dashboard/new-customer/",
	} {
		res := get(t, "GET", path, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, res.StatusCode)
			continue
		}
		if got := body(t, res); got != index {
			t.Errorf("GET %s: not index.html:\n%.200s", path, got)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
	}
}

// A top-level name with a dot is a file or 404 (a problem, as the API's
// errors are); nothing outside static/ is served and no directory is
// listed.
func TestHandlerMissingFilesAre404(t *testing.T) {
	for _, path := range []string{
		"/dashboard/missing.js", "/dashboard/TESTIDS.md", "/dashboard/dashboard.go", "/dashboard/handler_test.go",
		"/dashboard/.", "/dashboard/..", "/dashboard/app.js.map", "/dashboardx",
	} {
		res := get(t, "GET", path, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
			continue
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		var p map[string]any
		if err := json.Unmarshal([]byte(body(t, res)), &p); err != nil || p["status"] != float64(404) || p["type"] != "/problems/not-found" || p["instance"] != path {
			t.Errorf("GET %s: problem %v (%v)", path, p, err)
		}
	}
}

func TestHandlerMethods(t *testing.T) {
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		res := get(t, m, "/dashboard/customers", nil)
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d, Allow %q", m, res.StatusCode, res.Header.Get("Allow"))
		}
	}
	res := get(t, "HEAD", "/dashboard/app.js", nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Length") != itoa(len(staticFile(t, "app.js"))) || body(t, res) != "" {
		t.Errorf("HEAD: %d, Content-Length %q", res.StatusCode, res.Header.Get("Content-Length"))
	}
}

func TestHandlerRevalidates(t *testing.T) {
	first := get(t, "GET", "/dashboard/app.js", nil)
	etag := first.Header.Get("ETag")
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		res := get(t, "GET", "/dashboard/app.js", http.Header{"If-None-Match": {inm}})
		if res.StatusCode != http.StatusNotModified || body(t, res) != "" {
			t.Errorf("If-None-Match %s: %d", inm, res.StatusCode)
		}
	}
	if res := get(t, "GET", "/dashboard/app.js", http.Header{"If-None-Match": {`"other"`}}); res.StatusCode != http.StatusOK {
		t.Errorf("another ETag: %d", res.StatusCode)
	}
	if other := get(t, "GET", "/dashboard/style.css", nil).Header.Get("ETag"); other == etag {
		t.Errorf("two files share the ETag %s", etag)
	}
}

// The files keep to what the Content-Security-Policy and the key's rules
// need: no inline script or style, no markup built from strings, nothing
// kept outside sessionStorage; and every module a file imports exists.
func TestStaticFilesRules(t *testing.T) {
	index := staticFile(t, "index.html")
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(index, -1) {
		if !strings.Contains(tag, ` src="`) {
			t.Errorf("index.html has an inline script: %s", tag)
		}
	}
	if strings.Contains(index, "<style") || regexp.MustCompile(`\sstyle=`).MatchString(index) || regexp.MustCompile(`\son[a-z]+=`).MatchString(index) {
		t.Error("index.html has inline style or an inline event handler")
	}
	for _, ref := range regexp.MustCompile(`(?:src|href)="(/dashboard/[^"/]+\.[a-z]+)"`).FindAllStringSubmatch(index, -1) {
		if res := get(t, "GET", ref[1], nil); res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") == "text/html; charset=utf-8" {
			t.Errorf("index.html refers to %s, which is not a file (%d)", ref[1], res.StatusCode)
		}
	}
	forbidden := regexp.MustCompile(`\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|localStorage\.|document\.cookie\s*=|\.style\.|setAttribute\(\s*'style'`)
	imports := regexp.MustCompile(`(?m)(?:^import .* from|^export .* from|import\()\s*'\./([^']+)'`)
	err := fs.WalkDir(os.DirFS("static"), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".js") {
			return err
		}
		src := staticFile(t, name)
		for _, line := range strings.Split(src, "\n") {
			if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "//") || strings.HasPrefix(trimmed, "*") {
				continue // comments may name what the code avoids
			}
			if m := forbidden.FindString(line); m != "" {
				t.Errorf("%s uses %s: %s", name, m, strings.TrimSpace(line))
			}
		}
		for _, m := range imports.FindAllStringSubmatch(src, -1) {
			if res := get(t, "GET", "/dashboard/"+m[1], nil); res.StatusCode != http.StatusOK {
				t.Errorf("%s imports ./%s, which the handler does not serve (%d)", name, m[1], res.StatusCode)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
