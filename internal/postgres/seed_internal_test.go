package postgres

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// insertColumns returns the column list of the INSERT INTO table in query.
func insertColumns(t *testing.T, query, table string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)INSERT INTO ` + table + ` \((.*?)\)\s*VALUES`).FindStringSubmatch(query)
	if m == nil {
		t.Fatalf("no INSERT INTO %s column list in:\n%s", table, query)
	}
	var cols []string
	for _, c := range strings.Split(m[1], ",") {
		cols = append(cols, strings.TrimSpace(c))
	}
	return cols
}

// Seed must write every column the ordinary writes do: a column added to
// the insert (a new migration) and not to Seed fails here.
func TestSeedWritesEveryColumnOfTheInserts(t *testing.T) {
	for _, tc := range []struct {
		table string
		query string
		seed  []string
		row   int // values per row
	}{
		{"customers", sqlInsertCustomer, seedCustomerColumns, len(customerCopyValues(&customerRow{}))},
		{"lead_sources", sqlPutLeadSource, seedLeadSourceColumns, len(leadSourceCopyValues(&leadSourceRow{}))},
	} {
		want := insertColumns(t, tc.query, tc.table)
		if !slices.Equal(tc.seed, want) {
			t.Errorf("%s: Seed copies\n%v\nthe store inserts\n%v", tc.table, tc.seed, want)
		}
		if tc.row != len(tc.seed) {
			t.Errorf("%s: %d values per row for %d columns", tc.table, tc.row, len(tc.seed))
		}
	}
}
