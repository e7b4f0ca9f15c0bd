// Package httpapi is the HTTP adapter of the service: chi routes, thin
// handlers, JSON wire shapes and their converters, middleware (request ids,
// access log, panic recovery, authentication, permissions) and the single
// writer of application/problem+json errors.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/customers"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// Config holds what the server needs.
type Config struct {
	Customers *customers.Service
	Access    *access.Service
	// Ready reports whether the service can serve (the database answers).
	Ready  func(context.Context) error
	Logger *slog.Logger
	// PublicURL, when set, is the absolute base of links and Location
	// headers (e.g. https://api.example.com); otherwise each request's own
	// scheme and Host are used.
	PublicURL string
	// CORSOrigins are the browser origins (scheme://host[:port], or "*")
	// allowed to call the API; none sends no CORS headers at all.
	CORSOrigins []string
}

// Server is the HTTP API. It is an http.Handler.
type Server struct {
	customers *customers.Service
	access    *access.Service
	ready     func(context.Context) error
	log       *slog.Logger
	publicURL string
	cors      []string
	api       chi.Router
	handler   http.Handler
}

// NewServer builds the API's handler.
func NewServer(cfg Config) *Server {
	s := &Server{
		customers: cfg.Customers, access: cfg.Access, ready: cfg.Ready, log: cfg.Logger,
		publicURL: strings.TrimSuffix(cfg.PublicURL, "/"), cors: cfg.CORSOrigins,
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

	s.api = chi.NewRouter()
	// Authentication is the first thing done to any other request, so an
	// unknown key gets 401 even on unknown paths.
	s.api.Use(s.authenticate)
	s.api.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, newError(kindNotFound, "No resource lives at this path."))
	})
	s.api.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		e := newError(kindMethodNotAllowed, "This path does not accept the method "+r.Method+".")
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
	}
}

func (s *Server) mountRoutes(r chi.Router) {
	for _, rt := range s.routes() {
		r.Method(rt.method, rt.pattern, s.require(rt.operation, s.handlerFunc(rt.handle)))
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
	return append(out, "GET /healthz", "GET /readyz")
}

// getOnly answers 405 (Allow: GET) to any other method; the probes are
// outside the authenticated router, so its 405 handler does not see them.
func getOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			e := newError(kindMethodNotAllowed, "This path does not accept the method "+r.Method+".")
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
	if s.ready != nil {
		if err := s.ready(r.Context()); err != nil {
			s.log.WarnContext(r.Context(), "not ready", "request_id", requestID(r.Context()), "error", err.Error())
			writeError(w, r, s.log, newError(kindUnavailable, "The database does not answer."))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
