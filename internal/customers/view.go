package customers

// View is a customer as clients see it (SPEC §3), rendered by the store in
// the statement that reads it, so that a read costs one statement and no
// decoding: JSON is the representation's object with every field but
// _links and _embedded, which depend on the request (its base URL, its
// expand) and are added by the adapter from the fields beside it.
type View struct {
	ID       string
	Revision int64
	// HasLeadSource, WebsiteID and PaymentInstrumentID are what the
	// representation's links are made of.
	HasLeadSource       bool
	WebsiteID           *string
	PaymentInstrumentID *string
	// JSON is a JSON object. On a View handed to a PageWriter it may alias
	// the driver's buffer: copy it to keep it past the call.
	JSON []byte
	// LeadSource is the customer's lead source when the read asked for it
	// (ViewOptions.LeadSource) and one exists; nil otherwise.
	LeadSource *LeadSourceView
}

// LeadSourceView is a lead source as clients see it (SPEC §6): JSON is its
// object without _links.
type LeadSourceView struct {
	CustomerID string
	// Revision is the customer's revision, which is also the lead source's
	// entity tag.
	Revision int64
	JSON     []byte
}

// ViewOptions says what a read renders beyond the customer itself.
type ViewOptions struct {
	// LeadSource renders the lead source too (expand=leadSource), in the
	// same statement.
	LeadSource bool
}

// PageWriter receives one page of customers while the store reads it, so
// that a page is never held whole in memory.
type PageWriter interface {
	// Begin is called once, before the first Customer, with the exact
	// number of customers that match the query.
	Begin(total int64) error
	// Customer is called for each customer of the page in order. v and its
	// JSON are valid only during the call. An error stops the read.
	Customer(v *View) error
}
