package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/billing/customers-api/internal/app"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
)

// TestHTTPReadyzWithoutADatabase: /readyz checks the database for real. Over
// a pool to a real database that is then closed it answers 503
// problem+json, while /healthz (the process is up) still answers 200.
func TestHTTPReadyzWithoutADatabase(t *testing.T) {
	t.Parallel()
	_, url := pgtest.NewDBURL(t)
	db, err := postgres.Open(context.Background(), url, postgres.Settings{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.New(db, app.Options{}).Handler)
	defer srv.Close()
	get := func(path string) (int, http.Header, map[string]any) {
		t.Helper()
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("GET %s: body is not a JSON object: %s", path, raw)
		}
		return res.StatusCode, res.Header, body
	}
	if status, _, _ := get("/readyz"); status != http.StatusOK {
		t.Fatalf("readyz with the database up: %d", status)
	}
	db.Close()
	status, h, p := get("/readyz")
	if status != http.StatusServiceUnavailable || h.Get("Content-Type") != "application/problem+json; charset=utf-8" {
		t.Errorf("readyz with the database gone: %d %q", status, h.Get("Content-Type"))
	}
	if p["type"] != "/problems/service-unavailable" || p["requestId"] != h.Get("X-Request-Id") || p["status"] != 503.0 {
		t.Errorf("readyz problem: %v", p)
	}
	if status, _, _ := get("/healthz"); status != http.StatusOK {
		t.Errorf("healthz with the database gone: %d", status)
	}
}
