package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/google/uuid"
	"github.com/lib/pq"
)

// lookupSpy is the store with its collection queries recorded, so that the
// plan test explains exactly the query customers.Service.FindCustomers
// builds (the Worldline adapter's lookup), not a copy of it.
type lookupSpy struct {
	*Store
	mu      sync.Mutex
	queries []customers.ListQuery
}

func (s *lookupSpy) ListViews(ctx context.Context, orgID string, q customers.ListQuery, opt customers.ViewOptions, w customers.PageWriter) error {
	s.mu.Lock()
	s.queries = append(s.queries, q)
	s.mu.Unlock()
	return s.Store.ListViews(ctx, orgID, q, opt, w)
}

func (s *lookupSpy) last() customers.ListQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[len(s.queries)-1]
}

// sqlLookupRows inserts $2 customers into organization $1 as a Swedish
// merchant has them: nine in ten in SE (so that the country alone narrows
// nothing), each with its own fiscal number, email and phone number.
const sqlLookupRows = `
INSERT INTO customers (organization_id, id, email, first_name, last_name, primary_address, tax_numbers,
	created_time, updated_time, revision)
SELECT $1, 'cus-' || g, 'user' || g || '@example.se', 'First' || g, 'Last' || g % 5000,
	jsonb_build_object('country', CASE WHEN g % 10 = 0 THEN 'NO' ELSE 'SE' END,
		'firstName', 'First' || g, 'lastName', 'Last' || g % 5000,
		'emails', jsonb_build_array(jsonb_build_object('label', 'work', 'value', 'user' || g || '@example.se', 'primary', true)),
		'phoneNumbers', jsonb_build_array(jsonb_build_object('label', 'mobile', 'value', '+46 70 ' || lpad(g::text, 7, '0'), 'primary', true))),
	jsonb_build_array(jsonb_build_object('type', 'other', 'value', 'SE' || lpad(g::text, 10, '0'), 'isDefault', true, 'isValid', null)),
	timestamptz '2024-01-01' + g * interval '1 minute', timestamptz '2025-01-01', g % 1000
FROM generate_series(1, $2::int) AS g`

