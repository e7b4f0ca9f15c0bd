package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/billing/customers-api/internal/customers"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

var _ customers.Store = (*Store)(nil)

// customerRow is the row shape of the customers table.
type customerRow struct {
	OrganizationID           string         `db:"organization_id"`
	ID                       string         `db:"id"`
	WebsiteID                *string        `db:"website_id"`
	PaymentInstrumentMethod  *string        `db:"payment_instrument_method"`
	PaymentInstrumentID      *string        `db:"payment_instrument_id"`
	CustomFields             []byte         `db:"custom_fields"`
	PrimaryAddress           []byte         `db:"primary_address"`
	Email                    *string        `db:"email"`
	FirstName                *string        `db:"first_name"`
	LastName                 *string        `db:"last_name"`
	Locale                   *string        `db:"locale"`
	IsEddRequired            bool           `db:"is_edd_required"`
	CreatedTime              time.Time      `db:"created_time"`
	UpdatedTime              time.Time      `db:"updated_time"`
	Revision                 int64          `db:"revision"`
	AverageValueCurrency     string         `db:"average_value_currency"`
	AverageValueAmount       string         `db:"average_value_amount"`
	AverageValueAmountUSD    string         `db:"average_value_amount_usd"`
	LifetimeRevenueCurrency  string         `db:"lifetime_revenue_currency"`
	LifetimeRevenueAmount    string         `db:"lifetime_revenue_amount"`
	LifetimeRevenueAmountUSD string         `db:"lifetime_revenue_amount_usd"`
	PaymentCount             int64          `db:"payment_count"`
	InvoiceCount             int64          `db:"invoice_count"`
	LastPaymentTime          *time.Time     `db:"last_payment_time"`
	Tags                     pq.StringArray `db:"tags"`
	HasLeadSource            bool           `db:"has_lead_source"`
}

// contactDoc is the JSON stored in customers.primary_address. Its keys are
// the API's, so that filters on primaryAddress.* read naturally in SQL.
type contactDoc struct {
	FirstName    *string           `json:"firstName"`
	LastName     *string           `json:"lastName"`
	Organization *string           `json:"organization"`
	JobTitle     *string           `json:"jobTitle"`
	Address      *string           `json:"address"`
	Address2     *string           `json:"address2"`
	City         *string           `json:"city"`
	Region       *string           `json:"region"`
	Country      *string           `json:"country"`
	PostalCode   *string           `json:"postalCode"`
	Dob          *string           `json:"dob"`
	PhoneNumbers []contactPointDoc `json:"phoneNumbers"`
	Emails       []contactPointDoc `json:"emails"`
	Hash         string            `json:"hash"`
}

type contactPointDoc struct {
	Label   string `json:"label"`
	Value   string `json:"value"`
	Primary bool   `json:"primary"`
}

func toContactDoc(c *customers.Contact) *contactDoc {
	points := func(ps []customers.ContactPoint) []contactPointDoc {
		out := make([]contactPointDoc, 0, len(ps))
		for _, p := range ps {
			out = append(out, contactPointDoc(p))
		}
		return out
	}
	return &contactDoc{
		FirstName: c.FirstName, LastName: c.LastName, Organization: c.Organization, JobTitle: c.JobTitle,
		Address: c.Address, Address2: c.Address2, City: c.City, Region: c.Region, Country: c.Country,
		PostalCode: c.PostalCode, Dob: c.Dob, PhoneNumbers: points(c.PhoneNumbers), Emails: points(c.Emails),
		Hash: c.Hash,
	}
}

func fromContactDoc(d *contactDoc) *customers.Contact {
	points := func(ps []contactPointDoc) []customers.ContactPoint {
		if len(ps) == 0 {
			return nil
		}
		out := make([]customers.ContactPoint, 0, len(ps))
		for _, p := range ps {
			out = append(out, customers.ContactPoint(p))
		}
		return out
	}
	return &customers.Contact{
		FirstName: d.FirstName, LastName: d.LastName, Organization: d.Organization, JobTitle: d.JobTitle,
		Address: d.Address, Address2: d.Address2, City: d.City, Region: d.Region, Country: d.Country,
		PostalCode: d.PostalCode, Dob: d.Dob, PhoneNumbers: points(d.PhoneNumbers), Emails: points(d.Emails),
		Hash: d.Hash,
	}
}

