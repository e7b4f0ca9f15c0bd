package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/pkg/filter"
)

const (
	defaultLimit = 100
	maxQLength   = 200
	// pageBufferBytes is how much of a page is gathered before it is sent:
	// a page that fits goes out whole with a Content-Length; a larger one
	// is streamed in pieces of about this size as the rows are read.
	pageBufferBytes = 64 << 10
)

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) error {
	query, err := queryParams(r)
	if err != nil {
		return err
	}
	lq, err := collectionQuery(query)
	if err != nil {
		return err
	}
	rep, err := parseRepresentation(query)
	if err != nil {
		return err
	}
	buf := getBuffer()
	defer putBuffer(buf)
	pw := &pageWriter{s: s, w: w, r: r, query: query, rep: rep, limit: lq.Limit, offset: lq.Offset, base: s.baseURL(r), buf: *buf}
	defer func() { *buf = pw.buf }() // the grown buffer goes back to the pool
	err = s.customers.List(r.Context(), principal(r.Context()).OrganizationID, lq, rep.viewOptions(), pw)
	if err != nil {
		if pw.sent {
			// The status line and part of the page are out: the only
			// honest ending left is to cut the connection, so the client
			// sees a broken answer rather than a short page.
			s.log.ErrorContext(r.Context(), "page cut off", "request_id", requestID(r.Context()), "error", err.Error())
			panic(http.ErrAbortHandler)
		}
		return err
	}
	pw.finish()
	return nil
}

// collectionQuery reads what every collection takes (SPEC §5): limit,
// offset, filter, sort and q, each but sort at most once.
func collectionQuery(query url.Values) (customers.ListQuery, error) {
	limit, offset, err := pageParams(query, "filter", "q")
	if err != nil {
		return customers.ListQuery{}, err
	}
	q := query.Get("q")
	if err := filter.CheckText("q", q); err != nil {
		return customers.ListQuery{}, queryErr(err)
	}
	if utf8.RuneCountInString(q) > maxQLength {
		return customers.ListQuery{}, invalidQuery("q", maxQLength, fmt.Sprintf("must be at most %d characters", maxQLength))
	}
	return customers.ListQuery{Filter: query.Get("filter"), Q: q, Sort: query["sort"], Limit: limit, Offset: offset}, nil
}

// servePage serves a collection of resources other than customers: it
// reads the collection query, has list fetch the page and render each
// item, and answers the page with its pagination headers.
func servePage[T, Out any](s *Server, w http.ResponseWriter, r *http.Request,
	list func(ctx context.Context, orgID string, lq customers.ListQuery) (int64, []T, error), render func(*T, string) Out) error {
	query, err := queryParams(r)
	if err != nil {
		return err
	}
	lq, err := collectionQuery(query)
	if err != nil {
		return err
	}
	total, items, err := list(r.Context(), principal(r.Context()).OrganizationID, lq)
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	out := make([]Out, len(items))
	for i := range items {
		out[i] = render(&items[i], base)
	}
	s.paginationHeaders(w, r, query, lq.Limit, lq.Offset, total)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// pageParams reads limit and offset, and checks that they and the other
// named parameters are given at most once.
func pageParams(query url.Values, others ...string) (limit, offset int, err error) {
	if err := once(query, append([]string{"limit", "offset"}, others...)...); err != nil {
		return 0, 0, err
	}
	if limit, err = intParam(query, "limit", defaultLimit, customers.MaxLimit); err != nil {
		return 0, 0, err
	}
	if offset, err = intParam(query, "offset", 0, -1); err != nil {
		return 0, 0, err
	}
	return limit, offset, nil
}

// paginationHeaders sets the Pagination-* and Link headers of a page.
func (s *Server) paginationHeaders(w http.ResponseWriter, r *http.Request, query url.Values, limit, offset int, total int64) {
	h := w.Header()
	h.Set("Pagination-Total", strconv.FormatInt(total, 10))
	h.Set("Pagination-Limit", strconv.Itoa(limit))
	h.Set("Pagination-Offset", strconv.Itoa(offset))
	if l := s.linkHeader(r, query, limit, offset, total); l != "" {
		h.Set("Link", l)
	}
}

// pageWriter writes a page to the client while the store reads it: the
// headers once the total is known, then the customers, gathered up to
// pageBufferBytes at a time.
type pageWriter struct {
	s             *Server
	w             http.ResponseWriter
	r             *http.Request
	query         url.Values
	rep           representation
	limit, offset int
	base          string

	buf  []byte
	n    int  // customers written
	sent bool // the status line is out
}

func (p *pageWriter) Begin(total int64) error {
	p.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	p.s.paginationHeaders(p.w, p.r, p.query, p.limit, p.offset, total)
	p.buf = append(p.buf, '[')
	return nil
}

func (p *pageWriter) Customer(v *customers.View) error {
	if p.n > 0 {
		p.buf = append(p.buf, ',')
	}
	p.n++
	p.buf = appendCustomer(p.buf, v, p.rep, p.base)
	if len(p.buf) < pageBufferBytes {
		return nil
	}
	p.sent = true
	_, err := p.w.Write(p.buf)
	p.buf = p.buf[:0]
	return err
}

// finish ends the array and sends what is left; a page that never
// reached pageBufferBytes goes out with its Content-Length.
func (p *pageWriter) finish() {
	p.buf = append(p.buf, ']', '\n')
	if !p.sent {
		p.w.Header().Set("Content-Length", strconv.Itoa(len(p.buf)))
	}
	_, _ = p.w.Write(p.buf)
}
