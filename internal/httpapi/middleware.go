package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/billing/customers-api/internal/access"
	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
)

type ctxKey int

const (
	ctxRequestInfo ctxKey = iota
)

// requestInfo accompanies a request through the middleware: the outermost
// layer creates it, inner layers fill it in, and the access log reads it.
type requestInfo struct {
	id        string
	principal *access.Principal
}

func info(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(ctxRequestInfo).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

func requestID(ctx context.Context) string { return info(ctx).id }

// principal is the authenticated caller; nil before authentication.
func principal(ctx context.Context) *access.Principal { return info(ctx).principal }

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
		ri := &requestInfo{id: r.Header.Get("X-Request-Id")}
		if !validRequestID(ri.id) {
			ri.id = uuid.NewString()
		}
		w.Header().Set("X-Request-Id", ri.id)
		r = r.WithContext(context.WithValue(r.Context(), ctxRequestInfo, ri))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "request_id", ri.id, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.status == 0 {
					// Logged just above, with the stack: once is enough.
					writeError(rec, r, slog.New(slog.DiscardHandler), newError(kindInternal, "The server failed to handle the request. Quote the request id when reporting this."))
				}
			}
			attrs := []any{
				"request_id", ri.id, "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"bytes", rec.bytes, "duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			}
			if ri.principal != nil {
				attrs = append(attrs, "organization_id", ri.principal.OrganizationID, "key_id", ri.principal.KeyID)
			}
			s.log.InfoContext(r.Context(), "request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
}

// authenticate answers 401 to a request without a known REB-APIKEY before
// anything else is done with it, and records the principal otherwise.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret := r.Header.Get("REB-APIKEY")
		if secret == "" {
			writeError(w, r, s.log, newError(kindUnauthorized, "The REB-APIKEY header is missing."))
			return
		}
		p, err := s.access.Authenticate(r.Context(), secret)
		if errors.Is(err, access.ErrUnauthenticated) {
			writeError(w, r, s.log, newError(kindUnauthorized, "The API key in REB-APIKEY is not valid."))
			return
		}
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		info(r.Context()).principal = p
		next.ServeHTTP(w, r)
	})
}

// pathOrganization answers 403 when the organization in the path is not the
// API key's own. Organization ids are UUIDs, whose hex digits have no case.
func (s *Server) pathOrganization(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if org := chi.URLParam(r, "organizationId"); !strings.EqualFold(org, principal(r.Context()).OrganizationID) {
			writeError(w, r, s.log, newError(kindForbidden, fmt.Sprintf("The API key does not belong to organization %q.", org)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// require answers 403 unless the caller's key has permission op.
func (s *Server) require(op string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !principal(r.Context()).Can(op) {
			writeError(w, r, s.log, newError(kindForbidden, fmt.Sprintf("The API key lacks the permission %s.", op)))
			return
		}
		next.ServeHTTP(w, r)
	})
}
