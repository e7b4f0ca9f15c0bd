package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/app"
)

func TestCORS(t *testing.T) {
	t.Parallel()
	const dashboard = "https://dashboard.example.com"
	a := newTestAPIWith(t, func(o *app.Options) { o.Config.CORSOrigins = []string{dashboard} })
	preflight := func(origin string) *response {
		return a.do(req{Method: http.MethodOptions, Path: "/customers?limit=1", NoKey: true,
			InvalidRequest: "a CORS preflight, which openapi.yaml describes in prose",
			Headers: map[string]string{"Origin": origin, "Access-Control-Request-Method": "GET",
				"Access-Control-Request-Headers": "reb-api-consumer,reb-apikey"}})
	}

	r := preflight(dashboard)
	if r.Status != http.StatusNoContent {
		t.Fatalf("preflight from an allowed origin: %d, want 204 without a key: %s", r.Status, r.Body)
	}
	for h, want := range map[string]string{
		"Access-Control-Allow-Origin":  dashboard,
		"Access-Control-Allow-Headers": "reb-api-consumer,reb-apikey",
		"Access-Control-Max-Age":       "600",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("preflight %s = %q, want %q", h, got, want)
		}
	}
	if m := r.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "PUT") || !strings.Contains(m, "DELETE") {
		t.Errorf("preflight Access-Control-Allow-Methods = %q, want every method the API serves", m)
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Error("a preflight has an X-Request-Id like any answer")
	}

	r = a.do(req{Method: http.MethodGet, Path: "/customers", Headers: map[string]string{"Origin": dashboard}})
	if r.Status != http.StatusOK || r.Header.Get("Access-Control-Allow-Origin") != dashboard {
		t.Fatalf("GET from an allowed origin: %d, Allow-Origin %q", r.Status, r.Header.Get("Access-Control-Allow-Origin"))
	}
	exposed := r.Header.Get("Access-Control-Expose-Headers")
	for _, h := range []string{"Pagination-Total", "Link", "ETag", "Location", "X-Request-Id"} {
		if !strings.Contains(exposed, h) {
			t.Errorf("Access-Control-Expose-Headers %q lacks %s, which a dashboard script must read", exposed, h)
		}
	}
	// Problems reach the script too, so it can show what went wrong.
	r = a.do(req{Method: http.MethodGet, Path: "/customers", NoKey: true, Headers: map[string]string{"Origin": dashboard}})
	if r.Status != http.StatusUnauthorized || r.Header.Get("Access-Control-Allow-Origin") != dashboard {
		t.Errorf("a 401 to an allowed origin: %d, Allow-Origin %q", r.Status, r.Header.Get("Access-Control-Allow-Origin"))
	}

	// Another origin is served as if CORS did not exist: the preflight is an
	// ordinary unauthenticated request, and nothing allows the origin.
	r = preflight("https://evil.example")
	if r.Status != http.StatusUnauthorized || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d, Allow-Origin %q; want 401 and none", r.Status, r.Header.Get("Access-Control-Allow-Origin"))
	}

	// Without configured origins there are no CORS headers at all.
	plain := newTestAPI(t)
	r = plain.do(req{Method: http.MethodGet, Path: "/customers", Headers: map[string]string{"Origin": dashboard}})
	if h := r.Header.Get("Access-Control-Allow-Origin"); r.Status != http.StatusOK || h != "" {
		t.Errorf("no CORS configured: %d, Allow-Origin %q", r.Status, h)
	}
}
