package client

import (
	"encoding/json"
	"strconv"
	"time"
)

// Customer is a customer as the API answers it (schema Customer). Nullable
// values are pointers: nil is JSON null. A response shaped by [Fields]
// carries only the fields asked for (and id); the others keep their zero
// values here.
type Customer struct {
	ID string `json:"id"`
	// Email, FirstName and LastName are derived from PrimaryAddress.
	Email                    *string            `json:"email"`
	FirstName                *string            `json:"firstName"`
	LastName                 *string            `json:"lastName"`
	WebsiteID                *string            `json:"websiteId"`
	DefaultPaymentInstrument *PaymentInstrument `json:"defaultPaymentInstrument"`
	// CustomFields holds JSON scalars or arrays of them. Numbers decode as
	// json.Number, so no precision is lost.
	CustomFields    map[string]any `json:"customFields"`
	PrimaryAddress  *ContactObject `json:"primaryAddress"`
	Locale          *string        `json:"locale"`
	IsEddRequired   bool           `json:"isEddRequired"`
	CreatedTime     time.Time      `json:"createdTime"`
	UpdatedTime     time.Time      `json:"updatedTime"`
	Revision        int64          `json:"revision"`
	AverageValue    Money          `json:"averageValue"`
	LifetimeRevenue Money          `json:"lifetimeRevenue"`
	PaymentCount    int64          `json:"paymentCount"`
	InvoiceCount    int64          `json:"invoiceCount"`
	LastPaymentTime *time.Time     `json:"lastPaymentTime"`
	// Tags are the customer's tags, sorted by name (read-only: change them
	// with [Client.TagCustomer] and [Client.UntagCustomer]). The tags of a
	// customer carry no links.
	Tags            []Tag `json:"tags"`
	HasFulfilledKyc bool  `json:"hasFulfilledKyc"`
	// TaxNumbers and NotificationEmails are empty (not nil) when the
	// customer has none.
	TaxNumbers                  []TaxNumber `json:"taxNumbers"`
	NotificationEmails          []string    `json:"notificationEmails"`
	PreferredPayoutInstrumentID *string     `json:"preferredPayoutInstrumentId"`
	// OrganizationID is read-only: the id of the organization that owns
	// the customer.
	OrganizationID string          `json:"organizationId"`
	Links          []Link          `json:"_links"`
	Embedded       *CustomerEmbeds `json:"_embedded,omitempty"`
}

// Link returns the href of the customer's link with the given rel ("self",
// "leadSource", "website", "defaultPaymentInstrument"), or "" when it has
// none.
func (c *Customer) Link(rel string) string { return findLink(c.Links, rel) }

// Input returns the customer's writable fields as a [CustomerInput], for a
// read-modify-write with [Client.PutCustomer]. The lead source is left out,
// so such a PUT leaves it untouched; tags are not part of a write and stay
// as they are. CustomFields, TaxNumbers and NotificationEmails are copies;
// the pointers are shared with c, so replace them (edit.Locale =
// client.String("fr-FR")) rather than writing through them.
func (c *Customer) Input() CustomerInput {
	var custom map[string]any
	if c.CustomFields != nil {
		custom = make(map[string]any, len(c.CustomFields))
		for k, v := range c.CustomFields {
			custom[k] = v
		}
	}
	var taxNumbers []TaxNumber
	for _, t := range c.TaxNumbers {
		t.IsValid = nil // read-only
		taxNumbers = append(taxNumbers, t)
	}
	return CustomerInput{
		WebsiteID: c.WebsiteID, DefaultPaymentInstrument: c.DefaultPaymentInstrument,
		CustomFields: custom, PrimaryAddress: c.PrimaryAddress, Locale: c.Locale,
		IsEddRequired: c.IsEddRequired, TaxNumbers: taxNumbers,
		NotificationEmails:          append([]string(nil), c.NotificationEmails...),
		PreferredPayoutInstrumentID: c.PreferredPayoutInstrumentID,
	}
}

// CustomerEmbeds is a customer's _embedded object, present whenever
// [Expand] was given. LeadSource is nil when the customer has none.
type CustomerEmbeds struct {
	LeadSource *LeadSource `json:"leadSource"`
}