// TestWorldlineLookupsUseTheirIndexes proves that the Worldline adapter's
// lookups (SPEC §15: a country and a fiscal number, email, phone number or
// id) are answered from an index: over planRows analyzed customers of a
// merchant (and a quarter as many, with the same values, in another
// organization), the statement FindCustomers runs never scans customers,
// reads the index meant for its key and only a handful of pages.
// EXPLAIN ANALYZE's plans are in the test log (go test -v -run
// TestWorldlineLookupsUseTheirIndexes ./internal/postgres).
func TestWorldlineLookupsUseTheirIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	org, other := uuid.NewString(), uuid.NewString()
	rows := lookupRows(t)
	for id, rows := range map[string]int{org: rows, other: rows / 4} {
		if _, err := db.ExecContext(ctx, `INSERT INTO organizations (id, name) VALUES ($1, 'lookups')`, id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, sqlLookupRows, id, rows); err != nil {
			t.Fatal(err)
		}
	}
	// VACUUM as autovacuum would after a bulk load (and as the seeder
	// does): it also moves the GIN indexes' pending lists (fastupdate) into
	// the indexes proper, which every search would otherwise read whole.
	for _, table := range []string{"customers", "customer_representations"} {
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE `+table); err != nil {
			t.Fatal(err)
		}
	}
	spy := &lookupSpy{Store: New(db)}
	svc := customers.NewService(spy)
	str := func(s string) *string { return &s }
	const g = 4241 // a customer in SE
	for _, c := range []struct {
		name   string
		lookup customers.Lookup
		index  string
	}{
		{"fiscal number", customers.Lookup{Country: "SE", TaxNumber: str(fmt.Sprintf("SE%010d", g))}, "customers_tax_notification_idx"},
		{"email", customers.Lookup{Country: "SE", Email: str(fmt.Sprintf("user%d@example.se", g))}, "customers_arrays_idx"},
		{"phone number", customers.Lookup{Country: "SE", Phone: str(fmt.Sprintf("+46 70 %07d", g))}, "customers_arrays_idx"},
		{"fiscal number and email", customers.Lookup{Country: "SE", TaxNumber: str(fmt.Sprintf("SE%010d", g)), Email: str(fmt.Sprintf("user%d@example.se", g))}, "_idx"},
		{"customer id", customers.Lookup{Country: "SE", ID: str(fmt.Sprintf("cus-%d", g))}, "customers_pkey"},
	} {
		// The lookup itself: exactly the one customer, of this organization.
		found, err := svc.FindCustomers(ctx, org, c.lookup, 2)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(found) != 1 || found[0].ID != fmt.Sprintf("cus-%d", g) {
			t.Errorf("%s: found %d customers, want cus-%d", c.name, len(found), g)
		}
		q := spy.last()
		sql, err := compileList(org, q, customers.ViewOptions{}, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		// The statement the store runs (Page: the count and the page).
		var lines []string
		if err := db.SelectContext(ctx, &lines, "EXPLAIN (ANALYZE, BUFFERS) "+sql.Page, sql.PageArgs...); err != nil {
			t.Fatalf("%s: EXPLAIN %s: %v", c.name, sql.Page, err)
		}
		plan := strings.Join(lines, "\n")
		t.Logf("%s: filter %q\n%s", c.name, q.Filter, plan)
		checkLookupPlan(t, c.name, plan, c.index)

		// A reusable statement is prepared, and PostgreSQL may then run its
		// generic plan (planned without the values): that one must use the
		// index too. The store runs the others unprepared; their generic
		// plan is shown for information only.
		generic := genericPlan(ctx, t, db.DB, sql.Page, sql.PageArgs)
		t.Logf("%s: generic plan (reusable: %v)\n%s", c.name, sql.Reusable, generic)
		if sql.Reusable {
			checkLookupPlan(t, c.name+" (generic plan)", generic, c.index)
		}
	}
}

// lookupRows is how many customers the lookup plan test gives its
// merchant: planRows, or LOOKUP_PLAN_ROWS to time the lookups at the scale
// docs/PERFORMANCE.md reports (LOOKUP_PLAN_ROWS=1000000 go test -v -run
// TestWorldlineLookupsUseTheirIndexes ./internal/postgres: a few minutes).
func lookupRows(t *testing.T) int {
	v := os.Getenv("LOOKUP_PLAN_ROWS")
	if v == "" {
		return planRows
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 5000 {
		t.Fatalf("LOOKUP_PLAN_ROWS=%q: want a number of customers of at least 5000", v)
	}
	return n
}

// maxLookupBuffers bounds the pages one lookup reads (about 30 here): a
// handful of index and heap pages, where a scan of the organization's
// customers, or of a GIN pending list, reads hundreds.
const maxLookupBuffers = 200

var planBuffers = regexp.MustCompile(`(?m)^\s*Buffers: shared hit=(\d+)(?: read=(\d+))?`)

func checkLookupPlan(t *testing.T, name, plan, index string) {
	t.Helper()
	if strings.Contains(plan, "Seq Scan on customers") {
		t.Errorf("%s: the lookup scans customers:\n%s", name, plan)
	}
	if !strings.Contains(plan, index) {
		t.Errorf("%s: the lookup does not use %s:\n%s", name, index, plan)
	}
	// The first Buffers line is the whole statement's.
	if m := planBuffers.FindStringSubmatch(plan); m != nil {
		hit, _ := strconv.Atoi(m[1])
		read, _ := strconv.Atoi(m[2])
		if hit+read > maxLookupBuffers {
			t.Errorf("%s: the lookup reads %d pages, more than %d:\n%s", name, hit+read, maxLookupBuffers, plan)
		}
	}
}

// genericPlan returns EXPLAIN ANALYZE of query prepared and run with its
// generic plan, on a connection of its own.
func genericPlan(ctx context.Context, t *testing.T, db *sql.DB, query string, args []any) string {
	t.Helper()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	params := make([]string, len(args))
	for i, a := range args {
		params[i] = literal(a)
	}
	var lines []string
	for _, stmt := range []string{"SET plan_cache_mode = force_generic_plan", "PREPARE lookup_plan AS " + query,
		"EXPLAIN (ANALYZE, BUFFERS) EXECUTE lookup_plan(" + strings.Join(params, ", ") + ")", "DEALLOCATE lookup_plan", "RESET plan_cache_mode"} {
		if !strings.HasPrefix(stmt, "EXPLAIN") {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
			continue
		}
		rows, err := conn.QueryContext(ctx, stmt)
		if err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return strings.Join(lines, "\n")
}

// literal is arg as SQL text, for EXECUTE's parameters.
func literal(arg any) string {
	switch v := arg.(type) {
	case int:
		return strconv.Itoa(v)
	case string:
		return pq.QuoteLiteral(v)
	default:
		return pq.QuoteLiteral(fmt.Sprint(v))
	}
}
