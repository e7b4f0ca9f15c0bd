package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/billing/customers-api/internal/customers"
	"github.com/go-chi/chi/v5"
)

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) error {
	rep, err := requestRepresentation(r)
	if err != nil {
		return err
	}
	var in customerIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	v, err := s.customers.Create(r.Context(), principal(r.Context()).OrganizationID, in.toInput(), rep.viewOptions())
	if err != nil {
		return err
	}
	s.writeCustomer(w, r, http.StatusCreated, v, rep)
	return nil
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) error {
	rep, err := requestRepresentation(r)
	if err != nil {
		return err
	}
	v, err := s.customers.Get(r.Context(), principal(r.Context()).OrganizationID, pathID(r), rep.viewOptions())
	if err != nil {
		return err
	}
	if tags := entityTags(r.Header, "If-None-Match"); tags != nil && matchesETag(tags, v.Revision) {
		w.Header().Set("ETag", quoteETag(v.Revision))
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	s.writeCustomer(w, r, http.StatusOK, v, rep)
	return nil
}

func (s *Server) putCustomer(w http.ResponseWriter, r *http.Request) error {
	rep, err := requestRepresentation(r)
	if err != nil {
		return err
	}
	var in customerIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	v, created, err := s.customers.Put(r.Context(), principal(r.Context()).OrganizationID, pathID(r), in.toInput(), precondition(r), rep.viewOptions())
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.writeCustomer(w, r, status, v, rep)
	return nil
}

// mergeCustomer serves DELETE /customers/{id}?targetCustomerId=T: the path
// customer is merged into T and disappears.
func (s *Server) mergeCustomer(w http.ResponseWriter, r *http.Request) error {
	query, err := queryParams(r)
	if err != nil {
		return err
	}
	if err := once(query, "targetCustomerId"); err != nil {
		return err
	}
	target := query.Get("targetCustomerId")
	if err := s.customers.Merge(r.Context(), principal(r.Context()).OrganizationID, pathID(r), target, precondition(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// requestRepresentation reads the fields and expand parameters, which
// every customer answer honours (Rebilly's SDK sends expand on writes too).
// They are checked before any write, so a malformed one changes nothing.
func requestRepresentation(r *http.Request) (representation, error) {
	query, err := queryParams(r)
	if err != nil {
		return representation{}, err
	}
	return parseRepresentation(query)
}

// writeCustomer answers with the customer's representation shaped by rep,
// its ETag and, on 201, Location.
func (s *Server) writeCustomer(w http.ResponseWriter, r *http.Request, status int, v *customers.View, rep representation) {
	base := s.baseURL(r)
	w.Header().Set("ETag", quoteETag(v.Revision))
	if status == http.StatusCreated {
		w.Header().Set("Location", customerURL(base, v.ID))
	}
	buf := getBuffer()
	defer putBuffer(buf)
	*buf = append(appendCustomer(*buf, v, rep, base), '\n')
	writeRaw(w, status, *buf)
}

// pathID is the {id} path parameter, percent-decoded exactly once. chi
// routes on URL.RawPath when Go kept one (an escaping other than the
// default, such as %40) and on the decoded URL.Path otherwise.
func pathID(r *http.Request) string { return pathParam(r, "id") }

// pathParam is path parameter name, percent-decoded exactly once (see pathID).
func pathParam(r *http.Request, name string) string {
	raw := chi.URLParam(r, name)
	if r.URL.RawPath == "" {
		return raw
	}
	if id, err := url.PathUnescape(raw); err == nil {
		return id
	}
	return raw
}

func quoteETag(rev int64) string { return `"` + customers.ETag(rev) + `"` }

// entityTags parses an If-Match or If-None-Match header into unquoted tags
// ("*" kept as is; weak tags compared by their opaque part). It returns nil
// when the header is absent, and an empty non-nil list when it is present
// but holds no tag, which then matches nothing.
func entityTags(h http.Header, name string) []string {
	values := h.Values(name)
	if len(values) == 0 {
		return nil
	}
	tags := []string{}
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == "*" {
				tags = append(tags, t)
			} else if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' {
				tags = append(tags, t[1:len(t)-1])
			}
		}
	}
	return tags
}

func matchesETag(tags []string, rev int64) bool {
	want := customers.ETag(rev)
	for _, t := range tags {
		if t == "*" || t == want {
			return true
		}
	}
	return false
}

// precondition reads the conditional headers of a write.
func precondition(r *http.Request) customers.Precondition {
	return customers.Precondition{IfMatch: entityTags(r.Header, "If-Match"), IfNoneMatch: entityTags(r.Header, "If-None-Match")}
}
