package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// The dashboard is served by app.New's handler before authentication: its
// files need no key, a bad key changes nothing, and every answer carries
// its security headers (the contract check holds each to openapi.yaml).
func TestHTTPDashboardIsServedWithoutAKey(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for _, c := range []struct {
		path, key string
		status    int
		mediaType string
	}{
		{"/dashboard", "", http.StatusOK, "text/html"},
		{"/dashboard/", "", http.StatusOK, "text/html"},
		{"/dashboard/customers?filter=email:*@example.com", "", http.StatusOK, "text/html"},
		{"/dashboard/customers", "sk_live_not-a-key", http.StatusOK, "text/html"},
		{"/dashboard/app.js", "", http.StatusOK, "text/javascript"},
		{"/dashboard/style.css", "", http.StatusOK, "text/css"},
		{"/dashboard/favicon.svg", "", http.StatusOK, "image/svg+xml"},
		{"/dashboard/missing.js", "", http.StatusNotFound, "application/problem+json"},
	} {
		q := req{Method: http.MethodGet, Path: c.path, NoKey: c.key == "", Key: c.key}
		if strings.Contains(c.path, "?") {
			q.InvalidRequest = "the query is the page's own, read in the browser; the server ignores it"
		}
		r := a.do(q)
		if r.Status != c.status || !strings.HasPrefix(r.Header.Get("Content-Type"), c.mediaType) {
			t.Errorf("GET %s: %d %s, want %d %s", c.path, r.Status, r.Header.Get("Content-Type"), c.status, c.mediaType)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", c.path, csp)
		}
	}
	// Revalidation. (Other methods are 405: see the dashboard's own tests.)
	etag := a.do(req{Method: http.MethodGet, Path: "/dashboard/app.js", NoKey: true}).Header.Get("ETag")
	if r := a.do(req{Method: http.MethodGet, Path: "/dashboard/app.js", NoKey: true, Headers: map[string]string{"If-None-Match": etag}}); r.Status != http.StatusNotModified {
		t.Errorf("If-None-Match %s: %d", etag, r.Status)
	}
	// The API beside it still wants a key.
	if r := a.do(req{Method: http.MethodGet, Path: "/customers", NoKey: true}); r.Status != http.StatusUnauthorized {
		t.Errorf("GET /customers without a key: %d", r.Status)
	}
}

// A merged-away customer's 404 names its target in the problem's
// mergedInto member (RFC 9457 extension), on every route of that id; no
// other 404 has it.
func TestHTTPMergedAwayNamesTarget(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.put("dup", map[string]any{"locale": "en-GB"})
	a.put("target", map[string]any{})
	a.put("other", map[string]any{})
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: "/customers/dup?targetCustomerId=target"}), http.StatusNoContent)

	for _, path := range []string{"/customers/dup", "/customers/dup/lead-source", "/customers/dup/timeline", "/customers/dup/tokens"} {
		r := a.do(req{Method: http.MethodGet, Path: path})
		wantStatus(t, r, http.StatusNotFound)
		if p := r.JSON(); p["mergedInto"] != "target" || !strings.Contains(p["detail"].(string), `merged into customer "target"`) {
			t.Errorf("GET %s: %s", path, r.Body)
		}
	}
	r := a.do(req{Method: http.MethodPut, Path: "/customers/dup/lead-source", Body: map[string]any{"source": "ads"}})
	wantStatus(t, r, http.StatusNotFound)
	if r.JSON()["mergedInto"] != "target" {
		t.Errorf("PUT the lead source of a merged-away id: %s", r.Body)
	}
	// Merged again, the first id leads to the last target.
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: "/customers/target?targetCustomerId=other"}), http.StatusNoContent)
	if r := a.do(req{Method: http.MethodGet, Path: "/customers/dup"}); r.JSON()["mergedInto"] != "other" {
		t.Errorf("after a second merge: %s", r.Body)
	}
	// Not merged: no member. A merge into a merged-away target: the path
	// customer exists, so the member would mislead; the detail says it.
	if r := a.do(req{Method: http.MethodGet, Path: "/customers/nobody"}); r.Status != http.StatusNotFound || r.JSON()["mergedInto"] != nil {
		t.Errorf("GET an unknown id: %d %s", r.Status, r.Body)
	}
	a.put("fresh", map[string]any{})
	r = a.do(req{Method: http.MethodDelete, Path: "/customers/fresh?targetCustomerId=dup"})
	if r.Status != http.StatusNotFound || r.JSON()["mergedInto"] != nil || !strings.Contains(r.JSON()["detail"].(string), "Target customer") {
		t.Errorf("merge into a merged-away target: %d %s", r.Status, r.Body)
	}
}
