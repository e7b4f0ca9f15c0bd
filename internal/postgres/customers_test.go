package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
	"github.com/jmoiron/sqlx"

	"github.com/billing/customers-api/internal/testsync"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func ptr[T any](v T) *T { return &v }

// steppingClock starts at a fixed instant and moves one second per reading,
// so every write that takes the time gets a distinct, predictable one.
type steppingClock struct{ n atomic.Int64 }

func (c *steppingClock) now() time.Time {
	return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(c.n.Add(1)) * time.Second)
}

// fixture is a store over a fresh database with one organization.
type fixture struct {
	db    *sqlx.DB
	store *postgres.Store
	svc   *customers.Service
	org   string
}

func newFixture(t *testing.T, opts ...customers.Option) *fixture {
	t.Helper()
	db := pgtest.NewDB(t)
	store := postgres.New(db)
	org, err := access.NewService(store).CreateOrganization(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, store: store, svc: customers.NewService(store, opts...), org: org.ID}
}

// newOrg creates another organization in the fixture's database.
func (f *fixture) newOrg(t *testing.T) string {
	t.Helper()
	org, err := access.NewService(f.store).CreateOrganization(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	return org.ID
}

func fullInput() customers.Input {
	return customers.Input{
		WebsiteID:                ptr("web-1"),
		DefaultPaymentInstrument: &customers.PaymentInstrument{Method: "payment-card", PaymentInstrumentID: ptr("pi-1")},
		CustomFields:             map[string]any{"tier": "gold", "score": json.Number("12.5"), "tags": []any{"a", json.Number("2"), true, nil}},
		PrimaryAddress: &customers.Contact{
			FirstName: ptr("Ada"), LastName: ptr("Lovelace"), Organization: ptr("Analytical Engines"),
			JobTitle: ptr("Programmer"), Address: ptr("1 Main St"), Address2: ptr("Flat 2"), City: ptr("London"),
			Region: ptr("Greater London"), Country: ptr("GB"), PostalCode: ptr("SW1A 1AA"), Dob: ptr("1815-12-10"),
			PhoneNumbers: []customers.ContactPoint{{Label: "main", Value: "+44 20 0000 0000", Primary: true}},
			Emails: []customers.ContactPoint{
				{Label: "work", Value: "ada@work.example"},
				{Label: "home", Value: "ada@home.example", Primary: true},
			},
		},
		Locale:        ptr("en-GB"),
		IsEddRequired: ptr(true),
	}
}

func TestCreateGetRoundTripsEveryField(t *testing.T) {
	t.Parallel()
	clock := &steppingClock{}
	f := newFixture(t, customers.WithClock(clock.now))
	ctx := context.Background()

	created, err := f.svc.Create(ctx, f.org, fullInput())
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Get(ctx, f.org, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, created) {
		t.Fatalf("read back differs from what was created:\n got %+v\nwant %+v", got, created)
	}
	if got.Revision != 0 || !got.CreatedTime.Equal(got.UpdatedTime) {
		t.Fatalf("new customer: revision %d, created %v, updated %v", got.Revision, got.CreatedTime, got.UpdatedTime)
	}
	if e := got.Email(); e == nil || *e != "ada@home.example" {
		t.Fatalf("email = %v, want the primary one", e)
	}
	if got.PrimaryAddress.Hash != customers.ContactHash(got.PrimaryAddress) || len(got.PrimaryAddress.Hash) != 40 {
		t.Fatalf("hash %q not derived from the contact", got.PrimaryAddress.Hash)
	}
}

func TestPutRevisionAndUpdatedTimeRules(t *testing.T) {
	t.Parallel()
	clock := &steppingClock{}
	f := newFixture(t, customers.WithClock(clock.now))
	ctx := context.Background()
	in := fullInput()

	c0, created, err := f.svc.Put(ctx, f.org, "cust-1", in, customers.Precondition{})
	if err != nil || !created || c0.Revision != 0 {
		t.Fatalf("first put: created=%v revision=%v err=%v", created, c0, err)
	}
	// The same data again, with numbers spelt differently: no change.
	again := fullInput()
	again.CustomFields["score"] = json.Number("12.50")
	c1, created, err := f.svc.Put(ctx, f.org, "cust-1", again, customers.Precondition{})
	if err != nil || created {
		t.Fatalf("repeat put: created=%v err=%v", created, err)
	}
	if c1.Revision != 0 || !c1.UpdatedTime.Equal(c0.UpdatedTime) {
		t.Fatalf("unchanged put moved revision %d→%d or updatedTime %v→%v", c0.Revision, c1.Revision, c0.UpdatedTime, c1.UpdatedTime)
	}
	// A real change: revision +1, updatedTime moves, createdTime stays.
	changed := fullInput()
	changed.Locale = ptr("fr-FR")
	c2, _, err := f.svc.Put(ctx, f.org, "cust-1", changed, customers.Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	if c2.Revision != 1 || !c2.UpdatedTime.After(c1.UpdatedTime) || !c2.CreatedTime.Equal(c0.CreatedTime) {
		t.Fatalf("changed put: revision %d, updated %v (was %v), created %v (was %v)", c2.Revision, c2.UpdatedTime, c1.UpdatedTime, c2.CreatedTime, c0.CreatedTime)
	}
	// PUT replaces: fields left out take their defaults.
	c3, _, err := f.svc.Put(ctx, f.org, "cust-1", customers.Input{}, customers.Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := f.svc.Get(ctx, f.org, "cust-1")
	if err != nil {
		t.Fatal(err)
	}
	if c3.Revision != 2 || stored.WebsiteID != nil || stored.PrimaryAddress != nil || stored.IsEddRequired ||
		len(stored.CustomFields) != 0 || stored.DefaultPaymentInstrument != nil || stored.Locale != nil {
		t.Fatalf("empty put did not reset writable fields: %+v", stored)
	}
}

func TestPutPreconditionsAreAtomic(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if _, _, err := f.svc.Put(ctx, f.org, "c", customers.Input{}, customers.Precondition{IfMatch: []string{"0"}}); customers.ErrorKind(err) != customers.KindPreconditionFailed {
		t.Fatalf("If-Match on a missing customer: %v, want precondition failed", err)
	}
	if _, err := f.svc.Get(ctx, f.org, "c"); !customers.IsNotFound(err) {
		t.Fatalf("a failed conditional PUT created the customer: %v", err)
	}
	if _, created, err := f.svc.Put(ctx, f.org, "c", customers.Input{}, customers.Precondition{IfNoneMatch: []string{"*"}}); err != nil || !created {
		t.Fatalf("If-None-Match * on a new id: created=%v err=%v", created, err)
	}
	if _, _, err := f.svc.Put(ctx, f.org, "c", customers.Input{Locale: ptr("de")}, customers.Precondition{IfMatch: []string{"5"}}); customers.ErrorKind(err) != customers.KindPreconditionFailed {
		t.Fatalf("stale If-Match: %v", err)
	}
	c, err := f.svc.Get(ctx, f.org, "c")
	if err != nil || c.Locale != nil || c.Revision != 0 {
		t.Fatalf("a failed If-Match wrote: %+v, %v", c, err)
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
	errs := make(chan error, n)
	testsync.Race(n, func(int) {
		_, created, err := f.svc.Put(ctx, f.org, "racer", customers.Input{WebsiteID: ptr("w")}, customers.Precondition{})
		if err != nil {
			errs <- err
			return
		}
		if created {
			createdCount.Add(1)
		}
	})
	close(errs)
	for err := range errs {
		t.Errorf("concurrent put failed: %v", err)
	}
	if got := createdCount.Load(); got != 1 {
		t.Fatalf("%d puts reported creating the customer, want exactly 1", got)
	}
	c, err := f.svc.Get(ctx, f.org, "racer")
	if err != nil || c.Revision != 0 {
		t.Fatalf("after identical racing puts: %+v, %v (want revision 0)", c, err)
	}
}

// Fifty writers each making a distinct change: no update is lost, so the
// revision ends exactly fifty higher.
func TestConcurrentChangesCountEveryRevision(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	initial, _, err := f.svc.Put(ctx, f.org, "busy", customers.Input{}, customers.Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := customers.Input{CustomFields: map[string]any{"writer": json.Number(fmt.Sprint(i))}}
			if _, _, err := f.svc.Put(ctx, f.org, "busy", in, customers.Precondition{}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent put failed: %v", err)
	}
	final, err := f.svc.Get(ctx, f.org, "busy")
	if err != nil {
		t.Fatal(err)
	}
	if final.Revision != initial.Revision+n {
		t.Fatalf("final revision %d, want %d", final.Revision, initial.Revision+n)
	}
}

func TestCustomersAreIsolatedByOrganization(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	other := f.newOrg(t)
	if _, _, err := f.svc.Put(ctx, f.org, "shared-id", customers.Input{WebsiteID: ptr("a")}, customers.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Get(ctx, other, "shared-id"); !customers.IsNotFound(err) {
		t.Fatalf("another organization sees the customer: %v", err)
	}
	// The same id in the other organization is a different customer.
	c, created, err := f.svc.Put(ctx, other, "shared-id", customers.Input{WebsiteID: ptr("b")}, customers.Precondition{})
	if err != nil || !created || c.OrganizationID != other {
		t.Fatalf("put in other org: created=%v err=%v", created, err)
	}
	mine, err := f.svc.Get(ctx, f.org, "shared-id")
	if err != nil || *mine.WebsiteID != "a" {
		t.Fatalf("the other organization's write changed ours: %+v %v", mine, err)
	}
}

func TestInvalidInputWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, _, err := f.svc.Put(ctx, f.org, "bad", customers.Input{WebsiteID: ptr("")}, customers.Precondition{})
	var de *customers.Error
	if !errors.As(err, &de) || de.Kind != customers.KindInvalid || de.Fields[0].Field != "websiteId" {
		t.Fatalf("got %v, want invalid websiteId", err)
	}
	if _, err := f.svc.Get(ctx, f.org, "bad"); !customers.IsNotFound(err) {
		t.Fatalf("invalid put wrote a customer: %v", err)
	}
	if _, _, err := f.svc.Put(ctx, f.org, "a b", customers.Input{}, customers.Precondition{}); customers.ErrorKind(err) != customers.KindInvalid {
		t.Fatalf("put with an invalid id: %v", err)
	}
}
