package customers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Every change of a customer writes, in its own transaction, what it was
// (SPEC §12, §16): timeline messages, one per changed aspect, and one
// event for the webhooks. The service builds both here, from the customer
// before and after the change; the store writes them beside the change
// (Tx.Record), filling in the revision the change produced.

// Event types: what webhooks subscribe to (SPEC §13).
const (
	EventCustomerCreated   = "customer-created"
	EventCustomerUpdated   = "customer-updated"
	EventCustomerMerged    = "customer-merged"
	EventLeadSourceChanged = "lead-source-changed"
)

// EventTypes lists every event type, in the order the API documents them.
var EventTypes = []string{EventCustomerCreated, EventCustomerUpdated, EventCustomerMerged, EventLeadSourceChanged}

// Timeline message types (SPEC §12). The system writes all but the last
// two, which clients post.
const (
	MessageCustomerCreated                 = "customer-created"
	MessageCustomerUpdated                 = "customer-updated"
	MessagePrimaryAddressChanged           = "primary-address-changed"
	MessageCustomFieldsChanged             = "custom-fields-changed"
	MessageDefaultPaymentInstrumentChanged = "default-payment-instrument-changed"
	MessageTaxNumbersChanged               = "tax-numbers-changed"
	MessageLeadSourceChanged               = "lead-source-changed"
	MessageCustomerTagged                  = "customer-tagged"
	MessageCustomerUntagged                = "customer-untagged"
	MessageCustomerMerged                  = "customer-merged"
	MessageCommentCreated                  = "customer-comment-created"
	MessageCustomEvent                     = "custom-event"
)

// MessageTypes lists every timeline message type.
var MessageTypes = []string{
	MessageCustomerCreated, MessageCustomerUpdated, MessagePrimaryAddressChanged, MessageCustomFieldsChanged,
	MessageDefaultPaymentInstrumentChanged, MessageTaxNumbersChanged, MessageLeadSourceChanged,
	MessageCustomerTagged, MessageCustomerUntagged, MessageCustomerMerged, MessageCommentCreated, MessageCustomEvent,
}

// Who triggered a change (a message's triggeredBy).
const (
	TriggeredByAPI = "direct-api"
	TriggeredByApp = "app"
)

// Actor is who asks for a change: the request and the API key it came
// with. The HTTP adapter puts it in the request's context (WithActor);
// every message the request writes carries it.
type Actor struct {
	RequestID   string
	APIKeyID    string
	TriggeredBy string // TriggeredByAPI when empty
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

func actorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	if a.TriggeredBy == "" {
		a.TriggeredBy = TriggeredByAPI
	}
	return a
}

// Message is one message of a customer's timeline.
type Message struct {
	ID         string
	CustomerID string
	Type       string
	Text       string
	// Revision is the customer's revision right after the change (or, for
	// a client's message, when it was posted); the store sets it.
	Revision    int64
	RequestID   string
	APIKeyID    string
	TriggeredBy string
	// Changes is a JSON object: each changed field → {"old", "new"}.
	Changes      json.RawMessage
	OccurredTime time.Time
	// CustomEventType and CustomData are a custom event's.
	CustomEventType *string
	CustomData      json.RawMessage
	// System is true for the messages the service wrote, which no client
	// may delete.
	System bool
}

// Event is one event for the webhooks: customer CustomerID as the change
// left it and, for a merge, DuplicateID, the customer merged into it.
type Event struct {
	Type         string
	CustomerID   string
	DuplicateID  string
	OccurredTime time.Time
}

// Record is what one change writes beside itself.
type Record struct {
	Messages []Message
	Events   []Event
}

// recorder collects a change's record: every message shares the
// change's actor and instant.
type recorder struct {
	actor Actor
	at    time.Time // the change's instant, as the API shows it
	now   time.Time // the same, with the clock's sub-second part
	newID func() string
	rec   Record
}

