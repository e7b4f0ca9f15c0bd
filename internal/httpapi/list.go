package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/pkg/filter"
)

const (
	defaultLimit = 100
	maxQLength   = 200
	maxFields    = 100
	maxExpand    = 10
)

// representation is what fields and expand ask of a customer's shape.
type representation struct {
	fields []string // nil: every field
	// expandLeadSource: expand=leadSource was given (the only relation), so
	// _embedded is present, with the lead source or null.
	expandLeadSource bool
}

// parseRepresentation reads fields and expand. Unknown names are 400.
func parseRepresentation(q url.Values) (representation, error) {
	var rep representation
	if err := once(q, "fields", "expand"); err != nil {
		return rep, err
	}
	if q.Has("fields") {
		fields, err := filter.ParseList("fields", q.Get("fields"), maxFields)
		if err != nil {
			return rep, err
		}
		for _, f := range fields {
			if list, ok := listPrefix(reflect.TypeOf(customerOut{}), strings.Split(f.Name, ".")); ok {
				return rep, &filter.Error{Param: "fields", Offset: f.Offset, Message: fmt.Sprintf("%q reaches inside the list %s; ask for the whole list", f.Name, list)}
			}
			if !knownPath(reflect.TypeOf(customerOut{}), strings.Split(f.Name, ".")) {
				return rep, &filter.Error{Param: "fields", Offset: f.Offset, Message: fmt.Sprintf("unknown field %q", f.Name)}
			}
			rep.fields = append(rep.fields, f.Name)
		}
	}
	if q.Has("expand") {
		items, err := filter.ParseList("expand", q.Get("expand"), maxExpand)
		if err != nil {
			return rep, err
		}
		for _, e := range items {
			if e.Name != "leadSource" {
				return rep, &filter.Error{Param: "expand", Offset: e.Offset, Message: fmt.Sprintf("%q cannot be expanded; the only expandable relation is leadSource", e.Name)}
			}
		}
		rep.expandLeadSource = true
	}
	return rep, nil
}

// listPrefix returns the leading part of a dotted path that names a list
// of the wire type t, when the path goes on below it.
func listPrefix(t reflect.Type, path []string) (string, bool) {
	for i, name := range path[:len(path)-1] {
		t = deref(t)
		if t.Kind() != reflect.Struct {
			return "", false
		}
		ft, ok := knownFields(t)[name]
		if !ok {
			return "", false
		}
		if deref(ft).Kind() == reflect.Slice {
			return strings.Join(path[:i+1], "."), true
		}
		t = ft
	}
	return "", false
}

// knownPath reports whether a dotted field path names a field of the wire
// type t (any key below a free-form object such as customFields counts).
func knownPath(t reflect.Type, path []string) bool {
	t = deref(t)
	if len(path) == 0 {
		return true
	}
	switch t.Kind() {
	case reflect.Map, reflect.Interface:
		return true
	case reflect.Slice:
		return false // inside a list: parseRepresentation says so
	case reflect.Struct:
		ft, ok := knownFields(t)[path[0]]
		return ok && knownPath(ft, path[1:])
	}
	return false
}

// queryParams parses the request's query string. Only & separates
// parameters: the filter language uses ; itself, and clients such as curl
// send it unescaped (net/url's parser drops any pair that holds one). A pair
// that is not valid percent-encoding is a 400 naming the parameter.
func queryParams(r *http.Request) (url.Values, error) {
	q := url.Values{}
	for pair := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, invalidQuery(rawKey, 0, "is not valid percent-encoding")
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, invalidQuery(key, 0, "is not valid percent-encoding")
		}
		q[key] = append(q[key], value)
	}
	return q, nil
}

