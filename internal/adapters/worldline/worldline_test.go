package worldline_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/access"
)

// kv is one of the lookup's values.
type kv struct{ key, value string }

// lookupBody is the request Worldline's clients send.
func lookupBody(country string, values ...kv) string {
	vs := make([]map[string]string, len(values))
	for i, v := range values {
		vs[i] = map[string]string{"key": v.key, "value": v.value}
	}
	b, _ := json.Marshal(map[string]any{"countryCode": country, "values": vs})
	return string(b)
}

func detailsPath(merchant string) string {
	return "/v1/" + merchant + "/products/9000/customerDetails"
}

// lookup posts body to the merchant's customerDetails with key in REB-APIKEY.
func (e *env) lookup(merchant, key, body string) reply {
	e.T.Helper()
	return e.Send(http.MethodPost, detailsPath(merchant), http.Header{"Reb-Apikey": {key}, "Content-Type": {"application/json"}}, []byte(body))
}

// found checks a 200 answer and returns its details.
func found(t *testing.T, what string, r reply) map[string]any {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Errorf("%s: %d %s, want 200", what, r.Status, r)
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Errorf("%s: %s is not JSON", what, r)
	}
	return m
}

// wlError checks Worldline's error shape and returns its one error.
func wlError(t *testing.T, what string, r reply, status int) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: %d %s, want %d", what, r.Status, r, status)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want application/json (never problem+json)", what, ct)
	}
	var body struct {
		ErrorID *string          `json:"errorId"`
		Errors  []map[string]any `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.ErrorID == nil || *body.ErrorID == "" || len(body.Errors) != 1 {
		t.Errorf("%s: %s is not {errorId, errors: [one error]}", what, r)
		return map[string]any{}
	}
	e := body.Errors[0]
	reqID := r.Header.Get("X-Request-Id")
	if reqID == "" || e["requestId"] != reqID {
		t.Errorf("%s: requestId %v, want the X-Request-Id answer header %q", what, e["requestId"], reqID)
	}
	if e["httpStatusCode"] != float64(status) {
		t.Errorf("%s: httpStatusCode %v, want %d", what, e["httpStatusCode"], status)
	}
	for _, k := range []string{"code", "id", "category", "message"} {
		if s, _ := e[k].(string); s == "" {
			t.Errorf("%s: error %v has no %s", what, e, k)
		}
	}
	return e
}

// notFound checks the seed's 400 for no match, or more than one.
func notFound(t *testing.T, what string, r reply) {
	t.Helper()
	e := wlError(t, what, r, http.StatusBadRequest)
	if e["code"] != "1214" || e["id"] != "CUSTOMER_DETAILS_NOT_FOUND" || e["category"] != "CONNECTION_REJECTED" {
		t.Errorf("%s: %s, want code 1214 CUSTOMER_DETAILS_NOT_FOUND CONNECTION_REJECTED", what, r)
	}
}

// badProperty checks a 400 naming property.
func badProperty(t *testing.T, what string, r reply, property string) {
	t.Helper()
	e := wlError(t, what, r, http.StatusBadRequest)
	if e["propertyName"] != property {
		t.Errorf("%s: propertyName %v, want %q: %s", what, e["propertyName"], property, r)
	}
}

// The example: a customer that fills every mapped field, looked up
// by its fiscal number as Worldline's seed does, compared field by field.
func TestLookupMapsEveryField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, key := e.Org("acme")
	e.PutCustomer(key, "amelie", fullCustomer())
	r := e.lookup(org, key, `{"countryCode": "FR", "values": [{"key": "fiscalNumber", "value": "FR12345678901"}]}`)
	got := found(t, "fiscal number", r)
	want := map[string]any{
		"fiscalNumber": "FR12345678901", // the default tax number, not the first
		"city":         "Paris",
		"street":       "15 Rue Lepic",
		"zip":          "75018",
		"firstName":    "Amélie",
		"surname":      "Poulain",
		"emailAddress": "amelie@example.com", // the primary email, not the first
		"phoneNumber":  "+33 6 00 00 00 02",  // the primary phone, not the first
		"languageCode": "fr",
		"country":      "FR",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("details\n got %v\nwant %v", got, want)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}

	// Fallbacks: no default tax number is the first; absent values are "".
	e.PutCustomer(key, "sparse", map[string]any{
		"primaryAddress": map[string]any{"country": "SE", "emails": []any{map[string]any{"label": "m", "value": "sparse@example.se"}}},
		"taxNumbers": []any{
			map[string]any{"type": "other", "value": "SE-FIRST", "isDefault": false},
			map[string]any{"type": "other", "value": "SE-SECOND", "isDefault": false},
		},
	})
	got = found(t, "sparse", e.lookup(org, key, lookupBody("SE", kv{"emailAddress", "sparse@example.se"})))
	want = map[string]any{"fiscalNumber": "SE-FIRST", "city": "", "street": "", "zip": "", "firstName": "", "surname": "",
		"emailAddress": "sparse@example.se", "phoneNumber": "", "languageCode": "", "country": "SE"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sparse details\n got %v\nwant %v", got, want)
	}
	// No tax number at all; a locale with an underscore; a bare language.
	for _, c := range []struct{ id, locale, lang string }{{"us", "en_US", "en"}, {"sv", "sv", "sv"}, {"de", "de-DE", "de"}} {
		e.PutCustomer(key, c.id, map[string]any{"locale": c.locale, "primaryAddress": map[string]any{"country": "NO"}})
		got = found(t, c.id, e.lookup(org, key, lookupBody("NO", kv{"customerId", c.id})))
		if got["languageCode"] != c.lang || got["fiscalNumber"] != "" || got["emailAddress"] != "" {
			t.Errorf("locale %s: %v, want languageCode %q and empty fiscalNumber/emailAddress", c.locale, got, c.lang)
		}
	}
}

// Each key finds the customer alone, several keys are an AND, the country
// must match, and no match or two are the seed's 400.
func TestLookupKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, key := e.Org("acme")
	e.PutCustomer(key, "amelie", fullCustomer())
	twin := func(fiscal string) map[string]any {
		return map[string]any{
			"primaryAddress": map[string]any{"country": "FR", "firstName": "Twin",
				"emails": []any{map[string]any{"label": "m", "value": "twin@example.com"}}},
			"taxNumbers": []any{map[string]any{"type": "other", "value": fiscal}},
		}
	}
	e.PutCustomer(key, "twin1", twin("TWIN-1"))
	e.PutCustomer(key, "twin2", twin("TWIN-2"))
	e.PutCustomer(key, "dup", map[string]any{"primaryAddress": map[string]any{"country": "FR",
		"emails": []any{map[string]any{"label": "m", "value": "dup@example.com"}}}})
	e.Merge(key, "dup", "twin1")

	for _, c := range []struct {
		name    string
		country string
		values  []kv
		want    string // the customer found (its firstName), "" for none
	}{
		{"default fiscal number", "FR", []kv{{"fiscalNumber", "FR12345678901"}}, "Amélie"},
		{"another fiscal number", "FR", []kv{{"fiscalNumber", "FR-OTHER-1"}}, "Amélie"},
		{"primary email", "FR", []kv{{"emailAddress", "amelie@example.com"}}, "Amélie"},
		{"another email", "FR", []kv{{"emailAddress", "amelie.home@example.com"}}, "Amélie"},
		{"primary phone", "FR", []kv{{"phoneNumber", "+33 6 00 00 00 02"}}, "Amélie"},
		{"another phone", "FR", []kv{{"phoneNumber", "+33 1 00 00 00 01"}}, "Amélie"},
		{"customer id", "FR", []kv{{"customerId", "amelie"}}, "Amélie"},
		{"fiscal number and email", "FR", []kv{{"fiscalNumber", "FR12345678901"}, {"emailAddress", "amelie@example.com"}}, "Amélie"},
		{"every key", "FR", []kv{{"customerId", "amelie"}, {"phoneNumber", "+33 6 00 00 00 02"}, {"emailAddress", "amelie.home@example.com"}, {"fiscalNumber", "FR-OTHER-1"}}, "Amélie"},
		{"keys of two customers", "FR", []kv{{"fiscalNumber", "FR12345678901"}, {"emailAddress", "twin@example.com"}}, ""},
		{"id and another's email", "FR", []kv{{"customerId", "amelie"}, {"emailAddress", "twin@example.com"}}, ""},
		{"another country", "SE", []kv{{"fiscalNumber", "FR12345678901"}}, ""},
		{"id in another country", "DE", []kv{{"customerId", "amelie"}}, ""},
		{"unknown fiscal number", "FR", []kv{{"fiscalNumber", "FR00000000000"}}, ""},
		{"unknown email", "FR", []kv{{"emailAddress", "nobody@example.com"}}, ""},
		{"unknown phone", "FR", []kv{{"phoneNumber", "+33 9 99 99 99 99"}}, ""},
		{"unknown id", "FR", []kv{{"customerId", "nobody"}}, ""},
		{"malformed id", "FR", []kv{{"customerId", "no such id!"}}, ""},
		{"part of a fiscal number", "FR", []kv{{"fiscalNumber", "FR1234"}}, ""},
		{"two customers", "FR", []kv{{"emailAddress", "twin@example.com"}}, ""},
		{"one of the two", "FR", []kv{{"emailAddress", "twin@example.com"}, {"fiscalNumber", "TWIN-2"}}, "Twin"},
		{"merged-away id", "FR", []kv{{"customerId", "dup"}}, ""},
		{"merge target by id", "FR", []kv{{"customerId", "twin1"}}, "Twin"},
	} {
		r := e.lookup(org, key, lookupBody(c.country, c.values...))
		if c.want == "" {
			notFound(t, c.name, r)
			if strings.Contains(string(r.Body), "Amélie") || strings.Contains(string(r.Body), "Twin") {
				t.Errorf("%s: the error shows a customer: %s", c.name, r)
			}
			continue
		}
		if got := found(t, c.name, r); got != nil && got["firstName"] != c.want {
			t.Errorf("%s: found %v, want %s", c.name, got, c.want)
		}
	}
	// The twins differ only by their fiscal numbers: the right one answers.
	if got := found(t, "twin2", e.lookup(org, key, lookupBody("FR", kv{"fiscalNumber", "TWIN-2"}))); got["fiscalNumber"] != "TWIN-2" {
		t.Errorf("twin2: %v", got)
	}
}

// Malformed requests are 400 in Worldline's shape, naming the property
// when one is at fault.
func TestLookupBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, key := e.Org("acme")
	e.PutCustomer(key, "amelie", fullCustomer())
	for _, c := range []struct {
		name, body, property string
	}{
		{"unknown key", `{"countryCode":"FR","values":[{"key":"socialSecurityNumber","value":"1"}]}`, "values[0].key"},
		{"unknown second key", `{"countryCode":"FR","values":[{"key":"customerId","value":"amelie"},{"key":"iban","value":"1"}]}`, "values[1].key"},
		{"missing key", `{"countryCode":"FR","values":[{"value":"FR12345678901"}]}`, "values[0].key"},
		{"null key", `{"countryCode":"FR","values":[{"key":null,"value":"FR12345678901"}]}`, "values[0].key"},
		{"key in another case", `{"countryCode":"FR","values":[{"key":"FISCALNUMBER","value":"FR12345678901"}]}`, "values[0].key"},
		{"missing countryCode", `{"values":[{"key":"customerId","value":"amelie"}]}`, "countryCode"},
		{"empty countryCode", `{"countryCode":"","values":[{"key":"customerId","value":"amelie"}]}`, "countryCode"},
		{"three-letter countryCode", `{"countryCode":"FRA","values":[{"key":"customerId","value":"amelie"}]}`, "countryCode"},
		{"numeric countryCode", `{"countryCode":33,"values":[{"key":"customerId","value":"amelie"}]}`, ""},
	} {
		r := e.lookup(org, key, c.body)
		if c.property == "" {
			wlError(t, c.name, r, http.StatusBadRequest)
		} else {
			badProperty(t, c.name, r, c.property)
		}
	}
	for _, c := range []struct{ name, body string }{
		{"malformed JSON", `{"countryCode":"FR","values":[{"key":"customerId","value":"amelie"}`},
		{"not JSON", `countryCode=FR`},
		{"empty body", ``},
		{"an array", `[{"countryCode":"FR"}]`},
		{"no values", `{"countryCode":"FR"}`},
		{"empty values", `{"countryCode":"FR","values":[]}`},
		{"values not an array", `{"countryCode":"FR","values":{"key":"customerId","value":"amelie"}}`},
		{"missing value", `{"countryCode":"FR","values":[{"key":"customerId"}]}`},
		{"two objects", `{"countryCode":"FR","values":[{"key":"customerId","value":"amelie"}]}{}`},
	} {
		wlError(t, c.name, e.lookup(org, key, c.body), http.StatusBadRequest)
	}
	// And the well-formed request still answers.
	found(t, "well-formed", e.lookup(org, key, lookupBody("FR", kv{"customerId", "amelie"})))
}

// The merchant is the key's organization: another's is 403, no key is
// 401, a Bearer key works, and one organization never finds another's
// customers.
func TestLookupAuthAndTenancy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	orgA, keyA := e.Org("A")
	orgB, keyB := e.Org("B")
	readerA := e.Key(orgA, access.GetCustomer)
	writerA := e.Key(orgA, access.PutCustomer)
	e.PutCustomer(keyA, "amelie", fullCustomer())
	body := lookupBody("FR", kv{"fiscalNumber", "FR12345678901"})

	// Authentication: REB-APIKEY or Authorization: Bearer.
	found(t, "REB-APIKEY", e.lookup(orgA, keyA, body))
	found(t, "a key with GetCustomer only", e.lookup(orgA, readerA, body))
	r := e.Send(http.MethodPost, detailsPath(orgA), http.Header{"Authorization": {"Bearer " + keyA}, "Content-Type": {"application/json"}}, []byte(body))
	if got := found(t, "Bearer", r); got != nil && got["firstName"] != "Amélie" {
		t.Errorf("Bearer: %v", got)
	}
	for _, c := range []struct {
		name   string
		h      http.Header
		status int
	}{
		{"no key", http.Header{}, http.StatusUnauthorized},
		{"bogus REB-APIKEY", http.Header{"Reb-Apikey": {"sk_live_bogus"}}, http.StatusUnauthorized},
		{"bogus Bearer", http.Header{"Authorization": {"Bearer sk_live_bogus"}}, http.StatusUnauthorized},
		{"Basic", http.Header{"Authorization": {"Basic " + keyA}}, http.StatusUnauthorized},
		{"a key without GetCustomer", http.Header{"Reb-Apikey": {writerA}}, http.StatusForbidden},
	} {
		c.h.Set("Content-Type", "application/json")
		r := e.Send(http.MethodPost, detailsPath(orgA), c.h, []byte(body))
		wlError(t, c.name, r, c.status)
		if strings.Contains(string(r.Body), "Amélie") {
			t.Errorf("%s: the error shows the customer: %s", c.name, r)
		}
	}

	// Another organization's merchantId is 403, whoever the customer.
	for _, c := range []struct{ name, merchant, key string }{
		{"key A, merchant B", orgB, keyA},
		{"key B, merchant A", orgA, keyB},
		{"unknown merchant", "00000000-0000-4000-8000-000000000000", keyA},
		{"malformed merchant", "acme", keyA},
	} {
		r := e.lookup(c.merchant, c.key, body)
		wlError(t, c.name, r, http.StatusForbidden)
		if strings.Contains(string(r.Body), "Amélie") {
			t.Errorf("%s: the error shows the customer: %s", c.name, r)
		}
	}

	// Org B, as itself, never finds org A's customer by any key.
	for _, v := range []kv{{"fiscalNumber", "FR12345678901"}, {"emailAddress", "amelie@example.com"}, {"phoneNumber", "+33 6 00 00 00 02"}, {"customerId", "amelie"}} {
		notFound(t, "org B looking up org A's "+v.key, e.lookup(orgB, keyB, lookupBody("FR", v)))
	}
	// Org B's own customer with the same id and email is found as itself.
	e.PutCustomer(keyB, "amelie", map[string]any{"primaryAddress": map[string]any{"country": "FR", "firstName": "Bea",
		"emails": []any{map[string]any{"label": "m", "value": "amelie@example.com"}}}})
	for _, v := range []kv{{"emailAddress", "amelie@example.com"}, {"customerId", "amelie"}} {
		if got := found(t, "org B's own "+v.key, e.lookup(orgB, keyB, lookupBody("FR", v))); got != nil && got["firstName"] != "Bea" {
			t.Errorf("org B's lookup by %s found %v", v.key, got)
		}
	}
	// And org A still finds only its own (one match, not two).
	if got := found(t, "org A by email", e.lookup(orgA, keyA, lookupBody("FR", kv{"emailAddress", "amelie@example.com"}))); got != nil && got["firstName"] != "Amélie" {
		t.Errorf("org A's lookup by email found %v", got)
	}
}

// Paths and methods the adapter does not serve are still answered in
// Worldline's shape, never the main API's problem documents.
func TestWrongPathsAndMethodsKeepWorldlinesShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, key := e.Org("acme")
	body := []byte(lookupBody("FR", kv{"customerId", "amelie"}))
	h := http.Header{"Reb-Apikey": {key}, "Content-Type": {"application/json"}}
	for _, c := range []struct{ name, method, path string }{
		{"GET", http.MethodGet, detailsPath(org)},
		{"PUT", http.MethodPut, detailsPath(org)},
		{"another resource", http.MethodPost, "/v1/" + org + "/products/9000/other"},
		{"no product", http.MethodPost, "/v1/" + org + "/products//customerDetails"},
		{"deeper path", http.MethodPost, detailsPath(org) + "/x"},
		{"bare prefix", http.MethodPost, "/v1/"},
		{"bare prefix without slash", http.MethodPost, "/v1"},
	} {
		r := e.Send(c.method, c.path, h, body)
		if r.Status < 400 || r.Status >= 500 {
			t.Errorf("%s: %d %s, want a 4xx", c.name, r.Status, r)
		}
		wlError(t, c.name, r, r.Status)
	}
}

// Values the lookup cannot hold are the client's mistake (400 naming the
// value), never the service's (503, which clients retry).
func TestLookupValuesTheFilterCannotHold(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, key := e.Org("acme")
	for _, v := range []kv{{"emailAddress", "a\x00b"}, {"fiscalNumber", strings.Repeat("x", 5000)}} {
		got := wlError(t, v.key, e.lookup(org, key, lookupBody("FR", v)), http.StatusBadRequest)
		if got["propertyName"] != "values[0].value" {
			t.Errorf("%s: propertyName %v", v.key, got["propertyName"])
		}
	}
}

// A trailing slash names the same route (SPEC §10).
func TestLookupWithATrailingSlash(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, key := e.Org("acme")
	e.PutCustomer(key, "ada", fullCustomer())
	r := e.Send(http.MethodPost, detailsPath(org)+"/", http.Header{"Reb-Apikey": {key}, "Content-Type": {"application/json"}},
		[]byte(lookupBody("FR", kv{"customerId", "ada"})))
	if d := found(t, "trailing slash", r); d != nil && d["firstName"] != "Amélie" {
		t.Errorf("trailing slash: %v", d)
	}
}