// recorder returns the recorder of a change made at now (whole seconds,
// as the API shows times). Its messages are stored with the clock's
// sub-second part added back, within the same second: the API still shows
// the change's time, and a timeline orders the changes of one second as
// they happened instead of by their random ids. A change whose second has
// passed by the time it records (its transaction began in that second,
// under load) is stored at that second's last microsecond: adding the new
// second's fraction instead put it before the changes that came earlier
// in its second (a flake of TestHTTPTimelineRecordsEveryChangeOnce).
func (s *Service) recorder(ctx context.Context, now time.Time) *recorder {
	return &recorder{actor: actorFrom(ctx), at: now, now: withinSecond(now, s.now()), newID: s.newID}
}

// withinSecond is instant at, a whole second, with the sub-second part of
// the clock reading t when t is in that second, or at's last microsecond
// when t is later. Microseconds, because PostgreSQL keeps no finer: it
// would round a later nanosecond up into the next second, and the API,
// which shows whole seconds, would show the change a second late.
func withinSecond(at, t time.Time) time.Time {
	if d := t.Sub(at); d >= 0 && d < time.Second {
		return t.UTC().Truncate(time.Microsecond)
	} else if d >= time.Second {
		return at.Add(time.Second - time.Microsecond)
	}
	// A clock that went back (a test's, or a step of the system's): the
	// reading's fraction, as before.
	return at.Add(time.Duration(t.Nanosecond())).Truncate(time.Microsecond)
}

// message records a system message about customer id.
func (r *recorder) message(id, typ, text string, changes json.RawMessage) {
	if changes == nil {
		changes = json.RawMessage("{}")
	}
	r.rec.Messages = append(r.rec.Messages, Message{
		ID: r.newID(), CustomerID: id, Type: typ, Text: text, Changes: changes,
		RequestID: r.actor.RequestID, APIKeyID: r.actor.APIKeyID, TriggeredBy: r.actor.TriggeredBy,
		OccurredTime: r.now, System: true,
	})
}

func (r *recorder) event(typ, id, duplicateID string) {
	r.rec.Events = append(r.rec.Events, Event{Type: typ, CustomerID: id, DuplicateID: duplicateID, OccurredTime: r.now})
}

// write hands the record to the store, when there is one.
func (r *recorder) write(ctx context.Context, tx Tx) error {
	if len(r.rec.Messages) == 0 && len(r.rec.Events) == 0 {
		return nil
	}
	return tx.Record(ctx, r.rec)
}

// writeView writes the record, when there is one, and returns customer id
// rendered with opt, in one statement.
func (r *recorder) writeView(ctx context.Context, tx Tx, id string, opt ViewOptions) (*View, error) {
	if len(r.rec.Messages) == 0 && len(r.rec.Events) == 0 {
		return tx.View(ctx, id, opt)
	}
	return tx.RecordView(ctx, r.rec, id, opt)
}

// created records the creation of customer id.
func (r *recorder) created(id string) {
	r.message(id, MessageCustomerCreated, "Customer was created.", nil)
	r.event(EventCustomerCreated, id, "")
}

// writableFields are the top-level writable fields of a customer (SPEC
// §3) in the order messages list them, with the message type of each
// aspect (the others are customer-updated's) and the field's JSON as a
// change shows it.
var writableFields = []struct {
	name   string
	aspect string
	json   func(c *Customer) json.RawMessage
}{
	{"websiteId", MessageCustomerUpdated, func(c *Customer) json.RawMessage { return stringJSON(c.WebsiteID) }},
	{"defaultPaymentInstrument", MessageDefaultPaymentInstrumentChanged, func(c *Customer) json.RawMessage { return mustJSON(c.DefaultPaymentInstrument) }},
	{"customFields", MessageCustomFieldsChanged, func(c *Customer) json.RawMessage { return mustJSON(c.CustomFields) }},
	{"primaryAddress", MessagePrimaryAddressChanged, func(c *Customer) json.RawMessage { return addressWithoutHash(c.PrimaryAddress) }},
	{"locale", MessageCustomerUpdated, func(c *Customer) json.RawMessage { return stringJSON(c.Locale) }},
	{"isEddRequired", MessageCustomerUpdated, func(c *Customer) json.RawMessage { return mustJSON(c.IsEddRequired) }},
	{"taxNumbers", MessageTaxNumbersChanged, func(c *Customer) json.RawMessage { return mustJSON(c.TaxNumbers) }},
	{"notificationEmails", MessageCustomerUpdated, func(c *Customer) json.RawMessage { return mustJSON(c.NotificationEmails) }},
	{"preferredPayoutInstrumentId", MessageCustomerUpdated, func(c *Customer) json.RawMessage { return stringJSON(c.PreferredPayoutInstrumentID) }},
}

