package client

import (
	"context"
	"errors"
	"net/http"
)

// TagList is one page of the tag collection.
type TagList struct {
	// Tags is the page, in the requested order; empty (not nil) past the
	// end or with Limit(0).
	Tags []Tag
	// Total, Limit and Offset are the Pagination-* headers: how many tags
	// match, and the page size and position the server used.
	Total, Limit, Offset int64
	// Links are the page's Link header URLs, "" where the page has none.
	// Fetch one with [Client.ListTagsAt].
	Links PageLinks
}

// HasNext reports whether a next page exists.
func (l *TagList) HasNext() bool { return l.Links.Next != "" }

// errMissingTag guards methods whose path needs a tag name: an empty one
// would address the collection instead.
var errMissingTag = errors.New("client: the tag name is empty")

// tagPath is the path of a tag and, below it, of more segments (already
// escaped). The name is escaped: tag names may hold spaces, "+", "@" and
// dots.
func (c *Client) tagPath(name string, more ...string) string {
	return c.resourcePath(append([]string{"tags", escapeSegment(name)}, more...)...)
}

// ListTags fetches one page of the organization's tags (GET /tags,
// permission GetTagCollection). The options that apply are [Limit],
// [Offset], [Filter] (on name and createdTime), [Search] (on the name),
// [Sort] and the [RequestOption]s; the server rejects the others. A
// malformed parameter is a 400 *Error whose InvalidFields names it.
func (c *Client) ListTags(ctx context.Context, opts ...ListOption) (*TagList, *Response, error) {
	cl := newCall()
	for _, o := range opts {
		o.applyList(cl)
	}
	return c.listTags(ctx, cl)
}

// ListTagsAt fetches the page a Link URL of a previous tag page names, as
// [Client.ListCustomersAt] does for customers: only the URL's query is
// used.
func (c *Client) ListTagsAt(ctx context.Context, link string, opts ...RequestOption) (*TagList, *Response, error) {
	cl, err := linkCall(link, opts)
	if err != nil {
		return nil, nil, err
	}
	return c.listTags(ctx, cl)
}

func (c *Client) listTags(ctx context.Context, cl *call) (*TagList, *Response, error) {
	var tags []Tag
	resp, err := c.do(ctx, http.MethodGet, c.resourcePath("tags"), cl, nil, &tags)
	if err != nil {
		return nil, resp, err
	}
	out := &TagList{Tags: tags, Links: parsePageLinks(resp.Header.Values("Link"))}
	if out.Tags == nil {
		out.Tags = []Tag{}
	}
	if err := readPagination(resp, "/tags", &out.Total, &out.Limit, &out.Offset); err != nil {
		return nil, resp, err
	}
	return out, resp, nil
}

// CreateTag creates a tag (POST /tags, permission PostTag). Response.Location
// is its URL. A name that exists already is a 409 *Error ([IsConflict]); an
// invalid one is a 422 *Error at "name". With an Idempotency-Key
// ([WithHeader]) a retry gets the first answer again.
func (c *Client) CreateTag(ctx context.Context, name string, opts ...RequestOption) (*Tag, *Response, error) {
	body := struct {
		Name string `json:"name"`
	}{name}
	return doOne[Tag](ctx, c, http.MethodPost, c.resourcePath("tags"), opts, body)
}

// GetTag fetches a tag by name (GET /tags/{tag}, permission GetTag). A tag
// that does not exist is a 404 *Error.
func (c *Client) GetTag(ctx context.Context, name string, opts ...RequestOption) (*Tag, *Response, error) {
	if name == "" {
		return nil, nil, errMissingTag
	}
	return doOne[Tag](ctx, c, http.MethodGet, c.tagPath(name), opts, nil)
}

// DeleteTag deletes a tag (DELETE /tags/{tag}, permission DeleteTag) and
// removes it from every customer, each of which gets its revision bumped.
// A tag that does not exist is a 404 *Error.
func (c *Client) DeleteTag(ctx context.Context, name string, opts ...RequestOption) (*Response, error) {
	if name == "" {
		return nil, errMissingTag
	}
	return c.do(ctx, http.MethodDelete, c.tagPath(name), requestCall(opts), nil, nil)
}

// TagCustomer tags one customer (POST /tags/{tag}/customers/{customerId},
// permission PostTagCustomer), creating the tag when it does not exist.
// The customer's revision and updatedTime change once; tagging a customer
// that has the tag already changes nothing. A missing customer is a 404
// *Error.
func (c *Client) TagCustomer(ctx context.Context, tag, customerID string, opts ...RequestOption) (*Response, error) {
	return c.tagOne(ctx, http.MethodPost, tag, customerID, opts)
}

// UntagCustomer removes a tag from one customer (DELETE
// /tags/{tag}/customers/{customerId}, permission DeleteTagCustomer),
// bumping its revision; untagging a customer that lacks the tag changes
// nothing. A missing customer is a 404 *Error.
func (c *Client) UntagCustomer(ctx context.Context, tag, customerID string, opts ...RequestOption) (*Response, error) {
	return c.tagOne(ctx, http.MethodDelete, tag, customerID, opts)
}

func (c *Client) tagOne(ctx context.Context, method, tag, customerID string, opts []RequestOption) (*Response, error) {
	if tag == "" {
		return nil, errMissingTag
	}
	if customerID == "" {
		return nil, errMissingID
	}
	return c.do(ctx, method, c.tagPath(tag, "customers", escapeSegment(customerID)), requestCall(opts), nil, nil)
}

// tagCustomersBody is the body of the bulk tag routes.
type tagCustomersBody struct {
	CustomerIDs []string `json:"customerIds"`
}

// TagCustomers tags 1 to 1000 customers in one transaction (POST
// /tags/{tag}/customers, permission PostTagCustomer), creating the tag
// when needed; each customer that changes gets its revision bumped once.
// When an id does not exist nothing changes and the answer is a 422 *Error
// naming each missing one by position ("customerIds[3]").
func (c *Client) TagCustomers(ctx context.Context, tag string, customerIDs []string, opts ...RequestOption) (*Response, error) {
	return c.tagMany(ctx, http.MethodPost, tag, customerIDs, opts)
}

// UntagCustomers removes a tag from 1 to 1000 customers in one transaction
// (DELETE /tags/{tag}/customers, permission DeleteTagCustomer), with the
// same rules as [Client.TagCustomers].
func (c *Client) UntagCustomers(ctx context.Context, tag string, customerIDs []string, opts ...RequestOption) (*Response, error) {
	return c.tagMany(ctx, http.MethodDelete, tag, customerIDs, opts)
}

func (c *Client) tagMany(ctx context.Context, method, tag string, customerIDs []string, opts []RequestOption) (*Response, error) {
	if tag == "" {
		return nil, errMissingTag
	}
	body := tagCustomersBody{CustomerIDs: customerIDs}
	if body.CustomerIDs == nil {
		body.CustomerIDs = []string{} // the server's 422, not a null
	}
	return c.do(ctx, method, c.tagPath(tag, "customers"), requestCall(opts), body, nil)
}
