package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/idempotency"
	"github.com/billing/customers-api/internal/postgres"
	"github.com/billing/customers-api/internal/testsync"
)

// checkCount fails unless organization org's unfiltered total (the sum of
// its counter rows) equals its customers.
func (f *fixture) checkCount(t *testing.T, org, when string) int64 {
	t.Helper()
	var rows int64
	if err := f.db.Get(&rows, `SELECT count(*) FROM customers WHERE organization_id = $1`, org); err != nil {
		t.Fatal(err)
	}
	if total := listTotal(t, f.store, org, customers.ListQuery{Limit: 0}); total != rows {
		t.Errorf("%s: unfiltered total = %d, want %d (the rows)", when, total, rows)
	}
	return rows
}

// TestCountersFollowEveryStoreWrite checks the per-organization counters
// that serve the unfiltered Pagination-Total (migration 00015: the store
// counts in the transaction that writes) through every path that inserts or
// deletes customers: concurrent creates, racing PUTs of one new id (one
// creates, the others update), PUTs of existing ids, merges and a seed.
// Concurrent writers spread over several counter rows instead of queueing
// on one, and another organization's writes do not count. (That the total
// stays exact through the service's rules is also tested in package
// customers.)
func TestCountersFollowEveryStoreWrite(t *testing.T) {
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
	f.checkCount(t, f.org, "concurrent creates")
	if total := f.checkCount(t, other, "the other organization's creates"); total != writers*each {
		t.Errorf("the other organization has %d customers, want %d", total, writers*each)
	}

	// Racing PUTs of the same new ids: each id is created once, counted
	// once; the PUTs that lose the race update it and count nothing.
	const ids = 5
	created := make([]int, writers)
	testsync.Race(writers, func(w int) {
		for i := range ids {
			_, c, err := f.svc.Put(ctx, f.org, fmt.Sprintf("put-%d", i), customers.Input{}, customers.Precondition{}, customers.ViewOptions{})
			if err != nil {
				t.Error(err)
			}
			if c {
				created[w]++
			}
		}
	})
	sum := 0
	for _, c := range created {
		sum += c
	}
	if sum != ids {
		t.Errorf("racing PUTs created %d customers, want %d", sum, ids)
	}
	f.checkCount(t, f.org, "racing PUT-creates")

	// A merge deletes the duplicate.
	before := f.checkCount(t, f.org, "before the merge")
	if err := f.svc.Merge(ctx, f.org, "put-0", "put-1", customers.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if after := f.checkCount(t, f.org, "a merge"); after != before-1 {
		t.Errorf("%d customers after a merge, want %d", after, before-1)
	}
	// Crossing merges at once: each either merges or finds its duplicate
	// gone; the count follows whatever happened.
	testsync.Race(2, func(i int) {
		_ = f.svc.Merge(ctx, f.org, []string{"put-2", "put-3"}[i], []string{"put-3", "put-2"}[i], customers.Precondition{})
	})
	f.checkCount(t, f.org, "crossing merges")

	// A seed counts what it loaded, in its transaction.
	const seeded = 40
	if n, err := f.store.Seed(ctx, f.org, batches(seedCustomers(seeded), 16), postgres.SeedOptions{}); err != nil || n != seeded {
		t.Fatalf("Seed = %d, %v; want %d", n, err, seeded)
	}
	f.checkCount(t, f.org, "a seed")

	var slots int
	if err := f.db.Get(&slots, `SELECT count(*) FROM customer_counts WHERE organization_id = $1`, f.org); err != nil {
		t.Fatal(err)
	}
	if slots < 2 {
		t.Errorf("the total sits in %d counter rows; concurrent writers should spread over several", slots)
	}
}

// TestCountersFollowIdempotentWrites: inside an idempotent request (one
// transaction, each store call a savepoint), the customers inserted are
// counted when it commits, and not at all when it rolls back; an insert
// that its own call then undid (a PUT to a merged-away id inserts, finds
// the merge, and fails) is not counted either.
func TestCountersFollowIdempotentWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a, err := f.svc.Create(ctx, f.org, customers.Input{}, customers.ViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.Create(ctx, f.org, customers.Input{}, customers.ViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Merge(ctx, f.org, a.ID, b.ID, customers.Precondition{}); err != nil {
		t.Fatal(err)
	}
	before := f.checkCount(t, f.org, "before")

	request := func(key string, answer int, fail bool) {
		t.Helper()
		req := idempotency.Request{OrganizationID: f.org, Key: key, Method: "POST", Path: "/customers"}
		_, _, err := f.store.Do(ctx, req, time.Now().Add(time.Hour), func(ctx context.Context) (*idempotency.Answer, error) {
			_, _, perr := f.svc.Put(ctx, f.org, a.ID, customers.Input{}, customers.Precondition{}, customers.ViewOptions{})
			if customers.ErrorKind(perr) != customers.KindConflict {
				t.Errorf("PUT to the merged-away id: %v, want a conflict", perr)
			}
			for range 2 {
				if _, err := f.svc.Create(ctx, f.org, customers.Input{}, customers.ViewOptions{}); err != nil {
					return nil, err
				}
			}
			if fail {
				return nil, errors.New("the request failed after its creates")
			}
			return &idempotency.Answer{Status: answer, ContentType: "application/json", Body: []byte("{}")}, nil
		})
		if (err != nil) != fail {
			t.Fatalf("request %s: %v", key, err)
		}
	}
	request("kept", 201, false)
	if n := f.checkCount(t, f.org, "an idempotent request"); n != before+2 {
		t.Errorf("%d customers after an idempotent request that created two, want %d", n, before+2)
	}
	request("failed", 201, true)
	request("not stored", 500, false) // not storable: rolled back
	if n := f.checkCount(t, f.org, "rolled-back requests"); n != before+2 {
		t.Errorf("%d customers after two rolled-back requests, want %d", n, before+2)
	}
}

// TestRecountCorrectsHandRunWrites: the count is the store's, so rows
// inserted or deleted by hand-run statements are not counted until
// RecountCustomers (`customers-api recount`) adds the difference; it does
// so exactly while the service keeps writing, and a second recount finds
// nothing to correct.
func TestRecountCorrectsHandRunWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for range 3 {
		if _, err := f.svc.Create(ctx, f.org, customers.Input{}, customers.ViewOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.db.Exec(`INSERT INTO customers (organization_id, id, created_time, updated_time)
		SELECT $1, 'sql-' || g, now(), now() FROM generate_series(1, 6) AS g`, f.org); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`DELETE FROM customers WHERE organization_id = $1 AND id IN ('sql-1', 'sql-2')`, f.org); err != nil {
		t.Fatal(err)
	}
	if total := listTotal(t, f.store, f.org, customers.ListQuery{Limit: 0}); total != 3 {
		t.Errorf("total after hand-run statements = %d, want 3 (the store's writes only)", total)
	}

	// Recounts race creates: every correction is exact whatever the
	// creates' commits interleave with.
	const writers, each = 4, 10
	var corrected int64 // written by the recounting goroutine alone
	testsync.Race(writers+1, func(w int) {
		if w == writers {
			for range each {
				d, err := f.store.RecountCustomers(ctx, f.org)
				if err != nil {
					t.Error(err)
				}
				corrected += d
			}
			return
		}
		for range each {
			if _, err := f.svc.Create(ctx, f.org, customers.Input{}, customers.ViewOptions{}); err != nil {
				t.Error(err)
			}
		}
	})
	if corrected != 4 {
		t.Errorf("the recounts corrected %d in all, want 4 (6 inserted, 2 deleted by hand)", corrected)
	}
	f.checkCount(t, f.org, "recounts among creates")
	if d, err := f.store.RecountCustomers(ctx, f.org); d != 0 || err != nil {
		t.Errorf("a second recount corrected %d (%v), want 0", d, err)
	}
	orgs, err := f.store.OrganizationIDs(ctx)
	if err != nil || len(orgs) == 0 {
		t.Errorf("OrganizationIDs = %v, %v", orgs, err)
	}
}
