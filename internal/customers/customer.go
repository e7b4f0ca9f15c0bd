// Package customers is the domain of the service: the customer resource, its
// lead source and the rules that govern them (validation, derived fields,
// revisions, upserts, merges). It defines the Store it needs and knows nothing
// of HTTP, SQL or any driver: adapters depend on it, never the reverse.
package customers

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Customer is one customer of an organization.
//
// Optional values are pointers so that "absent" (nil) differs from the zero
// value. Email, FirstName and LastName are not stored separately in the
// domain: they are derived from PrimaryAddress by the methods of the same name.
type Customer struct {
	OrganizationID           string
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
	Tags            []string

	// HasLeadSource reports whether a lead source exists; set on reads.
	HasLeadSource bool
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
	Method              string
	PaymentInstrumentID *string
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

// Contact is a ContactObject: a person's name, postal address, phones and
// emails. Strings are nil when absent; they are never empty.
type Contact struct {
	FirstName    *string
	LastName     *string
	Organization *string
	JobTitle     *string
	Address      *string
	Address2     *string
	City         *string
	Region       *string
	Country      *string
	PostalCode   *string
	Dob          *string
	PhoneNumbers []ContactPoint
	Emails       []ContactPoint
	// Hash is derived: see ContactHash. Set by the service on every write.
	Hash string
}

// ContactPoint is one email address or phone number of a Contact.
type ContactPoint struct {
	Label   string
	Value   string
	Primary bool
}

// ContactHash returns the SHA-1 (40 lower-case hex characters) of the
// contact's values serialized as JSON with sorted keys, every field present
// (null when absent), lists in their given order and the hash itself left out,
// so that two contacts with the same values have the same hash.
func ContactHash(c *Contact) string {
	points := func(ps []ContactPoint) []map[string]any {
		out := make([]map[string]any, 0, len(ps))
		for _, p := range ps {
			out = append(out, map[string]any{"label": p.Label, "value": p.Value, "primary": p.Primary})
		}
		return out
	}
	// encoding/json writes map keys sorted, which makes the serialization canonical.
	doc := map[string]any{
		"firstName": c.FirstName, "lastName": c.LastName, "organization": c.Organization,
		"jobTitle": c.JobTitle, "address": c.Address, "address2": c.Address2, "city": c.City,
		"region": c.Region, "country": c.Country, "postalCode": c.PostalCode, "dob": c.Dob,
		"phoneNumbers": points(c.PhoneNumbers), "emails": points(c.Emails),
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "<" stays "<", as standard JSON tools write it
	if err := enc.Encode(doc); err != nil {
		// Only strings, bools and maps of them: encoding cannot fail.
		panic("customers: contact hash: " + err.Error())
	}
	sum := sha1.Sum(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return hex.EncodeToString(sum[:])
}
