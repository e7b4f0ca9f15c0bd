package postgres_test

// The store itself: that it renders exactly what was written, and that an
// organization never sees another's data. The Service's rules (revisions,
// upserts, merges, lead sources) are tested in package customers.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func ptr[T any](v T) *T { return &v }

// fixture is a store over a fresh database with one organization.
type fixture struct {
	db    *sqlx.DB // for checks and set-ups in SQL, in the server's time zone
	store *postgres.Store
	// storeDB is the store's pool, its sessions in storeTimeZone.
	storeDB *sqlx.DB
	svc     *customers.Service
	org     string
}

// storeTimeZone is the time zone of the store's sessions: far from UTC and
// not a whole number of hours away, so that a time rendered in the
// session's zone instead of UTC shows.
const storeTimeZone = "Asia/Kathmandu"

func newFixture(t *testing.T, opts ...customers.Option) *fixture {
	t.Helper()
	ctx := context.Background()
	db, dsn := pgtest.NewDBURL(t)
	storeDB, err := postgres.Open(ctx, withParam(dsn, "timezone", storeTimeZone), postgres.Settings{MaxConns: 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { storeDB.Close() })
	store := postgres.New(storeDB)
	org, err := access.NewService(store).CreateOrganization(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, store: store, storeDB: storeDB, svc: customers.NewService(store, opts...), org: org.ID}
}

// withParam adds a connection parameter to dsn, in URL or key=value form.
func withParam(dsn, key, value string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " " + key + "=" + value
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
			PhoneNumbers: []customers.ContactPhone{{Label: "main", Value: "+44 20 0000 0000", Primary: true}},
			Emails: []customers.ContactEmail{
				{Label: "work", Value: "ada@work.example"},
				{Label: "home", Value: "ada@home.example", Primary: true},
			},
		},
		Locale:                      ptr("en-GB"),
		IsEddRequired:               ptr(true),
		TaxNumbers:                  []customers.TaxNumber{{Type: "eu-vat", Value: "DE123456789", IsDefault: true}, {Type: "other", Value: "X-1"}},
		NotificationEmails:          []string{"billing@example.com"},
		PreferredPayoutInstrumentID: ptr("po-1"),
	}
}

// decodeJSON decodes a JSON document into generic values, numbers as
// json.Number: 10.5 and 10.50 differ, as they do on the wire.
func decodeJSON(t *testing.T, doc []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", doc, err)
	}
	return v
}

// sameJSON reports whether two JSON documents hold the same values, with
// numbers compared as written.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	return reflect.DeepEqual(decodeJSON(t, a), decodeJSON(t, b))
}

// wantAllLeadSource is the lead source of the "every field" case below.
const wantAllLeadSource = `{
	"medium": null, "source": null, "campaign": "spring", "term": null, "content": null,
	"affiliate": null, "subAffiliate": null, "salesAgent": null, "clickId": null, "path": null,
	"referrer": "https://example.com/a?b=c",
	"createdTime": "2026-01-02T03:04:05Z", "updatedTime": "2026-01-02T03:04:05Z",
	"original": {
		"medium": null, "source": null, "campaign": "spring", "term": null, "content": null,
		"affiliate": null, "subAffiliate": null, "salesAgent": null, "clickId": null, "path": null,
		"referrer": "https://example.com/a?b=c"
	}
}`

