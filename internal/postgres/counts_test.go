package postgres_test

import (
	"context"
	"testing"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/testsync"
)

// TestCountersFollowEveryWriter checks the per-organization counters that
// serve the unfiltered Pagination-Total: the database keeps them, so
// statements the service never runs count too, concurrent writers spread
// over several counter rows instead of queueing on one, and another
// organization's writes in the same database do not count. (That the total
// stays exact through the service's creates, upserts and merges is tested
// in package customers.)
func TestCountersFollowEveryWriter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	other := f.newOrg(t)

	const writers, each = 8, 10
	testsync.Race(writers, func(int) {
		for range each {
			if _, err := f.svc.Create(ctx, f.org, customers.Input{}, customers.ViewOptions{}); err != nil {
				t.Error(err)
			}
			if _, err := f.svc.Create(ctx, other, customers.Input{}, customers.ViewOptions{}); err != nil {
				t.Error(err)
			}
		}
	})
	if _, err := f.db.Exec(`INSERT INTO customers (organization_id, id, created_time, updated_time)
		SELECT $1, 'sql-' || g, now(), now() FROM generate_series(1, 4) AS g`, f.org); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`DELETE FROM customers WHERE organization_id = $1 AND id IN ('sql-1', 'sql-2')`, f.org); err != nil {
		t.Fatal(err)
	}

	want := writers*each + 4 - 2
	var rows int
	if err := f.db.Get(&rows, `SELECT count(*) FROM customers WHERE organization_id = $1`, f.org); err != nil {
		t.Fatal(err)
	}
	if rows != want {
		t.Fatalf("rows = %d, want %d", rows, want)
	}
	if total := listTotal(t, f.store, f.org, customers.ListQuery{Limit: 0}); total != int64(want) {
		t.Errorf("unfiltered total = %d, want %d (the rows)", total, want)
	}
	if total := listTotal(t, f.store, other, customers.ListQuery{Limit: 0}); total != writers*each {
		t.Errorf("the other organization's total = %d, want %d", total, writers*each)
	}
	var slots int
	if err := f.db.Get(&slots, `SELECT count(*) FROM customer_counts WHERE organization_id = $1`, f.org); err != nil {
		t.Fatal(err)
	}
	if slots < 2 {
		t.Errorf("the total sits in %d counter rows; concurrent writers should spread over several", slots)
	}
}
