package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/billing/customers-api/internal/customers"
)

// origin is the absolute URL this API is reached at: the configured public
// URL, or the request's own scheme and host.
func (s *Server) origin(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// orgPrefix is "/organizations/{id}" when the request used that layout.
func orgPrefix(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/organizations/") {
		return "/organizations/" + url.PathEscape(principal(r.Context()).OrganizationID)
	}
	return ""
}

// baseURL is the absolute URL that resource paths of this request hang
// from, in the route layout the request used.
func (s *Server) baseURL(r *http.Request) string { return s.origin(r) + orgPrefix(r) }

func customerURL(base, id string) string { return base + "/customers/" + url.PathEscape(id) }

// appendLink appends one {rel, href} object of _links.
func appendLink(buf []byte, rel, href string) []byte {
	buf = append(buf, `{"rel":`...)
	buf = appendJSONString(buf, rel)
	buf = append(buf, `,"href":`...)
	buf = appendJSONString(buf, href)
	return append(buf, '}')
}

// appendCustomerLinks appends a customer's _links array: self always;
// leadSource, website and defaultPaymentInstrument when they exist (the
// last two at Rebilly's paths, which this service does not serve).
func appendCustomerLinks(buf []byte, v *customers.View, base string) []byte {
	self := customerURL(base, v.ID)
	buf = append(buf, '[')
	buf = appendLink(buf, "self", self)
	if v.HasLeadSource {
		buf = appendLink(append(buf, ','), "leadSource", self+"/lead-source")
	}
	if v.WebsiteID != nil {
		buf = appendLink(append(buf, ','), "website", base+"/websites/"+url.PathEscape(*v.WebsiteID))
	}
	if v.PaymentInstrumentID != nil {
		buf = appendLink(append(buf, ','), "defaultPaymentInstrument", base+"/payment-instruments/"+url.PathEscape(*v.PaymentInstrumentID))
	}
	return append(buf, ']')
}

// appendLeadSourceLinks appends a lead source's _links array.
func appendLeadSourceLinks(buf []byte, customerID, base string) []byte {
	self := customerURL(base, customerID)
	buf = appendLink(append(buf, '['), "self", self+"/lead-source")
	buf = appendLink(append(buf, ','), "customer", self)
	return append(buf, ']')
}

// lastOffset is the offset of the last page: floor((total-1)/limit)*limit.
func lastOffset(total int64, limit int) int64 {
	return max(total-1, 0) / int64(limit) * int64(limit)
}

// linkHeader builds the RFC 8288 Link header of a page: first, prev, next
// and last where they exist, absolute, keeping every other parameter.
func (s *Server) linkHeader(r *http.Request, query url.Values, limit, offset int, total int64) string {
	if limit == 0 {
		return ""
	}
	origin := s.origin(r)
	link := func(rel string, off int64) string {
		q := make(url.Values, len(query)+2)
		for k, v := range query {
			q[k] = v
		}
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
