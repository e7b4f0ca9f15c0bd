package client

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Webhook event types, the values of WebhookInput.EventsFilter and
// Delivery.EventType.
const (
	EventCustomerCreated   = "customer-created"
	EventCustomerUpdated   = "customer-updated" // any change after creation, tagging included
	EventCustomerMerged    = "customer-merged"  // on the merge target
	EventLeadSourceChanged = "lead-source-changed"
)

// Webhook statuses, the values of Webhook.Status.
const (
	WebhookActive   = "active"
	WebhookInactive = "inactive" // gets no new deliveries; pending ones wait
)

// Delivery statuses, the values of Delivery.Status.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Webhook is a subscription of the organization to customer events (schema
// Webhook, or WebhookWithSecret when the answer shows the secret).
type Webhook struct {
	// ID is a UUID made by the server.
	ID string `json:"id"`
	// URL is where deliveries are posted.
	URL         string  `json:"url"`
	Description *string `json:"description"`
	// EventsFilter lists the event types delivered; empty means all.
	EventsFilter []string `json:"eventsFilter"`
	// Status is WebhookActive or WebhookInactive.
	Status string `json:"status"`
	// Headers are extra request headers of each delivery, names in
	// canonical form.
	Headers map[string]string `json:"headers"`
	// Secret is the signing secret ("whsec_…"), set only in the answers
	// of [Client.CreateWebhook] and [Client.RotateWebhookSecret], the only
	// ones that show it; nil elsewhere, and in those answers when they are
	// replays for an Idempotency-Key. Check deliveries with
	// [VerifyWebhookSignature].
	Secret      *string   `json:"secret,omitempty"`
	CreatedTime time.Time `json:"createdTime"`
	UpdatedTime time.Time `json:"updatedTime"`
	// Links are "self" and "deliveries".
	Links []Link `json:"_links"`
}

// Link returns the href of the webhook's link with the given rel ("self",
// "deliveries"), or "" when it has none.
func (w *Webhook) Link(rel string) string { return findLink(w.Links, rel) }

// Input returns the webhook's writable fields as a [WebhookInput], for a
// read-modify-write with [Client.UpdateWebhook].
func (w *Webhook) Input() WebhookInput {
	var headers map[string]string
	if w.Headers != nil {
		headers = make(map[string]string, len(w.Headers))
		for k, v := range w.Headers {
			headers[k] = v
		}
	}
	return WebhookInput{
		URL: w.URL, Description: w.Description, EventsFilter: append([]string(nil), w.EventsFilter...),
		Status: w.Status, Headers: headers,
	}
}

// WebhookInput is the body of [Client.CreateWebhook] and
// [Client.UpdateWebhook] (schema WebhookInput). A field left zero takes its
// default; on update that replaces the stored value.
type WebhookInput struct {
	// URL is required: an absolute http or https URL, at most 2083
	// characters.
	URL string `json:"url"`
	// Description is at most 1000 characters; nil clears it.
	Description *string `json:"description,omitempty"`
	// EventsFilter lists the Event constants to deliver; empty means all.
	EventsFilter []string `json:"eventsFilter,omitempty"`
	// Status is WebhookActive (the default, "") or WebhookInactive. An
	// organization may have at most 25 active webhooks (422 beyond).
	Status string `json:"status,omitempty"`
	// Headers are at most 20 extra request headers of each delivery.
	// Content-Type, User-Agent, Content-Length, Host, Transfer-Encoding,
	// Connection and webhook-* are the delivery's own (422).
	Headers map[string]string `json:"headers,omitempty"`
}

// WebhookList is one page of the organization's webhooks.
type WebhookList struct {
	// Webhooks is the page (newest first by default), without secrets;
	// empty (not nil) past the end or with Limit(0).
	Webhooks []Webhook
	// Total, Limit and Offset are the Pagination-* headers.
	Total, Limit, Offset int64
	// Links are the page's Link header URLs, "" where the page has none.
	// Fetch one with [Client.ListWebhooksAt].
	Links PageLinks
}

// HasNext reports whether a next page exists.
func (l *WebhookList) HasNext() bool { return l.Links.Next != "" }

// Delivery is one event's delivery to one webhook, and how it went (schema
// WebhookDelivery).
type Delivery struct {
	// ID is the delivery's id, sent as the webhook-id header of every
	// attempt.
	ID string `json:"id"`
	// EventType is one of the Event constants.
	EventType string `json:"eventType"`
	// CustomerID is the customer the event is about (for a merge, the
	// target).
	CustomerID string `json:"customerId"`
	// Status is DeliveryPending, DeliveryDelivered or DeliveryFailed.
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	// LastAttemptTime is nil before the first attempt; NextAttemptTime is
	// nil once the delivery is delivered or failed.
	LastAttemptTime *time.Time `json:"lastAttemptTime"`
	NextAttemptTime *time.Time `json:"nextAttemptTime"`
	// LastResponseStatus is the receiver's last HTTP status, nil when it
	// did not answer; LastError says why the last attempt failed.
	LastResponseStatus *int      `json:"lastResponseStatus"`
	LastError          *string   `json:"lastError"`
	CreatedTime        time.Time `json:"createdTime"`
}