// stringJSON is the JSON of an optional string, as mustJSON writes it;
// the common string of printable ASCII without quotes or backslashes
// without the encoder.
func stringJSON(s *string) json.RawMessage {
	if s == nil {
		return json.RawMessage("null")
	}
	for i := 0; i < len(*s); i++ {
		if b := (*s)[i]; b < 0x20 || b > 0x7e || b == '"' || b == '\\' {
			return mustJSON(*s)
		}
	}
	return json.RawMessage(`"` + *s + `"`)
}

// addressWithoutHash is the primary address as a change shows it: hash is
// derived, and derived fields never appear in changes (SPEC §12). Its
// keys are sorted, as they were when this was the contact's JSON decoded
// into a map, less its hash, and encoded again (what stored messages
// hold): contactChange and its lists' entries declare their fields in
// that order.
func addressWithoutHash(c *Contact) json.RawMessage {
	if c == nil {
		return json.RawMessage("null")
	}
	out := contactChange{
		Address: c.Address, Address2: c.Address2, City: c.City, Country: c.Country, Dob: c.Dob,
		Emails: make([]labeledValue, len(c.Emails)), FirstName: c.FirstName, JobTitle: c.JobTitle,
		LastName: c.LastName, Organization: c.Organization, PhoneNumbers: make([]labeledValue, len(c.PhoneNumbers)),
		PostalCode: c.PostalCode, Region: c.Region,
	}
	for i, e := range c.Emails {
		out.Emails[i] = labeledValue{Label: e.Label, Primary: e.Primary, Value: e.Value}
	}
	for i, p := range c.PhoneNumbers {
		out.PhoneNumbers[i] = labeledValue{Label: p.Label, Primary: p.Primary, Value: p.Value}
	}
	return mustJSON(out)
}

// contactChange is a Contact without its hash, its fields in key order.
type contactChange struct {
	Address      *string        `json:"address"`
	Address2     *string        `json:"address2"`
	City         *string        `json:"city"`
	Country      *string        `json:"country"`
	Dob          *string        `json:"dob"`
	Emails       []labeledValue `json:"emails"`
	FirstName    *string        `json:"firstName"`
	JobTitle     *string        `json:"jobTitle"`
	LastName     *string        `json:"lastName"`
	Organization *string        `json:"organization"`
	PhoneNumbers []labeledValue `json:"phoneNumbers"`
	PostalCode   *string        `json:"postalCode"`
	Region       *string        `json:"region"`
}

// labeledValue is an email or phone number of a contactChange, its fields
// in key order.
type labeledValue struct {
	Label   string `json:"label"`
	Primary bool   `json:"primary"`
	Value   string `json:"value"`
}

// change is one field's entry in a message's changes.
type change struct {
	Old json.RawMessage `json:"old"`
	New json.RawMessage `json:"new"`
}

// diff returns each writable field that differs between old and next,
// and the aspect (message type) of each.
func diff(old, next *Customer) (changes map[string]change, aspects map[string]string) {
	changes, aspects = map[string]change{}, map[string]string{}
	for _, f := range writableFields {
		o, n := f.json(old), f.json(next)
		if !bytes.Equal(o, n) {
			changes[f.name] = change{Old: o, New: n}
			aspects[f.name] = f.aspect
		}
	}
	return changes, aspects
}

