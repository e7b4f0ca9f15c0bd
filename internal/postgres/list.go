package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/pkg/filter"
)

// customerSchema is the whitelist of what collection queries may filter
// and sort on: API field name → SQL expression over customers c and
// lead_sources l. Nothing else from a request ever reaches SQL text.
var customerSchema = mustSchema(filter.Schema{
	Fields:      customerFields(),
	Dynamic:     []filter.Dynamic{{Prefix: "customFields.", JSONColumn: "c.custom_fields", NamePattern: customers.CustomFieldName, Sortable: true}},
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
		// Expressions of the GIN index of migration 00011, written as there.
		{Name: "taxNumbers.value", Expr: "customer_tax_values(c.tax_numbers)", Type: filter.String, Multi: true},
		{Name: "notificationEmails", Expr: "lower_all(c.notification_emails)", Type: filter.String, Multi: true},
		{Name: "preferredPayoutInstrumentId", Expr: "c.preferred_payout_instrument_id", Type: filter.String, CaseSensitive: true, Sortable: true},
		// The country is a lower-cased column of its own (migration 00005),
		// so that a count by country reads only its index.
		{Name: "primaryAddress.country", Expr: "c.address_country", Type: filter.String, Lowered: true, Sortable: true},
		{Name: "leadSource.createdTime", Expr: "l.created_time", Type: filter.DateTime, Sortable: true},
		{Name: "leadSource.updatedTime", Expr: "l.updated_time", Type: filter.DateTime, Sortable: true},
	}
	// The other scalars of the primary address and every lead-source value
	// are read from their stored JSON, under the names of their one type.
	// The country is the column above; the first and last names are
	// columns of their own too (the same values), which are indexed.
	stored := map[string]string{"country": "", "firstName": "c.first_name", "lastName": "c.last_name"}
	for _, k := range jsonStringFields(reflect.TypeOf(customers.Contact{})) {
		expr, ok := stored[k]
		if !ok {
			expr = "(c.primary_address->>'" + k + "')"
		}
		if expr != "" {
			f = append(f, filter.Field{Name: "primaryAddress." + k, Expr: expr, Type: filter.String, Sortable: true})
		}
	}
	for _, k := range jsonStringFields(reflect.TypeOf(customers.LeadSourceData{})) {
		f = append(f, filter.Field{Name: "leadSource." + k, Expr: "(l.data->>'" + k + "')", Type: filter.String, Sortable: true})
	}
	return f
}

// jsonStringFields lists the json names of t's string and *string fields,
// in declaration order. They come from the program's types, never from a
// request, and are checked to be plain names before reaching SQL text.
func jsonStringFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if ft.Kind() != reflect.String || name == "" || name == "-" {
			continue
		}
		if !customers.CustomFieldName.MatchString(name) {
			panic("postgres: field name " + name + " of " + t.String() + " cannot be a JSON key in SQL")
		}
		out = append(out, name)
	}
	return out
}

func mustSchema(s filter.Schema) *filter.Schema {
	schema, err := filter.NewSchema(s)
	if err != nil {
		panic("postgres: customer filter schema: " + err.Error())
	}
	return schema
}

// listWhere is the FROM and WHERE of every collection query; PostgreSQL
// removes the lead-source join from counts that do not use it.
const listWhere = customerFrom + `
WHERE c.organization_id = $1`

// sqlCountAll is the exact unfiltered total: the sum of the organization's
// few counter slots (kept by the store in the statements that insert and
// delete customers, migration 00015).
const sqlCountAll = `SELECT COALESCE(sum(n), 0)::bigint FROM customer_counts WHERE organization_id = $1`

// listSQL is a collection query compiled to SQL: Page returns the page's
// views, each row led by the exact total, in one statement and so from one
// snapshot; Count is the total alone, for when the page has no row.
type listSQL struct {
	Page, Count         string
	PageArgs, CountArgs []any
	// Pick is the part of Page that chooses the page's rows, with the
	// same arguments: what the plan test reads.
	Pick string
	// Reusable says whether one plan serves every call of Page: true when
	// the filter has only equalities (filter.Compiled.EqualityOnly), which
	// the planner estimates from statistics for any value. Other
	// conditions change the best plan with their values, and PostgreSQL's
	// choice between a reusable plan and one for the values at hand rests
	// on fixed guesses for them that can be wrong by orders of magnitude
	// (q=smith: 0.3 % guessed, 5 % real, a plan 9 times slower); such
	// queries run unprepared, planned for their values every time.
	Reusable bool
}

