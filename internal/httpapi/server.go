// Package httpapi is the HTTP adapter of the service: chi routes, thin
// handlers, JSON wire shapes and their converters, middleware (request ids,
// access log, panic recovery, authentication, permissions) and the single
// writer of application/problem+json errors.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/idempotency"
	"github.com/billing/customers-api/internal/webhooks"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
)

// Config holds what the server needs.
type Config struct {
	Customers *customers.Service
	Access    *access.Service
	// Webhooks serves the webhook routes.
	Webhooks *webhooks.Service
	// Foreign are the routes of other platforms' APIs (SPEC §15), each
	// served by its own adapter with its own authentication and error
	// shape, beside the API and outside its layouts.
	Foreign []ForeignRoute
	// Ready reports whether the service can serve (the database answers),
	// promptly, and why not; its error's text is shown to the caller.
	Ready func(context.Context) error
	// Replica, when set, reports the read replica in /readyz's body,
	// promptly; it never makes the node unready.
	Replica func(context.Context) ReplicaState
	Logger  *slog.Logger
	// PublicURL, when set, is the absolute base of links and Location
	// headers (e.g. https://api.example.com); otherwise each request's own
	// scheme and Host are used.
	PublicURL string
	// CORSOrigins are the browser origins (scheme://host[:port], or "*")
	// allowed to call the API; none sends no CORS headers at all.
	CORSOrigins []string
	// Metrics receives the API's Prometheus series; nil keeps them to
	// itself.
	Metrics prometheus.Registerer
	// MetricsHandler, when set, serves GET /metrics on this API's own
	// listener, without a key (METRICS_ADDR empty).
	MetricsHandler http.Handler
	// OpenAPI, when set, is served at GET /openapi.yaml without a key.
	OpenAPI []byte
	// RateLimit is the default limit of keys without their own; the zero
	// value limits only keys that have one.
	RateLimit RateLimit
	// Idempotency keeps the answers of POST and DELETE requests sent with
	// an Idempotency-Key; nil ignores the header.
	Idempotency idempotency.Store
	// Dashboard, when set, serves GET /dashboard and everything under
	// /dashboard/ without a key (static files; the pages call the API
	// with the key a person gives them).
	Dashboard http.Handler
}

// ForeignRoute is one route of another platform's API.
type ForeignRoute struct {
	Method string
	// Path is the route as openapi.yaml names it, e.g.
	// /v3/customers/{customerId}; Pattern the chi pattern that serves it,
	// e.g. /v3/customers/*.
	Path, Pattern string
	Handler       http.Handler
}

// Server is the HTTP API. It is an http.Handler.
type Server struct {
	customers *customers.Service
	access    *access.Service
	webhooks  *webhooks.Service
	ready     func(context.Context) error
	replica   func(context.Context) ReplicaState
	log       *slog.Logger
	publicURL string
	cors      []string
	metrics   *metrics
	limiter   *rateLimiter
	// idempotency keeps answers for Idempotency-Key; nil: not offered.
	idempotency idempotency.Store
	// serveMetrics and serveOpenAPI: GET /metrics and GET /openapi.yaml
	// are served.
	serveMetrics, serveOpenAPI bool
	foreign                    []ForeignRoute
	inFlight                   sync.Map // *statusRecorder → InFlight
	api                        chi.Router
	handler                    http.Handler

	// serveDashboard: GET /dashboard and below are served (Config.Dashboard).
	serveDashboard bool
}