// changesJSON is the JSON object of changes, its keys sorted as
// encoding/json sorts a map's; the values are the encoder's own compact
// output, written as they are.
func changesJSON(changes map[string]change) json.RawMessage {
	names := slices.Sorted(maps.Keys(changes))
	buf := []byte{'{'}
	for i, name := range names {
		if i > 0 {
			buf = append(buf, ',')
		}
		c := changes[name]
		buf = append(buf, '"')
		buf = append(buf, name...) // a field name: letters only
		buf = append(buf, `":{"old":`...)
		buf = append(buf, c.Old...)
		buf = append(buf, `,"new":`...)
		buf = append(buf, c.New...)
		buf = append(buf, '}')
	}
	return append(buf, '}')
}

// updated records the messages of an update of a customer from old to
// next, one per changed aspect, and reports whether any field changed.
func (r *recorder) updated(old, next *Customer) bool {
	changes, aspects := diff(old, next)
	byAspect := map[string]map[string]change{}
	var order []string
	for _, f := range writableFields {
		c, ok := changes[f.name]
		if !ok {
			continue
		}
		a := aspects[f.name]
		if byAspect[a] == nil {
			byAspect[a] = map[string]change{}
			order = append(order, a)
		}
		byAspect[a][f.name] = c
	}
	for _, aspect := range order {
		r.message(old.ID, aspect, aspectText(aspect, byAspect[aspect]), changesJSON(byAspect[aspect]))
	}
	return len(order) > 0
}

// merged records the merge of customer dup into target (before: as it
// was; after: as the merge left it): one message on the target, with every
// field the merge changed, and one event.
func (r *recorder) merged(dup string, before, after *Customer) {
	changes, _ := diff(before, after)
	r.message(after.ID, MessageCustomerMerged, fmt.Sprintf("Customer %s was merged into this customer.", dup), changesJSON(changes))
	r.event(EventCustomerMerged, after.ID, dup)
}

func aspectText(aspect string, changes map[string]change) string {
	switch aspect {
	case MessagePrimaryAddressChanged:
		return "Primary address was changed."
	case MessageCustomFieldsChanged:
		return "Custom fields were changed."
	case MessageDefaultPaymentInstrumentChanged:
		return "Default payment instrument was changed."
	case MessageTaxNumbersChanged:
		return "Tax numbers were changed."
	}
	names := make([]string, 0, len(changes))
	for _, f := range writableFields {
		if _, ok := changes[f.name]; ok {
			names = append(names, f.name)
		}
	}
	return "Customer was updated: " + strings.Join(names, ", ") + "."
}

// leadSourceChanged records a change of customer id's lead source from
// old to next (nil: none).
func (r *recorder) leadSourceChanged(id string, old, next *LeadSourceData) {
	text := "Lead source was changed."
	switch {
	case old == nil:
		text = "Lead source was set."
	case next == nil:
		text = "Lead source was removed."
	}
	changes := map[string]change{"leadSource": {Old: mustJSON(old), New: mustJSON(next)}}
	r.message(id, MessageLeadSourceChanged, text, mustJSON(changes))
}

// tagged records that tag name was added to (add) or removed from each of
// the customers ids.
func (r *recorder) tagged(ids []string, name string, add bool) {
	typ, text := MessageCustomerUntagged, fmt.Sprintf("Tag %q was removed.", name)
	if add {
		typ, text = MessageCustomerTagged, fmt.Sprintf("Tag %q was added.", name)
	}
	for _, id := range ids {
		r.message(id, typ, text, nil)
		r.event(EventCustomerUpdated, id, "")
	}
}

// mustJSON encodes v, whose types are the domain's own and always encode.
func mustJSON(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("customers: encode %T: %v", v, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
