package client

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// CustomerList is one page of the customer collection.
type CustomerList struct {
	// Customers is the page, in the requested order; empty (not nil) past
	// the end or with Limit(0).
	Customers []Customer
	// Total, Limit and Offset are the Pagination-Total, Pagination-Limit
	// and Pagination-Offset headers: how many customers match, and the page
	// size and position the server used.
	Total, Limit, Offset int64
	// Links are the page's Link header URLs (absolute, every query
	// parameter kept); "" where the page has none (no prev on the first
	// page, no next on the last, none at all with Limit(0)). Fetch one with
	// [Client.ListCustomersAt].
	Links PageLinks
}

// PageLinks are the first, prev, next and last links of a page.
type PageLinks struct {
	First, Prev, Next, Last string
}

// HasNext reports whether a next page exists.
func (l *CustomerList) HasNext() bool { return l.Links.Next != "" }

// ListCustomers fetches one page of the customers that match the options
// (GET /customers, permission GetCustomerCollection): [Limit], [Offset],
// [Filter], [Search], [Sort], [Fields], [Expand]. A malformed parameter is a
// 400 *Error whose InvalidFields names it and the character offset.
func (c *Client) ListCustomers(ctx context.Context, opts ...ListOption) (*CustomerList, *Response, error) {
	cl := newCall()
	for _, o := range opts {
		o.applyList(cl)
	}
	return c.list(ctx, cl)
}

// ListCustomersAt fetches the page a Link URL of a previous page names
// (list.Links.Next, say). Only the URL's query is used: it is sent to the
// client's own base URL and route layout, so the API key never travels to
// a host the client was not configured with (a Link built behind a proxy
// may name another).
func (c *Client) ListCustomersAt(ctx context.Context, link string, opts ...RequestOption) (*CustomerList, *Response, error) {
	cl, err := linkCall(link, opts)
	if err != nil {
		return nil, nil, err
	}
	return c.list(ctx, cl)
}

// linkCall is the call of a page's Link URL: its query, and opts.
func linkCall(link string, opts []RequestOption) (*call, error) {
	if link == "" {
		return nil, errors.New("client: the page link is empty (the page has no such link)")
	}
	u, err := url.Parse(link)
	if err != nil {
		return nil, fmt.Errorf("client: page link %q: %w", link, err)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("client: page link %q: %w", link, err)
	}
	cl := newCall()
	cl.query = q
	for _, o := range opts {
		o.applyList(cl)
	}
	return cl, nil
}

func (c *Client) list(ctx context.Context, cl *call) (*CustomerList, *Response, error) {
	var customers []Customer
	resp, err := c.do(ctx, http.MethodGet, c.resourcePath("customers"), cl, nil, &customers)
	if err != nil {
		return nil, resp, err
	}
	out := &CustomerList{Customers: customers, Links: parsePageLinks(resp.Header.Values("Link"))}
	if out.Customers == nil {
		out.Customers = []Customer{}
	}
	if err := readPagination(resp, "/customers", &out.Total, &out.Limit, &out.Offset); err != nil {
		return nil, resp, err
	}
	return out, resp, nil
}

// readPagination reads a page's Pagination-Total, -Limit and -Offset
// headers; an absent one leaves its destination 0.
func readPagination(resp *Response, collection string, total, limit, offset *int64) error {
	for _, h := range []struct {
		name string
		dst  *int64
	}{{"Pagination-Total", total}, {"Pagination-Limit", limit}, {"Pagination-Offset", offset}} {
		v := resp.Header.Get(h.name)
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("client: GET %s: header %s is %q, not a number (request id %s)", collection, h.name, v, resp.RequestID)
		}
		*h.dst = n
	}
	return nil
}

// AllCustomers iterates over every customer that matches the options,
// fetching page after page by following the next links; the options that
// are [RequestOption]s are sent with every page. It stops at the first
// error, which it yields with a zero Customer. Pages are fetched by offset,
// so customers created or merged while iterating may be seen twice or
// missed; sort by a stable key (Sort("createdTime")) to keep new ones at
// the end.
func (c *Client) AllCustomers(ctx context.Context, opts ...ListOption) iter.Seq2[Customer, error] {
	var perRequest []RequestOption
	for _, o := range opts {
		if ro, ok := o.(RequestOption); ok {
			perRequest = append(perRequest, ro)
		}
	}
	return func(yield func(Customer, error) bool) {
		page, _, err := c.ListCustomers(ctx, opts...)
		for {
			if err != nil {
				yield(Customer{}, err)
				return
			}
			for _, cu := range page.Customers {
				if !yield(cu, nil) {
					return
				}
			}
			// An empty page ends the walk even if a next link were
			// present, so a misbehaving server cannot loop us forever.
			if !page.HasNext() || len(page.Customers) == 0 {
				return
			}
			page, _, err = c.ListCustomersAt(ctx, page.Links.Next, perRequest...)
		}
	}
}

// CreateCustomer creates a customer with a server-made id (POST
// /customers, permission PostCustomer). Response.Location is its URL and
// Response.ETag its entity tag. Invalid data is a 422 *Error with
// InvalidFields.
func (c *Client) CreateCustomer(ctx context.Context, in CustomerInput, opts ...RequestOption) (*Customer, *Response, error) {
	return doOne[Customer](ctx, c, http.MethodPost, c.resourcePath("customers"), opts, in)
}

