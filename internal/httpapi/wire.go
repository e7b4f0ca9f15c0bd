package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/billing/customers-api/internal/customers"
)

// customerIn is the body of POST and PUT /customers. Read-only fields are
// declared so that clients may send back what they read; they are ignored.
type customerIn struct {
	WebsiteID                *string                `json:"websiteId"`
	DefaultPaymentInstrument *paymentInstrumentWire `json:"defaultPaymentInstrument"`
	CustomFields             map[string]any         `json:"customFields"`
	PrimaryAddress           *contactWire           `json:"primaryAddress"`
	Locale                   *string                `json:"locale"`
	IsEddRequired            *bool                  `json:"isEddRequired"`
	PaymentToken             *string                `json:"paymentToken"`
	// LeadSource is write-only: it sets the lead source and is never echoed.
	LeadSource *leadSourceIn `json:"leadSource"`

	ID              json.RawMessage `json:"id"`
	Email           json.RawMessage `json:"email"`
	FirstName       json.RawMessage `json:"firstName"`
	LastName        json.RawMessage `json:"lastName"`
	CreatedTime     json.RawMessage `json:"createdTime"`
	UpdatedTime     json.RawMessage `json:"updatedTime"`
	Revision        json.RawMessage `json:"revision"`
	AverageValue    json.RawMessage `json:"averageValue"`
	LifetimeRevenue json.RawMessage `json:"lifetimeRevenue"`
	PaymentCount    json.RawMessage `json:"paymentCount"`
	InvoiceCount    json.RawMessage `json:"invoiceCount"`
	LastPaymentTime json.RawMessage `json:"lastPaymentTime"`
	Tags            json.RawMessage `json:"tags"`
	HasFulfilledKyc json.RawMessage `json:"hasFulfilledKyc"`
	Links           json.RawMessage `json:"_links"`
	Embedded        json.RawMessage `json:"_embedded"`
}

func (in *customerIn) toInput() customers.Input {
	out := customers.Input{
		WebsiteID: in.WebsiteID, CustomFields: in.CustomFields, Locale: in.Locale,
		IsEddRequired: in.IsEddRequired, PaymentToken: in.PaymentToken,
	}
	if pi := in.DefaultPaymentInstrument; pi != nil {
		out.DefaultPaymentInstrument = &customers.PaymentInstrument{Method: pi.Method, PaymentInstrumentID: pi.PaymentInstrumentID}
	}
	if a := in.PrimaryAddress; a != nil {
		out.PrimaryAddress = a.toContact()
	}
	if in.LeadSource != nil {
		data := in.LeadSource.toData()
		out.LeadSource = &data
	}
	return out
}

type paymentInstrumentWire struct {
	Method              string  `json:"method"`
	PaymentInstrumentID *string `json:"paymentInstrumentId"`
}

type contactWire struct {
	FirstName    *string            `json:"firstName"`
	LastName     *string            `json:"lastName"`
	Organization *string            `json:"organization"`
	JobTitle     *string            `json:"jobTitle"`
	Address      *string            `json:"address"`
	Address2     *string            `json:"address2"`
	City         *string            `json:"city"`
	Region       *string            `json:"region"`
	Country      *string            `json:"country"`
	PostalCode   *string            `json:"postalCode"`
	Dob          *string            `json:"dob"`
	PhoneNumbers []contactPointWire `json:"phoneNumbers"`
	Emails       []contactPointWire `json:"emails"`
	// Hash is read-only: ignored on input, derived on output.
	Hash string `json:"hash"`
}

type contactPointWire struct {
	Label   string `json:"label"`
	Value   string `json:"value"`
	Primary bool   `json:"primary"`
}

func (a *contactWire) toContact() *customers.Contact {
	points := func(ps []contactPointWire) []customers.ContactPoint {
		var out []customers.ContactPoint
		for _, p := range ps {
			out = append(out, customers.ContactPoint(p))
		}
		return out
	}
	return &customers.Contact{
		FirstName: a.FirstName, LastName: a.LastName, Organization: a.Organization, JobTitle: a.JobTitle,
		Address: a.Address, Address2: a.Address2, City: a.City, Region: a.Region, Country: a.Country,
		PostalCode: a.PostalCode, Dob: a.Dob, PhoneNumbers: points(a.PhoneNumbers), Emails: points(a.Emails),
	}
}

func fromContact(c *customers.Contact) *contactWire {
	if c == nil {
		return nil
	}
	points := func(ps []customers.ContactPoint) []contactPointWire {
		out := make([]contactPointWire, 0, len(ps))
		for _, p := range ps {
			out = append(out, contactPointWire(p))
		}
		return out
	}
	return &contactWire{
		FirstName: c.FirstName, LastName: c.LastName, Organization: c.Organization, JobTitle: c.JobTitle,
		Address: c.Address, Address2: c.Address2, City: c.City, Region: c.Region, Country: c.Country,
		PostalCode: c.PostalCode, Dob: c.Dob, PhoneNumbers: points(c.PhoneNumbers), Emails: points(c.Emails),
		Hash: c.Hash,
	}
}

