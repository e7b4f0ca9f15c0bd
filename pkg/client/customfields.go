package client

import (
	"context"
	"errors"
	"net/http"
)

// CustomFieldList is one page of the custom-field definitions.
type CustomFieldList struct {
	// CustomFields is the page, by name; empty (not nil) past the end or
	// with Limit(0).
	CustomFields []CustomField
	// Total, Limit and Offset are the Pagination-* headers.
	Total, Limit, Offset int64
	// Links are the page's Link header URLs, "" where the page has none.
	Links PageLinks
}

// HasNext reports whether a next page exists.
func (l *CustomFieldList) HasNext() bool { return l.Links.Next != "" }

// errMissingField guards methods whose path needs a custom-field name.
var errMissingField = errors.New("client: the custom field name is empty")

func (c *Client) customFieldPath(name string) string {
	return c.resourcePath("custom-fields", "customers", escapeSegment(name))
}

// ListCustomFields fetches one page of the definitions of the
// organization's customer custom fields (GET /custom-fields/customers,
// permission GetCustomFieldCollection). Only [Limit], [Offset] and the
// [RequestOption]s apply.
func (c *Client) ListCustomFields(ctx context.Context, opts ...ListOption) (*CustomFieldList, *Response, error) {
	cl := newCall()
	for _, o := range opts {
		o.applyList(cl)
	}
	var fields []CustomField
	resp, err := c.do(ctx, http.MethodGet, c.resourcePath("custom-fields", "customers"), cl, nil, &fields)
	if err != nil {
		return nil, resp, err
	}
	out := &CustomFieldList{CustomFields: fields, Links: parsePageLinks(resp.Header.Values("Link"))}
	if out.CustomFields == nil {
		out.CustomFields = []CustomField{}
	}
	if err := readPagination(resp, "/custom-fields/customers", &out.Total, &out.Limit, &out.Offset); err != nil {
		return nil, resp, err
	}
	return out, resp, nil
}

// GetCustomField fetches one definition (GET /custom-fields/customers/{name},
// permission GetCustomField). An undefined name is a 404 *Error.
func (c *Client) GetCustomField(ctx context.Context, name string, opts ...RequestOption) (*CustomField, *Response, error) {
	if name == "" {
		return nil, nil, errMissingField
	}
	return doOne[CustomField](ctx, c, http.MethodGet, c.customFieldPath(name), opts, nil)
}

// PutCustomField creates or replaces a definition (PUT
// /custom-fields/customers/{name}, permission PutCustomField);
// Response.Created tells which (201 or 200). Changing the type while a
// customer has a value for the field, or narrowing AllowedValues or
// MaxLength so that a stored value no longer fits, is a 409 *Error
// ("schema in use"). An invalid definition is a 422 *Error.
func (c *Client) PutCustomField(ctx context.Context, name string, in CustomFieldInput, opts ...RequestOption) (*CustomField, *Response, error) {
	if name == "" {
		return nil, nil, errMissingField
	}
	return doOne[CustomField](ctx, c, http.MethodPut, c.customFieldPath(name), opts, in)
}

// DeleteCustomField deletes a definition (DELETE
// /custom-fields/customers/{name}, permission DeleteCustomField). A name
// that is not defined is a 404 *Error; a field some customer has a value
// for is a 409 *Error.
func (c *Client) DeleteCustomField(ctx context.Context, name string, opts ...RequestOption) (*Response, error) {
	if name == "" {
		return nil, errMissingField
	}
	return c.do(ctx, http.MethodDelete, c.customFieldPath(name), requestCall(opts), nil, nil)
}
