package customers

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Store is the persistence the service needs. Every method is scoped to one
// organization; a customer of another organization does not exist for it.
type Store interface {
	// GetView returns customer id rendered, or nil and no error when it
	// does not exist.
	GetView(ctx context.Context, orgID, id string, opt ViewOptions) (*View, error)
	// GetLeadSourceView returns the lead source of customer id rendered, or
	// nil and whether the customer exists when it has none.
	GetLeadSourceView(ctx context.Context, orgID, id string) (ls *LeadSourceView, customerExists bool, err error)
	// MergedInto returns the id of the customer that id was merged into, or
	// "" when id was never merged away.
	MergedInto(ctx context.Context, orgID, id string) (string, error)
	// ListViews writes to w the page q asks for, rendered, after the exact
	// total that match, all read from one snapshot. A malformed filter or
	// sort is a KindBadQuery error, returned before w is called.
	ListViews(ctx context.Context, orgID string, q ListQuery, opt ViewOptions, w PageWriter) error
	// InTx runs fn in one transaction and commits when fn returns nil; any
	// error rolls everything back. fn may be called again when the database
	// reports a serialization failure or deadlock, so it must have no effects
	// outside the transaction.
	InTx(ctx context.Context, orgID string, fn func(Tx) error) error

	// FieldDefinitions reads the organization's custom-field definitions.
	FieldDefinitions(ctx context.Context, orgID string) (FieldDefinitions, error)
	// GetTag returns tag name, or nil.
	GetTag(ctx context.Context, orgID, name string) (*Tag, error)
	// ListTags returns the page of tags q asks for (filter and sort on
	// name and createdTime, q on the name) and the exact total; a
	// malformed query is a KindBadQuery error.
	ListTags(ctx context.Context, orgID string, q ListQuery) (int64, []Tag, error)
	// ListTimeline returns the page of customer id's timeline that q asks
	// for (filter and sort on type and occurredTime, default newest
	// first) and the exact total, and whether the customer exists.
	ListTimeline(ctx context.Context, orgID, id string, q ListQuery) (total int64, msgs []Message, exists bool, err error)
	// GetTimelineMessage returns message msgID of customer id (nil when
	// there is none) and whether the customer exists.
	GetTimelineMessage(ctx context.Context, orgID, id, msgID string) (*Message, bool, error)
	// GetCustomer returns customer id as stored, or nil.
	GetCustomer(ctx context.Context, orgID, id string) (*Customer, error)
	// ListTokens returns the page of customer id's tokens q asks for, the
	// exact total, and whether the customer exists.
	ListTokens(ctx context.Context, orgID, id string, q ListQuery) (total int64, tokens []Token, exists bool, err error)
	// TokenCustomer returns the id of the customer whose token has hash
	// and has not expired at now, or "".
	TokenCustomer(ctx context.Context, orgID string, hash []byte, now time.Time) (string, error)
}

