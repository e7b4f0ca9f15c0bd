package postgres

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/google/uuid"
)

// indexedSorts are the sortable fields with an index that reads them in
// order (migrations 00003 to 00007); the others are sorted by a scan of
// the organization's customers, by design (00007 says why).
var indexedSorts = []string{
	"id", "email", "firstName", "lastName", "websiteId", "createdTime", "updatedTime",
	"lastPaymentTime", "lifetimeRevenue.amount", "primaryAddress.firstName", "primaryAddress.lastName",
	"primaryAddress.country", "primaryAddress.hash",
}

// descendingIndexed are the nullable sortable fields with a descending
// index of their own (migration 00004).
var descendingIndexed = []string{"email", "firstName", "lastName", "lastPaymentTime", "primaryAddress.firstName", "primaryAddress.lastName"}

// planRows is how many customers the plan test's organization has: enough
// for the planner to prefer a selective index over a scan.
const planRows = 20000

// TestListQueriesUseTheirIndexes proves that the SQL the collection queries
// compile to matches the migration's indexes: over an analyzed table of
// planRows customers (and as many in another organization), each plan must
// name the index meant for it and never scan the table. That proves the SQL
// and the indexes match; at 1 M rows the planner still prefers a sequential
// scan for counts that match a large share of the rows (docs/PERFORMANCE.md
// has those plans).
func TestListQueriesUseTheirIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	org := uuid.NewString()
	for _, id := range []string{org, uuid.NewString()} {
		if _, err := db.ExecContext(ctx, `INSERT INTO organizations (id, name) VALUES ($1, 'plans')`, id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, sqlPlanRows, id, planRows); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, `ANALYZE customers`); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		q     customers.ListQuery
		count bool // the plan of the count rather than the page
		index string
	}{
		{"default page", customers.ListQuery{Limit: 100}, false, "customers_created_time_idx"},
		{"sorted by email", customers.ListQuery{Sort: []string{"email"}, Limit: 100}, false, "customers_email_idx"},
		{"email filter", customers.ListQuery{Filter: "email:ada@example.com", Limit: 100}, false, "customers_email_"},
		{"email filter count", customers.ListQuery{Filter: "email:ada@example.com", Limit: 100}, true, "customers_email_"},
		{"country filter count", customers.ListQuery{Filter: "primaryAddress.country:GB", Limit: 20}, true, "Index Only Scan using customers_address_country_idx"},
		{"country filter page", customers.ListQuery{Filter: "primaryAddress.country:GB", Limit: 20, Offset: 40}, false, "customers_address_country_idx"},
		{"tag filter", customers.ListQuery{Filter: "tags:vip", Limit: 20}, true, "customers_arrays_idx"},
		{"email entry filter", customers.ListQuery{Filter: "primaryAddress.emails:ada@example.com", Limit: 20}, true, "customers_arrays_idx"},
		{"q search", customers.ListQuery{Q: "lovelace", Limit: 100}, true, "customers_search_idx"},
		{"updated range", customers.ListQuery{Filter: "updatedTime:2024-01-01..", Sort: []string{"updatedTime"}, Limit: 20}, false, "customers_updated_time_idx"},
	}
	for _, f := range customerSchema.Fields {
		if !f.Sortable || !slices.Contains(indexedSorts, f.Name) {
			continue
		}
		// Ascending (nulls last, the index order): the first page of any
		// sort must come from an index read in order, not a sort of every row.
		cases = append(cases, struct {
			name  string
			q     customers.ListQuery
			count bool
			index string
		}{"sorted by " + f.Name, customers.ListQuery{Sort: []string{f.Name}, Limit: 20}, false, "Index Scan"})
		// Descending: NOT NULL fields read their index backwards; nullable
		// ones (nulls last both ways) only where migration 00004 gave them a
		// descending index.
		if f.NotNull || slices.Contains(descendingIndexed, f.Name) {
			cases = append(cases, struct {
				name  string
				q     customers.ListQuery
				count bool
				index string
			}{"sorted by -" + f.Name, customers.ListQuery{Sort: []string{"-" + f.Name}, Limit: 20}, false, "Index Scan"})
		}
	}
	for _, c := range cases {
		sql, err := compileList(org, c.q, customers.ViewOptions{}, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		query, args := sql.Pick, sql.PageArgs
		if c.count {
			query, args = sql.Count, sql.CountArgs
		}
		var lines []string
		if err := db.SelectContext(ctx, &lines, "EXPLAIN "+query, args...); err != nil {
			t.Fatalf("%s: EXPLAIN %s: %v", c.name, query, err)
		}
		plan := strings.Join(lines, "\n")
		if !strings.Contains(plan, c.index) {
			t.Errorf("%s: the plan does not use %s:\n%s\n%s", c.name, c.index, query, plan)
		}
		if strings.HasPrefix(c.name, "sorted by ") && strings.Contains(plan, "Sort Key") && !strings.Contains(plan, "Incremental Sort") {
			t.Errorf("%s: the page sorts the rows instead of reading an index in order:\n%s", c.name, plan)
		}
		if strings.Contains(plan, "Seq Scan on customers") {
			t.Errorf("%s: sequential scan of customers:\n%s", c.name, plan)
		}
	}
}

