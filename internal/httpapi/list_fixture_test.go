package httpapi_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/pgtest"
	"github.com/jmoiron/sqlx"
)

// The collection-query fixture: twenty customers of one organization, built
// over real HTTP, with the read-only parts that no API writes (tags and the
// payment figures) set in SQL, as payments and tagging would.

// manualClock returns whatever instant the test last set.
type manualClock struct{ ns atomic.Int64 }

func (c *manualClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *manualClock) now() time.Time  { return time.Unix(0, c.ns.Load()) }

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func email(label, value string, primary bool) map[string]any {
	return map[string]any{"label": label, "value": value, "primary": primary}
}

func phone(label, value string, primary bool) map[string]any {
	return map[string]any{"label": label, "value": value, "primary": primary}
}

// fixtureIDs is every customer of the fixture, in the default order
// (-createdTime, ties by id descending).
var fixtureIDs = strings.Fields(`c20 c19 c18 c17 c16 mixedcase-id MixedCase-ID c13 c12 c11 c10 c09 c08 c07 c06 c05 c04 c03 c02 c01`)

// listFixture builds the fixture in a's organization. What each customer
// holds (and so what every expected id set below relies on):
//
//	id            created (UTC)         first / last       email (column)          country  locale  website
//	c01           2024-01-01T00:00:00Z  Ada / Lovelace     ada@home.example        GB       en-GB   web-1
//	c02           2024-01-15T12:00:00Z  ada / LOVELACE     ADA@Example.COM         GB       en_US   Web-1
//	c03           2024-01-31T23:59:59Z  Grace / Hopper     grace@navy.example      US       fr-FR   web-2
//	c04           2024-02-01T00:00:00Z  Alan / Turing      -                       GB       en-GB
//	c05           2024-02-01T00:00:00Z  (no primaryAddress, nothing set)
//	c06           2024-02-10T08:30:00Z  Zoë / Washburne    zoe_w@serenity.example  CA       en-CA
//	c07           2024-02-14T00:00:00Z  100% / Off_Line    -                       DE
//	c08           2024-02-29T22:00:00Z  John / Smith       john@smith.example      US       en-US    (clock at 2024-03-01T00:00:00+02:00)
//	c09           2024-03-01T00:00:00Z  Jane / Smith       -                       US
//	c10           2024-03-05T00:00:00Z  JOHN / Doe         -                       FR       fr-CA   (updated twice: revision 2, updated 2024-05-02)
//	c11           2024-03-10T00:00:00Z  Say "hi" / back\slash
//	c12           2024-03-15T00:00:00Z  Bob / Star*        organization "Acme, Inc.", address "Flat 1..2", city "Lon;don:X", GB
//	c13           2024-03-20T00:00:00Z  Bobby / Starling   organization "acme labs", GB
//	MixedCase-ID  2024-04-01T00:00:00Z  "null" / Literal
//	mixedcase-id  2024-04-02T00:00:00Z  Lower / Case                                                 WEB-1
//	c16           2024-04-03T00:00:00Z  Multi / Mail       Multi2@X.example (3 emails, 2 phones)
//	c17           2024-04-04T00:00:00Z  Shared / Mail      shared@x.example
//	c18           2024-04-05T00:00:00Z  Array / Score
//	c19           2024-04-06T00:00:00Z  Bool / Score                                       GB
//	c20           2024-04-07T00:00:00Z  Late / Update                                               de-DE  (updated once: revision 1, updated 2024-06-01)
//
// Lead sources: c01 {cpc, google, spring} via the lead-source route at
// 2024-05-15 (revision 1); c03 {Bing, Spring} via the route at 2024-05-16
// (revision 1); c16 {email, autumn, referrer https://news.example/path} and c18 {affiliate aff-1} inline on PUT
// (revision 0). Tags: c01 [vip b2b], c02 [VIP], c16 [b2b churn-risk].
// Payments: c01 3 payments, 4 invoices, average 10.5, lifetime 31.5, last
// 2024-05-01T10:00:00Z; c03 1/1, 99.99/99.99, last 2024-02-01T00:00:00Z;
// c16 10/12, 5/50, last 2024-04-30T23:59:59Z. Default payment instruments:
// c01 payment-card, c03 ach, c08 cash, c16 and c17 paypal.
// customFields: tier  c01 "gold", c02 "Gold", c03 "silver", c04 JSON null,
// c06 "gold,platinum", c07 "bronze", c09 "null", c19 "bronze";
// score c01 10, c02 2, c03 "7", c10 5, c17 12.5, c18 [1, 9], c19 true;
// flags c01 ["a", 2, true], c10 ["x", "Y"]; quote c11 `a"b`.
func listFixture(t *testing.T, a *testAPI, db *sqlx.DB, clock *manualClock) {
	t.Helper()
	put := func(at, id string, body map[string]any) {
		t.Helper()
		clock.set(ts(at))
		r := a.do(req{Method: http.MethodPut, Path: "/customers/" + id, Body: body})
		if r.Status != http.StatusCreated && r.Status != http.StatusOK {
			t.Fatalf("PUT /customers/%s: %d %s", id, r.Status, r.Body)
		}
	}
	leadSource := func(at, id string, body map[string]any) {
		t.Helper()
		clock.set(ts(at))
		r := a.do(req{Method: http.MethodPut, Path: "/customers/" + id + "/lead-source", Body: body})
		if r.Status != http.StatusCreated {
			t.Fatalf("PUT /customers/%s/lead-source: %d %s", id, r.Status, r.Body)
		}
	}
	addr := func(first, last string, more map[string]any) map[string]any {
		m := map[string]any{"firstName": first, "lastName": last}
		for k, v := range more {
			m[k] = v
		}
		return m
	}

	put("2024-01-01T00:00:00Z", "c01", map[string]any{
		"websiteId":                "web-1",
		"defaultPaymentInstrument": map[string]any{"method": "payment-card", "paymentInstrumentId": "pi-1"},
		"customFields":             map[string]any{"tier": "gold", "score": 10, "flags": []any{"a", 2, true}},
		"primaryAddress": addr("Ada", "Lovelace", map[string]any{
			"organization": "Analytical Engines", "jobTitle": "Countess", "address": "12 St James's Square",
			"city": "London", "region": "Westminster", "country": "GB", "postalCode": "SW1Y 4JH", "dob": "1815-12-10",
			"emails":       []any{email("work", "ada@work.example", false), email("home", "ada@home.example", true)},
			"phoneNumbers": []any{phone("main", "+44 20 7946 0000", true)},
		}),
		"locale": "en-GB", "isEddRequired": true,
	})
	put("2024-01-15T12:00:00Z", "c02", map[string]any{
		"websiteId":      "Web-1",
		"customFields":   map[string]any{"tier": "Gold", "score": 2},
		"primaryAddress": addr("ada", "LOVELACE", map[string]any{"country": "GB", "emails": []any{email("main", "ADA@Example.COM", true)}}),
		"locale":         "en_US",
	})
	put("2024-01-31T23:59:59Z", "c03", map[string]any{
		"websiteId":                "web-2",
		"defaultPaymentInstrument": map[string]any{"method": "ach", "paymentInstrumentId": "pi-3"},
		"customFields":             map[string]any{"tier": "silver", "score": "7"},
		"primaryAddress": addr("Grace", "Hopper", map[string]any{
			"organization": "US Navy", "city": "Arlington", "country": "US",
			"emails": []any{email("work", "grace@navy.example", false)},
		}),
		"locale": "fr-FR",
	})
	put("2024-02-01T00:00:00Z", "c04", map[string]any{
		"customFields":   map[string]any{"tier": nil},
		"primaryAddress": addr("Alan", "Turing", map[string]any{"country": "GB", "phoneNumbers": []any{phone("mobile", "+44 7700 900123", false)}}),
		"locale":         "en-GB",
	})
	put("2024-02-01T00:00:00Z", "c05", map[string]any{})
	put("2024-02-10T08:30:00Z", "c06", map[string]any{
		"customFields": map[string]any{"tier": "gold,platinum"},
		"primaryAddress": addr("Zoë", "Washburne", map[string]any{
			"country": "CA", "emails": []any{email("home", "zoe_w@serenity.example", true)},
			"phoneNumbers": []any{phone("home", "555-0100", true)},
		}),
		"locale": "en-CA",
	})
	put("2024-02-14T00:00:00Z", "c07", map[string]any{
		"customFields":   map[string]any{"tier": "bronze"},
		"primaryAddress": addr("100%", "Off_Line", map[string]any{"country": "DE"}),
	})
	put("2024-03-01T00:00:00+02:00", "c08", map[string]any{
		"defaultPaymentInstrument": map[string]any{"method": "cash", "paymentInstrumentId": "pi-8"},
		"primaryAddress":           addr("John", "Smith", map[string]any{"country": "US", "emails": []any{email("w", "john@smith.example", true)}}),
		"locale":                   "en-US",
	})
	put("2024-03-01T00:00:00Z", "c09", map[string]any{
		"customFields":   map[string]any{"tier": "null"},
		"primaryAddress": addr("Jane", "Smith", map[string]any{"country": "US"}),
	})
	c10 := map[string]any{
		"customFields":   map[string]any{"flags": []any{"x", "Y"}, "score": 5},
		"primaryAddress": addr("JOHN", "Doe", map[string]any{"country": "FR"}),
	}
	put("2024-03-05T00:00:00Z", "c10", c10)
	c10["locale"] = "fr-FR"
	put("2024-05-01T00:00:00Z", "c10", c10)
	c10["locale"] = "fr-CA"
	put("2024-05-02T00:00:00Z", "c10", c10)
	put("2024-03-10T00:00:00Z", "c11", map[string]any{
		"customFields":   map[string]any{"quote": `a"b`},
		"primaryAddress": addr(`Say "hi"`, `back\slash`, nil),
	})
	put("2024-03-15T00:00:00Z", "c12", map[string]any{
		"primaryAddress": addr("Bob", "Star*", map[string]any{
			"organization": "Acme, Inc.", "address": "Flat 1..2", "city": "Lon;don:X", "country": "GB",
		}),
	})
	put("2024-03-20T00:00:00Z", "c13", map[string]any{
		"primaryAddress": addr("Bobby", "Starling", map[string]any{"organization": "acme labs", "country": "GB"}),
	})
	put("2024-04-01T00:00:00Z", "MixedCase-ID", map[string]any{"primaryAddress": addr("null", "Literal", nil)})
	put("2024-04-02T00:00:00Z", "mixedcase-id", map[string]any{
		"websiteId":      "WEB-1",
		"primaryAddress": addr("Lower", "Case", nil),
	})
	put("2024-04-03T00:00:00Z", "c16", map[string]any{
		"defaultPaymentInstrument": map[string]any{"method": "paypal", "paymentInstrumentId": "pi-16"},
		"primaryAddress": addr("Multi", "Mail", map[string]any{
			"organization": "Analytical Machines",
			"emails": []any{
				email("a", "multi1@x.example", false), email("b", "Multi2@X.example", true), email("c", "shared@x.example", false),
			},
			"phoneNumbers": []any{phone("a", "+1 555 0001", false), phone("b", "+1 555 0002", true)},
		}),
		"isEddRequired": true,
		"leadSource":    map[string]any{"medium": "email", "campaign": "autumn", "referrer": "https://news.example/path"},
	})
	put("2024-04-04T00:00:00Z", "c17", map[string]any{
		"defaultPaymentInstrument": map[string]any{"method": "paypal", "paymentInstrumentId": "pi-17"},
		"customFields":             map[string]any{"score": 12.5},
		"primaryAddress":           addr("Shared", "Mail", map[string]any{"emails": []any{email("a", "shared@x.example", true)}}),
	})
	put("2024-04-05T00:00:00Z", "c18", map[string]any{
		"customFields":   map[string]any{"score": []any{1, 9}},
		"primaryAddress": addr("Array", "Score", nil),
		"leadSource":     map[string]any{"affiliate": "aff-1"},
	})
	put("2024-04-06T00:00:00Z", "c19", map[string]any{
		"customFields":   map[string]any{"score": true, "tier": "bronze"},
		"primaryAddress": addr("Bool", "Score", map[string]any{"country": "GB"}),
	})
	c20 := map[string]any{"primaryAddress": addr("Late", "Update", nil), "locale": "en-GB"}
	put("2024-04-07T00:00:00Z", "c20", c20)
	c20["locale"] = "de-DE"
	put("2024-06-01T00:00:00Z", "c20", c20)

	leadSource("2024-05-15T00:00:00Z", "c01", map[string]any{"medium": "cpc", "source": "google", "campaign": "spring"})
	leadSource("2024-05-16T00:00:00Z", "c03", map[string]any{"source": "Bing", "campaign": "Spring"})

	// Tags and payment figures have no write route: payments and tagging
	// would maintain them. (The lower-cased copy that tag filters read is a
	// generated column.)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	tags := func(id string, tags ...string) {
		pgtest.SetTags(t, db, a.orgID, id, tags...)
	}
	payments := func(id string, count, invoices int, avg, lifetime, last string) {
		exec(`UPDATE customers SET payment_count = $3, invoice_count = $4,
			average_value_amount = $5::numeric, average_value_amount_usd = $5::numeric,
			lifetime_revenue_amount = $6::numeric, lifetime_revenue_amount_usd = $6::numeric,
			last_payment_time = $7 WHERE organization_id = $1 AND id = $2`, a.orgID, id, count, invoices, avg, lifetime, last)
	}
	tags("c01", "vip", "b2b")
	tags("c02", "VIP")
	tags("c16", "b2b", "churn-risk")
	payments("c01", 3, 4, "10.5", "31.5", "2024-05-01T10:00:00Z")
	payments("c03", 1, 1, "99.99", "99.99", "2024-01-31T18:00:00-06:00")
	payments("c16", 10, 12, "5", "50", "2024-04-30T23:59:59Z")
}