// compileList turns q into SQL over the whitelisted schema. Only schema
// expressions and $n placeholders reach the text; every value is an
// argument. A malformed query is a KindBadQuery error.
func compileList(orgID string, q customers.ListQuery, opt customers.ViewOptions, typed []filter.Field) (*listSQL, error) {
	args := []any{orgID}
	var where strings.Builder
	if q.Q != "" {
		args = append(args, filter.ContainsPattern(q.Q))
		fmt.Fprintf(&where, " AND c.search_text LIKE lower($%d::text)", len(args))
	}
	compiled, err := customerSchema.Compile(filter.Request{Filter: q.Filter, Sort: q.Sort, Fields: typed}, len(args)+1)
	if err != nil {
		var fe *filter.Error
		if errors.As(err, &fe) {
			return nil, customers.BadQuery(fe.Param, fe.Offset, fe.Message)
		}
		return nil, err
	}
	if compiled.Where != "" {
		where.WriteString(" AND " + compiled.Where)
	}
	args = append(args, compiled.WhereArgs...)
	out := &listSQL{Count: sqlCountAll, CountArgs: args[:1]}
	if where.Len() > 0 {
		// The count and the page share the WHERE and its arguments.
		out.Count, out.CountArgs = "SELECT count(*)"+listWhere+where.String(), args
	}
	// The page's rows are picked first and rendered after: rendering is
	// the costly part, and rows skipped by OFFSET are never rendered. The
	// outer ORDER BY sorts just the page again, over the same columns.
	pick := "SELECT c.*" + listWhere + where.String() + "\nORDER BY " + compiled.OrderBy
	pickArgs := append(args[:len(args):len(args)], compiled.OrderArgs...)
	if q.Q == "" && compiled.EqualityOnly {
		// One plan serves every value: LIMIT and OFFSET are written as
		// numbers (ints, never request text), so that the prepared page
		// can keep one. With them as parameters the planner would have to
		// guess the page size, price a reusable plan too high and plan
		// every call anew.
		pick += "\nLIMIT " + strconv.Itoa(q.Limit) + " OFFSET " + strconv.Itoa(q.Offset)
		out.Reusable = true
	} else {
		n := len(pickArgs)
		pick += "\nLIMIT $" + strconv.Itoa(n+1) + " OFFSET $" + strconv.Itoa(n+2)
		pickArgs = append(pickArgs, q.Limit, q.Offset)
	}
	// The count is uncorrelated, so PostgreSQL runs it once (an InitPlan)
	// for the whole page, in the page's snapshot.
	out.Pick = pick
	out.Page = "SELECT (" + out.Count + ") AS total, " + viewSelect(opt) + "\nFROM (" + pick + ") c" +
		"\nJOIN customer_representations r ON r.organization_id = c.organization_id AND r.customer_id = c.id" +
		"\nLEFT JOIN lead_sources l ON l.organization_id = c.organization_id AND l.customer_id = c.id" +
		"\nORDER BY " + compiled.OrderBy
	out.PageArgs = pickArgs
	return out, nil
}

// ListViews writes the page q asks for to w, after the exact number of
// customers that match, in one statement: the page's rows each carry the
// total. Only a page with no row (limit 0, an offset past the end) costs a
// second statement for the total.
func (s *Store) ListViews(ctx context.Context, orgID string, q customers.ListQuery, opt customers.ViewOptions, w customers.PageWriter) error {
	var typed []filter.Field
	if mentionsCustomFields(q) {
		// Only a query on custom fields pays for reading the definitions.
		defs, err := s.FieldDefinitions(ctx, orgID)
		if err != nil {
			return err
		}
		typed = typedFields(defs)
	}
	sql, err := compileList(orgID, q, opt, typed)
	if err != nil {
		return err
	}
	return customersErr(s.readPage(ctx, w, func(ctx context.Context, db querier, w customers.PageWriter) error {
		return listViews(ctx, db, sql, q, opt, w)
	}))
}

// mentionsCustomFields reports whether q filters or sorts on a custom field.
func mentionsCustomFields(q customers.ListQuery) bool {
	const prefix = "customFields."
	if strings.Contains(q.Filter, prefix) {
		return true
	}
	for _, s := range q.Sort {
		if strings.Contains(s, prefix) {
			return true
		}
	}
	return false
}

func listViews(ctx context.Context, db querier, sql *listSQL, q customers.ListQuery, opt customers.ViewOptions, w customers.PageWriter) error {
	if q.Limit > 0 {
		done, err := streamPage(ctx, db, sql, opt, w)
		if done || err != nil {
			return err
		}
		if q.Offset == 0 {
			return w.Begin(0) // nothing matches: no count needed
		}
	}
	var total int64
	rows, err := db.queryUnprepared(ctx, sql.Count, sql.CountArgs...)
	if err != nil {
		return fmt.Errorf("count customers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&total); err != nil {
			return fmt.Errorf("count customers: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count customers: %w", err)
	}
	return w.Begin(total)
}

// streamPage runs the page statement and hands each row to w as it is
// read; it reports false when the page had no row (and w was not called).
func streamPage(ctx context.Context, db querier, sql *listSQL, opt customers.ViewOptions, w customers.PageWriter) (bool, error) {
	query := db.query
	if !sql.Reusable {
		query = db.queryUnprepared
	}
	rows, err := query(ctx, sql.Page, sql.PageArgs...)
	if err != nil {
		return false, fmt.Errorf("list customers: %w", err)
	}
	defer rows.Close()
	var v customers.View
	var total int64
	for first := true; rows.Next(); first = false {
		if err := scanView(rows, &v, opt, &total); err != nil {
			return !first, fmt.Errorf("scan customer: %w", err)
		}
		if first {
			if err := w.Begin(total); err != nil {
				return true, err
			}
		}
		if err := w.Customer(&v); err != nil {
			return true, err
		}
	}
	if err := rows.Err(); err != nil {
		return v.ID != "", fmt.Errorf("list customers: %w", err)
	}
	return v.ID != "", nil
}