// sqlPlanRows inserts $2 varied customers into organization $1 (the
// database derives the query columns).
const sqlPlanRows = `
INSERT INTO customers (organization_id, id, email, first_name, last_name, primary_address,
	created_time, updated_time, revision, tags)
SELECT $1, 'cus-' || g, 'user' || g || '@example.com', 'First' || g,
	CASE WHEN g % 997 = 0 THEN 'Lovelace' ELSE 'Last' || g % 5000 END,
	jsonb_build_object('country', chr(65 + g % 26) || chr(65 + g / 26 % 26),
		'emails', jsonb_build_array(jsonb_build_object('label', 'work', 'value', 'user' || g || '@example.com'))),
	timestamptz '2024-01-01' + g * interval '1 minute', timestamptz '2025-01-01', g % 1000,
	CASE WHEN g % 500 = 0 THEN ARRAY['VIP'] ELSE '{}' END
FROM generate_series(1, $2::int) AS g`

// TestTypedFiltersUseTheirIndexes proves that the new filters of SPEC §11
// are index-assisted: a typed range on a defined number or date-time reads
// customer_field_values' index (the side table the store keeps), and the
// tax-number and notification-email filters read the GIN index of
// migration 00011; over planRows analyzed customers, never a scan of them.
func TestTypedFiltersUseTheirIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	store := New(db)
	svc := customers.NewService(store)
	org := uuid.NewString()
	if _, err := db.ExecContext(ctx, `INSERT INTO organizations (id, name) VALUES ($1, 'plans')`, org); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, sqlPlanRows, org, planRows); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE customers SET
		custom_fields = jsonb_build_object('points', (substr(id, 5))::int, 'seen', to_char(created_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
		tax_numbers = jsonb_build_array(jsonb_build_object('type', 'eu-vat', 'value', 'DE' || substr(id, 5), 'isDefault', true, 'isValid', null)),
		notification_emails = ARRAY['notify' || substr(id, 5) || '@example.com']
		WHERE organization_id = $1`, org); err != nil {
		t.Fatal(err)
	}
	for name, typ := range map[string]string{"points": customers.FieldInteger, "seen": customers.FieldDatetime} {
		if _, _, err := svc.PutFieldDefinition(ctx, org, name, customers.FieldDefinitionInput{Type: typ}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, `ANALYZE customers; ANALYZE customer_field_values`); err != nil {
		t.Fatal(err)
	}
	defs, err := store.FieldDefinitions(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	typed := typedFields(defs)
	for _, c := range []struct {
		name  string
		q     customers.ListQuery
		index string
	}{
		{"number range", customers.ListQuery{Filter: "customFields.points:100..120", Limit: 20}, "customer_field_values_number_idx"},
		{"number equality", customers.ListQuery{Filter: "customFields.points:777", Limit: 20}, "customer_field_values_number_idx"},
		{"date-time range", customers.ListQuery{Filter: "customFields.seen:2024-01-02T00:00:00Z..2024-01-02T01:00:00Z", Limit: 20}, "customer_field_values_instant_idx"},
		{"tax number", customers.ListQuery{Filter: "taxNumbers.value:de4242", Limit: 20}, "customers_tax_notification_idx"},
		{"notification email", customers.ListQuery{Filter: "notificationEmails:notify42@example.com", Limit: 20}, "customers_tax_notification_idx"},
	} {
		sql, err := compileList(org, c.q, customers.ViewOptions{}, typed)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, part := range []struct {
			what  string
			query string
			args  []any
		}{{"count", sql.Count, sql.CountArgs}, {"page", sql.Pick, sql.PageArgs}} {
			var lines []string
			if err := db.SelectContext(ctx, &lines, "EXPLAIN "+part.query, part.args...); err != nil {
				t.Fatalf("%s %s: EXPLAIN %s: %v", c.name, part.what, part.query, err)
			}
			plan := strings.Join(lines, "\n")
			if !strings.Contains(plan, c.index) || strings.Contains(plan, "Seq Scan on customers") {
				t.Errorf("%s %s: the plan does not use %s, or scans customers:\n%s\n%s", c.name, part.what, c.index, part.query, plan)
			}
		}
		// And something matches (the right things: the HTTP tests).
		var total int64
		if err := db.GetContext(ctx, &total, sql.Count, sql.CountArgs...); err != nil || total == 0 {
			t.Errorf("%s: %d matched, %v", c.name, total, err)
		}
	}
}