// customerOut is the representation of a customer in every response.
type customerOut struct {
	ID                       string                 `json:"id"`
	Email                    *string                `json:"email"`
	FirstName                *string                `json:"firstName"`
	LastName                 *string                `json:"lastName"`
	WebsiteID                *string                `json:"websiteId"`
	DefaultPaymentInstrument *paymentInstrumentWire `json:"defaultPaymentInstrument"`
	CustomFields             map[string]any         `json:"customFields"`
	PrimaryAddress           *contactWire           `json:"primaryAddress"`
	Locale                   *string                `json:"locale"`
	IsEddRequired            bool                   `json:"isEddRequired"`
	CreatedTime              string                 `json:"createdTime"`
	UpdatedTime              string                 `json:"updatedTime"`
	Revision                 int64                  `json:"revision"`
	AverageValue             moneyWire              `json:"averageValue"`
	LifetimeRevenue          moneyWire              `json:"lifetimeRevenue"`
	PaymentCount             int64                  `json:"paymentCount"`
	InvoiceCount             int64                  `json:"invoiceCount"`
	LastPaymentTime          *string                `json:"lastPaymentTime"`
	Tags                     []tagWire              `json:"tags"`
	HasFulfilledKyc          bool                   `json:"hasFulfilledKyc"`
	Links                    []linkWire             `json:"_links"`
	Embedded                 *embedded              `json:"_embedded,omitempty"`
}

// embedded is present whenever expand is given; a relation without a value
// is null.
type embedded struct {
	LeadSource *leadSourceOut `json:"leadSource"`
}

type moneyWire struct {
	Currency  string     `json:"currency"`
	Amount    amountWire `json:"amount"`
	AmountUSD amountWire `json:"amountUsd"`
}

// amountWire renders an Amount as a JSON number with no trailing zeros.
type amountWire customers.Amount

func (a amountWire) MarshalJSON() ([]byte, error) {
	n := int64(a)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	s := sign + strconv.FormatInt(n/10000, 10)
	if frac := n % 10000; frac != 0 {
		s += strings.TrimRight("."+leftPad(strconv.FormatInt(frac, 10), 4), "0")
	}
	return []byte(s), nil
}

func leftPad(s string, n int) string { return strings.Repeat("0", max(0, n-len(s))) + s }

type tagWire struct {
	Name string `json:"name"`
}

type linkWire struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func toCustomerOut(c *customers.Customer, base string) *customerOut {
	out := &customerOut{
		ID: c.ID, Email: c.Email(), FirstName: c.FirstName(), LastName: c.LastName(),
		WebsiteID: c.WebsiteID, CustomFields: c.CustomFields, PrimaryAddress: fromContact(c.PrimaryAddress),
		Locale: c.Locale, IsEddRequired: c.IsEddRequired,
		CreatedTime: formatTime(c.CreatedTime), UpdatedTime: formatTime(c.UpdatedTime), Revision: c.Revision,
		AverageValue:    moneyWire{c.AverageValue.Currency, amountWire(c.AverageValue.Amount), amountWire(c.AverageValue.AmountUSD)},
		LifetimeRevenue: moneyWire{c.LifetimeRevenue.Currency, amountWire(c.LifetimeRevenue.Amount), amountWire(c.LifetimeRevenue.AmountUSD)},
		PaymentCount:    c.PaymentCount, InvoiceCount: c.InvoiceCount, Tags: make([]tagWire, 0, len(c.Tags)),
	}
	if out.CustomFields == nil {
		out.CustomFields = map[string]any{}
	}
	if pi := c.DefaultPaymentInstrument; pi != nil {
		out.DefaultPaymentInstrument = &paymentInstrumentWire{Method: pi.Method, PaymentInstrumentID: pi.PaymentInstrumentID}
	}
	if c.LastPaymentTime != nil {
		s := formatTime(*c.LastPaymentTime)
		out.LastPaymentTime = &s
	}
	for _, t := range c.Tags {
		out.Tags = append(out.Tags, tagWire{Name: t})
	}
	out.Links = customerLinks(c, base)
	return out
}

func customerLinks(c *customers.Customer, base string) []linkWire {
	self := customerURL(base, c.ID)
	links := []linkWire{{Rel: "self", Href: self}}
	if c.HasLeadSource {
		links = append(links, linkWire{Rel: "leadSource", Href: self + "/lead-source"})
	}
	if c.WebsiteID != nil {
		links = append(links, linkWire{Rel: "website", Href: base + "/websites/" + url.PathEscape(*c.WebsiteID)})
	}
	if pi := c.DefaultPaymentInstrument; pi != nil && pi.PaymentInstrumentID != nil {
		links = append(links, linkWire{Rel: "defaultPaymentInstrument", Href: base + "/payment-instruments/" + url.PathEscape(*pi.PaymentInstrumentID)})
	}
	return links
}

func customerURL(base, id string) string { return base + "/customers/" + url.PathEscape(id) }

// origin is the absolute URL this API is reached at: the configured public
// URL, or the request's own scheme and host.
func (s *Server) origin(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// orgPrefix is "/organizations/{id}" when the request used that layout.
func orgPrefix(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/organizations/") {
		return "/organizations/" + url.PathEscape(principal(r.Context()).OrganizationID)
	}
	return ""
}

// baseURL is the absolute URL that resource paths of this request hang
// from, in the route layout the request used.
func (s *Server) baseURL(r *http.Request) string { return s.origin(r) + orgPrefix(r) }