// TestGetViewRendersWhatWasWritten writes customers through the service
// and reads them back with GetView: the JSON must be exactly the API's
// representation (SPEC §3) of what was written. $ID stands for the
// customer's id and $HASH for its contact's hash.
func TestGetViewRendersWhatWasWritten(t *testing.T) {
	t.Parallel()
	// Writes take this instant; the store must show it in UTC, whole seconds.
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := newFixture(t, customers.WithClock(func() time.Time { return now }))
	ctx := context.Background()
	var zone string
	if err := f.storeDB.GetContext(ctx, &zone, `SHOW TimeZone`); err != nil || zone != storeTimeZone {
		t.Fatalf("the store's sessions run in time zone %q (%v), want %s", zone, err, storeTimeZone)
	}

	all := fullInput()
	all.LeadSource = &customers.LeadSourceData{Campaign: ptr("spring"), Referrer: ptr("https://example.com/a?b=c")}
	cases := []struct {
		name string
		in   customers.Input
		// payments sets, in SQL, the read-only figures payments would
		// maintain (this service takes none yet).
		payments   string
		want       string
		leadSource string // the lead source's JSON, "" for none
	}{
		{
			name:     "every field",
			in:       all,
			payments: `payment_count = 3, invoice_count = 4, average_value_amount = 10.5, average_value_amount_usd = 10.5, lifetime_revenue_amount = 31.50, lifetime_revenue_amount_usd = 31.50, last_payment_time = '2026-03-01T12:00:00+02:00'`,
			want: `{
				"id": "$ID",
				"email": "ada@home.example",
				"firstName": "Ada",
				"lastName": "Lovelace",
				"websiteId": "web-1",
				"defaultPaymentInstrument": {"method": "payment-card", "paymentInstrumentId": "pi-1"},
				"customFields": {"tier": "gold", "score": 12.5, "tags": ["a", 2, true, null]},
				"primaryAddress": {
					"firstName": "Ada", "lastName": "Lovelace", "organization": "Analytical Engines",
					"jobTitle": "Programmer", "address": "1 Main St", "address2": "Flat 2", "city": "London",
					"region": "Greater London", "country": "GB", "postalCode": "SW1A 1AA", "dob": "1815-12-10",
					"phoneNumbers": [{"label": "main", "value": "+44 20 0000 0000", "primary": true}],
					"emails": [
						{"label": "work", "value": "ada@work.example", "primary": false},
						{"label": "home", "value": "ada@home.example", "primary": true}
					],
					"hash": "$HASH"
				},
				"locale": "en-GB",
				"isEddRequired": true,
				"createdTime": "2026-01-02T03:04:05Z",
				"updatedTime": "2026-01-02T03:04:05Z",
				"revision": 0,
				"averageValue": {"currency": "USD", "amount": 10.5, "amountUsd": 10.5},
				"lifetimeRevenue": {"currency": "USD", "amount": 31.5, "amountUsd": 31.5},
				"paymentCount": 3,
				"invoiceCount": 4,
				"lastPaymentTime": "2026-03-01T10:00:00Z",
				"tags": [],
				"hasFulfilledKyc": false,
				"taxNumbers": [
					{"type": "eu-vat", "value": "DE123456789", "isDefault": true, "isValid": null},
					{"type": "other", "value": "X-1", "isDefault": false, "isValid": null}
				],
				"notificationEmails": ["billing@example.com"],
				"preferredPayoutInstrumentId": "po-1",
				"organizationId": "$ORG"
			}`,
			leadSource: wantAllLeadSource,
		},
		{
			name: "nothing but defaults",
			in:   customers.Input{},
			want: `{
				"id": "$ID", "email": null, "firstName": null, "lastName": null,
				"websiteId": null, "defaultPaymentInstrument": null, "customFields": {}, "primaryAddress": null,
				"locale": null, "isEddRequired": false,
				"createdTime": "2026-01-02T03:04:05Z", "updatedTime": "2026-01-02T03:04:05Z", "revision": 0,
				"averageValue": {"currency": "USD", "amount": 0, "amountUsd": 0},
				"lifetimeRevenue": {"currency": "USD", "amount": 0, "amountUsd": 0},
				"paymentCount": 0, "invoiceCount": 0, "lastPaymentTime": null, "tags": [], "hasFulfilledKyc": false,
				"taxNumbers": [], "notificationEmails": [], "preferredPayoutInstrumentId": null, "organizationId": "$ORG"
			}`,
		},
		{
			name: "a contact with no phones or emails, first email not primary",
			in: customers.Input{PrimaryAddress: &customers.Contact{LastName: ptr("Zoë"), Emails: []customers.ContactEmail{
				{Label: "a", Value: "first@example.com"}, {Label: "b", Value: "second@example.com"},
			}}},
			want: `{
				"id": "$ID", "email": "first@example.com", "firstName": null, "lastName": "Zoë",
				"websiteId": null, "defaultPaymentInstrument": null, "customFields": {},
				"primaryAddress": {
					"firstName": null, "lastName": "Zoë", "organization": null, "jobTitle": null,
					"address": null, "address2": null, "city": null, "region": null, "country": null,
					"postalCode": null, "dob": null, "phoneNumbers": [],
					"emails": [
						{"label": "a", "value": "first@example.com", "primary": false},
						{"label": "b", "value": "second@example.com", "primary": false}
					],
					"hash": "$HASH"
				},
				"locale": null, "isEddRequired": false,
				"createdTime": "2026-01-02T03:04:05Z", "updatedTime": "2026-01-02T03:04:05Z", "revision": 0,
				"averageValue": {"currency": "USD", "amount": 0, "amountUsd": 0},
				"lifetimeRevenue": {"currency": "USD", "amount": 0, "amountUsd": 0},
				"paymentCount": 0, "invoiceCount": 0, "lastPaymentTime": null, "tags": [], "hasFulfilledKyc": false,
				"taxNumbers": [], "notificationEmails": [], "preferredPayoutInstrumentId": null, "organizationId": "$ORG"
			}`,
		},
		{
			name: "a contact with no lists at all",
			in:   customers.Input{PrimaryAddress: &customers.Contact{Country: ptr("FR")}},
			want: `{
				"id": "$ID", "email": null, "firstName": null, "lastName": null,
				"websiteId": null, "defaultPaymentInstrument": null, "customFields": {},
				"primaryAddress": {
					"firstName": null, "lastName": null, "organization": null, "jobTitle": null,
					"address": null, "address2": null, "city": null, "region": null, "country": "FR",
					"postalCode": null, "dob": null, "phoneNumbers": [], "emails": [], "hash": "$HASH"
				},
				"locale": null, "isEddRequired": false,
				"createdTime": "2026-01-02T03:04:05Z", "updatedTime": "2026-01-02T03:04:05Z", "revision": 0,
				"averageValue": {"currency": "USD", "amount": 0, "amountUsd": 0},
				"lifetimeRevenue": {"currency": "USD", "amount": 0, "amountUsd": 0},
				"paymentCount": 0, "invoiceCount": 0, "lastPaymentTime": null, "tags": [], "hasFulfilledKyc": false,
				"taxNumbers": [], "notificationEmails": [], "preferredPayoutInstrumentId": null, "organizationId": "$ORG"
			}`,
		},
	}
	hashForm := regexp.MustCompile(`^[0-9a-f]{40}$`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			written, err := f.svc.Create(ctx, f.org, tc.in, customers.ViewOptions{LeadSource: true})
			if err != nil {
				t.Fatal(err)
			}
			id := written.ID
			hash := ""
			if tc.in.PrimaryAddress != nil {
				if hash = customers.ContactHash(tc.in.PrimaryAddress); !hashForm.MatchString(hash) {
					t.Fatalf("ContactHash = %q, not 40 lower-case hex characters", hash)
				}
			}
			want := strings.NewReplacer("$ID", id, "$HASH", hash, "$ORG", f.org).Replace(tc.want)
			if tc.payments != "" {
				if _, err := f.db.Exec(`UPDATE customers SET `+tc.payments+` WHERE organization_id = $1 AND id = $2`, f.org, id); err != nil {
					t.Fatal(err)
				}
			} else if !sameJSON(t, written.JSON, []byte(want)) {
				// What the write's transaction renders is the same.
				t.Errorf("Create returned\n%s\nwant\n%s", written.JSON, want)
			}

			for _, opt := range []customers.ViewOptions{{}, {LeadSource: true}} {
				v, err := f.store.GetView(ctx, f.org, id, opt)
				if err != nil || v == nil {
					t.Fatalf("GetView(%+v) = %v, %v", opt, v, err)
				}
				if !sameJSON(t, v.JSON, []byte(want)) {
					t.Errorf("GetView(%+v) renders\n%s\nwant\n%s", opt, v.JSON, want)
				}
				wantView := customers.View{
					ID: id, Revision: 0, HasLeadSource: tc.leadSource != "",
					WebsiteID: tc.in.WebsiteID, PaymentInstrumentID: nil,
				}
				if pi := tc.in.DefaultPaymentInstrument; pi != nil {
					wantView.PaymentInstrumentID = pi.PaymentInstrumentID
				}
				gotView := *v
				gotView.JSON, gotView.LeadSource = nil, nil
				if !reflect.DeepEqual(gotView, wantView) {
					t.Errorf("GetView(%+v) link fields %+v, want %+v", opt, gotView, wantView)
				}
				switch {
				case !opt.LeadSource || tc.leadSource == "":
					if v.LeadSource != nil {
						t.Errorf("GetView(%+v) has a lead source: %s", opt, v.LeadSource.JSON)
					}
				case v.LeadSource == nil:
					t.Errorf("GetView(%+v) has no lead source", opt)
				case v.LeadSource.CustomerID != id || v.LeadSource.Revision != 0 || !sameJSON(t, v.LeadSource.JSON, []byte(tc.leadSource)):
					t.Errorf("GetView(%+v) lead source %s of %s at %d, want\n%s", opt, v.LeadSource.JSON, v.LeadSource.CustomerID, v.LeadSource.Revision, tc.leadSource)
				}
			}

			ls, exists, err := f.store.GetLeadSourceView(ctx, f.org, id)
			switch {
			case err != nil || !exists:
				t.Errorf("GetLeadSourceView: exists %v, %v", exists, err)
			case tc.leadSource == "" && ls != nil:
				t.Errorf("GetLeadSourceView of a customer without one: %s", ls.JSON)
			case tc.leadSource != "" && (ls == nil || ls.CustomerID != id || ls.Revision != 0 || !sameJSON(t, ls.JSON, []byte(tc.leadSource))):
				t.Errorf("GetLeadSourceView = %+v, want\n%s", ls, tc.leadSource)
			}
		})
	}

	// A list renders each customer as GetView does, lead source included.
	listed := listPage(t, f.store, f.org, customers.ListQuery{Limit: 100}, customers.ViewOptions{LeadSource: true})
	if listed.total != int64(len(cases)) || len(listed.views) != len(cases) {
		t.Fatalf("list: total %d with %d customers, want %d", listed.total, len(listed.views), len(cases))
	}
	for _, lv := range listed.views {
		gv, err := f.store.GetView(ctx, f.org, lv.ID, customers.ViewOptions{LeadSource: true})
		if err != nil || gv == nil {
			t.Fatalf("GetView %s: %v, %v", lv.ID, gv, err)
		}
		if !sameJSON(t, lv.JSON, gv.JSON) {
			t.Errorf("%s listed as\n%s\nread as\n%s", lv.ID, lv.JSON, gv.JSON)
		}
		if (lv.LeadSource == nil) != (gv.LeadSource == nil) || (lv.LeadSource != nil && !sameJSON(t, lv.LeadSource.JSON, gv.LeadSource.JSON)) {
			t.Errorf("%s: listed lead source %+v, read %+v", lv.ID, lv.LeadSource, gv.LeadSource)
		}
		lv.JSON, lv.LeadSource, gv.JSON, gv.LeadSource = nil, nil, nil, nil
		if !reflect.DeepEqual(lv, *gv) {
			t.Errorf("%s: listed link fields %+v, read %+v", lv.ID, lv, *gv)
		}
	}

	// Absence: nil and no error, and the customer does not exist.
	if v, err := f.store.GetView(ctx, f.org, "nobody", customers.ViewOptions{}); v != nil || err != nil {
		t.Errorf("GetView of a missing customer = %v, %v; want nil, nil", v, err)
	}
	if ls, exists, err := f.store.GetLeadSourceView(ctx, f.org, "nobody"); ls != nil || exists || err != nil {
		t.Errorf("GetLeadSourceView of a missing customer = %v, %v, %v; want nil, false, nil", ls, exists, err)
	}
}

