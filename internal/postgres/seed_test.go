package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/postgres"
)

// seedCustomers makes n varied customers: with and without a
// primary address, emails, phones (mixed case), tags, custom fields and a
// lead source, as the service would store them (hashes set).
func seedCustomers(n int) []postgres.SeedCustomer {
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	out := make([]postgres.SeedCustomer, 0, n)
	for i := range n {
		c := &customers.Customer{
			ID:              fmt.Sprintf("seed-%04d", i),
			CustomFields:    map[string]any{},
			CreatedTime:     base.Add(time.Duration(i) * time.Minute),
			AverageValue:    customers.Money{Currency: "USD"},
			LifetimeRevenue: customers.Money{Currency: "USD"},
			Tags:            []string{},
			IsEddRequired:   i%7 == 0,
			Revision:        int64(i % 4),
		}
		c.UpdatedTime = c.CreatedTime.Add(time.Duration(c.Revision) * time.Hour)
		if i%3 == 0 {
			c.Tags = append(c.Tags, "VIP")
		}
		if i%5 == 0 {
			c.Tags = append(c.Tags, "Newsletter")
		}
		if i%2 == 0 {
			c.WebsiteID = ptr(fmt.Sprintf("web-%d", i%3))
			c.Locale = ptr("en-GB")
			c.CustomFields["tier"] = []string{"gold", "silver"}[i%4/2]
			c.CustomFields["score"] = json.Number(fmt.Sprint(i))
		}
		if i%11 == 0 {
			c.DefaultPaymentInstrument = &customers.PaymentInstrument{Method: "paypal", PaymentInstrumentID: ptr(fmt.Sprintf("pi-%d", i))}
		}
		if i%10 != 9 { // one in ten has no primary address at all
			a := &customers.Contact{Country: ptr([]string{"GB", "US", "DE"}[i%3])}
			if i%4 != 3 {
				a.FirstName, a.LastName = ptr("Ada"), ptr(fmt.Sprintf("Smith%d", i))
			}
			if i%6 == 0 {
				a.Organization = ptr("Analytical Engines")
			}
			for k := range i % 3 {
				a.Emails = append(a.Emails, customers.ContactEmail{
					Label: "e", Value: fmt.Sprintf("Ada.%d.%d@Example.COM", i, k), Primary: k == 1,
				})
			}
			for k := range (i + 1) % 3 {
				a.PhoneNumbers = append(a.PhoneNumbers, customers.ContactPhone{Label: "p", Value: fmt.Sprintf("+44 20 %04d %d", i, k)})
			}
			a.Hash = customers.ContactHash(a)
			c.PrimaryAddress = a
		}
		sc := postgres.SeedCustomer{Customer: c}
		if i%4 == 1 {
			data := customers.LeadSourceData{Source: ptr("google"), Medium: ptr("cpc"), Campaign: ptr(fmt.Sprintf("camp-%d", i%5))}
			sc.LeadSource = &customers.LeadSource{CustomerID: c.ID, LeadSourceData: data, Original: data, CreatedTime: c.CreatedTime, UpdatedTime: c.CreatedTime}
		}
		out = append(out, sc)
	}
	return out
}

// batches hands out list in batches of size, then an empty one.
func batches(list []postgres.SeedCustomer, size int) func() ([]postgres.SeedCustomer, error) {
	return func() ([]postgres.SeedCustomer, error) {
		n := min(size, len(list))
		b := list[:n]
		list = list[n:]
		return b, nil
	}
}

func (f *fixture) indexes(t *testing.T) []string {
	t.Helper()
	var defs []string
	if err := f.db.Select(&defs, `SELECT indexdef FROM pg_indexes WHERE tablename IN ('customers', 'lead_sources') ORDER BY indexname`); err != nil {
		t.Fatal(err)
	}
	return defs
}

