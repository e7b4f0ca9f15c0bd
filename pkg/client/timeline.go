package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// Timeline message types, the values of TimelineMessage.Type. The service
// writes all but the last two, one per aspect of each change of a
// customer, in the same transaction as the change; clients post
// MessageComment and MessageCustomEvent with [Client.PostTimelineMessage],
// and only those can be deleted.
const (
	MessageCustomerCreated                 = "customer-created"
	MessageCustomerUpdated                 = "customer-updated" // writable fields no other type covers
	MessagePrimaryAddressChanged           = "primary-address-changed"
	MessageCustomFieldsChanged             = "custom-fields-changed"
	MessageDefaultPaymentInstrumentChanged = "default-payment-instrument-changed"
	MessageTaxNumbersChanged               = "tax-numbers-changed"
	MessageLeadSourceChanged               = "lead-source-changed"
	MessageCustomerTagged                  = "customer-tagged"
	MessageCustomerUntagged                = "customer-untagged"
	MessageCustomerMerged                  = "customer-merged" // on the merge target
	MessageComment                         = "customer-comment-created"
	MessageCustomEvent                     = "custom-event"
)

// TimelineMessage is one message of a customer's timeline (schema
// TimelineMessage).
type TimelineMessage struct {
	// ID is a UUID made by the server.
	ID string `json:"id"`
	// Type is one of the Message constants.
	Type string `json:"type"`
	// Message is a short English sentence for the service's messages, the
	// client's text for comments and custom events.
	Message   string            `json:"message"`
	ExtraData TimelineExtraData `json:"extraData"`
	// TriggeredBy is "direct-api" for changes made through the API, "app"
	// for the dashboard's.
	TriggeredBy string `json:"triggeredBy"`
	// OccurredTime is when the change happened; the messages of one change
	// share it.
	OccurredTime time.Time `json:"occurredTime"`
	// CustomEventType and CustomData are a custom event's (nil on every
	// other type). CustomData is empty (not nil) when none was posted;
	// its numbers decode as json.Number.
	CustomEventType *string        `json:"customEventType,omitempty"`
	CustomData      map[string]any `json:"customData,omitempty"`
	// Links are "self" and "customer".
	Links []Link `json:"_links"`
}

// Link returns the href of the message's link with the given rel ("self",
// "customer"), or "" when it has none.
func (m *TimelineMessage) Link(rel string) string { return findLink(m.Links, rel) }

// TimelineExtraData is who made a change and what it changed.
type TimelineExtraData struct {
	// Revision is the customer's revision right after the change (for a
	// comment or custom event, when it was posted).
	Revision int64 `json:"revision"`
	// RequestID is the X-Request-Id of the request that made the change;
	// APIKeyID the id (never the secret) of its API key. Nil when unknown.
	RequestID *string `json:"requestId"`
	APIKeyID  *string `json:"apiKeyId"`
	// Changes maps each top-level writable field the message is about to
	// its values before and after; empty (not nil) for messages that change
	// no field (creation, tagging, comments, custom events).
	Changes map[string]FieldChange `json:"changes"`
}

// FieldChange is a field's value before and after a change, as JSON (null
// when it had none): decode it into the field's type, e.g. a
// *[ContactObject] for "primaryAddress".
type FieldChange struct {
	Old json.RawMessage `json:"old"`
	New json.RawMessage `json:"new"`
}

// TimelineMessageInput is the body of [Client.PostTimelineMessage]: a
// comment or a custom event. Build one with [Comment] or [CustomEvent].
type TimelineMessageInput struct {
	// Type is MessageComment or MessageCustomEvent; any other is a 422.
	Type string `json:"type"`
	// Message is 1 to 10,000 characters.
	Message string `json:"message"`
	// CustomEventType (1 to 255 characters) is required for a custom
	// event and refused on a comment.
	CustomEventType *string `json:"customEventType,omitempty"`
	// CustomData is a custom event's data, at most 16 KiB of JSON; nil
	// sends none (the server stores {}). Refused on a comment.
	CustomData map[string]any `json:"customData,omitempty"`
}

// Comment returns the input of a comment about the customer.
func Comment(text string) TimelineMessageInput {
	return TimelineMessageInput{Type: MessageComment, Message: text}
}

// CustomEvent returns the input of a custom event: something that happened
// to the customer elsewhere, named eventType, described by text, with data
// (nil: none).
func CustomEvent(eventType, text string, data map[string]any) TimelineMessageInput {
	return TimelineMessageInput{Type: MessageCustomEvent, Message: text, CustomEventType: &eventType, CustomData: data}
}

// TimelineList is one page of a customer's timeline.
type TimelineList struct {
	// Messages is the page, in the requested order (newest first by
	// default); empty (not nil) past the end or with Limit(0).
	Messages []TimelineMessage
	// Total, Limit and Offset are the Pagination-* headers.
	Total, Limit, Offset int64
	// Links are the page's Link header URLs, "" where the page has none.
	// Fetch one with [Client.ListTimelineAt].
	Links PageLinks
}