// CustomerInput is the body of [Client.CreateCustomer] and
// [Client.PutCustomer] (schema CustomerInput). A field left nil (or zero)
// is sent as absent and takes its default; on PUT that replaces the stored
// value. paymentToken is not offered: the service keeps no payment vault and
// rejects one.
type CustomerInput struct {
	WebsiteID                *string            `json:"websiteId,omitempty"`
	DefaultPaymentInstrument *PaymentInstrument `json:"defaultPaymentInstrument,omitempty"`
	CustomFields             map[string]any     `json:"customFields,omitempty"`
	PrimaryAddress           *ContactObject     `json:"primaryAddress,omitempty"`
	Locale                   *string            `json:"locale,omitempty"`
	IsEddRequired            bool               `json:"isEddRequired,omitempty"`
	// LeadSource, when set, creates or replaces the customer's lead source
	// in the same write; nil leaves it untouched. It is never echoed.
	LeadSource *LeadSourceData `json:"leadSource,omitempty"`
	// TaxNumbers holds at most 10 entries, at most one of them the default.
	TaxNumbers []TaxNumber `json:"taxNumbers,omitempty"`
	// NotificationEmails holds at most 10 email addresses; a bad one is
	// reported at notificationEmails[i].
	NotificationEmails          []string `json:"notificationEmails,omitempty"`
	PreferredPayoutInstrumentID *string  `json:"preferredPayoutInstrumentId,omitempty"`
}

// TaxNumber is one of a customer's tax identifiers. Type is "eu-vat" or
// "other"; Value is 1 to 50 characters.
type TaxNumber struct {
	Type      string `json:"type"`
	Value     string `json:"value"`
	IsDefault bool   `json:"isDefault"`
	// IsValid is read-only and always nil: the service checks no tax number
	// with a registry. It is not sent when nil.
	IsValid *bool `json:"isValid,omitempty"`
}

// PaymentInstrument is a customer's default way to pay. Method is one of
// payment-card, ach, cash, check, paypal, bank-transfer, digital-wallet,
// other.
type PaymentInstrument struct {
	Method              string  `json:"method"`
	PaymentInstrumentID *string `json:"paymentInstrumentId"`
}

// ContactObject is a person's name, address, phone numbers and emails
// (schema ContactObject). Strings may be nil but not empty.
type ContactObject struct {
	FirstName    *string              `json:"firstName,omitempty"`
	LastName     *string              `json:"lastName,omitempty"`
	Organization *string              `json:"organization,omitempty"`
	JobTitle     *string              `json:"jobTitle,omitempty"`
	Address      *string              `json:"address,omitempty"`
	Address2     *string              `json:"address2,omitempty"`
	City         *string              `json:"city,omitempty"`
	Region       *string              `json:"region,omitempty"`
	Country      *string              `json:"country,omitempty"`
	PostalCode   *string              `json:"postalCode,omitempty"`
	Dob          *string              `json:"dob,omitempty"` // YYYY-MM-DD
	PhoneNumbers []ContactPhoneNumber `json:"phoneNumbers,omitempty"`
	Emails       []ContactEmail       `json:"emails,omitempty"`
	// Hash is read-only: the SHA-1 of the contact's values, set by the
	// server and ignored when sent.
	Hash string `json:"hash,omitempty"`
}

// ContactEmail is one entry of ContactObject.Emails. At most one entry may
// be primary; the primary one (else the first) is the customer's email.
type ContactEmail struct {
	Label   string `json:"label"`
	Value   string `json:"value"`
	Primary bool   `json:"primary"`
}

// ContactPhoneNumber is one entry of ContactObject.PhoneNumbers.
type ContactPhoneNumber struct {
	Label   string `json:"label"`
	Value   string `json:"value"`
	Primary bool   `json:"primary"`
}

// Money is an amount in a currency and its value in US dollars. Amounts
// are exact decimals (at most 4 places), kept as json.Number.
type Money struct {
	Currency  string      `json:"currency"`
	Amount    json.Number `json:"amount"`
	AmountUSD json.Number `json:"amountUsd"`
}

// Tag is a customer tag (schema Tag): its name is unique in the
// organization (compared case-sensitively), 1 to 100 letters, digits,
// spaces or "@~-._+". Type is always "customer". The tags listed in a
// [Customer] have no Links.
type Tag struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Type        string    `json:"type"`
	CreatedTime time.Time `json:"createdTime"`
	UpdatedTime time.Time `json:"updatedTime"`
	Links       []Link    `json:"_links,omitempty"`
}

