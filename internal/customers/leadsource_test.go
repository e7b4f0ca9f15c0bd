package customers_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/testsync"
)

// putLeadSource writes the lead source of customer id and returns it with
// whether the write created it.
func (f *fixture) putLeadSource(t *testing.T, id string, data customers.LeadSourceData, pre customers.Precondition) (leadSource, bool) {
	t.Helper()
	v, created, err := f.svc.PutLeadSource(context.Background(), f.org, id, data, pre)
	if err != nil {
		t.Fatalf("put lead source of %s: %v", id, err)
	}
	return decodeLeadSource(t, v), created
}

// The life of a lead source (SPEC §6): the first write creates it and
// copies its values into original; later writes replace the values and
// never original; every change is one revision of the customer; DELETE
// removes original too, so the next write starts a new one.
func TestLeadSourceLifecycle(t *testing.T) {
	t.Parallel()
	clock := &steppingClock{}
	f := newFixture(t, customers.WithClock(clock.now))
	ctx := context.Background()

	// A lead source is never created for a missing customer.
	if _, _, err := f.svc.PutLeadSource(ctx, f.org, "ghost", customers.LeadSourceData{}, customers.Precondition{}); !customers.IsNotFound(err) {
		t.Fatalf("lead source for a missing customer: %v", err)
	}
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM lead_sources`); err != nil || n != 0 {
		t.Fatalf("lead sources after writing to a missing customer: %d %v", n, err)
	}

	c := f.put(t, "c", customers.Input{})
	if _, err := f.svc.GetLeadSource(ctx, f.org, "c"); !customers.IsNotFound(err) || !strings.Contains(err.Error(), "no lead source") {
		t.Fatalf("GET of an absent lead source: %v", err)
	}

	// The first write creates it: original is a copy, one revision more.
	first, created := f.putLeadSource(t, "c", customers.LeadSourceData{Campaign: ptr("spring"), Referrer: ptr("https://example.com/a?b=c")}, customers.Precondition{})
	if !created || first.Revision != c.Revision+1 || *first.Campaign != "spring" || *first.Original.Campaign != "spring" || !first.CreatedTime.Equal(first.UpdatedTime) {
		t.Fatalf("first write: created=%v %+v", created, first)
	}

	// A later write replaces the values, never original.
	second, created := f.putLeadSource(t, "c", customers.LeadSourceData{Campaign: ptr("summer")}, customers.Precondition{IfMatch: []string{customers.ETag(first.Revision)}})
	if created || *second.Campaign != "summer" || second.Referrer != nil || second.Revision != first.Revision+1 {
		t.Fatalf("second write: created=%v %+v", created, second)
	}
	if *second.Original.Campaign != "spring" || second.Original.Referrer == nil || *second.Original.Referrer != "https://example.com/a?b=c" {
		t.Fatalf("second write changed original: %+v", second.Original)
	}
	if !second.CreatedTime.Equal(first.CreatedTime) || !second.UpdatedTime.After(first.UpdatedTime) {
		t.Fatalf("second write: created %v → %v, updated %v → %v", first.CreatedTime, second.CreatedTime, first.UpdatedTime, second.UpdatedTime)
	}

	// Writing the same values again is no change.
	if same, _ := f.putLeadSource(t, "c", customers.LeadSourceData{Campaign: ptr("summer")}, customers.Precondition{}); same.Revision != second.Revision || !same.UpdatedTime.Equal(second.UpdatedTime) {
		t.Fatalf("unchanged write moved the revision or updatedTime: %+v", same)
	}
	// Conditions compare with the customer's revision; "*" with the lead source's existence.
	for _, pre := range []customers.Precondition{{IfMatch: []string{"0"}}, {IfNoneMatch: []string{"*"}}} {
		if _, _, err := f.svc.PutLeadSource(ctx, f.org, "c", customers.LeadSourceData{Campaign: ptr("x")}, pre); customers.ErrorKind(err) != customers.KindPreconditionFailed {
			t.Fatalf("write with %+v: %v, want precondition failed", pre, err)
		}
	}

	// The customer moved with its lead source.
	cust := f.get(t, "c")
	if !cust.HasLeadSource || cust.Revision != second.Revision || !cust.UpdatedTime.Equal(second.UpdatedTime) {
		t.Fatalf("customer after lead source writes: %+v", cust)
	}

	// DELETE removes it, original included, and is a change of the customer.
	if err := f.svc.DeleteLeadSource(ctx, f.org, "c", customers.Precondition{IfMatch: []string{"0"}}); customers.ErrorKind(err) != customers.KindPreconditionFailed {
		t.Fatalf("delete with a stale If-Match: %v", err)
	}
	if err := f.svc.DeleteLeadSource(ctx, f.org, "c", customers.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if cust := f.get(t, "c"); cust.HasLeadSource || cust.Revision != second.Revision+1 {
		t.Fatalf("customer after the delete: has lead source %v, revision %d, want none at %d", cust.HasLeadSource, cust.Revision, second.Revision+1)
	}
	if err := f.svc.DeleteLeadSource(ctx, f.org, "c", customers.Precondition{}); !customers.IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
	again, created := f.putLeadSource(t, "c", customers.LeadSourceData{Campaign: ptr("autumn")}, customers.Precondition{})
	if !created || *again.Original.Campaign != "autumn" || again.Original.Referrer != nil {
		t.Fatalf("write after delete must start a new original: created=%v %+v", created, again)
	}

	if _, _, err := f.svc.PutLeadSource(ctx, f.org, "c", customers.LeadSourceData{Referrer: ptr("not a uri")}, customers.Precondition{}); customers.ErrorKind(err) != customers.KindInvalid {
		t.Fatalf("bad referrer: %v", err)
	}
}

// A customer write may carry its lead source (SPEC §10 "Writes"): created
// with one, the customer is still at revision 0; a PUT without one leaves
// it alone; a PUT changing the customer, its lead source or both is one
// revision; an invalid one fails the whole write.
func TestInlineLeadSourceOnCustomerWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	v, err := f.svc.Create(ctx, f.org, customers.Input{LeadSource: &customers.LeadSourceData{Medium: ptr("email")}}, customers.ViewOptions{LeadSource: true})
	if err != nil {
		t.Fatal(err)
	}
	created := decodeCustomer(t, v)
	if created.Revision != 0 || !created.HasLeadSource {
		t.Fatalf("create with lead source: %+v", created)
	}
	// Asked for, the lead source comes with the customer.
	if v.LeadSource == nil {
		t.Fatal("create with ViewOptions{LeadSource: true} returned no lead source")
	}
	if ls := decodeLeadSource(t, v.LeadSource); ls.Medium == nil || *ls.Medium != "email" || ls.Revision != 0 {
		t.Fatalf("embedded lead source: %+v", ls)
	}
	id := created.ID
	put := func(in customers.Input) customer {
		t.Helper()
		v, _, err := f.svc.Put(ctx, f.org, id, in, customers.Precondition{}, customers.ViewOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return decodeCustomer(t, v)
	}

	if c := put(customers.Input{}); c.Revision != 0 || !c.HasLeadSource {
		t.Fatalf("put without lead source: %+v", c)
	}
	if c := put(customers.Input{Locale: ptr("de"), LeadSource: &customers.LeadSourceData{Medium: ptr("social")}}); c.Revision != 1 {
		t.Fatalf("put changing customer and lead source: revision %d, want 1", c.Revision)
	}
	if c := put(customers.Input{Locale: ptr("de"), LeadSource: &customers.LeadSourceData{Medium: ptr("tv")}}); c.Revision != 2 {
		t.Fatalf("put changing only the lead source: revision %d, want 2", c.Revision)
	}
	if ls := f.leadSource(t, id); *ls.Medium != "tv" || *ls.Original.Medium != "email" {
		t.Fatalf("lead source: %+v", ls)
	}

	_, _, err = f.svc.Put(ctx, f.org, "new-one", customers.Input{LeadSource: &customers.LeadSourceData{Campaign: ptr(strings.Repeat("x", 513))}}, customers.Precondition{}, customers.ViewOptions{})
	var de *customers.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 || de.Fields[0].Field != "leadSource.campaign" {
		t.Fatalf("invalid inline lead source: %v", err)
	}
	if _, err := f.svc.Get(ctx, f.org, "new-one", customers.ViewOptions{}); !customers.IsNotFound(err) {
		t.Fatalf("invalid inline lead source still created the customer: %v", err)
	}
}

// Racing first writes of a lead source: exactly one creates it, original
// is that one's values, and every write (each with values of its own) is
// one revision.
func TestRacingFirstLeadSourceWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, "c", customers.Input{})
	const n = 10
	var createdCount atomic.Int32
	var creator atomic.Value
	testsync.Race(n, func(i int) {
		campaign := fmt.Sprint("c", i)
		_, created, err := f.svc.PutLeadSource(ctx, f.org, "c", customers.LeadSourceData{Campaign: &campaign}, customers.Precondition{})
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
		if created {
			createdCount.Add(1)
			creator.Store(campaign)
		}
	})
	if createdCount.Load() != 1 {
		t.Fatalf("%d writes created the lead source, want 1", createdCount.Load())
	}
	ls := f.leadSource(t, "c")
	if ls.Original.Campaign == nil || *ls.Original.Campaign != creator.Load() {
		t.Fatalf("original %+v, want the creator's campaign %v", ls.Original, creator.Load())
	}
	if ls.Revision != n {
		t.Fatalf("revision %d after %d changing writes, want %d", ls.Revision, n, n)
	}
}

// errRollback ends a transaction a test holds open on purpose.
var errRollback = errors.New("rolled back by the test")

// Reading a lead source takes no row lock: it answers, with the committed
// revision, while another transaction holds the customer locked for a
// write. The deadline only matters if the read blocks, which is the failure.
func TestGetLeadSourceDoesNotWaitForWriters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, "busy-ls", customers.Input{LeadSource: &customers.LeadSourceData{Source: ptr("ads")}})

	// A writer locks the customer and changes it, as PutLeadSource does,
	// and reads the lead source before it rolls back. (The test's
	// checks wait until the transaction has ended.)
	var read *customers.LeadSourceView
	var readErr error
	err := f.store.InTx(ctx, f.org, func(tx customers.Tx) error {
		c, err := tx.LockCustomer(ctx, "busy-ls")
		if err != nil || c == nil {
			return fmt.Errorf("lock: %v, %v", c, err)
		}
		c.Revision++
		if err := tx.UpdateCustomer(ctx, c); err != nil {
			return err
		}
		readCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		read, readErr = f.svc.GetLeadSource(readCtx, f.org, "busy-ls")
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("the writer's transaction: %v", err)
	}
	if readErr != nil {
		t.Fatalf("read while a writer holds the customer: %v", readErr)
	}
	if ls := decodeLeadSource(t, read); *ls.Source != "ads" || ls.Revision != 0 {
		t.Errorf("lead source %+v, want the committed state (revision 0)", ls)
	}
}
