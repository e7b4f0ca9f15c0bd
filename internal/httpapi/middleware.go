package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/customers"
	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
)

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxPrincipal
	ctxAccessLog
)

// requestID is the request's id, or "" outside observe.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID).(string)
	return id
}

// principal is the authenticated caller, set by authenticate; nil before.
func principal(ctx context.Context) *access.Principal {
	p, _ := ctx.Value(ctxPrincipal).(*access.Principal)
	return p
}

// accessLog is what the access log line of a request says beyond what
// observe sees itself; layers inside it add to it with annotate.
type accessLog struct {
	mu    sync.Mutex
	attrs []slog.Attr
}

// annotate adds attributes to the request's access log line; it does
// nothing when the request is not observed (a handler mounted alone).
func annotate(ctx context.Context, attrs ...slog.Attr) {
	if l, ok := ctx.Value(ctxAccessLog).(*accessLog); ok {
		l.mu.Lock()
		l.attrs = append(l.attrs, attrs...)
		l.mu.Unlock()
	}
}

// maxRequestIDLength bounds an X-Request-Id taken from a client.
const maxRequestIDLength = 128

// validRequestID reports whether a client's X-Request-Id may be reused: 1 to
// 128 printable ASCII characters. Anything else is replaced, never rejected.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// observe is the outermost middleware: it assigns the request id, echoes it,
// turns panics into a 500 problem, and writes one access log line per
// request (never the API key).
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = uuid.NewString()
		}
		w.Header().Set("X-Request-Id", id)
		notes := &accessLog{}
		ctx := context.WithValue(context.WithValue(r.Context(), ctxRequestID, id), ctxAccessLog, notes)
		// chi fills in a route context it finds, so the pattern matched
		// is known here afterwards, for the metrics.
		rctx := chi.NewRouteContext()
		ctx = context.WithValue(ctx, chi.RouteCtxKey, rctx)
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}
		s.inFlight.Store(rec, InFlight{ID: id, Method: r.Method, Path: r.URL.Path, Started: start})
		defer s.inFlight.Delete(rec)
		defer func() {
			v := recover()
			if v != nil && v != http.ErrAbortHandler {
				s.log.ErrorContext(ctx, "panic", "request_id", id, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.status == 0 {
					// Logged just above, with the stack: once is enough.
					writeError(rec, r, slog.New(slog.DiscardHandler), newError(typeInternal, "The server failed to handle the request. Quote the request id when reporting this."))
				}
			}
			if s.log.Enabled(ctx, slog.LevelInfo) {
				// Typed attributes: the access line is written for every
				// request, and boxing each value would cost more than
				// the line itself.
				attrs := make([]slog.Attr, 0, 10)
				attrs = append(attrs,
					slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.Int("status", rec.status), slog.Int("bytes", rec.bytes),
					slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000))
				if v == http.ErrAbortHandler {
					// The answer was cut off after it had begun.
					attrs = append(attrs, slog.Bool("aborted", true))
				}
				notes.mu.Lock()
				attrs = append(attrs, notes.attrs...)
				notes.mu.Unlock()
				s.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
			}
			s.metrics.observeRequest(s.routeOf(rctx, r), r.Method, rec.status, time.Since(start))
			if v == http.ErrAbortHandler {
				panic(v) // net/http closes the connection without a word
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// InFlight describes a request the server has not answered yet.
type InFlight struct {
	ID, Method, Path string
	Started          time.Time
}

// InFlight lists the requests being served now, oldest first: what a
// shutdown that runs out of time cuts off.
func (s *Server) InFlight() []InFlight {
	var out []InFlight
	s.inFlight.Range(func(_, v any) bool {
		out = append(out, v.(InFlight))
		return true
	})
	slices.SortFunc(out, func(a, b InFlight) int { return a.Started.Compare(b.Started) })
	return out
}

// authenticate answers 401 to a request without a known REB-APIKEY before
// anything else is done with it, and records the principal otherwise.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret := r.Header.Get("REB-APIKEY")
		if secret == "" {
			writeError(w, r, s.log, newError(typeUnauthorized, "The REB-APIKEY header is missing."))
			return
		}
		p, err := s.access.Authenticate(r.Context(), secret)
		if errors.Is(err, access.ErrUnauthenticated) {
			writeError(w, r, s.log, newError(typeUnauthorized, "The API key in REB-APIKEY is not valid."))
			return
		}
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		ctx := context.WithValue(r.Context(), ctxPrincipal, p)
		annotate(ctx, slog.String("organization_id", p.OrganizationID), slog.String("key_id", p.KeyID))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// pathOrganization answers 403 when the organization in the path is not the
// API key's own. Organization ids are UUIDs, whose hex digits have no case.
func (s *Server) pathOrganization(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if org := chi.URLParam(r, "organizationId"); !strings.EqualFold(org, principal(r.Context()).OrganizationID) {
			writeError(w, r, s.log, newError(typeForbidden, fmt.Sprintf("The API key does not belong to organization %q.", org)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// require answers 403 unless the caller's key has permission op.
func (s *Server) require(op string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !principal(r.Context()).Can(op) {
			writeError(w, r, s.log, newError(typeForbidden, fmt.Sprintf("The API key lacks the permission %s.", op)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// triggeredByHeader marks a request as the dashboard's: with the value
// "app", the timeline messages it writes say triggeredBy "app" (SPEC §12);
// absent or anything else, "direct-api".
const triggeredByHeader = "X-Triggered-By"

// withActor tells the domain who asks for a change (SPEC §12, §14): the
// request and its API key, which every timeline message the change writes
// carries, and whether the dashboard made it (X-Triggered-By: app). Only
// the routes that write need it; reads pay nothing for it.
func withActor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		a := customers.Actor{RequestID: requestID(ctx), APIKeyID: principal(ctx).KeyID, TriggeredBy: customers.TriggeredByAPI}
		if r.Header.Get(triggeredByHeader) == customers.TriggeredByApp {
			a.TriggeredBy = customers.TriggeredByApp
		}
		ctx = customers.WithActor(ctx, a)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
