package customers_test

// The tests of this package's external test files check the Service's
// rules (revisions, preconditions, upserts, merges, lead sources, totals)
// against a real store: the PostgreSQL one, on a database of each test's
// own. This file has what they share: the fixture, and the decoding of a
// View's JSON into something a test can assert on.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func ptr[T any](v T) *T { return &v }

// steppingClock starts at a fixed instant and moves one second per reading,
// so every write that takes the time gets a distinct, later one.
type steppingClock struct{ n atomic.Int64 }

func (c *steppingClock) now() time.Time {
	return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(c.n.Add(1)) * time.Second)
}

// fixture is a Service over a real store on a fresh database with one
// organization, org. db is there for what the service cannot do itself
// (payments, which this service does not take yet).
type fixture struct {
	db    *sqlx.DB
	store *postgres.Store
	svc   *customers.Service
	org   string
}

func newFixture(t *testing.T, opts ...customers.Option) *fixture {
	t.Helper()
	db := pgtest.NewDB(t)
	store := postgres.New(db)
	org, err := access.NewService(store).CreateOrganization(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, store: store, svc: customers.NewService(store, opts...), org: org.ID}
}

// newOrg creates another organization in the fixture's database.
func (f *fixture) newOrg(t *testing.T) string {
	t.Helper()
	org, err := access.NewService(f.store).CreateOrganization(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	return org.ID
}

// put creates or replaces customer id unconditionally and returns it.
func (f *fixture) put(t *testing.T, id string, in customers.Input) customer {
	t.Helper()
	v, _, err := f.svc.Put(context.Background(), f.org, id, in, customers.Precondition{}, customers.ViewOptions{})
	if err != nil {
		t.Fatalf("put %s: %v", id, err)
	}
	return decodeCustomer(t, v)
}

// get returns customer id, failing the test when it cannot be read.
func (f *fixture) get(t *testing.T, id string) customer {
	t.Helper()
	v, err := f.svc.Get(context.Background(), f.org, id, customers.ViewOptions{})
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return decodeCustomer(t, v)
}

// leadSource returns the lead source of customer id, failing the test when
// it cannot be read.
func (f *fixture) leadSource(t *testing.T, id string) leadSource {
	t.Helper()
	v, err := f.svc.GetLeadSource(context.Background(), f.org, id)
	if err != nil {
		t.Fatalf("get lead source of %s: %v", id, err)
	}
	return decodeLeadSource(t, v)
}

// customer is a customer as clients see it: a View's JSON decoded, plus
// HasLeadSource from beside it. Numbers in customFields are json.Number,
// and so are money amounts, so that "10.5" and "10.50" differ.
type customer struct {
	ID                       string                       `json:"id"`
	Email                    *string                      `json:"email"`
	FirstName                *string                      `json:"firstName"`
	LastName                 *string                      `json:"lastName"`
	WebsiteID                *string                      `json:"websiteId"`
	DefaultPaymentInstrument *customers.PaymentInstrument `json:"defaultPaymentInstrument"`
	CustomFields             map[string]any               `json:"customFields"`
	PrimaryAddress           *customers.Contact           `json:"primaryAddress"`
	Locale                   *string                      `json:"locale"`
	IsEddRequired            bool                         `json:"isEddRequired"`
	CreatedTime              time.Time                    `json:"createdTime"`
	UpdatedTime              time.Time                    `json:"updatedTime"`
	Revision                 int64                        `json:"revision"`
	AverageValue             money                        `json:"averageValue"`
	LifetimeRevenue          money                        `json:"lifetimeRevenue"`
	PaymentCount             int64                        `json:"paymentCount"`
	InvoiceCount             int64                        `json:"invoiceCount"`
	LastPaymentTime          *time.Time                   `json:"lastPaymentTime"`
	Tags                     []struct {
		Name string `json:"name"`
	} `json:"tags"`

	HasLeadSource bool `json:"-"`
}

type money struct {
	Currency  string      `json:"currency"`
	Amount    json.Number `json:"amount"`
	AmountUSD json.Number `json:"amountUsd"`
}

// tagNames lists the customer's tags by name, in order.
func (c customer) tagNames() []string {
	names := []string{}
	for _, t := range c.Tags {
		names = append(names, t.Name)
	}
	return names
}

// leadSource is a lead source as clients see it: a LeadSourceView's JSON
// decoded, plus its entity tag (the customer's revision) from beside it.
type leadSource struct {
	customers.LeadSourceData
	Original    customers.LeadSourceData `json:"original"`
	CreatedTime time.Time                `json:"createdTime"`
	UpdatedTime time.Time                `json:"updatedTime"`

	Revision int64 `json:"-"`
}

// decodeCustomer decodes v's JSON, checking that it is the customer v says.
func decodeCustomer(t *testing.T, v *customers.View) customer {
	t.Helper()
	if v == nil {
		t.Fatal("no view")
	}
	var c customer
	decodeJSON(t, v.JSON, &c)
	if c.ID != v.ID || c.Revision != v.Revision {
		t.Errorf("view of %s at revision %d holds the JSON of %s at revision %d", v.ID, v.Revision, c.ID, c.Revision)
	}
	c.HasLeadSource = v.HasLeadSource
	return c
}

// decodeLeadSource decodes v's JSON.
func decodeLeadSource(t *testing.T, v *customers.LeadSourceView) leadSource {
	t.Helper()
	if v == nil {
		t.Fatal("no lead source view")
	}
	var ls leadSource
	decodeJSON(t, v.JSON, &ls)
	ls.Revision = v.Revision
	return ls
}

func decodeJSON(t *testing.T, doc []byte, into any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("decode %s: %v", doc, err)
	}
}

// page collects what List writes to its PageWriter.
type page struct {
	total     int64
	began     int // how often Begin was called
	customers []customer
	t         *testing.T
}

func (p *page) Begin(total int64) error {
	p.total = total
	p.began++
	return nil
}

func (p *page) Customer(v *customers.View) error {
	p.customers = append(p.customers, decodeCustomer(p.t, v))
	return nil
}

// list runs List in organization org and returns what it wrote, checking
// that it began the page exactly once.
func (f *fixture) list(t *testing.T, org string, q customers.ListQuery) *page {
	t.Helper()
	p := &page{t: t}
	if err := f.svc.List(context.Background(), org, q, customers.ViewOptions{}, p); err != nil {
		t.Fatalf("list %+v: %v", q, err)
	}
	if p.began != 1 {
		t.Fatalf("list %+v: Begin called %d times, want once", q, p.began)
	}
	return p
}
