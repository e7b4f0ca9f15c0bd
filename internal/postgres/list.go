package postgres

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/pkg/filter"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// customerSchema is the whitelist of what collection queries may filter
// and sort on: API field name → SQL expression over customers c and
// lead_sources l. Nothing else from a request ever reaches SQL text.
var customerSchema = mustSchema(filter.Schema{
	Fields:      customerFields(),
	Dynamic:     []filter.Dynamic{{Prefix: "customFields.", JSONColumn: "c.custom_fields", NamePattern: regexp.MustCompile(`^[A-Za-z0-9_\-]{1,100}$`), Sortable: true}},
	TieBreak:    "c.id",
	DefaultSort: []string{"-createdTime"},
})

func customerFields() []filter.Field {
	f := []filter.Field{
		{Name: "id", Expr: "c.id", Type: filter.String, CaseSensitive: true, Sortable: true, NotNull: true},
		{Name: "email", Expr: "c.email", Type: filter.String, Sortable: true},
		{Name: "firstName", Expr: "c.first_name", Type: filter.String, Sortable: true},
		{Name: "lastName", Expr: "c.last_name", Type: filter.String, Sortable: true},
		{Name: "websiteId", Expr: "c.website_id", Type: filter.String, CaseSensitive: true, Sortable: true},
		{Name: "createdTime", Expr: "c.created_time", Type: filter.DateTime, Sortable: true, NotNull: true},
		{Name: "updatedTime", Expr: "c.updated_time", Type: filter.DateTime, Sortable: true, NotNull: true},
		{Name: "revision", Expr: "c.revision", Type: filter.Integer, Sortable: true, NotNull: true},
		{Name: "locale", Expr: "c.locale", Type: filter.String, Sortable: true},
		{Name: "isEddRequired", Expr: "c.is_edd_required", Type: filter.Boolean, Sortable: true, NotNull: true},
		{Name: "invoiceCount", Expr: "c.invoice_count", Type: filter.Integer, Sortable: true, NotNull: true},
		{Name: "paymentCount", Expr: "c.payment_count", Type: filter.Integer, Sortable: true, NotNull: true},
		{Name: "lastPaymentTime", Expr: "c.last_payment_time", Type: filter.DateTime, Sortable: true},
		{Name: "averageValue.amount", Expr: "c.average_value_amount", Type: filter.Decimal, Sortable: true, NotNull: true},
		{Name: "lifetimeRevenue.amount", Expr: "c.lifetime_revenue_amount", Type: filter.Decimal, Sortable: true, NotNull: true},
		{Name: "defaultPaymentInstrument.method", Expr: "c.payment_instrument_method", Type: filter.Enum, Enum: customers.PaymentMethods, Sortable: true},
		{Name: "primaryAddress.emails", Expr: "c.email_values", Type: filter.String, Multi: true},
		{Name: "primaryAddress.phoneNumbers", Expr: "c.phone_values", Type: filter.String, Multi: true},
		{Name: "tags", Expr: "c.tag_values", Type: filter.String, Multi: true},
	}
	for _, k := range []string{"firstName", "lastName", "organization", "jobTitle", "address", "address2", "city", "region", "country", "postalCode", "dob", "hash"} {
		f = append(f, filter.Field{Name: "primaryAddress." + k, Expr: "(c.primary_address->>'" + k + "')", Type: filter.String, Sortable: true})
	}
	for _, k := range [][2]string{{"medium", "medium"}, {"source", "source"}, {"campaign", "campaign"}, {"term", "term"}, {"content", "content"}, {"affiliate", "affiliate"}, {"subAffiliate", "sub_affiliate"}, {"salesAgent", "sales_agent"}, {"clickId", "click_id"}, {"path", "path"}, {"referrer", "referrer"}} {
		f = append(f, filter.Field{Name: "leadSource." + k[0], Expr: "l." + k[1], Type: filter.String, Sortable: true})
	}
	return append(f,
		filter.Field{Name: "leadSource.createdTime", Expr: "l.created_time", Type: filter.DateTime, Sortable: true},
		filter.Field{Name: "leadSource.updatedTime", Expr: "l.updated_time", Type: filter.DateTime, Sortable: true},
	)
}

func mustSchema(s filter.Schema) *filter.Schema {
	schema, err := filter.NewSchema(s)
	if err != nil {
		panic("postgres: customer filter schema: " + err.Error())
	}
	return schema
}