// An organization sees nothing of another's: the same id is two customers,
// and neither reads, lists, locks, merges nor writes the other.
func TestCustomersAreIsolatedByOrganization(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	other := f.newOrg(t)
	put := func(org, id string, in customers.Input) bool {
		t.Helper()
		_, created, err := f.svc.Put(ctx, org, id, in, customers.Precondition{}, customers.ViewOptions{})
		if err != nil {
			t.Fatalf("put %s in %s: %v", id, org, err)
		}
		return created
	}
	put(f.org, "shared-id", customers.Input{WebsiteID: ptr("a"), LeadSource: &customers.LeadSourceData{Source: ptr("ads")}})
	put(f.org, "mine-only", customers.Input{})
	if err := f.svc.Merge(ctx, f.org, "mine-only", "shared-id", customers.Precondition{}); err != nil {
		t.Fatal(err)
	}

	if v, err := f.store.GetView(ctx, other, "shared-id", customers.ViewOptions{LeadSource: true}); v != nil || err != nil {
		t.Errorf("another organization reads the customer: %v, %v", v, err)
	}
	if ls, exists, err := f.store.GetLeadSourceView(ctx, other, "shared-id"); ls != nil || exists || err != nil {
		t.Errorf("another organization reads the lead source: %v, %v, %v", ls, exists, err)
	}
	if into, err := f.store.MergedInto(ctx, other, "mine-only"); into != "" || err != nil {
		t.Errorf("another organization sees the merge: %q, %v", into, err)
	}
	if err := f.store.InTx(ctx, other, func(tx customers.Tx) error {
		c, err := tx.LockCustomer(ctx, "shared-id")
		if c != nil {
			t.Errorf("another organization locks the customer: %+v", c)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if total := listTotal(t, f.store, other, customers.ListQuery{Limit: 10}); total != 0 {
		t.Errorf("another organization lists %d customers", total)
	}

	// The same id in the other organization is a different customer, and
	// the id merged away in ours is free there.
	if !put(other, "shared-id", customers.Input{WebsiteID: ptr("b")}) || !put(other, "mine-only", customers.Input{}) {
		t.Error("put in the other organization did not create")
	}
	mine, err := f.store.GetView(ctx, f.org, "shared-id", customers.ViewOptions{})
	if err != nil || mine == nil || mine.WebsiteID == nil || *mine.WebsiteID != "a" || !mine.HasLeadSource || mine.Revision != 1 {
		t.Fatalf("the other organization's write changed ours: %+v %v", mine, err)
	}
	theirs, err := f.store.GetView(ctx, other, "shared-id", customers.ViewOptions{})
	if err != nil || theirs == nil || *theirs.WebsiteID != "b" || theirs.HasLeadSource || theirs.Revision != 0 {
		t.Fatalf("the other organization's customer: %+v %v", theirs, err)
	}
	if total := listTotal(t, f.store, other, customers.ListQuery{Limit: 10}); total != 2 {
		t.Errorf("the other organization lists %d customers, want 2", total)
	}
	if total := listTotal(t, f.store, f.org, customers.ListQuery{Filter: "id:shared-id,mine-only", Limit: 10}); total != 1 {
		t.Errorf("our organization lists %d of the ids, want 1", total)
	}
}

// page collects what ListViews writes to its PageWriter.
type page struct {
	total int64
	began int
	views []customers.View
}

func (p *page) Begin(total int64) error {
	p.total = total
	p.began++
	return nil
}

func (p *page) Customer(v *customers.View) error {
	c := *v
	c.JSON = bytes.Clone(v.JSON) // v.JSON is valid only during the call
	if v.LeadSource != nil {
		ls := *v.LeadSource
		ls.JSON = bytes.Clone(ls.JSON)
		c.LeadSource = &ls
	}
	p.views = append(p.views, c)
	return nil
}

// listPage runs ListViews, failing the test on an error or a page not begun
// exactly once.
func listPage(t *testing.T, store *postgres.Store, org string, q customers.ListQuery, opt customers.ViewOptions) *page {
	t.Helper()
	p := &page{}
	if err := store.ListViews(context.Background(), org, q, opt, p); err != nil {
		t.Fatalf("list %+v: %v", q, err)
	}
	if p.began != 1 {
		t.Fatalf("list %+v: Begin called %d times, want once", q, p.began)
	}
	return p
}

func listTotal(t *testing.T, store *postgres.Store, org string, q customers.ListQuery) int64 {
	t.Helper()
	return listPage(t, store, org, q, customers.ViewOptions{}).total
}