// DeliveryList is one page of a webhook's deliveries.
type DeliveryList struct {
	// Deliveries is the page (newest first by default); empty (not nil)
	// past the end or with Limit(0).
	Deliveries []Delivery
	// Total, Limit and Offset are the Pagination-* headers.
	Total, Limit, Offset int64
	// Links are the page's Link header URLs, "" where the page has none.
	// Fetch one with [Client.ListDeliveriesAt].
	Links PageLinks
}

// HasNext reports whether a next page exists.
func (l *DeliveryList) HasNext() bool { return l.Links.Next != "" }

var (
	// errMissingWebhookID guards methods whose path needs a webhook id.
	errMissingWebhookID = errors.New("client: the webhook id is empty")
	// errMissingDeliveryID guards methods whose path needs a delivery id.
	errMissingDeliveryID = errors.New("client: the delivery id is empty")
)

func (c *Client) webhookPath(id string, more ...string) string {
	return c.resourcePath(append([]string{"webhooks", escapeSegment(id)}, more...)...)
}

// ListWebhooks fetches one page of the organization's webhooks (GET
// /webhooks, permission GetWebhookCollection), without their secrets. The
// options that apply are [Limit], [Offset], [Filter] and [Sort] (on id,
// url, status, createdTime and updatedTime; default "-createdTime") and
// the [RequestOption]s.
func (c *Client) ListWebhooks(ctx context.Context, opts ...ListOption) (*WebhookList, *Response, error) {
	cl := newCall()
	for _, o := range opts {
		o.applyList(cl)
	}
	return c.listWebhooks(ctx, cl)
}

// ListWebhooksAt fetches the page a Link URL of a previous webhook page
// names: only the URL's query is used.
func (c *Client) ListWebhooksAt(ctx context.Context, link string, opts ...RequestOption) (*WebhookList, *Response, error) {
	cl, err := linkCall(link, opts)
	if err != nil {
		return nil, nil, err
	}
	return c.listWebhooks(ctx, cl)
}

func (c *Client) listWebhooks(ctx context.Context, cl *call) (*WebhookList, *Response, error) {
	var hooks []Webhook
	resp, err := c.do(ctx, http.MethodGet, c.resourcePath("webhooks"), cl, nil, &hooks)
	if err != nil {
		return nil, resp, err
	}
	out := &WebhookList{Webhooks: hooks, Links: parsePageLinks(resp.Header.Values("Link"))}
	if out.Webhooks == nil {
		out.Webhooks = []Webhook{}
	}
	if err := readPagination(resp, "/webhooks", &out.Total, &out.Limit, &out.Offset); err != nil {
		return nil, resp, err
	}
	return out, resp, nil
}

// CreateWebhook subscribes a URL to the organization's customer events
// (POST /webhooks, permission PostWebhook). The answer's Secret is the
// signing secret, shown this once: keep it to check deliveries with
// [VerifyWebhookSignature]. Response.Location is the webhook's URL.
// Invalid input, or a 26th active webhook, is a 422 *Error. With an
// Idempotency-Key ([WithHeader]) a retry gets the first answer again,
// with a nil Secret.
func (c *Client) CreateWebhook(ctx context.Context, in WebhookInput, opts ...RequestOption) (*Webhook, *Response, error) {
	return doOne[Webhook](ctx, c, http.MethodPost, c.resourcePath("webhooks"), opts, in)
}

// GetWebhook fetches a webhook, without its secret (GET /webhooks/{id},
// permission GetWebhook). A webhook that does not exist is a 404 *Error.
func (c *Client) GetWebhook(ctx context.Context, id string, opts ...RequestOption) (*Webhook, *Response, error) {
	if id == "" {
		return nil, nil, errMissingWebhookID
	}
	return doOne[Webhook](ctx, c, http.MethodGet, c.webhookPath(id), opts, nil)
}

// UpdateWebhook replaces every writable field of a webhook (PUT
// /webhooks/{id}, permission PutWebhook) and returns it without its
// secret, which does not change. It never creates: an unknown id is a 404
// *Error. Invalid input, or activating a 26th webhook, is a 422 *Error.
func (c *Client) UpdateWebhook(ctx context.Context, id string, in WebhookInput, opts ...RequestOption) (*Webhook, *Response, error) {
	if id == "" {
		return nil, nil, errMissingWebhookID
	}
	return doOne[Webhook](ctx, c, http.MethodPut, c.webhookPath(id), opts, in)
}