// Tx is the work that can be done inside one transaction of one
// organization; the organization is the transaction's, never an argument.
type Tx interface {
	// LockCustomer returns the customer locked for update until the
	// transaction ends, or nil when it does not exist.
	LockCustomer(ctx context.Context, id string) (*Customer, error)
	// InsertCustomer inserts c and reports false, inserting nothing, when a
	// customer with c.ID already exists (it waits for a concurrent inserter
	// of the same id to finish first).
	InsertCustomer(ctx context.Context, c *Customer) (bool, error)
	// UpdateCustomer writes every stored field of c over the existing row.
	UpdateCustomer(ctx context.Context, c *Customer) error
	// View renders customer id as the transaction sees it, or nil.
	View(ctx context.Context, id string, opt ViewOptions) (*View, error)
	// MergedInto is Store.MergedInto seen from inside the transaction.
	MergedInto(ctx context.Context, id string) (string, error)
	// DeleteCustomer deletes customer id and its lead source.
	DeleteCustomer(ctx context.Context, id string) error
	// RecordMerge remembers that source was merged into target at t, with
	// source's last stored representation, points earlier merges into
	// source at target and moves source's timeline and tokens to target. Call it
	// before deleting source.
	RecordMerge(ctx context.Context, source, target string, t time.Time) error

	// Record writes a change's timeline messages, each with the revision
	// its customer has now, and its events, each with the customer's
	// representation as it is now, for delivery to the organization's
	// active webhooks that want it (an event no webhook wants is not
	// kept). Call it after the change's writes, before any deletion.
	Record(ctx context.Context, r Record) error
	// RecordView is Record, then View of customer id, in one statement.
	RecordView(ctx context.Context, r Record, id string, opt ViewOptions) (*View, error)
	// TimelineMessage returns message msgID of customer id, or nil.
	TimelineMessage(ctx context.Context, id, msgID string) (*Message, error)
	// DeleteTimelineMessage deletes message msgID of customer id.
	DeleteTimelineMessage(ctx context.Context, id, msgID string) error

	// CountLiveTokens counts customer id's tokens that expire after now.
	CountLiveTokens(ctx context.Context, id string, now time.Time) (int, error)
	// InsertToken stores t with the hash of its secret.
	InsertToken(ctx context.Context, t *Token, hash []byte) error
	// DeleteToken deletes token tokenID of customer id and reports whether it existed.
	DeleteToken(ctx context.Context, id, tokenID string) (bool, error)

	// GetLeadSource returns the lead source of customer id, or nil. Lock the
	// customer first: its row lock guards its lead source.
	GetLeadSource(ctx context.Context, id string) (*LeadSource, error)
	// LeadSourceView renders the lead source of customer id, or nil.
	LeadSourceView(ctx context.Context, id string) (*LeadSourceView, error)
	// PutLeadSource inserts or replaces ls (of customer ls.CustomerID).
	PutLeadSource(ctx context.Context, ls *LeadSource) error
	// DeleteLeadSource deletes the lead source of customer id and reports
	// whether there was one.
	DeleteLeadSource(ctx context.Context, id string) (bool, error)

	// FieldDefinitions reads the custom-field definitions and holds them
	// shared until the transaction ends: every customer write calls it
	// first, so no definition changes under it.
	FieldDefinitions(ctx context.Context) (FieldDefinitions, error)
	// LockFieldDefinitions reads them and holds them exclusively, waiting
	// for the customer writes in flight: a definition change calls it first.
	LockFieldDefinitions(ctx context.Context) (FieldDefinitions, error)
	// PutFieldDefinition inserts or replaces d.
	PutFieldDefinition(ctx context.Context, d *FieldDefinition) error
	// DeleteFieldDefinition deletes definition name.
	DeleteFieldDefinition(ctx context.Context, name string) error
	// FieldValues calls fn with every stored non-null value of custom
	// field name (decoded, numbers as json.Number) until fn fails.
	FieldValues(ctx context.Context, name string, fn func(any) error) error
	// RefreshFieldValues rewrites the typed copies of field name for every
	// customer, under its current definition (none when untyped).
	RefreshFieldValues(ctx context.Context, name string) error
	// SyncFieldValues rewrites the typed copies of customer id's fields.
	SyncFieldValues(ctx context.Context, id string) error

	// LockTag returns tag name locked until the transaction ends (against
	// its deletion, or exclusively), or nil when it does not exist.
	LockTag(ctx context.Context, name string, exclusive bool) (*Tag, error)
	// InsertTag inserts t and reports false, inserting nothing, when a tag
	// of that name exists.
	InsertTag(ctx context.Context, t *Tag) (bool, error)
	// DeleteTag deletes tag id (and every customer's link to it).
	DeleteTag(ctx context.Context, id string) error
	// TaggedCustomers lists the ids of the customers that have tag id.
	TaggedCustomers(ctx context.Context, tagID string) ([]string, error)
	// LockCustomers locks those of ids that exist, in byte order of id (the
	// order merges lock in), and returns them in that order.
	LockCustomers(ctx context.Context, ids []string) ([]string, error)
	// SetTag adds (add) or removes tag t on the locked customers ids; each
	// whose tags change gets revision + 1 and updatedTime now. It returns
	// the ids of those that changed.
	SetTag(ctx context.Context, t *Tag, ids []string, add bool, now time.Time) ([]string, error)
	// RenameTag gives tag t (locked) its new name and time, and the locked
	// customers ids that have it the new name, each with revision + 1 and
	// updatedTime t.UpdatedTime.
	RenameTag(ctx context.Context, t *Tag, ids []string) error
	// MoveTags gives customer to every tag of customer from.
	MoveTags(ctx context.Context, from, to string) error
}