// GetCustomer fetches a customer (GET /customers/{id}, permission
// GetCustomer). A customer that does not exist, belongs to another
// organization or was merged away is a 404 *Error (for a merged one the
// detail names the target). With [IfNoneMatch] matching, it returns a nil
// customer and [ErrNotModified].
func (c *Client) GetCustomer(ctx context.Context, id string, opts ...GetOption) (*Customer, *Response, error) {
	if id == "" {
		return nil, nil, errMissingID
	}
	cl := newCall()
	for _, o := range opts {
		o.applyGet(cl)
	}
	var out Customer
	resp, err := c.do(ctx, http.MethodGet, c.resourcePath("customers", escapeSegment(id)), cl, nil, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// PutCustomer creates the customer with this id or replaces all its
// writable fields (PUT /customers/{id}, permission PutCustomer): an upsert.
// Response.Created tells which happened (201 or 200). A PUT that changes
// nothing keeps the revision. Errors: 409 for an id that was merged away,
// 412 when a [ConditionOption] fails, 422 for invalid data or id.
func (c *Client) PutCustomer(ctx context.Context, id string, in CustomerInput, opts ...WriteOption) (*Customer, *Response, error) {
	if id == "" {
		return nil, nil, errMissingID
	}
	cl := newCall()
	for _, o := range opts {
		o.applyWrite(cl)
	}
	var out Customer
	resp, err := c.do(ctx, http.MethodPut, c.resourcePath("customers", escapeSegment(id)), cl, in, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// MergeCustomer merges the customer duplicateID into targetID and deletes
// the duplicate (DELETE /customers/{id}?targetCustomerId=…, permission
// DeleteCustomer): empty fields of the target are filled from the
// duplicate, counters summed, the lead source moved, and the target's
// revision goes up by one. Conditions compare with the duplicate's entity
// tag. Errors: 404 naming whichever customer is missing, 409 when both ids
// are the same, 412, and 422 when targetID is empty.
func (c *Client) MergeCustomer(ctx context.Context, duplicateID, targetID string, opts ...WriteOption) (*Response, error) {
	if duplicateID == "" {
		return nil, errMissingID
	}
	cl := newCall()
	for _, o := range opts {
		o.applyWrite(cl)
	}
	cl.query.Set("targetCustomerId", targetID)
	return c.do(ctx, http.MethodDelete, c.resourcePath("customers", escapeSegment(duplicateID)), cl, nil, nil)
}

// GetLeadSource fetches a customer's lead source (GET
// /customers/{id}/lead-source, permission GetCustomerLeadSource). Its
// ETag is the customer's. A customer that does not exist or has no lead
// source is a 404 *Error. With [IfNoneMatch] matching, it returns nil and
// [ErrNotModified].
func (c *Client) GetLeadSource(ctx context.Context, customerID string, opts ...ReadOption) (*LeadSource, *Response, error) {
	if customerID == "" {
		return nil, nil, errMissingID
	}
	cl := newCall()
	for _, o := range opts {
		o.applyRead(cl)
	}
	var out LeadSource
	resp, err := c.do(ctx, http.MethodGet, c.resourcePath("customers", escapeSegment(customerID), "lead-source"), cl, nil, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// PutLeadSource creates or replaces a customer's lead source (PUT
// /customers/{id}/lead-source, permission PutCustomerLeadSource; POST is
// the same operation). The first write creates it (Response.Created) and
// sets Original; later writes replace the current values only. Every change
// bumps the customer's revision. A missing customer is a 404 *Error; a lead
// source is never created for one.
func (c *Client) PutLeadSource(ctx context.Context, customerID string, in LeadSourceData, opts ...WriteOption) (*LeadSource, *Response, error) {
	if customerID == "" {
		return nil, nil, errMissingID
	}
	cl := newCall()
	for _, o := range opts {
		o.applyWrite(cl)
	}
	var out LeadSource
	resp, err := c.do(ctx, http.MethodPut, c.resourcePath("customers", escapeSegment(customerID), "lead-source"), cl, in, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}

// DeleteLeadSource deletes a customer's lead source, Original included
// (DELETE /customers/{id}/lead-source, permission DeleteCustomerLeadSource),
// and bumps the customer's revision. A customer that does not exist or has
// no lead source is a 404 *Error.
func (c *Client) DeleteLeadSource(ctx context.Context, customerID string, opts ...WriteOption) (*Response, error) {
	if customerID == "" {
		return nil, errMissingID
	}
	cl := newCall()
	for _, o := range opts {
		o.applyWrite(cl)
	}
	return c.do(ctx, http.MethodDelete, c.resourcePath("customers", escapeSegment(customerID), "lead-source"), cl, nil, nil)
}

// CheckHealth calls GET /healthz: nil when the process serves HTTP. It
// needs no API key and ignores the route layout.
func (c *Client) CheckHealth(ctx context.Context, opts ...RequestOption) (*Response, error) {
	return c.probe(ctx, "/healthz", opts)
}

// CheckReady calls GET /readyz: nil when the service can serve (its
// database answers), otherwise a 503 *Error.
func (c *Client) CheckReady(ctx context.Context, opts ...RequestOption) (*Response, error) {
	return c.probe(ctx, "/readyz", opts)
}

func (c *Client) probe(ctx context.Context, path string, opts []RequestOption) (*Response, error) {
	return c.do(ctx, http.MethodGet, path, requestCall(opts), nil, nil)
}