// Link returns the href of the tag's link with the given rel ("self"), or
// "" when it has none.
func (t *Tag) Link(rel string) string { return findLink(t.Links, rel) }

// Custom-field types, the values of CustomField.Type.
const (
	FieldTypeString   = "string"   // at most 255 characters, or AdditionalSchema.MaxLength
	FieldTypeInteger  = "integer"  // a 32-bit signed integer
	FieldTypeNumber   = "number"   // any JSON number
	FieldTypeBoolean  = "boolean"  // true or false
	FieldTypeDate     = "date"     // "YYYY-MM-DD"
	FieldTypeDatetime = "datetime" // RFC 3339
	FieldTypeArray    = "array"    // up to 1000 strings of at most 255 characters
	FieldTypeMonetary = "monetary" // {"currency": "EUR", "amount": 25.30}
)

// CustomField is the definition of one custom field of the organization's
// customers (schema CustomField). Once an organization has a definition,
// every key a customer write sends in customFields must be defined and its
// value must match the definition's type.
type CustomField struct {
	// Name is 1 to 100 letters, digits, "_" or "-": the customFields key.
	Name string `json:"name"`
	// Type is one of the FieldType constants.
	Type             string            `json:"type"`
	Description      *string           `json:"description"`
	AdditionalSchema CustomFieldSchema `json:"additionalSchema"`
	CreatedTime      time.Time         `json:"createdTime"`
	UpdatedTime      time.Time         `json:"updatedTime"`
	Links            []Link            `json:"_links"`
}

// Link returns the href of the definition's link with the given rel
// ("self"), or "" when it has none.
func (f *CustomField) Link(rel string) string { return findLink(f.Links, rel) }

// CustomFieldSchema narrows the values a custom field admits.
type CustomFieldSchema struct {
	// AllowedValues, for string and array fields, lists every value
	// allowed; nil allows any.
	AllowedValues []string `json:"allowedValues,omitempty"`
	// MaxLength, for string fields, replaces the default limit of 255
	// characters (at most 4000).
	MaxLength *int `json:"maxLength,omitempty"`
}

// CustomFieldInput is the body of [Client.PutCustomField]: the whole
// definition but its name, which is the path's.
type CustomFieldInput struct {
	// Type is one of the FieldType constants.
	Type string `json:"type"`
	// Description is at most 255 characters; nil clears it.
	Description      *string           `json:"description,omitempty"`
	AdditionalSchema CustomFieldSchema `json:"additionalSchema"`
}

// Int returns a pointer to n, for CustomFieldSchema.MaxLength.
func Int(n int) *int { return &n }

// Link is a related resource, an absolute URL.
type Link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

// LeadSourceData is the writable part of a lead source: where a customer
// came from. Each value is a string or nil (unknown); "" is allowed except
// for Referrer.
type LeadSourceData struct {
	Medium       *string `json:"medium"`
	Source       *string `json:"source"`
	Campaign     *string `json:"campaign"`
	Term         *string `json:"term"`
	Content      *string `json:"content"`
	Affiliate    *string `json:"affiliate"`
	SubAffiliate *string `json:"subAffiliate"`
	SalesAgent   *string `json:"salesAgent"`
	ClickID      *string `json:"clickId"`
	Path         *string `json:"path"`
	Referrer     *string `json:"referrer"`
}

// LeadSource is a customer's lead source as the API answers it: the current
// values, Original (the values of the first write, never changed later),
// and read-only times and links ("self", "customer").
type LeadSource struct {
	LeadSourceData
	CreatedTime time.Time      `json:"createdTime"`
	UpdatedTime time.Time      `json:"updatedTime"`
	Original    LeadSourceData `json:"original"`
	Links       []Link         `json:"_links"`
}

// Link returns the href of the lead source's link with the given rel, or ""
// when it has none.
func (ls *LeadSource) Link(rel string) string { return findLink(ls.Links, rel) }

func findLink(links []Link, rel string) string {
	for _, l := range links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

// String returns a pointer to s, for the optional fields of inputs.
func String(s string) *string { return &s }

// ETag returns the entity tag of a revision as the API writes it ("3",
// quoted), for [IfMatch] and [IfNoneMatch].
func ETag(revision int64) string { return `"` + strconv.FormatInt(revision, 10) + `"` }