// The lead source is joined for leadSource.* filters and sorts and for the
// page's has_lead_source; PostgreSQL removes the join from counts that do
// not use it (it is unique per customer).
const listFrom = `
FROM customers c
LEFT JOIN lead_sources l ON l.organization_id = c.organization_id AND l.customer_id = c.id
WHERE c.organization_id = $1`

// listSQL is a collection query compiled to SQL: the page and, when the
// query filters, the count of every match (Count "": use the counters).
type listSQL struct {
	Page, Count         string
	PageArgs, CountArgs []any
}

// compileList turns q into SQL over the whitelisted schema. Only schema
// expressions and $n placeholders reach the text; every value is an argument.
func compileList(orgID string, q customers.ListQuery) (*listSQL, error) {
	args := []any{orgID}
	var where strings.Builder
	if q.Q != "" {
		args = append(args, filter.ContainsPattern(q.Q))
		fmt.Fprintf(&where, " AND c.search_text LIKE lower($%d::text)", len(args))
	}
	compiled, err := customerSchema.Compile(filter.Request{Filter: q.Filter, Sort: q.Sort}, len(args)+1)
	if err != nil {
		return nil, err
	}
	if compiled.Where != "" {
		where.WriteString(" AND " + compiled.Where)
	}
	args = append(args, compiled.WhereArgs...)
	out := &listSQL{}
	if where.Len() > 0 {
		out.Count, out.CountArgs = "SELECT count(*)"+listFrom+where.String(), args
	}
	n := len(args) + len(compiled.OrderArgs)
	// has_lead_source from the join the filters already have: an EXISTS per
	// row becomes a hashed subplan over every lead source on mid-size tables.
	out.Page = "SELECT " + customerStoredColumns + ", l.customer_id IS NOT NULL AS has_lead_source" + listFrom + where.String() +
		" ORDER BY " + compiled.OrderBy +
		" LIMIT $" + strconv.Itoa(n+1) + " OFFSET $" + strconv.Itoa(n+2)
	out.PageArgs = append(append(slices.Clip(args), compiled.OrderArgs...), q.Limit, q.Offset)
	return out, nil
}

// ListCustomers returns the page q asks for and the exact number of
// customers that match. The unfiltered total comes from the counters; a
// filtered one from a count over the same indexes as the page. A malformed
// query is a *filter.Error.
func (s *Store) ListCustomers(ctx context.Context, orgID string, q customers.ListQuery) (*customers.Page, error) {
	sql, err := compileList(orgID, q)
	if err != nil {
		return nil, err
	}
	page := &customers.Page{Customers: []*customers.Customer{}}
	if q.Limit > 0 {
		var rows []customerRow
		if err := sqlx.SelectContext(ctx, s.db, &rows, sql.Page, sql.PageArgs...); err != nil {
			return nil, fmt.Errorf("list customers: %w", err)
		}
		for i := range rows {
			c, err := rows[i].toCustomer()
			if err != nil {
				return nil, err
			}
			page.Customers = append(page.Customers, c)
		}
	}
	if sql.Count == "" {
		page.Total, err = countCustomers(ctx, s.db, orgID)
	} else {
		err = sqlx.GetContext(ctx, s.db, &page.Total, sql.Count, sql.CountArgs...)
	}
	if err != nil {
		return nil, fmt.Errorf("count customers: %w", err)
	}
	return page, nil
}

const sqlLeadSources = `SELECT ` + leadSourceColumns + `, c.revision
FROM lead_sources l
JOIN customers c ON c.organization_id = l.organization_id AND c.id = l.customer_id
WHERE l.organization_id = $1 AND l.customer_id = ANY($2)`

// LeadSources returns, in one query, the lead sources of the customers ids.
func (s *Store) LeadSources(ctx context.Context, orgID string, ids []string) (map[string]*customers.LeadSource, error) {
	out := make(map[string]*customers.LeadSource, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		leadSourceRow
		Revision int64 `db:"revision"`
	}
	if err := sqlx.SelectContext(ctx, s.db, &rows, sqlLeadSources, orgID, pq.StringArray(ids)); err != nil {
		return nil, fmt.Errorf("select lead sources: %w", err)
	}
	for i := range rows {
		ls, err := rows[i].toLeadSource()
		if err != nil {
			return nil, err
		}
		ls.Revision = rows[i].Revision
		out[ls.CustomerID] = ls
	}
	return out, nil
}
