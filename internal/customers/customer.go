// Package customers is the domain of the service: the customer resource, its
// lead source and the rules that govern them (validation, derived fields,
// revisions, upserts, merges). It defines the Store it needs and knows nothing
// of HTTP, SQL or any driver: adapters depend on it, never the reverse.
//
// The value objects (Contact, ContactEmail, ContactPhone, PaymentInstrument,
// LeadSourceData) are defined once, here, with the json tags of their API
// and stored form (the same JSON) and the validate tags of their rules;
// the HTTP adapter decodes into them and the store encodes them as they are.
package customers

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"time"
)

// Customer is one customer of an organization, as the business rules see
// it. Its representation for clients is a View, rendered by the store.
//
// Optional values are pointers so that "absent" (nil) differs from the zero
// value. Email, FirstName and LastName are not stored separately in the
// domain: they are derived from PrimaryAddress by the methods of the same name.
type Customer struct {
	ID                       string
	WebsiteID                *string
	DefaultPaymentInstrument *PaymentInstrument
	// CustomFields maps a field name to a JSON scalar (string, json.Number,
	// bool, nil) or a slice of scalars. Never nil on a stored customer.
	CustomFields    map[string]any
	PrimaryAddress  *Contact
	Locale          *string
	IsEddRequired   bool
	CreatedTime     time.Time
	UpdatedTime     time.Time
	Revision        int64
	AverageValue    Money
	LifetimeRevenue Money
	PaymentCount    int64
	InvoiceCount    int64
	LastPaymentTime *time.Time
	// Tags are the names of the customer's tags, sorted by byte order;
	// only the tag operations change them (Service.TagCustomers).
	Tags                        []string
	TaxNumbers                  []TaxNumber
	NotificationEmails          []string
	PreferredPayoutInstrumentID *string
}

// MaxTaxNumbers and MaxNotificationEmails bound those lists (SPEC §11).
const (
	MaxTaxNumbers         = 10
	MaxNotificationEmails = 10
)

// TaxNumber is one of a customer's tax identifiers.
type TaxNumber struct {
	Type      string `json:"type" validate:"required,oneof=eu-vat other"`
	Value     string `json:"value" validate:"required,max=50"`
	IsDefault bool   `json:"isDefault"`
	// IsValid is read-only and always null: the service checks no tax
	// number with a registry (no VIES). A client's value is ignored.
	IsValid *bool `json:"isValid"`
}

// Email is the primary email of the primary address, else its first email,
// else nil.
func (c *Customer) Email() *string {
	if c.PrimaryAddress == nil || len(c.PrimaryAddress.Emails) == 0 {
		return nil
	}
	for _, e := range c.PrimaryAddress.Emails {
		if e.Primary {
			v := e.Value
			return &v
		}
	}
	v := c.PrimaryAddress.Emails[0].Value
	return &v
}

// FirstName is the primary address's first name, or nil.
func (c *Customer) FirstName() *string {
	if c.PrimaryAddress == nil {
		return nil
	}
	return c.PrimaryAddress.FirstName
}

// LastName is the primary address's last name, or nil.
func (c *Customer) LastName() *string {
	if c.PrimaryAddress == nil {
		return nil
	}
	return c.PrimaryAddress.LastName
}

// PaymentInstrument names a customer's default way to pay.
type PaymentInstrument struct {
	Method              string  `json:"method" validate:"required,paymentmethod"`
	PaymentInstrumentID *string `json:"paymentInstrumentId" validate:"omitnil,min=1,max=50"`
}

// PaymentMethods are the accepted values of PaymentInstrument.Method.
var PaymentMethods = []string{"payment-card", "ach", "cash", "check", "paypal", "bank-transfer", "digital-wallet", "other"}

// Money is an amount in a currency and its value in US dollars.
type Money struct {
	Currency  string
	Amount    Amount
	AmountUSD Amount
}

// Amount is a decimal amount in ten-thousandths of the currency unit, so that
// sums are exact (amounts are stored as numeric(19,4)).
type Amount int64

// MaxContactPoints bounds the emails and the phone numbers of a contact
// (SPEC §14), so that one customer stays small.
const MaxContactPoints = 20

// Contact is a ContactObject: a person's name, postal address, phones and
// emails. Strings are nil when absent; they are never empty. The lists are
// never nil on a contact the service has stored.
type Contact struct {
	FirstName    *string        `json:"firstName" validate:"omitnil,min=1,max=45"`
	LastName     *string        `json:"lastName" validate:"omitnil,min=1,max=45"`
	Organization *string        `json:"organization" validate:"omitnil,min=1,max=255"`
	JobTitle     *string        `json:"jobTitle" validate:"omitnil,min=1,max=255"`
	Address      *string        `json:"address" validate:"omitnil,min=1,max=60"`
	Address2     *string        `json:"address2" validate:"omitnil,min=1,max=60"`
	City         *string        `json:"city" validate:"omitnil,min=1,max=45"`
	Region       *string        `json:"region" validate:"omitnil,min=1,max=45"`
	Country      *string        `json:"country" validate:"omitnil,country"`
	PostalCode   *string        `json:"postalCode" validate:"omitnil,min=1,max=10,postalcode"`
	Dob          *string        `json:"dob" validate:"omitnil,date"`
	PhoneNumbers []ContactPhone `json:"phoneNumbers" validate:"max=20,dive"`
	Emails       []ContactEmail `json:"emails" validate:"max=20,dive"`
	// Hash is derived (ContactHash) and set by the service on every write;
	// a client's value is ignored.
	Hash string `json:"hash"`
}

// ContactEmail is one email address of a Contact.
type ContactEmail struct {
	Label   string `json:"label" validate:"required,max=45"`
	Value   string `json:"value" validate:"required,max=255,email"`
	Primary bool   `json:"primary"`
}

// ContactPhone is one phone number of a Contact.
type ContactPhone struct {
	Label   string `json:"label" validate:"required,max=45"`
	Value   string `json:"value" validate:"required,max=50"`
	Primary bool   `json:"primary"`
}

// MarshalJSON writes the contact with its lists as [] when empty, as the
// API shows them, whatever built the value.
func (c Contact) MarshalJSON() ([]byte, error) {
	type plain Contact // without this method
	return json.Marshal(plain(c.normalized()))
}

// normalized returns a copy of c whose nil lists are empty, as stored.
func (c Contact) normalized() Contact {
	if c.PhoneNumbers == nil {
		c.PhoneNumbers = []ContactPhone{}
	}
	if c.Emails == nil {
		c.Emails = []ContactEmail{}
	}
	return c
}

// ContactHash returns the SHA-1 (40 lower-case hex characters) of the
// contact's canonical JSON (SPEC §10): every field of Contact under its json
// name but the hash itself, null when absent, lists in their given order
// ([] when empty), keys sorted at every level, no HTML escaping. It is
// derived from the type, so a field added to Contact is hashed too.
func ContactHash(c *Contact) string {
	sum := sha1.Sum(canonicalJSON(c.normalized(), "hash"))
	return hex.EncodeToString(sum[:])
}

// canonicalJSON encodes v (a struct of JSON-encodable values) with its keys
// sorted at every level, without the top-level keys in omit.
func canonicalJSON(v any, omit ...string) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic("customers: canonical JSON of " + reflect.TypeOf(v).String() + ": " + err.Error())
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		panic("customers: canonical JSON: " + err.Error())
	}
	for _, k := range omit {
		delete(doc, k)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "<" stays "<", as standard JSON tools write it
	// encoding/json writes map keys sorted, which makes the form canonical.
	if err := enc.Encode(doc); err != nil {
		panic("customers: canonical JSON: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
