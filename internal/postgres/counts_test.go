package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/billing/customers-api/internal/customers"
)

// TestUnfilteredTotalStaysExact checks the per-organization counters that
// serve the unfiltered Pagination-Total: after concurrent creates, upserts
// and merges (each in its own transaction), the total equals the rows.
func TestUnfilteredTotalStaysExact(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := newFixture(t) // another database: its writes must not count here
	ctx := context.Background()

	const writers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*2)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := f.svc.Create(ctx, f.org, customers.Input{}); err != nil {
					errs <- err
				}
				// Several writers upsert the same ids: only the first counts.
				id := fmt.Sprintf("shared-%d", i)
				if _, _, err := f.svc.Put(ctx, f.org, id, customers.Input{Locale: ptr(fmt.Sprintf("en-%d", w))}, customers.Precondition{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range 5 { // merges delete the duplicate
		if _, err := f.svc.Merge(ctx, f.org, fmt.Sprintf("shared-%d", i), fmt.Sprintf("shared-%d", i+5), customers.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	other.put(t, "elsewhere", customers.Input{})

	want := writers*each + each - 5
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