func (f *fixture) count(t *testing.T, query string) int {
	t.Helper()
	var n int
	if err := f.db.Get(&n, query, f.org); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

const (
	countRows     = `SELECT count(*) FROM customers WHERE organization_id = $1`
	countCounters = `SELECT COALESCE(sum(n), 0) FROM customer_counts WHERE organization_id = $1`
	countLeads    = `SELECT count(*) FROM lead_sources WHERE organization_id = $1`
)

func TestSeedLoadsWhatTheServiceWouldStore(t *testing.T) {
	t.Parallel()
	for _, rebuild := range []bool{true, false} {
		t.Run(fmt.Sprintf("rebuild indexes %v", rebuild), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx := context.Background()
			// Customers written the ordinary way count too.
			for range 2 {
				if _, err := f.svc.Create(ctx, f.org, fullInput(), customers.ViewOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			indexesBefore := f.indexes(t)

			const n = 300
			list := seedCustomers(n)
			var progress []int
			loaded, err := f.store.Seed(ctx, f.org, batches(list, 64), postgres.SeedOptions{
				RebuildIndexes: rebuild, Progress: func(k int) { progress = append(progress, k) },
			})
			if err != nil || loaded != n {
				t.Fatalf("Seed = %d, %v; want %d", loaded, err, n)
			}
			if want := []int{64, 128, 192, 256, 300}; !slices.Equal(progress, want) {
				t.Errorf("progress %v, want %v", progress, want)
			}

			if got := f.count(t, countRows); got != n+2 {
				t.Errorf("%d rows, want %d", got, n+2)
			}
			if got := f.count(t, countCounters); got != n+2 {
				t.Errorf("customer_counts say %d, want %d", got, n+2)
			}
			if total := listTotal(t, f.store, f.org, customers.ListQuery{Limit: 0}); total != n+2 {
				t.Errorf("unfiltered total %d, want %d", total, n+2)
			}
			wantLeads := 0
			for _, sc := range list {
				if sc.LeadSource != nil {
					wantLeads++
				}
			}
			if got := f.count(t, countLeads); got != wantLeads {
				t.Errorf("%d lead sources, want %d", got, wantLeads)
			}
			if got := f.indexes(t); !slices.Equal(got, indexesBefore) {
				t.Errorf("indexes after Seed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(indexesBefore, "\n"))
			}

			// Filters over the generated columns (tags, email entries, q)
			// and the indexes rebuilt find the seeded rows.
			for _, tc := range []struct {
				filter, q string
				want      func(*customers.Customer) bool
			}{
				{filter: "tags:vip", want: func(c *customers.Customer) bool { return slices.Contains(c.Tags, "VIP") }},
				{filter: "primaryAddress.emails:ada.5.1@example.com", want: func(c *customers.Customer) bool { return c.ID == "seed-0005" }},
				{q: "smith1", want: func(c *customers.Customer) bool {
					return c.FirstName() != nil && strings.HasPrefix(*c.LastName(), "Smith1")
				}},
			} {
				want := 0
				for _, sc := range list {
					if tc.want(sc.Customer) {
						want++
					}
				}
				p := listPage(t, f.store, f.org, customers.ListQuery{Filter: tc.filter, Q: tc.q, Limit: 1000}, customers.ViewOptions{})
				if p.total != int64(want) || len(p.views) != want {
					t.Errorf("filter %q q %q: total %d with %d customers; want %d", tc.filter, tc.q, p.total, len(p.views), want)
				}
			}

			// The tag objects written with each row are what the links say.
			var stale int
			if err := f.db.Get(&stale, `SELECT count(*) FROM customers WHERE organization_id = $1
				AND (tags <> customer_tag_names(organization_id, id) OR tag_objects <> customer_tag_objects(organization_id, id))`, f.org); err != nil || stale != 0 {
				t.Errorf("%d seeded customers' tags disagree with their links (%v)", stale, err)
			}
			var tagged int
			if err := f.db.Get(&tagged, `SELECT count(*) FROM customers WHERE organization_id = $1 AND tag_objects <> '[]'`, f.org); err != nil || tagged == 0 {
				t.Errorf("%d seeded customers have tag objects (%v)", tagged, err)
			}

			// Every customer and lead source reads back as it was given.
			for _, sc := range list {
				c := sc.Customer
				got, err := f.store.GetView(ctx, f.org, c.ID, customers.ViewOptions{})
				if err != nil || got == nil {
					t.Fatalf("customer %s: %v, %v", c.ID, got, err)
				}
				if want := representation(t, c, f.org); !sameJSON(t, withoutTagDetails(t, got.JSON), want) {
					t.Fatalf("customer %s reads back as\n%s\nwant\n%s", c.ID, got.JSON, want)
				}
				wantView := customers.View{ID: c.ID, Revision: c.Revision, HasLeadSource: sc.LeadSource != nil, WebsiteID: c.WebsiteID}
				if c.DefaultPaymentInstrument != nil {
					wantView.PaymentInstrumentID = c.DefaultPaymentInstrument.PaymentInstrumentID
				}
				if got.JSON = nil; !reflect.DeepEqual(*got, wantView) {
					t.Fatalf("customer %s: link fields %+v, want %+v", c.ID, *got, wantView)
				}
				ls, exists, err := f.store.GetLeadSourceView(ctx, f.org, c.ID)
				switch {
				case err != nil || !exists:
					t.Fatalf("customer %s: lead source: exists %v, %v", c.ID, exists, err)
				case sc.LeadSource == nil && ls != nil:
					t.Fatalf("customer %s: lead source %s; want none", c.ID, ls.JSON)
				case sc.LeadSource != nil && (ls == nil || ls.Revision != c.Revision || !sameJSON(t, ls.JSON, leadSourceRepresentation(t, sc.LeadSource))):
					t.Fatalf("customer %s: lead source %+v; want\n%s at revision %d", c.ID, ls, leadSourceRepresentation(t, sc.LeadSource), c.Revision)
				}
			}
		})
	}
}

func TestSeedIsAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	existing, err := f.svc.Create(ctx, f.org, fullInput(), customers.ViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	indexesBefore := f.indexes(t)

	dup := seedCustomers(150)
	dup[120].Customer.ID = existing.ID // in the second batch
	stray := seedCustomers(150)
	stray[105].LeadSource.CustomerID = "someone-else" // in the second batch
	for name, list := range map[string][]postgres.SeedCustomer{"duplicate id": dup, "lead source of another customer": stray} {
		for _, rebuild := range []bool{true, false} {
			loaded, err := f.store.Seed(ctx, f.org, batches(list, 100), postgres.SeedOptions{RebuildIndexes: rebuild})
			if err == nil || loaded != 0 {
				t.Errorf("%s, rebuild %v: Seed = %d, %v; want 0 and an error", name, rebuild, loaded, err)
			}
		}
	}
	failing := func() ([]postgres.SeedCustomer, error) { return nil, fmt.Errorf("generator broke") }
	if loaded, err := f.store.Seed(ctx, f.org, failing, postgres.SeedOptions{RebuildIndexes: true}); err == nil || loaded != 0 {
		t.Errorf("failing generator: Seed = %d, %v", loaded, err)
	}
	if got := f.count(t, countRows); got != 1 {
		t.Errorf("%d rows after failed seeds, want 1", got)
	}
	if got := f.count(t, countCounters); got != 1 {
		t.Errorf("customer_counts say %d after failed seeds, want 1", got)
	}
	if got := f.count(t, countLeads); got != 0 {
		t.Errorf("%d lead sources after failed seeds, want 0", got)
	}
	if got := f.indexes(t); !slices.Equal(got, indexesBefore) {
		t.Errorf("a failed seed lost indexes:\n%s", strings.Join(got, "\n"))
	}
}

// representation is the API's JSON of c (SPEC §3), without _links and
// _embedded, as GetView must render it: built here from the domain's
// values, independently of the store.
func representation(t *testing.T, c *customers.Customer, org string) []byte {
	t.Helper()
	tags := []map[string]string{}
	for _, name := range slices.Sorted(slices.Values(c.Tags)) {
		tags = append(tags, map[string]string{"name": name, "type": "customer"})
	}
	taxNumbers := c.TaxNumbers
	if taxNumbers == nil {
		taxNumbers = []customers.TaxNumber{}
	}
	var lastPayment *string
	if c.LastPaymentTime != nil {
		lastPayment = ptr(apiTime(*c.LastPaymentTime))
	}
	doc, err := json.Marshal(map[string]any{
		"id":                          c.ID,
		"email":                       c.Email(),
		"firstName":                   c.FirstName(),
		"lastName":                    c.LastName(),
		"websiteId":                   c.WebsiteID,
		"defaultPaymentInstrument":    c.DefaultPaymentInstrument,
		"customFields":                c.CustomFields,
		"primaryAddress":              c.PrimaryAddress,
		"locale":                      c.Locale,
		"isEddRequired":               c.IsEddRequired,
		"createdTime":                 apiTime(c.CreatedTime),
		"updatedTime":                 apiTime(c.UpdatedTime),
		"revision":                    c.Revision,
		"averageValue":                moneyJSON(c.AverageValue),
		"lifetimeRevenue":             moneyJSON(c.LifetimeRevenue),
		"paymentCount":                c.PaymentCount,
		"invoiceCount":                c.InvoiceCount,
		"lastPaymentTime":             lastPayment,
		"tags":                        tags,
		"hasFulfilledKyc":             false,
		"taxNumbers":                  taxNumbers,
		"notificationEmails":          append([]string{}, c.NotificationEmails...),
		"preferredPayoutInstrumentId": c.PreferredPayoutInstrumentID,
		"organizationId":              org,
	})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// leadSourceRepresentation is the API's JSON of ls (SPEC §6) without _links.
func leadSourceRepresentation(t *testing.T, ls *customers.LeadSource) []byte {
	t.Helper()
	data, err := json.Marshal(ls.LeadSourceData)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["original"] = ls.Original
	doc["createdTime"] = apiTime(ls.CreatedTime)
	doc["updatedTime"] = apiTime(ls.UpdatedTime)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// apiTime is how the API writes a time: RFC 3339 in UTC, whole seconds.
func apiTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// moneyJSON writes amounts as decimal numbers without trailing zeros.
func moneyJSON(m customers.Money) map[string]any {
	return map[string]any{"currency": m.Currency, "amount": amountJSON(m.Amount), "amountUsd": amountJSON(m.AmountUSD)}
}

func amountJSON(a customers.Amount) json.Number {
	s := new(big.Rat).SetFrac64(int64(a), 10000).FloatString(4)
	return json.Number(strings.TrimSuffix(strings.TrimRight(s, "0"), "."))
}

// withoutTagDetails keeps of each of the customer's tags its name and type:
// their ids and times are the database's, not the seed's.
func withoutTagDetails(t *testing.T, doc []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	var tags []map[string]any
	if err := json.Unmarshal(m["tags"], &tags); err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		if id, ok := tag["id"].(string); !ok || len(id) != 36 {
			t.Errorf("tag %v has no uuid", tag)
		}
		delete(tag, "id")
		delete(tag, "createdTime")
		delete(tag, "updatedTime")
	}
	raw, err := json.Marshal(tags)
	if err != nil {
		t.Fatal(err)
	}
	m["tags"] = raw
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