func toCustomerRow(c *customers.Customer) (*customerRow, error) {
	cf, err := json.Marshal(c.CustomFields)
	if err != nil {
		return nil, fmt.Errorf("encode custom fields: %w", err)
	}
	r := &customerRow{
		OrganizationID: c.OrganizationID, ID: c.ID, WebsiteID: c.WebsiteID, CustomFields: cf,
		Email: c.Email(), FirstName: c.FirstName(), LastName: c.LastName(), Locale: c.Locale,
		IsEddRequired: c.IsEddRequired, CreatedTime: c.CreatedTime, UpdatedTime: c.UpdatedTime,
		Revision:                 c.Revision,
		AverageValueCurrency:     c.AverageValue.Currency,
		AverageValueAmount:       formatAmount(c.AverageValue.Amount),
		AverageValueAmountUSD:    formatAmount(c.AverageValue.AmountUSD),
		LifetimeRevenueCurrency:  c.LifetimeRevenue.Currency,
		LifetimeRevenueAmount:    formatAmount(c.LifetimeRevenue.Amount),
		LifetimeRevenueAmountUSD: formatAmount(c.LifetimeRevenue.AmountUSD),
		PaymentCount:             c.PaymentCount, InvoiceCount: c.InvoiceCount,
		LastPaymentTime: c.LastPaymentTime, Tags: pq.StringArray(c.Tags),
	}
	if r.Tags == nil {
		r.Tags = pq.StringArray{}
	}
	if pi := c.DefaultPaymentInstrument; pi != nil {
		r.PaymentInstrumentMethod, r.PaymentInstrumentID = &pi.Method, pi.PaymentInstrumentID
	}
	if c.PrimaryAddress != nil {
		if r.PrimaryAddress, err = json.Marshal(toContactDoc(c.PrimaryAddress)); err != nil {
			return nil, fmt.Errorf("encode primary address: %w", err)
		}
	}
	return r, nil
}

func (r *customerRow) toCustomer() (*customers.Customer, error) {
	c := &customers.Customer{
		OrganizationID: r.OrganizationID, ID: r.ID, WebsiteID: r.WebsiteID, Locale: r.Locale,
		IsEddRequired: r.IsEddRequired, CreatedTime: r.CreatedTime.UTC(), UpdatedTime: r.UpdatedTime.UTC(),
		Revision: r.Revision, PaymentCount: r.PaymentCount, InvoiceCount: r.InvoiceCount,
		Tags: []string(r.Tags), HasLeadSource: r.HasLeadSource,
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	if r.LastPaymentTime != nil {
		t := r.LastPaymentTime.UTC()
		c.LastPaymentTime = &t
	}
	if r.PaymentInstrumentMethod != nil {
		c.DefaultPaymentInstrument = &customers.PaymentInstrument{Method: *r.PaymentInstrumentMethod, PaymentInstrumentID: r.PaymentInstrumentID}
	}
	var err error
	if c.AverageValue, err = parseMoney(r.AverageValueCurrency, r.AverageValueAmount, r.AverageValueAmountUSD); err != nil {
		return nil, err
	}
	if c.LifetimeRevenue, err = parseMoney(r.LifetimeRevenueCurrency, r.LifetimeRevenueAmount, r.LifetimeRevenueAmountUSD); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(r.CustomFields))
	dec.UseNumber() // keep numbers exact, as the client sent them
	if err := dec.Decode(&c.CustomFields); err != nil {
		return nil, fmt.Errorf("decode custom fields of %q: %w", r.ID, err)
	}
	if c.CustomFields == nil {
		c.CustomFields = map[string]any{}
	}
	if r.PrimaryAddress != nil {
		var d contactDoc
		if err := json.Unmarshal(r.PrimaryAddress, &d); err != nil {
			return nil, fmt.Errorf("decode primary address of %q: %w", r.ID, err)
		}
		c.PrimaryAddress = fromContactDoc(&d)
	}
	return c, nil
}

