package customers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/testsync"
)

// fullInput sets every writable field of a customer.
func fullInput() customers.Input {
	return customers.Input{
		WebsiteID:                ptr("web-1"),
		DefaultPaymentInstrument: &customers.PaymentInstrument{Method: "payment-card", PaymentInstrumentID: ptr("pi-1")},
		CustomFields:             map[string]any{"tier": "gold", "score": json.Number("12.5"), "tags": []any{"a", json.Number("2"), true, nil}},
		PrimaryAddress: &customers.Contact{
			FirstName: ptr("Ada"), LastName: ptr("Lovelace"), Organization: ptr("Analytical Engines"),
			JobTitle: ptr("Programmer"), Address: ptr("1 Main St"), Address2: ptr("Flat 2"), City: ptr("London"),
			Region: ptr("Greater London"), Country: ptr("GB"), PostalCode: ptr("SW1A 1AA"), Dob: ptr("1815-12-10"),
			PhoneNumbers: []customers.ContactPhone{{Label: "main", Value: "+44 20 0000 0000", Primary: true}},
			Emails: []customers.ContactEmail{
				{Label: "work", Value: "ada@work.example"},
				{Label: "home", Value: "ada@home.example", Primary: true},
			},
		},
		Locale:        ptr("en-GB"),
		IsEddRequired: ptr(true),
	}
}

