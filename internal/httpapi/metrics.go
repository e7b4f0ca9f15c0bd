package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the API's Prometheus series (SPEC §14). Their labels name
// routes by pattern and never carry an organization, customer or key id.
type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	replays     prometheus.Counter
	rateLimited prometheus.Counter
}

// newMetrics registers the API's series with reg; nil reg keeps them
// unregistered (they still count, for nobody).
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "customers_api_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "customers_api_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		replays: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "customers_api_idempotent_replays_total",
			Help: "Answers replayed for a repeated Idempotency-Key.",
		}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "customers_api_rate_limited_total",
			Help: "Requests refused with 429 by a rate limit.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.replays, m.rateLimited)
	}
	return m
}

// knownMethods lists the methods a route label may carry; anything else
// is counted as "other", so a client cannot mint label values.
var metricMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// observeRequest records one answered request. route is the chi pattern
// the request matched ("" when none did).
func (m *metrics) observeRequest(route, method string, status int, took time.Duration) {
	if m == nil {
		return
	}
	route = routeLabel(route)
	if !metricMethods[method] {
		method = "other"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(took.Seconds())
}

// routeLabel is the route pattern as the metrics name it: both route
// layouts count as one (the organization prefix dropped), a trailing
// slash or wildcard is trimmed, and a path no route matched is
// "unmatched", so that labels stay few whatever clients send.
func routeLabel(pattern string) string {
	// A path no route took ends at a mount's wildcard ("/*").
	if pattern == "" || strings.HasSuffix(pattern, "/*") {
		return "unmatched"
	}
	pattern = strings.TrimPrefix(strings.ReplaceAll(pattern, "/*/", "/"), "/organizations/{organizationId}")
	if pattern != "/" {
		pattern = strings.TrimSuffix(pattern, "/")
	}
	return pattern
}

// routeOf is the pattern of the route r took. A request answered before
// routing (401, 429) is matched against the routes afterwards, so that it
// counts under its route too.
func (s *Server) routeOf(rctx *chi.Context, r *http.Request) string {
	pattern := rctx.RoutePattern()
	if pattern != "" && !strings.HasSuffix(pattern, "/*") {
		return pattern
	}
	probe := chi.NewRouteContext()
	if s.api != nil && s.api.Match(probe, r.Method, r.URL.Path) {
		return probe.RoutePattern()
	}
	return pattern
}