// customerColumns is the select list every customer read uses, over the
// customers table aliased c.
// customerStoredColumns are the stored columns of customers c; has_lead_source
// comes on top, in whichever way suits the query.
const customerStoredColumns = `
c.organization_id, c.id, c.website_id, c.payment_instrument_method, c.payment_instrument_id,
c.custom_fields, c.primary_address, c.email, c.first_name, c.last_name, c.locale,
c.is_edd_required, c.created_time, c.updated_time, c.revision,
c.average_value_currency, c.average_value_amount, c.average_value_amount_usd,
c.lifetime_revenue_currency, c.lifetime_revenue_amount, c.lifetime_revenue_amount_usd,
c.payment_count, c.invoice_count, c.last_payment_time, c.tags`

// customerColumns reads one customer row with has_lead_source.
const customerColumns = customerStoredColumns + `,
EXISTS (SELECT 1 FROM lead_sources l
        WHERE l.organization_id = c.organization_id AND l.customer_id = c.id) AS has_lead_source`

const sqlGetCustomer = `SELECT ` + customerColumns + `
FROM customers c WHERE c.organization_id = $1 AND c.id = $2`

// GetCustomer returns the customer, or nil when it does not exist.
func (s *Store) GetCustomer(ctx context.Context, orgID, id string) (*customers.Customer, error) {
	return getCustomer(ctx, s.db, sqlGetCustomer, orgID, id)
}

func getCustomer(ctx context.Context, q sqlx.QueryerContext, query, orgID, id string) (*customers.Customer, error) {
	var r customerRow
	err := sqlx.GetContext(ctx, q, &r, query, orgID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("select customer: %w", err)
	}
	return r.toCustomer()
}

const sqlMergedInto = `
SELECT target_id FROM customer_merges WHERE organization_id = $1 AND source_id = $2`

// MergedInto returns the id id was merged into, or "".
func (s *Store) MergedInto(ctx context.Context, orgID, id string) (string, error) {
	return mergedInto(ctx, s.db, orgID, id)
}

func mergedInto(ctx context.Context, q sqlx.QueryerContext, orgID, id string) (string, error) {
	var target string
	err := sqlx.GetContext(ctx, q, &target, sqlMergedInto, orgID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("select merge: %w", err)
	}
	return target, nil
}

// InTx runs fn in one transaction of organization orgID.
func (s *Store) InTx(ctx context.Context, orgID string, fn func(customers.Tx) error) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return fn(&customerTx{tx: tx, orgID: orgID}) })
}

// customerTx implements customers.Tx.
type customerTx struct {
	tx    *sqlx.Tx
	orgID string
}

const sqlLockCustomer = sqlGetCustomer + ` FOR UPDATE OF c`

func (t *customerTx) LockCustomer(ctx context.Context, id string) (*customers.Customer, error) {
	return getCustomer(ctx, t.tx, sqlLockCustomer, t.orgID, id)
}

func (t *customerTx) MergedInto(ctx context.Context, id string) (string, error) {
	return mergedInto(ctx, t.tx, t.orgID, id)
}

// customerWriteColumns are the columns a new customer is written with, by
// INSERT and by the seeder's COPY alike; the query columns of migration 00003
// are generated by the database.
const customerWriteColumns = `
	organization_id, id, website_id, payment_instrument_method, payment_instrument_id,
	custom_fields, primary_address, email, first_name, last_name, locale,
	is_edd_required, created_time, updated_time, revision,
	average_value_currency, average_value_amount, average_value_amount_usd,
	lifetime_revenue_currency, lifetime_revenue_amount, lifetime_revenue_amount_usd,
	payment_count, invoice_count, last_payment_time, tags
`

// ON CONFLICT DO NOTHING makes a concurrent insert of the same id wait for
// the other transaction and then insert nothing, instead of failing.
const sqlInsertCustomer = `
INSERT INTO customers (` + customerWriteColumns + `) VALUES (
	:organization_id, :id, :website_id, :payment_instrument_method, :payment_instrument_id,
	:custom_fields, :primary_address, :email, :first_name, :last_name, :locale,
	:is_edd_required, :created_time, :updated_time, :revision,
	:average_value_currency, :average_value_amount, :average_value_amount_usd,
	:lifetime_revenue_currency, :lifetime_revenue_amount, :lifetime_revenue_amount_usd,
	:payment_count, :invoice_count, :last_payment_time, :tags
) ON CONFLICT (organization_id, id) DO NOTHING`

