package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	customersapi "github.com/billing/customers-api"
	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/app"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestHTTPRateLimitOfAKey(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	_, limited, err := a.access.CreateKey(context.Background(), a.orgID, nil, access.WithRateLimit(1))
	if err != nil {
		t.Fatal(err)
	}
	// A rate of 1 a second with the burst of 2: two requests pass at once.
	for i := range 2 {
		r := a.do(req{Method: http.MethodGet, Path: "/customers?limit=1", Key: limited})
		wantStatus(t, r, http.StatusOK)
		if r.Header.Get("X-RateLimit-Limit") != "1" {
			t.Fatalf("X-RateLimit-Limit %q, want 1", r.Header.Get("X-RateLimit-Limit"))
		}
		if got := r.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(1-i) {
			t.Errorf("request %d: X-RateLimit-Remaining %q, want %d", i, got, 1-i)
		}
		reset, err := strconv.ParseInt(r.Header.Get("X-RateLimit-Reset"), 10, 64)
		if err != nil || reset < time.Now().Unix() || reset > time.Now().Unix()+3 {
			t.Errorf("X-RateLimit-Reset %q: want a Unix time within 3 s", r.Header.Get("X-RateLimit-Reset"))
		}
	}
	r := a.do(req{Method: http.MethodGet, Path: "/customers?limit=1", Key: limited})
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.JSON()["type"] != "/problems/too-many-requests" || r.Header.Get("Retry-After") != "1" {
		t.Fatalf("429: type %v, Retry-After %q", r.JSON()["type"], r.Header.Get("Retry-After"))
	}
	// Another key of the same organization has no limit, and no headers.
	free := a.do(req{Method: http.MethodGet, Path: "/customers?limit=1"})
	wantStatus(t, free, http.StatusOK)
	if free.Header.Get("X-RateLimit-Limit") != "" {
		t.Fatal("an unlimited key got rate-limit headers")
	}
	time.Sleep(1100 * time.Millisecond)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/customers?limit=1", Key: limited}), http.StatusOK)
}

func TestHTTPDefaultRateLimit(t *testing.T) {
	t.Parallel()
	a := newTestAPIWith(t, func(o *app.Options) { o.Config.RateLimit, o.Config.RateLimitBurst = 0.5, 1 })
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/customers?limit=1"}), http.StatusOK)
	r := a.do(req{Method: http.MethodGet, Path: "/customers/nobody"}) // any route counts
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") != "2" || r.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("Retry-After %q, Remaining %q", r.Header.Get("Retry-After"), r.Header.Get("X-RateLimit-Remaining"))
	}
}

var uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestHTTPMetrics scrapes /metrics after some traffic and reads it with
// Prometheus's own parser.
func TestHTTPMetrics(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	_, limited, err := a.access.CreateKey(context.Background(), a.orgID, nil, access.WithRateLimit(1))
	if err != nil {
		t.Fatal(err)
	}
	c := a.create(map[string]any{})
	a.get(c["id"].(string), http.StatusOK)
	a.do(req{Method: http.MethodGet, Path: "/organizations/" + a.orgID + "/customers/" + c["id"].(string)})
	a.do(req{Method: http.MethodGet, Path: "/no/such/" + c["id"].(string), InvalidRequest: "a path no route serves"})
	for range 3 {
		a.do(req{Method: http.MethodGet, Path: "/customers?limit=1", Key: limited})
	}
	idem := req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{}, Headers: map[string]string{"Idempotency-Key": "m"}}
	a.do(idem)
	a.do(idem)

	scrape := a.do(req{Method: http.MethodGet, Path: "/metrics", NoKey: true})
	wantStatus(t, scrape, http.StatusOK)
	raw := scrape.Body
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	for _, name := range []string{
		"customers_api_http_requests_total", "customers_api_http_request_duration_seconds",
		"customers_api_idempotent_replays_total", "customers_api_rate_limited_total",
		"go_sql_open_connections", "go_goroutines", "process_resident_memory_bytes",
	} {
		if families[name] == nil {
			t.Errorf("no series %s", name)
		}
	}
	counts := map[string]float64{}
	for _, m := range families["customers_api_http_requests_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
			if uuidPattern.MatchString(l.GetValue()) || strings.Contains(l.GetValue(), a.orgID) {
				t.Errorf("label %s=%q carries an id", l.GetName(), l.GetValue())
			}
		}
		counts[labels["method"]+" "+labels["route"]+" "+labels["status"]] += m.GetCounter().GetValue()
	}
	for series, want := range map[string]float64{
		"GET /customers/{id} 200": 2, // both route layouts count as one route
		"GET /customers 200":      2, // the third was over the burst
		"GET /customers 429":      1,
		"POST /customers 201":     3,
		"GET unmatched 404":       1,
	} {
		if counts[series] != want {
			t.Errorf("requests %s: %v, want %v (all: %v)", series, counts[series], want, counts)
		}
	}
	if v := families["customers_api_idempotent_replays_total"].GetMetric()[0].GetCounter().GetValue(); v != 1 {
		t.Errorf("idempotent replays %v, want 1", v)
	}
	if v := families["customers_api_rate_limited_total"].GetMetric()[0].GetCounter().GetValue(); v != 1 {
		t.Errorf("rate limited %v, want 1", v)
	}
	if families["customers_api_http_request_duration_seconds"].GetType().String() != "HISTOGRAM" {
		t.Error("the duration is not a histogram")
	}
}

func TestHTTPServesItsOpenAPIDocument(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	r := a.do(req{Method: http.MethodGet, Path: "/openapi.yaml", NoKey: true})
	wantStatus(t, r, http.StatusOK)
	if !bytes.Equal(r.Body, customersapi.OpenAPI) || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/yaml") {
		t.Fatalf("GET /openapi.yaml: %s, %d bytes", r.Header.Get("Content-Type"), len(r.Body))
	}
}
