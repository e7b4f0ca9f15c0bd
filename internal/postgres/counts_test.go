package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/billing/customers-api/internal/customers"

	"github.com/billing/customers-api/internal/testsync"
)

// TestUnfilteredTotalStaysExact checks the per-organization counters that
// serve the unfiltered Pagination-Total: after concurrent creates, upserts,
// merges and hand-run SQL, the total equals the rows, and another
// organization's writes in the same database do not count.
func TestUnfilteredTotalStaysExact(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	other := f.newOrg(t)

	const writers, each = 8, 15
	errs := make(chan error, writers*each*2)
	testsync.Race(writers, func(w int) {
		for i := range each {
			if _, err := f.svc.Create(ctx, f.org, customers.Input{}); err != nil {
				errs <- err
			}
			// Several writers upsert the same ids: only the first counts.
			id := fmt.Sprintf("shared-%d", i)
			if _, _, err := f.svc.Put(ctx, f.org, id, customers.Input{Locale: ptr(fmt.Sprintf("en-%d", w))}, customers.Precondition{}); err != nil {
				errs <- err
			}
			if _, _, err := f.svc.Put(ctx, other, id, customers.Input{}, customers.Precondition{}); err != nil {
				errs <- err
			}
		}
	})
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range 5 { // merges delete the duplicate
		if _, err := f.svc.Merge(ctx, f.org, fmt.Sprintf("shared-%d", i), fmt.Sprintf("shared-%d", i+5), customers.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	// Statements the service never runs count too: the database keeps the
	// counters, whoever writes.
	if _, err := f.db.Exec(`INSERT INTO customers (organization_id, id, created_time, updated_time)
		SELECT $1, 'sql-' || g, now(), now() FROM generate_series(1, 4) AS g`, f.org); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`DELETE FROM customers WHERE organization_id = $1 AND id IN ('sql-1', 'sql-2')`, f.org); err != nil {
		t.Fatal(err)
	}

	want := writers*each + each - 5 + 2
	var rows int
	if err := f.db.Get(&rows, `SELECT count(*) FROM customers WHERE organization_id = $1`, f.org); err != nil {
		t.Fatal(err)
	}
	if rows != want {
		t.Fatalf("rows = %d, want %d", rows, want)
	}
	page, err := f.svc.List(ctx, f.org, customers.ListQuery{Limit: 0})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != int64(want) {
		t.Errorf("unfiltered total = %d, want %d (the rows)", page.Total, want)
	}
	if otherPage, err := f.svc.List(ctx, other, customers.ListQuery{}); err != nil || otherPage.Total != each {
		t.Errorf("the other organization's total = %v (%v), want %d", otherPage, err, each)
	}
	filtered, err := f.svc.List(ctx, f.org, customers.ListQuery{Filter: "revision:0..", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if filtered.Total != int64(want) || len(filtered.Customers) != want {
		t.Errorf("filtered total = %d with %d rows, want %d", filtered.Total, len(filtered.Customers), want)
	}
	var slots int
	if err := f.db.Get(&slots, `SELECT count(*) FROM customer_counts WHERE organization_id = $1`, f.org); err != nil {
		t.Fatal(err)
	}
	if slots < 2 {
		t.Errorf("the total sits in %d counter rows; concurrent writers should spread over several", slots)
	}
}
