package client

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// CustomerToken is a customer token: a bearer credential for one customer,
// which Cleeng's getCustomer (POST /3.0/json-rpc) accepts in place of an API
// key (schema CustomerToken, or CustomerTokenWithSecret when the answer
// shows the secret).
type CustomerToken struct {
	// ID is the token's id (not its secret), a UUID made by the server.
	ID string `json:"id"`
	// Token is the secret ("ct_…"), set only in the answer of
	// [Client.CreateCustomerToken], the only one that shows it; nil in
	// lists, and in that answer when it is a replay for an
	// Idempotency-Key. The server keeps only a hash of it.
	Token *string `json:"token,omitempty"`
	// CustomerID is the customer the token grants (after a merge, the
	// target).
	CustomerID  string    `json:"customerId"`
	CreatedTime time.Time `json:"createdTime"`
	// ExpiredTime is when the token stops granting anything.
	ExpiredTime time.Time `json:"expiredTime"`
	// Links are "self" and "customer".
	Links []Link `json:"_links"`
}

// Link returns the href of the token's link with the given rel ("self",
// "customer"), or "" when it has none.
func (k *CustomerToken) Link(rel string) string { return findLink(k.Links, rel) }

// Expired reports whether the token has expired at now.
func (k *CustomerToken) Expired(now time.Time) bool { return !now.Before(k.ExpiredTime) }

// CustomerTokenInput is the body of [Client.CreateCustomerToken] (schema
// CustomerTokenInput).
type CustomerTokenInput struct {
	// ExpiresIn is the token's lifetime in whole seconds, 1 to 2592000 (30
	// days); 0 sends none and the server's default, 86400 (a day),
	// applies. Anything else is a 422 *Error at "expiresIn".
	ExpiresIn int64 `json:"expiresIn,omitempty"`
}

// TokenLifetime returns the input of a token that lives for d, rounded
// down to whole seconds.
func TokenLifetime(d time.Duration) CustomerTokenInput {
	return CustomerTokenInput{ExpiresIn: int64(d / time.Second)}
}

// CustomerTokenList is one page of a customer's tokens.
type CustomerTokenList struct {
	// Tokens is the page (newest first by default), without secrets,
	// expired tokens included; empty (not nil) past the end or with
	// Limit(0).
	Tokens []CustomerToken
	// Total, Limit and Offset are the Pagination-* headers.
	Total, Limit, Offset int64
	// Links are the page's Link header URLs, "" where the page has none.
	// Fetch one with [Client.ListCustomerTokensAt].
	Links PageLinks
}

// HasNext reports whether a next page exists.
func (l *CustomerTokenList) HasNext() bool { return l.Links.Next != "" }

// errMissingTokenID guards methods whose path needs a token id.
var errMissingTokenID = errors.New("client: the customer token id is empty")

func (c *Client) tokenPath(customerID string, more ...string) string {
	return c.resourcePath(append([]string{"customers", escapeSegment(customerID), "tokens"}, more...)...)
}

// CreateCustomerToken issues a token for a customer (POST
// /customers/{id}/tokens, permission PostCustomerToken). The answer's
// Token is the secret, shown this once: hand it to the customer's Cleeng
// client. Response.Location is the token's URL. An ExpiresIn out of range
// is a 422 *Error; a missing customer a 404 *Error; a customer that
// already holds 100 live tokens a 409 *Error ([IsConflict]). With an
// Idempotency-Key ([WithHeader]) a retry gets the first answer again,
// with a nil Token, and issues nothing.
func (c *Client) CreateCustomerToken(ctx context.Context, customerID string, in CustomerTokenInput, opts ...RequestOption) (*CustomerToken, *Response, error) {
	if customerID == "" {
		return nil, nil, errMissingID
	}
	return doOne[CustomerToken](ctx, c, http.MethodPost, c.tokenPath(customerID), opts, in)
}

// ListCustomerTokens fetches one page of a customer's tokens, without
// their secrets (GET /customers/{id}/tokens, permission
// GetCustomerTokenCollection). The options that apply are [Limit],
// [Offset], [Filter] and [Sort] (on createdTime and expiredTime; default
// "-createdTime") and the [RequestOption]s; the collection has no
// [Search]. A customer that does not exist or was merged away is a 404
// *Error (its tokens moved to the target); a malformed parameter a 400
// *Error.
func (c *Client) ListCustomerTokens(ctx context.Context, customerID string, opts ...ListOption) (*CustomerTokenList, *Response, error) {
	if customerID == "" {
		return nil, nil, errMissingID
	}
	cl := newCall()
	for _, o := range opts {
		o.applyList(cl)
	}
	return c.listCustomerTokens(ctx, customerID, cl)
}

// ListCustomerTokensAt fetches the page of customer customerID's tokens
// that a Link URL of a previous page names, as [Client.ListCustomersAt]
// does for customers: only the URL's query is used.
func (c *Client) ListCustomerTokensAt(ctx context.Context, customerID, link string, opts ...RequestOption) (*CustomerTokenList, *Response, error) {
	if customerID == "" {
		return nil, nil, errMissingID
	}
	cl, err := linkCall(link, opts)
	if err != nil {
		return nil, nil, err
	}
	return c.listCustomerTokens(ctx, customerID, cl)
}

func (c *Client) listCustomerTokens(ctx context.Context, customerID string, cl *call) (*CustomerTokenList, *Response, error) {
	var tokens []CustomerToken
	resp, err := c.do(ctx, http.MethodGet, c.tokenPath(customerID), cl, nil, &tokens)
	if err != nil {
		return nil, resp, err
	}
	out := &CustomerTokenList{Tokens: tokens, Links: parsePageLinks(resp.Header.Values("Link"))}
	if out.Tokens == nil {
		out.Tokens = []CustomerToken{}
	}
	if err := readPagination(resp, "/customers/{id}/tokens", &out.Total, &out.Limit, &out.Offset); err != nil {
		return nil, resp, err
	}
	return out, resp, nil
}

// DeleteCustomerToken revokes a customer's token, expired or not (DELETE
// /customers/{id}/tokens/{tokenId}, permission DeleteCustomerToken): from
// then on it grants nothing. A customer or token that does not exist is a
// 404 *Error.
func (c *Client) DeleteCustomerToken(ctx context.Context, customerID, tokenID string, opts ...RequestOption) (*Response, error) {
	if customerID == "" {
		return nil, errMissingID
	}
	if tokenID == "" {
		return nil, errMissingTokenID
	}
	return c.do(ctx, http.MethodDelete, c.tokenPath(customerID, escapeSegment(tokenID)), requestCall(opts), nil, nil)
}
