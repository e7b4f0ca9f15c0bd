package client

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// call is what options change in one request.
type call struct {
	query  url.Values
	header http.Header
}

func newCall() *call { return &call{query: url.Values{}, header: http.Header{}} }

// Each method accepts only the options that mean something to it, so a
// misplaced option is a compile error rather than a silently ignored one.
// The interfaces are sealed: only this package's option types satisfy them.

// ListOption changes a [Client.ListCustomers] request: a [QueryOption], a
// [ShapeOption] or a [RequestOption]. The other collections take it too,
// each documenting which options it understands: [Client.ListTags],
// [Client.ListCustomFields], [Client.ListTimeline], [Client.ListWebhooks],
// [Client.ListDeliveries] and [Client.ListCustomerTokens].
type ListOption interface{ applyList(*call) }

// GetOption changes a [Client.GetCustomer] request: a [ShapeOption], a
// [ConditionOption] or a [RequestOption].
type GetOption interface{ applyGet(*call) }

// ReadOption changes a [Client.GetLeadSource] request: a [ConditionOption]
// or a [RequestOption].
type ReadOption interface{ applyRead(*call) }

// WriteOption changes a write (PUT, merge, lead-source writes): a
// [ConditionOption] or a [RequestOption].
type WriteOption interface{ applyWrite(*call) }

// setter is what an option does to a request; nil (an option type's zero
// value) does nothing.
type setter func(*call)

func (f setter) apply(c *call) {
	if f != nil {
		f(c)
	}
}

// QueryOption is a parameter of the collection query: [Limit], [Offset],
// [Filter], [Search], [Sort].
type QueryOption struct{ set setter }

func (o QueryOption) applyList(c *call) { o.set.apply(c) }

// Limit sets the page size, 0 to 1000 (server default 100). Limit(0) asks
// for the pagination headers only.
func Limit(n int) QueryOption {
	return QueryOption{func(c *call) { c.query.Set("limit", strconv.Itoa(n)) }}
}

// Offset sets how many customers to skip (0-based, default 0).
func Offset(n int) QueryOption {
	return QueryOption{func(c *call) { c.query.Set("offset", strconv.Itoa(n)) }}
}

// Filter sets the filter expression in Rebilly's language, e.g.
// "primaryAddress.country:GB;revision:1..5". It is sent as given; the
// client does not parse it.
func Filter(expr string) QueryOption {
	return QueryOption{func(c *call) { c.query.Set("filter", expr) }}
}

// Search sets q: a case-insensitive partial match over id, emails, names,
// organization and phone numbers, ANDed with the filter.
func Search(q string) QueryOption {
	return QueryOption{func(c *call) { c.query.Set("q", q) }}
}

// Sort sets the sort keys, most significant first; a "-" prefix sorts
// descending (server default "-createdTime"). Keys from repeated Sort
// options are appended.
func Sort(keys ...string) QueryOption {
	return QueryOption{func(c *call) { appendList(c.query, "sort", keys) }}
}

// ShapeOption shapes the representation of customers: [Fields], [Expand].
type ShapeOption struct{ set setter }

func (o ShapeOption) applyList(c *call) { o.set.apply(c) }
func (o ShapeOption) applyGet(c *call)  { o.set.apply(c) }

// Fields keeps only the named fields (dotted paths allowed, id is always
// kept). The fields left out keep their zero values in [Customer].
func Fields(names ...string) ShapeOption {
	return ShapeOption{func(c *call) { appendList(c.query, "fields", names) }}
}

// Expand embeds related resources under _embedded ([Customer].Embedded);
// the API knows "leadSource".
func Expand(relations ...string) ShapeOption {
	return ShapeOption{func(c *call) { appendList(c.query, "expand", relations) }}
}

// appendList adds items to the comma list held by the parameter name; no
// items leave the parameter as it was (absent: the server's default).
func appendList(q url.Values, name string, items []string) {
	if len(items) == 0 {
		return
	}
	all := items
	if prev := q.Get(name); prev != "" {
		all = append([]string{prev}, items...)
	}
	q.Set(name, strings.Join(all, ","))
}

// ConditionOption makes a request conditional on the resource's entity tag
// (the customer's revision, see [ETag] and Response.ETag): [IfMatch],
// [IfNoneMatch].
type ConditionOption struct{ set setter }

func (o ConditionOption) applyGet(c *call)   { o.set.apply(c) }
func (o ConditionOption) applyRead(c *call)  { o.set.apply(c) }
func (o ConditionOption) applyWrite(c *call) { o.set.apply(c) }

// IfMatch sends If-Match: the write happens only when the customer's current
// entity tag is one of etags ("*": when it exists); otherwise the answer is
// 412 ([IsPreconditionFailed]). Pass tags as Response.ETag holds them,
// quoted, or build them with [ETag]. GET ignores If-Match.
func IfMatch(etags ...string) ConditionOption {
	return ConditionOption{func(c *call) { c.header.Set("If-Match", strings.Join(etags, ", ")) }}
}

// IfNoneMatch sends If-None-Match. On a GET, a match answers 304 and the
// method returns [ErrNotModified]. On a write, a match is 412; "*" makes
// [Client.PutCustomer] create-only.
func IfNoneMatch(etags ...string) ConditionOption {
	return ConditionOption{func(c *call) { c.header.Set("If-None-Match", strings.Join(etags, ", ")) }}
}

// RequestOption applies to every method: [WithRequestID], [WithHeader].
type RequestOption struct{ set setter }

func (o RequestOption) applyList(c *call)  { o.set.apply(c) }
func (o RequestOption) applyGet(c *call)   { o.set.apply(c) }
func (o RequestOption) applyRead(c *call)  { o.set.apply(c) }
func (o RequestOption) applyWrite(c *call) { o.set.apply(c) }

// WithRequestID sends X-Request-Id, so the server's logs and any problem
// carry the caller's id. The server keeps ids of 1 to 128 printable ASCII
// characters and replaces any other; Response.RequestID and
// Error.RequestID say which id it used.
func WithRequestID(id string) RequestOption {
	return RequestOption{func(c *call) { c.header.Set("X-Request-Id", id) }}
}

// WithHeader sets an extra request header (it can replace the ones the
// client sets, REB-APIKEY included).
func WithHeader(name, value string) RequestOption {
	return RequestOption{func(c *call) { c.header.Set(name, value) }}
}
