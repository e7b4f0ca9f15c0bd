package httpapi

import (
	"net/http"
	"slices"
	"strings"
)

// corsExposed are the response headers a browser script may read: without
// them Rebilly's SDK in a dashboard cannot see totals, versions or links.
const corsExposed = "ETag, Location, Link, Pagination-Total, Pagination-Limit, Pagination-Offset, X-Request-Id, Retry-After, " +
	"X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Idempotent-Replayed"

// corsMethods are every method some route serves.
const corsMethods = "GET, POST, PUT, PATCH, DELETE"

// allowOrigins implements CORS for the configured origins. A request whose
// Origin is not allowed (or that has none) passes on untouched, so it is
// served exactly as without CORS; the browser then withholds the answer.
// A preflight (OPTIONS with Access-Control-Request-Method) from an allowed
// origin is answered here, 204 and no key needed, because browsers never
// send credentials on it; the real request is authenticated as usual.
func (s *Server) allowOrigins(next http.Handler) http.Handler {
	if len(s.cors) == 0 {
		return next
	}
	anyOrigin := slices.Contains(s.cors, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		h.Add("Vary", "Origin")
		if origin == "" || !(anyOrigin || slices.Contains(s.cors, origin)) {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
			h.Set("Access-Control-Expose-Headers", corsExposed)
			next.ServeHTTP(w, r)
			return
		}
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		h.Set("Access-Control-Allow-Methods", corsMethods)
		if asked := r.Header.Get("Access-Control-Request-Headers"); asked != "" && validHeaderList(asked) {
			// The key travels in a header, never a cookie, so allowing the
			// headers a script asks for opens nothing an attacker lacks.
			h.Set("Access-Control-Allow-Headers", asked)
		}
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	})
}

// validHeaderList reports whether v is a comma list of header-name tokens.
func validHeaderList(v string) bool {
	for name := range strings.SplitSeq(v, ",") {
		name = strings.TrimSpace(name)
		if name == "" || len(name) > 100 {
			return false
		}
		for _, c := range name {
			if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return false
			}
		}
	}
	return true
}
