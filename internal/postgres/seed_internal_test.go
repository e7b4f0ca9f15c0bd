package postgres

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/customers"
)

// columnList returns the column list of the statement (INSERT INTO or
// COPY) on table in query.
func columnList(t *testing.T, query, verb, table, end string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)` + verb + ` ` + table + ` \((.*?)\)\s*` + end).FindStringSubmatch(query)
	if m == nil {
		t.Fatalf("no %s %s column list in:\n%s", verb, table, query)
	}
	var cols []string
	for _, c := range strings.Split(m[1], ",") {
		cols = append(cols, strings.TrimSpace(c))
	}
	return cols
}

func mustLeadSourceArgs(t *testing.T) []any {
	args, err := leadSourceArgs("org", &customers.LeadSource{})
	if err != nil {
		t.Fatal(err)
	}
	return args
}

// Seed must write every column the ordinary writes do: a column added to
// the insert (a new migration) and not to Seed fails here.
func TestSeedWritesEveryColumnOfTheInserts(t *testing.T) {
	for _, tc := range []struct {
		table        string
		insert, copy string
		row          int      // values per row
		more         []string // what Seed writes that the insert leaves to later statements
	}{
		// A new customer has no tags; a seeded one is written with its tag objects.
		{"customers", sqlInsertCustomer, sqlCopyCustomers, len((&customerRow{}).args("org")) + 1, []string{"tag_objects"}},
		{"lead_sources", sqlPutLeadSource, sqlCopyLeadSources, len(mustLeadSourceArgs(t)), nil},
	} {
		want := append(columnList(t, tc.insert, "INSERT INTO", tc.table, "VALUES"), tc.more...)
		got := columnList(t, tc.copy, "COPY", tc.table, "FROM STDIN")
		if !slices.Equal(got, want) {
			t.Errorf("%s: Seed copies\n%v\nthe store inserts\n%v", tc.table, got, want)
		}
		if tc.row != len(got) {
			t.Errorf("%s: %d values per row for %d columns", tc.table, tc.row, len(got))
		}
	}
}