// Service holds the business rules of customers. It is safe for concurrent use.
type Service struct {
	store Store
	now   func() time.Time
	newID func() string
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces the wall clock (tests use a fixed or stepping clock).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now, newID: func() string { return uuid.New().String() }}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Input is the writable part of a customer as a client sends it on POST or
// PUT, with its rules. Nil means "not sent", which takes the field's default.
type Input struct {
	WebsiteID                *string            `json:"websiteId" validate:"omitnil,min=1,max=50"`
	DefaultPaymentInstrument *PaymentInstrument `json:"defaultPaymentInstrument" validate:"omitnil"`
	// CustomFields is checked by checkCustomFields: its rules are about
	// keys and JSON types, which tags cannot say.
	CustomFields   map[string]any `json:"customFields"`
	PrimaryAddress *Contact       `json:"primaryAddress" validate:"omitnil"`
	Locale         *string        `json:"locale" validate:"omitnil,locale"`
	IsEddRequired  *bool          `json:"isEddRequired"`
	// PaymentToken is accepted from clients only to be refused: this service
	// keeps no payment vault.
	PaymentToken *string `json:"paymentToken"`
	// LeadSource, when not nil, sets the customer's lead source in the same
	// transaction, as PutLeadSource does; nil leaves it untouched.
	LeadSource                  *LeadSourceData `json:"leadSource" validate:"omitnil"`
	TaxNumbers                  []TaxNumber     `json:"taxNumbers" validate:"max=10,dive"`
	NotificationEmails          []string        `json:"notificationEmails" validate:"max=10,dive,max=255,email"`
	PreferredPayoutInstrumentID *string         `json:"preferredPayoutInstrumentId" validate:"omitnil,min=1,max=50"`
}

// Precondition is a client's condition on the current state of a resource,
// checked inside the write's transaction so that nothing changes between the
// check and the write. Nil lists mean the condition was not given.
type Precondition struct {
	// IfMatch lists entity tags (unquoted) one of which must be current; "*"
	// matches any existing resource.
	IfMatch []string
	// IfNoneMatch lists entity tags none of which may be current; "*" fails
	// whenever the resource exists.
	IfNoneMatch []string
}

// ETag is the entity tag (unquoted) of a customer at revision rev.
func ETag(rev int64) string { return strconv.FormatInt(rev, 10) }

func (p Precondition) check(exists bool, rev int64) error {
	tag := ETag(rev)
	if p.IfMatch != nil {
		if !exists {
			return preconditionFailed("If-Match failed: the resource does not exist.")
		}
		if !slices.Contains(p.IfMatch, "*") && !slices.Contains(p.IfMatch, tag) {
			return preconditionFailed("If-Match failed: the current revision is %s.", tag)
		}
	}
	if p.IfNoneMatch != nil && exists {
		if slices.Contains(p.IfNoneMatch, "*") || slices.Contains(p.IfNoneMatch, tag) {
			return preconditionFailed("If-None-Match failed: the resource exists at revision %s.", tag)
		}
	}
	return nil
}

// Get returns customer id of organization orgID, rendered with what opt
// asks for. A missing customer is a KindNotFound error; one that was merged
// away names its target.
func (s *Service) Get(ctx context.Context, orgID, id string, opt ViewOptions) (*View, error) {
	if !ValidID(id) {
		return nil, notFound("Customer %q was not found.", id)
	}
	v, err := s.store.GetView(ctx, orgID, id, opt)
	if err != nil {
		return nil, fmt.Errorf("get customer: %w", err)
	}
	if v == nil {
		return nil, s.missing(ctx, orgID, id)
	}
	return v, nil
}

// missing builds the not-found error for id, naming the merge target when id
// was merged away.
func (s *Service) missing(ctx context.Context, orgID, id string) error {
	target, err := s.store.MergedInto(ctx, orgID, id)
	if err != nil {
		return fmt.Errorf("look up merge of %q: %w", id, err)
	}
	if target != "" {
		return mergedAway(id, target)
	}
	return notFound("Customer %q was not found.", id)
}