func (t *customerTx) InsertCustomer(ctx context.Context, c *customers.Customer) (bool, error) {
	if c.OrganizationID != t.orgID {
		return false, fmt.Errorf("insert customer of organization %s in a transaction of %s", c.OrganizationID, t.orgID)
	}
	r, err := toCustomerRow(c)
	if err != nil {
		return false, err
	}
	res, err := t.tx.NamedExecContext(ctx, sqlInsertCustomer, r)
	if err != nil {
		return false, fmt.Errorf("insert customer: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert customer: %w", err)
	}
	return n == 1, nil
}

const sqlUpdateCustomer = `
UPDATE customers SET
	website_id = :website_id, payment_instrument_method = :payment_instrument_method,
	payment_instrument_id = :payment_instrument_id, custom_fields = :custom_fields,
	primary_address = :primary_address, email = :email, first_name = :first_name,
	last_name = :last_name, locale = :locale, is_edd_required = :is_edd_required,
	updated_time = :updated_time, revision = :revision,
	average_value_currency = :average_value_currency, average_value_amount = :average_value_amount,
	average_value_amount_usd = :average_value_amount_usd,
	lifetime_revenue_currency = :lifetime_revenue_currency, lifetime_revenue_amount = :lifetime_revenue_amount,
	lifetime_revenue_amount_usd = :lifetime_revenue_amount_usd,
	payment_count = :payment_count, invoice_count = :invoice_count,
	last_payment_time = :last_payment_time, tags = :tags
WHERE organization_id = :organization_id AND id = :id`

func (t *customerTx) UpdateCustomer(ctx context.Context, c *customers.Customer) error {
	if c.OrganizationID != t.orgID {
		return fmt.Errorf("update customer of organization %s in a transaction of %s", c.OrganizationID, t.orgID)
	}
	r, err := toCustomerRow(c)
	if err != nil {
		return err
	}
	res, err := t.tx.NamedExecContext(ctx, sqlUpdateCustomer, r)
	if err != nil {
		return fmt.Errorf("update customer: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("update customer %q: %d rows, %v", c.ID, n, err)
	}
	return nil
}

const sqlDeleteCustomer = `DELETE FROM customers WHERE organization_id = $1 AND id = $2`

func (t *customerTx) DeleteCustomer(ctx context.Context, id string) error {
	res, err := t.tx.ExecContext(ctx, sqlDeleteCustomer, t.orgID, id)
	if err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete customer %q: %w", id, err)
	} else if n != 1 {
		return fmt.Errorf("delete customer %q: %d rows deleted, want 1", id, n)
	}
	return nil
}

// The snapshot is the duplicate's stored row and lead source as the
// database holds them at the moment of the merge.
const sqlRecordMerge = `
INSERT INTO customer_merges (organization_id, source_id, target_id, merged_time, source_snapshot)
SELECT c.organization_id, c.id, $3, $4,
       to_jsonb(c) || jsonb_build_object('lead_source', to_jsonb(l))
FROM customers c
LEFT JOIN lead_sources l ON l.organization_id = c.organization_id AND l.customer_id = c.id
WHERE c.organization_id = $1 AND c.id = $2`

// Ids merged into the duplicate earlier now lead to the survivor.
const sqlRepointMerges = `
UPDATE customer_merges SET target_id = $3 WHERE organization_id = $1 AND target_id = $2`

func (t *customerTx) RecordMerge(ctx context.Context, source, target string, at time.Time) error {
	res, err := t.tx.ExecContext(ctx, sqlRecordMerge, t.orgID, source, target, at)
	if err != nil {
		return fmt.Errorf("record merge: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("record merge of %q: %d rows, %v", source, n, err)
	}
	if _, err := t.tx.ExecContext(ctx, sqlRepointMerges, t.orgID, source, target); err != nil {
		return fmt.Errorf("repoint merges: %w", err)
	}
	return nil
}