// HasNext reports whether a next page exists.
func (l *TimelineList) HasNext() bool { return l.Links.Next != "" }

// errMissingMessageID guards methods whose path needs a message id.
var errMissingMessageID = errors.New("client: the timeline message id is empty")

func (c *Client) timelinePath(customerID string, more ...string) string {
	return c.resourcePath(append([]string{"customers", escapeSegment(customerID), "timeline"}, more...)...)
}

// ListTimeline fetches one page of a customer's timeline (GET
// /customers/{id}/timeline, permission GetCustomerTimelineCollection). The
// options that apply are [Limit], [Offset], [Filter] (on type and
// occurredTime), [Search] (on the message text), [Sort] (default
// "-occurredTime") and the [RequestOption]s. A customer that does not
// exist or was merged away is a 404 *Error (its messages moved to the
// target); a malformed parameter a 400 *Error.
func (c *Client) ListTimeline(ctx context.Context, customerID string, opts ...ListOption) (*TimelineList, *Response, error) {
	if customerID == "" {
		return nil, nil, errMissingID
	}
	cl := newCall()
	for _, o := range opts {
		o.applyList(cl)
	}
	return c.listTimeline(ctx, customerID, cl)
}

// ListTimelineAt fetches the page of customer customerID's timeline that a
// Link URL of a previous page names, as [Client.ListCustomersAt] does for
// customers: only the URL's query is used.
func (c *Client) ListTimelineAt(ctx context.Context, customerID, link string, opts ...RequestOption) (*TimelineList, *Response, error) {
	if customerID == "" {
		return nil, nil, errMissingID
	}
	cl, err := linkCall(link, opts)
	if err != nil {
		return nil, nil, err
	}
	return c.listTimeline(ctx, customerID, cl)
}

func (c *Client) listTimeline(ctx context.Context, customerID string, cl *call) (*TimelineList, *Response, error) {
	var msgs []TimelineMessage
	resp, err := c.do(ctx, http.MethodGet, c.timelinePath(customerID), cl, nil, &msgs)
	if err != nil {
		return nil, resp, err
	}
	out := &TimelineList{Messages: msgs, Links: parsePageLinks(resp.Header.Values("Link"))}
	if out.Messages == nil {
		out.Messages = []TimelineMessage{}
	}
	if err := readPagination(resp, "/customers/{id}/timeline", &out.Total, &out.Limit, &out.Offset); err != nil {
		return nil, resp, err
	}
	return out, resp, nil
}

// GetTimelineMessage fetches one message of a customer's timeline (GET
// /customers/{id}/timeline/{messageId}, permission GetCustomerTimeline). A
// customer or message that does not exist is a 404 *Error.
func (c *Client) GetTimelineMessage(ctx context.Context, customerID, messageID string, opts ...RequestOption) (*TimelineMessage, *Response, error) {
	if customerID == "" {
		return nil, nil, errMissingID
	}
	if messageID == "" {
		return nil, nil, errMissingMessageID
	}
	return doOne[TimelineMessage](ctx, c, http.MethodGet, c.timelinePath(customerID, escapeSegment(messageID)), opts, nil)
}

// PostTimelineMessage adds a comment or a custom event to a customer's
// timeline (POST /customers/{id}/timeline, permission
// PostCustomerTimeline); Response.Location is the message's URL. The
// customer itself does not change. Invalid input is a 422 *Error naming
// the field; a missing customer a 404 *Error. With an Idempotency-Key
// ([WithHeader]) a retry gets the first answer again.
func (c *Client) PostTimelineMessage(ctx context.Context, customerID string, in TimelineMessageInput, opts ...RequestOption) (*TimelineMessage, *Response, error) {
	if customerID == "" {
		return nil, nil, errMissingID
	}
	return doOne[TimelineMessage](ctx, c, http.MethodPost, c.timelinePath(customerID), opts, in)
}

// DeleteTimelineMessage deletes a comment or custom event from a
// customer's timeline (DELETE /customers/{id}/timeline/{messageId},
// permission DeleteCustomerTimeline). The messages the service wrote
// cannot be deleted: a 409 *Error ([IsConflict]). A customer or message
// that does not exist is a 404 *Error.
func (c *Client) DeleteTimelineMessage(ctx context.Context, customerID, messageID string, opts ...RequestOption) (*Response, error) {
	if customerID == "" {
		return nil, errMissingID
	}
	if messageID == "" {
		return nil, errMissingMessageID
	}
	return c.do(ctx, http.MethodDelete, c.timelinePath(customerID, escapeSegment(messageID)), requestCall(opts), nil, nil)
}
