package httpapi

import (
	"encoding/json"

	"github.com/billing/customers-api/internal/customers"
)

// customerIn is the body of POST and PUT /customers: the domain's Input,
// whose types are the wire's, plus the read-only fields clients may send
// back from what they read, accepted and ignored.
type customerIn struct {
	customers.Input
	// LeadSource shadows Input's: a client may send the lead source back
	// with its read-only fields.
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
	OrganizationID  json.RawMessage `json:"organizationId"`
	Links           json.RawMessage `json:"_links"`
	Embedded        json.RawMessage `json:"_embedded"`
}

func (in *customerIn) toInput() customers.Input {
	out := in.Input
	out.LeadSource = nil
	if in.LeadSource != nil {
		data := in.LeadSource.LeadSourceData
		out.LeadSource = &data
	}
	return out
}
