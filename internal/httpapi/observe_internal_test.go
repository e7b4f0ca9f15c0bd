package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/testsync"
)

// TestPanicIsA500Problem: a handler that panics answers 500 problem+json
// with the request id and nothing of the panic; the log has the panic under
// the same request id, and the access line records the 500.
func TestPanicIsA500Problem(t *testing.T) {
	t.Parallel()
	var logs testsync.Buffer
	s := &Server{log: slog.New(slog.NewJSONHandler(&logs, nil))}
	srv := httptest.NewServer(s.observe(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret internal state: password=hunter2")
	})))
	defer srv.Close()

	req, err := http.NewRequest(http.MethodGet, srv.URL+"/customers/boom", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Request-Id", "panic-req-1")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500: %s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if strings.Contains(string(body), "hunter2") || strings.Contains(string(body), "goroutine") {
		t.Errorf("500 body leaks internals: %s", body)
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("body is not JSON: %s", body)
	}
	want := map[string]any{"type": "/problems/internal-error", "status": 500.0, "instance": "/customers/boom", "requestId": "panic-req-1"}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("problem %s = %v, want %v", k, p[k], v)
		}
	}
	if res.Header.Get("X-Request-Id") != "panic-req-1" {
		t.Errorf("X-Request-Id %q", res.Header.Get("X-Request-Id"))
	}

	srv.Close() // waits for the handler, so the log is complete
	var sawPanic, sawAccess, errorLines int
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if e["request_id"] != "panic-req-1" {
			t.Errorf("log line without the request id: %s", line)
		}
		if e["level"] == "ERROR" {
			errorLines++
		}
		switch e["msg"] {
		case "panic":
			if strings.Contains(line, "hunter2") {
				sawPanic++
			}
		case "request":
			if e["status"] == 500.0 {
				sawAccess++
			}
		}
	}
	// The 5xx is logged once (with the panic), plus the access line.
	if sawPanic != 1 || sawAccess != 1 || errorLines != 1 {
		t.Errorf("log has %d panic lines, %d 500 access lines and %d errors, want 1 each:\n%s", sawPanic, sawAccess, errorLines, logs.String())
	}
}