// once answers 400 when one of the named parameters is repeated: only
// sort may be, and silently using the first of two filters would hide a
// client's mistake.
func once(q url.Values, names ...string) error {
	for _, name := range names {
		if len(q[name]) > 1 {
			return invalidQuery(name, 0, fmt.Sprintf("is given %d times; give it once", len(q[name])))
		}
	}
	return nil
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) error {
	query, err := queryParams(r)
	if err != nil {
		return err
	}
	if err := once(query, "limit", "offset", "filter", "q"); err != nil {
		return err
	}
	limit, err := intParam(query, "limit", defaultLimit, customers.MaxLimit)
	if err != nil {
		return err
	}
	offset, err := intParam(query, "offset", 0, -1)
	if err != nil {
		return err
	}
	rep, err := parseRepresentation(query)
	if err != nil {
		return err
	}
	q := query.Get("q")
	if err := filter.CheckText("q", q); err != nil {
		return err
	}
	if utf8.RuneCountInString(q) > maxQLength {
		return invalidQuery("q", maxQLength, fmt.Sprintf("must be at most %d characters", maxQLength))
	}
	orgID := principal(r.Context()).OrganizationID
	page, err := s.customers.List(r.Context(), orgID, customers.ListQuery{
		Filter: query.Get("filter"), Q: q, Sort: query["sort"], Limit: limit, Offset: offset,
	})
	if err != nil {
		return err
	}
	var leadSources map[string]*customers.LeadSource
	if rep.expandLeadSource && len(page.Customers) > 0 {
		ids := make([]string, len(page.Customers))
		for i, c := range page.Customers {
			ids[i] = c.ID
		}
		if leadSources, err = s.customers.LeadSources(r.Context(), orgID, ids); err != nil {
			return err
		}
	}
	base := s.baseURL(r)
	items := make([]any, 0, len(page.Customers))
	for _, c := range page.Customers {
		items = append(items, shape(toCustomerOut(c, base), rep, leadSources[c.ID], base))
	}
	h := w.Header()
	h.Set("Pagination-Total", strconv.FormatInt(page.Total, 10))
	h.Set("Pagination-Limit", strconv.Itoa(limit))
	h.Set("Pagination-Offset", strconv.Itoa(offset))
	if link := s.linkHeader(r, query, limit, offset, page.Total); link != "" {
		h.Set("Link", link)
	}
	writeJSON(w, http.StatusOK, items)
	return nil
}

// shape applies expand and fields to one customer's representation.
func shape(out *customerOut, rep representation, ls *customers.LeadSource, base string) any {
	if rep.expandLeadSource {
		out.Embedded = &embedded{}
		if ls != nil {
			out.Embedded.LeadSource = toLeadSourceOut(ls, base)
		}
	}
	if rep.fields == nil {
		return out
	}
	var full map[string]any
	raw, _ := json.Marshal(out) // wire types always encode
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&full)
	kept := map[string]any{"id": full["id"]}
	if e, ok := full["_embedded"]; ok {
		kept["_embedded"] = e
	}
	for _, f := range rep.fields {
		copyPath(kept, full, strings.Split(f, "."))
	}
	return kept
}

// copyPath copies the value at path from src into dst, creating the
// enclosing objects; a path that is absent from src is left out.
func copyPath(dst, src map[string]any, path []string) {
	v, ok := src[path[0]]
	if !ok {
		return
	}
	if len(path) == 1 {
		dst[path[0]] = v
		return
	}
	sub, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			dst[path[0]] = nil
		}
		return
	}
	next, ok := dst[path[0]].(map[string]any)
	if !ok {
		next = map[string]any{}
		dst[path[0]] = next
	}
	copyPath(next, sub, path[1:])
}

// lastOffset is the offset of the last page: floor((total-1)/limit)*limit.
func lastOffset(total int64, limit int) int64 {
	return max(total-1, 0) / int64(limit) * int64(limit)
}

// intParam reads a whole-number query parameter: def when absent, at most
// maxValue (unless maxValue < 0), never negative.
func intParam(q url.Values, name string, def, maxValue int) (int, error) {
	if !q.Has(name) {
		return def, nil
	}
	v := q.Get(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || (maxValue >= 0 && n > maxValue) {
		if maxValue >= 0 {
			return 0, invalidQuery(name, 0, fmt.Sprintf("must be a whole number from 0 to %d, got %q", maxValue, v))
		}
		return 0, invalidQuery(name, 0, fmt.Sprintf("must be a whole number of at least 0, got %q", v))
	}
	return n, nil
}

// invalidQuery is a malformed query parameter, reported like the query
// language's own errors: the parameter and the character offset.
func invalidQuery(param string, offset int, message string) error {
	return &filter.Error{Param: param, Offset: offset, Message: message}
}

// linkHeader builds the RFC 8288 Link header of a page: first, prev, next
// and last where they exist, absolute, keeping every other parameter.
func (s *Server) linkHeader(r *http.Request, query url.Values, limit, offset int, total int64) string {
	if limit == 0 {
		return ""
	}
	origin := s.origin(r)
	link := func(rel string, off int64) string {
		q := maps.Clone(query)
		q.Set("limit", strconv.Itoa(limit))
		q.Set("offset", strconv.FormatInt(off, 10))
		return fmt.Sprintf("<%s%s?%s>; rel=%q", origin, r.URL.Path, q.Encode(), rel)
	}
	links := []string{link("first", 0)}
	if offset > 0 {
		// Past the end, the previous page is the last one.
		links = append(links, link("prev", min(max(int64(offset-limit), 0), lastOffset(total, limit))))
	}
	// Compared so that nothing overflows: offset may be as large as an int.
	if int64(offset) < total-int64(limit) {
		links = append(links, link("next", int64(offset)+int64(limit)))
	}
	if total > 0 {
		links = append(links, link("last", lastOffset(total, limit)))
	}
	return strings.Join(links, ", ")
}