// A new customer has revision 0 and createdTime = updatedTime; its email
// is the primary one of its address and its address carries the hash.
func TestCreateStartsAtRevisionZero(t *testing.T) {
	t.Parallel()
	clock := &steppingClock{}
	f := newFixture(t, customers.WithClock(clock.now))
	ctx := context.Background()

	v, err := f.svc.Create(ctx, f.org, fullInput(), customers.ViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created := decodeCustomer(t, v)
	if created.Revision != 0 || !created.CreatedTime.Equal(created.UpdatedTime) {
		t.Fatalf("new customer: revision %d, created %v, updated %v", created.Revision, created.CreatedTime, created.UpdatedTime)
	}
	if created.Email == nil || *created.Email != "ada@home.example" {
		t.Errorf("email = %v, want the primary one", created.Email)
	}
	if h := created.PrimaryAddress.Hash; h != customers.ContactHash(created.PrimaryAddress) || len(h) != 40 {
		t.Errorf("hash %q not derived from the contact", h)
	}
	if id, err := uuid.Parse(created.ID); err != nil || id.Version() != 4 || id.Variant() != uuid.RFC4122 || id.String() != created.ID {
		t.Errorf("server-made id %q is not a UUID v4 (%v)", created.ID, err)
	}
	// Create answers with what is stored.
	if got := f.get(t, created.ID); !reflect.DeepEqual(got, created) {
		t.Errorf("read back differs from what Create returned:\n got %+v\nwant %+v", got, created)
	}
}

// A PUT that changes nothing keeps revision and updatedTime; one that
// changes something moves both, never createdTime; and PUT replaces every
// writable field, so a field left out takes its default.
func TestPutRevisionAndUpdatedTimeRules(t *testing.T) {
	t.Parallel()
	clock := &steppingClock{}
	f := newFixture(t, customers.WithClock(clock.now))
	ctx := context.Background()
	put := func(in customers.Input) (customer, bool) {
		t.Helper()
		v, created, err := f.svc.Put(ctx, f.org, "cust-1", in, customers.Precondition{}, customers.ViewOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return decodeCustomer(t, v), created
	}

	c0, created := put(fullInput())
	if !created || c0.Revision != 0 {
		t.Fatalf("first put: created=%v revision=%d, want created at 0", created, c0.Revision)
	}

	// The same data again, with a number spelt differently: no change.
	again := fullInput()
	again.CustomFields["score"] = json.Number("12.50")
	c1, created := put(again)
	if created {
		t.Fatal("repeat put reported creating the customer")
	}
	if c1.Revision != 0 || !c1.UpdatedTime.Equal(c0.UpdatedTime) {
		t.Fatalf("unchanged put moved revision %d→%d or updatedTime %v→%v", c0.Revision, c1.Revision, c0.UpdatedTime, c1.UpdatedTime)
	}

	// A real change: revision +1, updatedTime moves, createdTime stays.
	changed := fullInput()
	changed.Locale = ptr("fr-FR")
	c2, _ := put(changed)
	if c2.Revision != 1 || !c2.UpdatedTime.After(c1.UpdatedTime) || !c2.CreatedTime.Equal(c0.CreatedTime) {
		t.Fatalf("changed put: revision %d, updated %v (was %v), created %v (was %v)", c2.Revision, c2.UpdatedTime, c1.UpdatedTime, c2.CreatedTime, c0.CreatedTime)
	}

	// PUT replaces: fields left out take their defaults.
	c3, _ := put(customers.Input{})
	if c3.Revision != 2 {
		t.Errorf("empty put: revision %d, want 2", c3.Revision)
	}
	stored := f.get(t, "cust-1")
	if stored.WebsiteID != nil || stored.PrimaryAddress != nil || stored.IsEddRequired ||
		len(stored.CustomFields) != 0 || stored.DefaultPaymentInstrument != nil || stored.Locale != nil ||
		stored.Email != nil || stored.FirstName != nil || stored.LastName != nil {
		t.Fatalf("empty put did not reset the writable fields (and those derived from them): %+v", stored)
	}
}

// Preconditions are checked in the write's transaction, and a failed one
// writes nothing: not a new customer, not a change.
func TestPutPreconditionsAreAtomic(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	put := func(in customers.Input, pre customers.Precondition) (bool, error) {
		_, created, err := f.svc.Put(ctx, f.org, "c", in, pre, customers.ViewOptions{})
		return created, err
	}

	if _, err := put(customers.Input{}, customers.Precondition{IfMatch: []string{"0"}}); customers.ErrorKind(err) != customers.KindPreconditionFailed {
		t.Fatalf("If-Match on a missing customer: %v, want precondition failed", err)
	}
	if _, err := f.svc.Get(ctx, f.org, "c", customers.ViewOptions{}); !customers.IsNotFound(err) {
		t.Fatalf("a failed conditional PUT created the customer: %v", err)
	}
	if created, err := put(customers.Input{}, customers.Precondition{IfNoneMatch: []string{"*"}}); err != nil || !created {
		t.Fatalf("If-None-Match * on a new id: created=%v err=%v", created, err)
	}
	if _, err := put(customers.Input{Locale: ptr("de")}, customers.Precondition{IfNoneMatch: []string{"*"}}); customers.ErrorKind(err) != customers.KindPreconditionFailed {
		t.Fatalf("If-None-Match * on an existing id: %v, want precondition failed", err)
	}
	if _, err := put(customers.Input{Locale: ptr("de")}, customers.Precondition{IfMatch: []string{"5"}}); customers.ErrorKind(err) != customers.KindPreconditionFailed {
		t.Fatalf("stale If-Match: %v", err)
	}
	if c := f.get(t, "c"); c.Locale != nil || c.Revision != 0 {
		t.Fatalf("a failed precondition wrote: %+v", c)
	}
	if _, err := put(customers.Input{Locale: ptr("de")}, customers.Precondition{IfMatch: []string{"3", "0"}}); err != nil {
		t.Fatalf("If-Match listing the current revision: %v", err)
	}
	if c := f.get(t, "c"); c.Locale == nil || *c.Locale != "de" || c.Revision != 1 {
		t.Fatalf("after a PUT whose If-Match held: %+v", c)
	}
}

// Twenty PUTs of one new id at once: exactly one creates it, the others
// update (or leave unchanged) the row it created, and none fails.
func TestConcurrentPutsOnNewIDCreateOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	const n = 20
	var createdCount atomic.Int32
	testsync.Race(n, func(int) {
		_, created, err := f.svc.Put(ctx, f.org, "racer", customers.Input{WebsiteID: ptr("w")}, customers.Precondition{}, customers.ViewOptions{})
		if err != nil {
			t.Errorf("concurrent put failed: %v", err)
			return
		}
		if created {
			createdCount.Add(1)
		}
	})
	if got := createdCount.Load(); got != 1 {
		t.Fatalf("%d puts reported creating the customer, want exactly 1", got)
	}
	if c := f.get(t, "racer"); c.Revision != 0 {
		t.Fatalf("after identical racing puts: revision %d, want 0", c.Revision)
	}
}

// Fifty writers each making a distinct change: no update is lost, so the
// revision ends exactly fifty higher.
func TestConcurrentChangesCountEveryRevision(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	initial := f.put(t, "busy", customers.Input{})
	const n = 50
	testsync.Race(n, func(i int) {
		in := customers.Input{CustomFields: map[string]any{"writer": json.Number(fmt.Sprint(i))}}
		if _, _, err := f.svc.Put(ctx, f.org, "busy", in, customers.Precondition{}, customers.ViewOptions{}); err != nil {
			t.Errorf("concurrent put failed: %v", err)
		}
	})
	if final := f.get(t, "busy"); final.Revision != initial.Revision+n {
		t.Fatalf("final revision %d, want %d", final.Revision, initial.Revision+n)
	}
}

// Input that breaks a rule is refused before anything is written.
func TestInvalidInputWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, _, err := f.svc.Put(ctx, f.org, "bad", customers.Input{WebsiteID: ptr("")}, customers.Precondition{}, customers.ViewOptions{})
	var de *customers.Error
	if !errors.As(err, &de) || de.Kind != customers.KindInvalid || len(de.Fields) == 0 || de.Fields[0].Field != "websiteId" {
		t.Fatalf("got %v, want invalid websiteId", err)
	}
	if _, err := f.svc.Get(ctx, f.org, "bad", customers.ViewOptions{}); !customers.IsNotFound(err) {
		t.Fatalf("invalid put wrote a customer: %v", err)
	}
	_, _, err = f.svc.Put(ctx, f.org, "a b", customers.Input{}, customers.Precondition{}, customers.ViewOptions{})
	if !errors.As(err, &de) || de.Kind != customers.KindInvalid || len(de.Fields) == 0 || de.Fields[0].Field != "id" {
		t.Fatalf("put with an invalid id: %v, want invalid id", err)
	}
	if _, err := f.svc.Create(ctx, f.org, customers.Input{PaymentToken: ptr("tok")}, customers.ViewOptions{}); customers.ErrorKind(err) != customers.KindInvalid {
		t.Fatalf("create with a payment token: %v, want invalid", err)
	}
	if p := f.list(t, f.org, customers.ListQuery{}); p.total != 0 {
		t.Fatalf("refused writes left %d customers", p.total)
	}
}