// NewServer builds the API's handler.
func NewServer(cfg Config) *Server {
	s := &Server{
		customers: cfg.Customers, access: cfg.Access, webhooks: cfg.Webhooks, ready: cfg.Ready, replica: cfg.Replica, log: cfg.Logger,
		publicURL: strings.TrimSuffix(cfg.PublicURL, "/"), cors: cfg.CORSOrigins,
		metrics: newMetrics(cfg.Metrics), limiter: newRateLimiter(cfg.RateLimit), idempotency: cfg.Idempotency,
		serveMetrics: cfg.MetricsHandler != nil, serveOpenAPI: cfg.OpenAPI != nil, foreign: cfg.Foreign,
		serveDashboard: cfg.Dashboard != nil,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	root := chi.NewRouter()
	// Browsers ask before the key is checked: a preflight carries no key.
	root.Use(s.allowOrigins)
	// A trailing slash names the same route; never a redirect (Rebilly's JS
	// SDK posts to /customers/).
	root.Use(middleware.StripSlashes)
	// Probes answer without a key; any method but GET is 405.
	root.HandleFunc("/healthz", getOnly(s.healthz))
	root.HandleFunc("/readyz", getOnly(s.readyz))
	if cfg.MetricsHandler != nil {
		root.Handle("/metrics", getOnly(cfg.MetricsHandler.ServeHTTP))
	}
	if cfg.OpenAPI != nil {
		doc := cfg.OpenAPI
		root.HandleFunc("/openapi.yaml", getOnly(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
			w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
			_, _ = w.Write(doc)
		}))
	}
	if cfg.Dashboard != nil {
		// Static files and pages, before authentication: they hold no
		// data. StripSlashes makes "/dashboard/" "/dashboard" here; the
		// handler reads the request's own path.
		root.Handle("/dashboard", cfg.Dashboard)
		root.Handle("/dashboard/*", cfg.Dashboard)
	}
	for _, f := range cfg.Foreign {
		h := trimTrailingSlash(f.Handler)
		root.Handle(f.Pattern, h)
		if prefix, ok := strings.CutSuffix(f.Pattern, "/*"); ok {
			// The prefix itself (StripSlashes makes "/v3/customers/" that
			// too) is the adapter's to answer, in its own error shape.
			root.Handle(prefix, h)
		}
	}

	s.api = chi.NewRouter()
	// Authentication is the first thing done to any other request, so an
	// unknown key gets 401 even on unknown paths.
	s.api.Use(s.authenticate, s.limit)
	s.api.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, newError(typeNotFound, "No resource lives at this path."))
	})
	s.api.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		e := newError(typeMethodNotAllowed, "This path does not accept the method "+r.Method+".")
		e.allow = s.allowedMethods(r.URL.Path)
		writeError(w, r, s.log, e)
	})
	s.api.Group(s.mountRoutes)
	s.api.Route("/organizations/{organizationId}", func(r chi.Router) {
		r.Use(s.pathOrganization)
		s.mountRoutes(r)
	})
	root.Mount("/", s.api)
	s.handler = s.observe(root)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// route is one operation of the API.
type route struct {
	method, pattern, operation string
	handle                     func(http.ResponseWriter, *http.Request) error
}

// routes is the table of the API's operations, mounted twice: bare (the
// organization is the API key's) and under /organizations/{organizationId}.
func (s *Server) routes() []route {
	return []route{
		{http.MethodGet, "/customers", access.GetCustomerCollection, s.listCustomers},
		{http.MethodPost, "/customers", access.PostCustomer, s.createCustomer},
		{http.MethodGet, "/customers/{id}", access.GetCustomer, s.getCustomer},
		{http.MethodPut, "/customers/{id}", access.PutCustomer, s.putCustomer},
		{http.MethodDelete, "/customers/{id}", access.DeleteCustomer, s.mergeCustomer},
		{http.MethodGet, "/customers/{id}/lead-source", access.GetCustomerLeadSource, s.getLeadSource},
		{http.MethodPut, "/customers/{id}/lead-source", access.PutCustomerLeadSource, s.putLeadSource},
		{http.MethodPost, "/customers/{id}/lead-source", access.PutCustomerLeadSource, s.putLeadSource},
		{http.MethodDelete, "/customers/{id}/lead-source", access.DeleteCustomerLeadSource, s.deleteLeadSource},
		{http.MethodGet, "/tags", access.GetTagCollection, s.listTags},
		{http.MethodPost, "/tags", access.PostTag, s.createTag},
		{http.MethodGet, "/tags/{tag}", access.GetTag, s.getTag},
		{http.MethodPatch, "/tags/{tag}", access.PatchTag, s.renameTag},
		{http.MethodDelete, "/tags/{tag}", access.DeleteTag, s.deleteTag},
		{http.MethodPost, "/tags/{tag}/customers", access.PostTagCustomer, s.tagCustomers(true)},
		{http.MethodDelete, "/tags/{tag}/customers", access.DeleteTagCustomer, s.tagCustomers(false)},
		{http.MethodPost, "/tags/{tag}/customers/{id}", access.PostTagCustomer, s.tagCustomer(true)},
		{http.MethodDelete, "/tags/{tag}/customers/{id}", access.DeleteTagCustomer, s.tagCustomer(false)},
		{http.MethodGet, "/custom-fields/customers", access.GetCustomFieldCollection, s.listFieldDefinitions},
		{http.MethodGet, "/custom-fields/customers/{name}", access.GetCustomField, s.getFieldDefinition},
		{http.MethodPut, "/custom-fields/customers/{name}", access.PutCustomField, s.putFieldDefinition},
		{http.MethodDelete, "/custom-fields/customers/{name}", access.DeleteCustomField, s.deleteFieldDefinition},
		{http.MethodGet, "/customers/{id}/timeline", access.GetCustomerTimelineCollection, s.listTimeline},
		{http.MethodPost, "/customers/{id}/timeline", access.PostCustomerTimeline, s.postTimelineMessage},
		{http.MethodGet, "/customers/{id}/timeline/{messageId}", access.GetCustomerTimeline, s.getTimelineMessage},
		{http.MethodDelete, "/customers/{id}/timeline/{messageId}", access.DeleteCustomerTimeline, s.deleteTimelineMessage},
		{http.MethodGet, "/webhooks", access.GetWebhookCollection, s.listWebhooks},
		{http.MethodPost, "/webhooks", access.PostWebhook, s.createWebhook},
		{http.MethodGet, "/webhooks/{id}", access.GetWebhook, s.getWebhook},
		{http.MethodPut, "/webhooks/{id}", access.PutWebhook, s.putWebhook},
		{http.MethodDelete, "/webhooks/{id}", access.DeleteWebhook, s.deleteWebhook},
		{http.MethodPost, "/webhooks/{id}/rotate-secret", access.PutWebhook, s.rotateWebhookSecret},
		{http.MethodGet, "/webhooks/{id}/deliveries", access.GetWebhook, s.listDeliveries},
		{http.MethodPost, "/webhooks/{id}/deliveries/{deliveryId}/retry", access.PutWebhook, s.retryDelivery},
		{http.MethodGet, "/customers/{id}/tokens", access.GetCustomerTokenCollection, s.listTokens},
		{http.MethodPost, "/customers/{id}/tokens", access.PostCustomerToken, s.createToken},
		{http.MethodDelete, "/customers/{id}/tokens/{tokenId}", access.DeleteCustomerToken, s.deleteToken},
	}
}