// Create stores a new customer with a server-made UUID v4 id, revision 0,
// and returns it rendered with what opt asks for. Invalid input is a
// KindInvalid error and nothing is written.
func (s *Service) Create(ctx context.Context, orgID string, in Input, opt ViewOptions) (*View, error) {
	c := newCustomer(s.newID(), in, s.clock())
	var v *View
	err := s.store.InTx(ctx, orgID, func(tx Tx) error {
		rec := s.recorder(ctx, c.CreatedTime)
		defs, err := s.validate(ctx, tx, in)
		if err != nil {
			return err
		}
		inserted, err := tx.InsertCustomer(ctx, c)
		if err != nil {
			return err
		}
		if !inserted {
			// A UUID v4 collision: practically impossible, so treat as a bug.
			return fmt.Errorf("generated id %q already exists", c.ID)
		}
		if err := syncFieldValues(ctx, tx, defs, c.ID); err != nil {
			return err
		}
		if _, _, err = s.inlineLeadSource(ctx, tx, c, in, c.CreatedTime); err != nil {
			return err
		}
		rec.created(c.ID)
		v, err = rec.writeView(ctx, tx, c.ID, opt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create customer: %w", err)
	}
	return v, nil
}

// validate checks a customer write inside its transaction, against the
// organization's custom-field definitions, which stay held (shared) until
// the transaction ends so that no definition change slips in between.
func (s *Service) validate(ctx context.Context, tx Tx, in Input) (FieldDefinitions, error) {
	defs, err := tx.FieldDefinitions(ctx)
	if err != nil {
		return nil, err
	}
	return defs, validateInput(in, defs)
}

// syncFieldValues refreshes the store's typed copies of customer id's
// defined custom fields, when the organization has typed definitions.
func syncFieldValues(ctx context.Context, tx Tx, defs FieldDefinitions, id string) error {
	for _, d := range defs {
		if d.Typed() {
			return tx.SyncFieldValues(ctx, id)
		}
	}
	return nil
}

// maxUpsertAttempts bounds how often Put retries after losing a race to
// insert the same new id; one retry always suffices unless the row is also
// being deleted concurrently.
const maxUpsertAttempts = 5

// Put creates customer id with the input (created is true) or replaces every
// writable field of the existing one, and returns it rendered with what opt
// asks for. A write that changes nothing keeps the revision and
// updatedTime. Two Puts racing on a new id create it once: the loser
// updates the winner's row. A Put to an id that was merged away is a
// KindConflict error naming the target, whatever its preconditions say; a
// failed precondition is KindPreconditionFailed. On any error nothing is
// written.
func (s *Service) Put(ctx context.Context, orgID, id string, in Input, pre Precondition, opt ViewOptions) (v *View, created bool, err error) {
	if !ValidID(id) {
		return nil, false, &Error{Kind: KindInvalid, Message: "The customer id in the path is invalid.",
			Fields: []FieldError{{Field: "id", Message: idRuleMessage}}}
	}
	err = s.store.InTx(ctx, orgID, func(tx Tx) error {
		// InTx may run this function again after a serialization failure:
		// nothing may carry over from an earlier attempt.
		created = false
		defs, err := s.validate(ctx, tx, in)
		if err != nil {
			return err
		}
		rec := s.recorder(ctx, s.clock())
		if err := s.upsert(ctx, tx, id, in, pre, defs, rec, &created); err != nil {
			return err
		}
		v, err = rec.writeView(ctx, tx, id, opt)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("put customer: %w", err)
	}
	return v, created, nil
}

// upsert is the body of Put's transaction. What changed is recorded in
// rec, for the caller to write.
func (s *Service) upsert(ctx context.Context, tx Tx, id string, in Input, pre Precondition, defs FieldDefinitions, rec *recorder, created *bool) error {
	now := rec.at // one instant for everything this request changes
	for attempt := 0; attempt < maxUpsertAttempts; attempt++ {
		cur, err := tx.LockCustomer(ctx, id)
		if err != nil {
			return err
		}
		if cur != nil {
			if err := pre.check(true, cur.Revision); err != nil {
				return err
			}
			c := replace(cur, in, now)
			oldLS, lsChanged, err := s.inlineLeadSource(ctx, tx, c, in, now)
			if err != nil {
				return err
			}
			if lsChanged && c.Revision == cur.Revision {
				touch(c, now) // one revision for the whole request
			}
			if c.Revision == cur.Revision {
				return nil
			}
			if err := tx.UpdateCustomer(ctx, c); err != nil {
				return err
			}
			if err := syncFieldValues(ctx, tx, defs, id); err != nil {
				return err
			}
			// One event for the request: the customer's, unless only
			// its lead source changed.
			event := EventCustomerUpdated
			if !rec.updated(cur, c) {
				event = EventLeadSourceChanged
			}
			if lsChanged {
				rec.leadSourceChanged(id, oldLS, in.LeadSource)
			}
			rec.event(event, id, "")
			return nil
		}
		next := newCustomer(id, in, now)
		inserted, err := tx.InsertCustomer(ctx, next)
		if err != nil {
			return err
		}
		if !inserted {
			continue // a concurrent Put created it first: lock and update it
		}
		// Checked after the insert: a merge of id committing meanwhile
		// made the insert wait, and is visible to this later statement.
		target, err := tx.MergedInto(ctx, id)
		if err != nil {
			return err
		}
		if target != "" {
			return conflict("Customer %q was merged into customer %q and cannot be written again.", id, target)
		}
		// After the merge check, so that a conditional PUT to a
		// merged-away id still learns where it went (409, not 412); a
		// failure rolls the insert back.
		if err := pre.check(false, 0); err != nil {
			return err
		}
		*created = true
		if err := syncFieldValues(ctx, tx, defs, id); err != nil {
			return err
		}
		if _, _, err = s.inlineLeadSource(ctx, tx, next, in, now); err != nil {
			return err
		}
		rec.created(id)
		return nil
	}
	return fmt.Errorf("upsert of %q lost %d races in a row", id, maxUpsertAttempts)
}

// inlineLeadSource applies the write-only leadSource of a customer write to
// customer c and reports whether it changed, and its values before (nil
// when it had none). A customer created with one keeps revision 0.
func (s *Service) inlineLeadSource(ctx context.Context, tx Tx, c *Customer, in Input, now time.Time) (old *LeadSourceData, changed bool, err error) {
	if in.LeadSource == nil {
		return nil, false, nil
	}
	cur, err := tx.GetLeadSource(ctx, c.ID)
	if err != nil {
		return nil, false, err
	}
	if cur != nil {
		before := cur.LeadSourceData
		old = &before
	}
	_, _, changed, err = writeLeadSource(ctx, tx, c, cur, *in.LeadSource, now)
	return old, changed, err
}

// newCustomer builds a customer at revision 0 from valid input.
func newCustomer(id string, in Input, now time.Time) *Customer {
	c := &Customer{
		ID:              id,
		CreatedTime:     now,
		UpdatedTime:     now,
		AverageValue:    Money{Currency: "USD"},
		LifetimeRevenue: Money{Currency: "USD"},
		Tags:            []string{},
	}
	setWritable(c, in)
	return c
}

// replace returns cur with every writable field replaced by in. When that
// changes anything, the revision goes up by one and updatedTime moves to now.
func replace(cur *Customer, in Input, now time.Time) *Customer {
	next := *cur
	setWritable(&next, in)
	if !sameWritable(cur, &next) {
		touch(&next, now)
	}
	return &next
}

// touch records one change of customer c: revision +1, updatedTime now.
func touch(c *Customer, now time.Time) {
	c.Revision++
	c.UpdatedTime = now
}

// clock is the service's now, in UTC whole seconds as the API shows times.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Second) }

func setWritable(c *Customer, in Input) {
	c.WebsiteID = in.WebsiteID
	c.DefaultPaymentInstrument = in.DefaultPaymentInstrument
	c.CustomFields = copyCustomFields(in.CustomFields)
	c.PrimaryAddress = nil
	if in.PrimaryAddress != nil {
		addr := in.PrimaryAddress.normalized()
		addr.Hash = ContactHash(&addr)
		c.PrimaryAddress = &addr
	}
	c.Locale = in.Locale
	c.IsEddRequired = in.IsEddRequired != nil && *in.IsEddRequired
	c.TaxNumbers = make([]TaxNumber, len(in.TaxNumbers))
	for i, t := range in.TaxNumbers {
		t.IsValid = nil // read-only
		c.TaxNumbers[i] = t
	}
	c.NotificationEmails = append([]string{}, in.NotificationEmails...)
	c.PreferredPayoutInstrumentID = in.PreferredPayoutInstrumentID
}

func sameWritable(a, b *Customer) bool {
	return reflect.DeepEqual(a.WebsiteID, b.WebsiteID) &&
		reflect.DeepEqual(a.DefaultPaymentInstrument, b.DefaultPaymentInstrument) &&
		customFieldsEqual(a.CustomFields, b.CustomFields) &&
		reflect.DeepEqual(a.PrimaryAddress, b.PrimaryAddress) &&
		reflect.DeepEqual(a.Locale, b.Locale) &&
		a.IsEddRequired == b.IsEddRequired &&
		slices.Equal(a.TaxNumbers, b.TaxNumbers) &&
		slices.Equal(a.NotificationEmails, b.NotificationEmails) &&
		reflect.DeepEqual(a.PreferredPayoutInstrumentID, b.PreferredPayoutInstrumentID)
}

// IsNotFound reports whether err is a KindNotFound error.
func IsNotFound(err error) bool { return ErrorKind(err) == KindNotFound }
