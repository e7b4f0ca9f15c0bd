package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client calls one Customers API with one API key. It is safe for
// concurrent use; build it once with [New] and share it.
type Client struct {
	base       *url.URL // scheme, host and any path prefix, without a trailing slash
	apiKey     string
	httpClient *http.Client
	orgID      string
	userAgent  string
}

// Option configures a [Client] in [New].
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc (its
// transport, timeouts, proxies, TLS settings). The default client uses
// http.DefaultTransport, has no timeout (rely on each call's context, or
// pass a client with one) and follows no redirects: the API never
// redirects, and net/http would forward REB-APIKEY to wherever a redirect
// points, so a 3xx is returned as an *Error instead. hc's own CheckRedirect
// governs when hc is given.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.httpClient = hc
		}
	}
}

// WithOrganization makes the client use the route layout with the
// organization in the path, /organizations/{id}/customers/…, Rebilly's
// current layout. Without it the bare layout, /customers/…, is used and
// the organization is the API key's. The id must be the key's organization
// (otherwise every call is 403).
func WithOrganization(id string) Option {
	return func(c *Client) { c.orgID = id }
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// defaultHTTPClient is http.DefaultClient that does not follow redirects.
var defaultHTTPClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// DefaultUserAgent is the User-Agent the client sends unless told otherwise.
const DefaultUserAgent = "customers-api-go-client"

// New returns a client of the API at baseURL (e.g. "https://api.example.com"
// or "https://gateway.example.com/billing", a path prefix is kept) that
// authenticates with apiKey in the REB-APIKEY header. An empty apiKey sends
// no key, which only the health probes accept. New fails when baseURL is
// not an absolute http or https URL.
func New(baseURL, apiKey string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("client: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q is not an absolute http or https URL", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: base URL %q has a query or fragment", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	c := &Client{base: u, apiKey: apiKey, httpClient: defaultHTTPClient, userAgent: DefaultUserAgent}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Response is what a call learned from the HTTP response besides its body.
type Response struct {
	// StatusCode is the HTTP status, e.g. 200, 201, 204 or 304.
	StatusCode int
	// Created is true when the answer was 201: a PUT or a lead-source write
	// created the resource instead of replacing it.
	Created bool
	// ETag is the resource's entity tag as sent ("3", quoted), "" when the
	// response has none. Pass it to [IfMatch] or [IfNoneMatch].
	ETag string
	// Location is the Location header: on 201 the absolute URL of the
	// created resource; "" on the API's other answers.
	Location string
	// RequestID is the response's X-Request-Id: the caller's own id when
	// [WithRequestID] sent a valid one, else the one the server generated.
	RequestID string
	// Header is the whole response header.
	Header http.Header
}

func newResponse(res *http.Response) *Response {
	return &Response{
		StatusCode: res.StatusCode,
		Created:    res.StatusCode == http.StatusCreated,
		ETag:       res.Header.Get("ETag"),
		Location:   res.Header.Get("Location"),
		RequestID:  res.Header.Get("X-Request-Id"),
		Header:     res.Header,
	}
}

// maxBody bounds a success body (a page of 1000 large customers fits).
const maxBody = 64 << 20

// resourcePath is a path under the client's route layout, its segments
// escaped: resourcePath("customers", id) is /customers/{id} or
// /organizations/{org}/customers/{id}.
func (c *Client) resourcePath(segments ...string) string {
	var b strings.Builder
	if c.orgID != "" {
		b.WriteString("/organizations/" + escapeSegment(c.orgID))
	}
	for _, s := range segments {
		b.WriteString("/" + s)
	}
	return b.String()
}

// escapeSegment escapes one path segment. "." and ".." are valid customer
// ids but would be removed by any URL normalization on the way, so their
// dots are escaped too (the server decodes them).
func escapeSegment(s string) string {
	if s == "." || s == ".." {
		return strings.Repeat("%2E", len(s))
	}
	return url.PathEscape(s)
}

// do sends one request and decodes a 2xx body into out (nil: the body is
// discarded). rawPath is already escaped. A non-2xx answer is an *Error, 304
// is ErrNotModified; both come with the *Response.
func (c *Client) do(ctx context.Context, method, rawPath string, cl *call, body, out any) (*Response, error) {
	u := *c.base
	u.RawPath = u.EscapedPath() + rawPath
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, fmt.Errorf("client: path %q: %w", rawPath, err)
	}
	u.Path = p
	u.RawQuery = cl.query.Encode()

	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("client: encoding the %s %s body: %w", method, rawPath, err)
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reader)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, rawPath, err)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.apiKey != "" {
		req.Header.Set("REB-APIKEY", c.apiKey)
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	for name, values := range cl.header {
		req.Header[name] = values
	}

	res, err := c.httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, rawPath, err)
	}
	defer res.Body.Close()
	resp := newResponse(res)

	switch {
	case res.StatusCode == http.StatusNotModified:
		return resp, ErrNotModified
	case res.StatusCode < 200 || res.StatusCode > 299:
		raw, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
		return resp, newError(res, raw)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxBody))
		return resp, nil
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return resp, fmt.Errorf("client: reading the %s %s response (request id %s): %w", method, rawPath, resp.RequestID, err)
	}
	if len(raw) > maxBody {
		return resp, fmt.Errorf("client: the %s %s response exceeds %d bytes (request id %s)", method, rawPath, maxBody, resp.RequestID)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return resp, fmt.Errorf("client: decoding the %s %s response (status %d, request id %s): %w", method, rawPath, res.StatusCode, resp.RequestID, err)
	}
	return resp, nil
}

// errMissingID guards methods whose path needs a customer id: an empty one
// would address the collection instead.
var errMissingID = errors.New("client: the customer id is empty")

// requestCall is the call that a request's options describe.
func requestCall(opts []RequestOption) *call {
	cl := newCall()
	for _, o := range opts {
		o.set.apply(cl)
	}
	return cl
}

// doOne sends a request whose answer is one T.
func doOne[T any](ctx context.Context, c *Client, method, rawPath string, opts []RequestOption, body any) (*T, *Response, error) {
	var out T
	resp, err := c.do(ctx, method, rawPath, requestCall(opts), body, &out)
	if err != nil {
		return nil, resp, err
	}
	return &out, resp, nil
}