func (s *Server) mountRoutes(r chi.Router) {
	for _, rt := range s.routes() {
		h := s.handlerFunc(rt.handle)
		if rt.method != http.MethodGet {
			h = withActor(h)
		}
		if rt.method == http.MethodPost || rt.method == http.MethodDelete {
			h = s.idempotent(h)
		}
		r.Method(rt.method, rt.pattern, s.require(rt.operation, h))
	}
}

// handlerFunc adapts a handler that returns an error to http.Handler,
// sending the error through writeError.
func (s *Server) handlerFunc(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

var knownMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

// allowedMethods lists the methods that path accepts, for the Allow header.
func (s *Server) allowedMethods(path string) []string {
	path = strings.TrimSuffix(path, "/")
	var out []string
	for _, m := range knownMethods {
		if s.api.Match(chi.NewRouteContext(), m, path) {
			out = append(out, m)
		}
	}
	return out
}

// Routes lists every "METHOD /pattern" the server serves, for checks that
// the OpenAPI document and the router agree.
func (s *Server) Routes() []string {
	var out []string
	_ = chi.Walk(s.api, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, method+" "+strings.TrimSuffix(strings.ReplaceAll(route, "/*/", "/"), "/"))
		return nil
	})
	out = append(out, "GET /healthz", "GET /readyz")
	for _, f := range s.foreign {
		out = append(out, f.Method+" "+f.Path)
	}
	if s.serveMetrics {
		out = append(out, "GET /metrics")
	}
	if s.serveOpenAPI {
		out = append(out, "GET /openapi.yaml")
	}
	if s.serveDashboard {
		out = append(out, "GET /dashboard", "GET /dashboard/{path}")
	}
	return out
}

// getOnly answers 405 (Allow: GET) to any other method; the probes are
// outside the authenticated router, so its 405 handler does not see them.
func getOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			e := newError(typeMethodNotAllowed, "This path does not accept the method "+r.Method+".")
			e.allow = []string{http.MethodGet}
			writeError(w, r, slog.New(slog.DiscardHandler), e)
			return
		}
		h(w, r)
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	replica := s.replicaReport(r.Context())
	if s.ready != nil {
		if err := s.ready(r.Context()); err != nil {
			s.log.WarnContext(r.Context(), "not ready", "request_id", requestID(r.Context()), "error", err.Error())
			// Why, without the driver's words (the log has them).
			why := "the database does not answer"
			if errors.Is(err, context.DeadlineExceeded) {
				why = "the database did not answer in time"
			}
			writeError(w, r, s.log, unavailable("Not ready: "+why+"."))
			return
		}
	}
	writeJSON(w, http.StatusOK, readyBody{Status: "ready", Replica: replica()})
}

// trimTrailingSlash hands next the request's path without a trailing
// slash. StripSlashes changes only the path chi routes on; an adapter
// reads the URL's own, and /v3/customers/ada/ is /v3/customers/ada
// there too (SPEC §10).
func trimTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.URL.Path) > 1 && strings.HasSuffix(r.URL.Path, "/") {
			r2 := r.Clone(r.Context())
			r2.URL.Path = strings.TrimRight(r.URL.Path, "/")
			r2.URL.RawPath = strings.TrimRight(r.URL.RawPath, "/")
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}