// DeleteWebhook deletes a webhook and its deliveries, pending ones
// included (DELETE /webhooks/{id}, permission DeleteWebhook). A webhook
// that does not exist is a 404 *Error.
func (c *Client) DeleteWebhook(ctx context.Context, id string, opts ...RequestOption) (*Response, error) {
	if id == "" {
		return nil, errMissingWebhookID
	}
	return c.do(ctx, http.MethodDelete, c.webhookPath(id), requestCall(opts), nil, nil)
}

// RotateWebhookSecret gives a webhook a new signing secret (POST
// /webhooks/{id}/rotate-secret, permission PutWebhook) and returns the
// webhook with it in Secret, shown this once. The old secret stops signing
// at once. A webhook that does not exist is a 404 *Error.
func (c *Client) RotateWebhookSecret(ctx context.Context, id string, opts ...RequestOption) (*Webhook, *Response, error) {
	if id == "" {
		return nil, nil, errMissingWebhookID
	}
	return doOne[Webhook](ctx, c, http.MethodPost, c.webhookPath(id, "rotate-secret"), opts, nil)
}

// ListDeliveries fetches one page of a webhook's delivery log (GET
// /webhooks/{id}/deliveries, permission GetWebhook). The options that
// apply are [Limit], [Offset], [Filter] and [Sort] (on id, status,
// eventType, customerId and createdTime; default "-createdTime") and the
// [RequestOption]s. A webhook that does not exist is a 404 *Error.
func (c *Client) ListDeliveries(ctx context.Context, webhookID string, opts ...ListOption) (*DeliveryList, *Response, error) {
	if webhookID == "" {
		return nil, nil, errMissingWebhookID
	}
	cl := newCall()
	for _, o := range opts {
		o.applyList(cl)
	}
	return c.listDeliveries(ctx, webhookID, cl)
}

// ListDeliveriesAt fetches the page of webhook webhookID's deliveries that
// a Link URL of a previous page names: only the URL's query is used.
func (c *Client) ListDeliveriesAt(ctx context.Context, webhookID, link string, opts ...RequestOption) (*DeliveryList, *Response, error) {
	if webhookID == "" {
		return nil, nil, errMissingWebhookID
	}
	cl, err := linkCall(link, opts)
	if err != nil {
		return nil, nil, err
	}
	return c.listDeliveries(ctx, webhookID, cl)
}

func (c *Client) listDeliveries(ctx context.Context, webhookID string, cl *call) (*DeliveryList, *Response, error) {
	var list []Delivery
	resp, err := c.do(ctx, http.MethodGet, c.webhookPath(webhookID, "deliveries"), cl, nil, &list)
	if err != nil {
		return nil, resp, err
	}
	out := &DeliveryList{Deliveries: list, Links: parsePageLinks(resp.Header.Values("Link"))}
	if out.Deliveries == nil {
		out.Deliveries = []Delivery{}
	}
	if err := readPagination(resp, "/webhooks/{id}/deliveries", &out.Total, &out.Limit, &out.Offset); err != nil {
		return nil, resp, err
	}
	return out, resp, nil
}

// RetryDelivery schedules a delivery again, due now, whatever its status
// (POST /webhooks/{id}/deliveries/{deliveryId}/retry, permission
// PutWebhook); the answer is 202 and a worker attempts it within about a
// second, with the same webhook-id. A webhook or delivery that does not
// exist is a 404 *Error.
func (c *Client) RetryDelivery(ctx context.Context, webhookID, deliveryID string, opts ...RequestOption) (*Response, error) {
	if webhookID == "" {
		return nil, errMissingWebhookID
	}
	if deliveryID == "" {
		return nil, errMissingDeliveryID
	}
	return c.do(ctx, http.MethodPost, c.webhookPath(webhookID, "deliveries", escapeSegment(deliveryID), "retry"), requestCall(opts), nil, nil)
}

// ErrBadWebhookSignature is returned by [VerifyWebhookSignature] when no
// signature of the header matches.
var ErrBadWebhookSignature = errors.New("client: no webhook signature matches")

// VerifyWebhookSignature checks a delivery the way the Standard Webhooks
// specification says, for the receiving end of a webhook: signature (the
// webhook-signature header, one or more space-separated "v1,<base64>")
// must hold the base64 HMAC-SHA256 of "{id}.{timestamp}.{body}", keyed
// with the base64-decoded part of secret after "whsec_"; id and timestamp
// are the webhook-id and webhook-timestamp headers, body the raw request
// body. It compares in constant time and returns nil on a match,
// [ErrBadWebhookSignature] otherwise, or an error when secret is not a
// webhook secret. It does not judge the timestamp: reject old ones
// yourself to defeat replays.
func VerifyWebhookSignature(secret, id, timestamp string, body []byte, signature string) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		return fmt.Errorf("client: %q is not a webhook secret (whsec_ and base64)", redactSecret(secret))
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + timestamp + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(signature) {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(value)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrBadWebhookSignature
}

// redactSecret keeps an error from quoting a whole secret.
func redactSecret(s string) string {
	if len(s) > 10 {
		return s[:10] + "…"
	}
	return s
}
