package adobevip_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/access"
)

// adobeHeaders are the headers Adobe's clients send: the API key twice
// (X-Api-Key and Bearer) and a correlation id.
func adobeHeaders(key, correlation string) http.Header {
	return http.Header{
		"X-Api-Key":        {key},
		"Authorization":    {"Bearer " + key},
		"X-Correlation-Id": {correlation},
		"Accept":           {"application/json"},
		"Content-Type":     {"application/json"},
	}
}

func (e *env) adobe(id string, h http.Header) reply {
	e.T.Helper()
	return e.Send(http.MethodGet, "/v3/customers/"+id, h, nil)
}

func decode(t *testing.T, r reply) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("not a JSON object: %d %s (%v)", r.Status, r, err)
	}
	return m
}

var digits = regexp.MustCompile(`^[0-9]+$`)

// wantError checks an error answer: status, Adobe's {code, message} body
// (code a string of digits), JSON and never a problem document, with the
// correlation id echoed when one was sent.
func wantError(t *testing.T, what string, r reply, status int, correlation string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: %d %s, want %d", what, r.Status, r, status)
	}
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want application/json (never problem+json)", what, ct)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Errorf("%s: body %s is not JSON", what, r)
		return
	}
	code, _ := body["code"].(string)
	msg, _ := body["message"].(string)
	if len(body) != 2 || !digits.MatchString(code) || msg == "" {
		t.Errorf("%s: body %s, want exactly {code: digits string, message}", what, r)
	}
	if correlation != "" && r.Header.Get("X-Correlation-Id") != correlation {
		t.Errorf("%s: X-Correlation-Id %q, want %q echoed", what, r.Header.Get("X-Correlation-Id"), correlation)
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s: no X-Request-Id", what)
	}
}

// The example: a customer that fills every mapped field, read as
// Adobe's client reads it, compared field by field with SPEC §15.
func TestGetCustomerMapsEveryField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, key := e.Org("acme")
	e.PutCustomer(key, "amelie", fullCustomer())
	stored := decode(t, e.REST(key, http.MethodGet, "/customers/amelie", nil))
	created, _ := stored["createdTime"].(string)
	if created == "" {
		t.Fatalf("no createdTime: %v", stored)
	}

	h := adobeHeaders(key, "corr-1")
	h.Set("X-Request-Id", "req-42")
	r := e.adobe("amelie", h)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /v3/customers/amelie: %d %s", r.Status, r)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	if got := r.Header.Get("X-Correlation-Id"); got != "corr-1" {
		t.Errorf("X-Correlation-Id %q, want corr-1 echoed", got)
	}
	if got := r.Header.Get("X-Request-Id"); got != "req-42" {
		t.Errorf("X-Request-Id %q, want req-42 echoed", got)
	}
	want := map[string]any{
		"externalReferenceId": "342",
		"customerId":          "amelie",
		"resellerId":          "web-77",
		"globalSalesEnabled":  false,
		"companyProfile": map[string]any{
			"companyName":       "Les Deux Moulins",
			"preferredLanguage": "fr-FR",
			"address": map[string]any{
				"country": "FR", "region": "Île-de-France", "city": "Paris",
				"addressLine1": "15 Rue Lepic", "addressLine2": "Apt 2", "postalCode": "75018",
				"phoneNumber": "+33 6 00 00 00 02", // the primary number, not the first
			},
			"contacts": []any{map[string]any{
				"firstName": "Amélie", "lastName": "Poulain",
				"email": "amelie@example.com", "phoneNumber": "+33 6 00 00 00 02",
			}},
		},
		"creationDate": created,
		"status":       "1000",
		"links": map[string]any{"self": map[string]any{
			"uri": "/v3/customers/amelie", "method": "GET", "headers": []any{},
		}},
	}
	got := decode(t, r)
	for k := range want {
		if !reflect.DeepEqual(got[k], want[k]) {
			t.Errorf("%s:\n got %#v\nwant %#v", k, got[k], want[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected member %s: %v", k, got[k])
		}
	}

	// A customer with none of the optional fields: externalReferenceId and
	// resellerId are null, the rest of the shape is still there.
	e.PutCustomer(key, "bare", map[string]any{})
	r = e.adobe("bare", adobeHeaders(key, "corr-2"))
	if r.Status != http.StatusOK {
		t.Fatalf("GET /v3/customers/bare: %d %s", r.Status, r)
	}
	got = decode(t, r)
	if got["externalReferenceId"] != nil || got["resellerId"] != nil || got["customerId"] != "bare" || got["status"] != "1000" ||
		got["globalSalesEnabled"] != false || got["creationDate"] == "" {
		t.Errorf("bare customer: %s", r)
	}
	if _, ok := got["companyProfile"].(map[string]any); !ok {
		t.Errorf("bare customer: no companyProfile object: %s", r)
	}
}

// X-Request-Id is echoed when sent and generated when not.
func TestRequestIDIsEchoedOrGenerated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, key := e.Org("acme")
	e.PutCustomer(key, "ada", fullCustomer())
	seen := map[string]bool{}
	for range 3 {
		r := e.adobe("ada", adobeHeaders(key, "c"))
		id := r.Header.Get("X-Request-Id")
		if r.Status != http.StatusOK || id == "" || seen[id] {
			t.Errorf("without X-Request-Id: %d, generated %q (seen before: %v)", r.Status, id, seen[id])
		}
		seen[id] = true
	}
	h := adobeHeaders(key, "c")
	h.Set("X-Request-Id", "my-request-7")
	if r := e.adobe("ada", h); r.Header.Get("X-Request-Id") != "my-request-7" {
		t.Errorf("X-Request-Id %q, want my-request-7", r.Header.Get("X-Request-Id"))
	}
	// Errors carry both ids too.
	h.Set("X-Request-Id", "my-request-8")
	r := e.adobe("nobody", h)
	wantError(t, "unknown customer", r, http.StatusNotFound, "c")
	if r.Header.Get("X-Request-Id") != "my-request-8" {
		t.Errorf("error: X-Request-Id %q, want my-request-8", r.Header.Get("X-Request-Id"))
	}
}

// 400 without X-Correlation-Id, 401 without or with a bad Bearer, 403 with
// a bad X-Api-Key, 404 for a customer the key's organization does not have.
func TestErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	orgA, keyA := e.Org("A")
	_, keyB := e.Org("B")
	otherKeyA := e.Key(orgA, access.AllOperations)
	writerA := e.Key(orgA, access.PutCustomer)
	e.PutCustomer(keyA, "ada", fullCustomer())
	e.PutCustomer(keyA, "dup", map[string]any{"primaryAddress": map[string]any{"firstName": "Dup"}})
	e.Merge(keyA, "dup", "ada")
	e.PutCustomer(keyB, "bob", map[string]any{})

	with := func(edit func(h http.Header)) http.Header {
		h := adobeHeaders(keyA, "corr-x")
		edit(h)
		return h
	}
	for _, c := range []struct {
		name   string
		id     string
		h      http.Header
		status int
	}{
		{"no X-Correlation-Id", "ada", with(func(h http.Header) { h.Del("X-Correlation-Id") }), http.StatusBadRequest},
		{"empty X-Correlation-Id", "ada", with(func(h http.Header) { h.Set("X-Correlation-Id", "") }), http.StatusBadRequest},
		{"no Authorization", "ada", with(func(h http.Header) { h.Del("Authorization") }), http.StatusUnauthorized},
		{"Basic Authorization", "ada", with(func(h http.Header) { h.Set("Authorization", "Basic "+keyA) }), http.StatusUnauthorized},
		{"empty Bearer", "ada", with(func(h http.Header) { h.Set("Authorization", "Bearer ") }), http.StatusUnauthorized},
		{"bogus Bearer", "ada", with(func(h http.Header) { h.Set("Authorization", "Bearer sk_live_bogus") }), http.StatusUnauthorized},
		{"Bearer another key of the org", "ada", with(func(h http.Header) { h.Set("Authorization", "Bearer "+otherKeyA) }), http.StatusUnauthorized},
		{"Bearer another org's key", "ada", with(func(h http.Header) { h.Set("Authorization", "Bearer "+keyB) }), http.StatusUnauthorized},
		{"no X-Api-Key", "ada", with(func(h http.Header) { h.Del("X-Api-Key") }), http.StatusForbidden},
		{"bogus X-Api-Key and Bearer", "ada", with(func(h http.Header) {
			h.Set("X-Api-Key", "sk_live_bogus")
			h.Set("Authorization", "Bearer sk_live_bogus")
		}), http.StatusForbidden},
		{"REB-APIKEY instead of X-Api-Key", "ada", with(func(h http.Header) {
			h.Del("X-Api-Key")
			h.Set("REB-APIKEY", keyA)
		}), http.StatusForbidden},
		{"key without GetCustomer", "ada", func() http.Header { return adobeHeaders(writerA, "corr-x") }(), http.StatusForbidden},
		{"unknown customer", "nobody", adobeHeaders(keyA, "corr-x"), http.StatusNotFound},
		{"malformed id", "not%20an%20id", adobeHeaders(keyA, "corr-x"), http.StatusNotFound},
		{"too long id", strings.Repeat("x", 51), adobeHeaders(keyA, "corr-x"), http.StatusNotFound},
		{"merged-away id", "dup", adobeHeaders(keyA, "corr-x"), http.StatusNotFound},
		{"another org's customer", "bob", adobeHeaders(keyA, "corr-x"), http.StatusNotFound},
		{"org B reading org A's customer", "ada", adobeHeaders(keyB, "corr-x"), http.StatusNotFound},
		{"ids are case-sensitive", "ADA", adobeHeaders(keyA, "corr-x"), http.StatusNotFound},
	} {
		r := e.adobe(c.id, c.h)
		corr := c.h.Get("X-Correlation-Id")
		wantError(t, c.name, r, c.status, corr)
		if strings.Contains(string(r.Body), "Amélie") || strings.Contains(string(r.Body), "amelie@") {
			t.Errorf("%s: the error shows the customer: %s", c.name, r)
		}
	}

	// The merge target and org B's own customer are found.
	if r := e.adobe("ada", adobeHeaders(keyA, "ok")); r.Status != http.StatusOK || decode(t, r)["customerId"] != "ada" {
		t.Errorf("ada: %d %s", r.Status, r)
	}
	if r := e.adobe("bob", adobeHeaders(keyB, "ok")); r.Status != http.StatusOK || decode(t, r)["customerId"] != "bob" {
		t.Errorf("org B's bob: %d %s", r.Status, r)
	}
	// The same id in two organizations: each key reads its own.
	e.PutCustomer(keyB, "ada", map[string]any{"primaryAddress": map[string]any{"organization": "B Corp"}})
	r := e.adobe("ada", adobeHeaders(keyB, "ok"))
	if p, _ := decode(t, r)["companyProfile"].(map[string]any); r.Status != http.StatusOK || p["companyName"] != "B Corp" {
		t.Errorf("org B's ada: %d %s", r.Status, r)
	}
}

// Paths and methods the adapter does not serve are still answered in
// Adobe's shape, never the main API's problem documents.
func TestWrongPathsAndMethodsKeepAdobesShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, key := e.Org("acme")
	e.PutCustomer(key, "ada", fullCustomer())
	for _, c := range []struct {
		name, method, path string
		status             int // 0: any 4xx
	}{
		{"bare prefix", http.MethodGet, "/v3/customers/", http.StatusNotFound},
		{"bare prefix without slash", http.MethodGet, "/v3/customers", http.StatusNotFound},
		{"nested path", http.MethodGet, "/v3/customers/ada/orders", http.StatusNotFound},
		{"encoded slash", http.MethodGet, "/v3/customers/ada%2Fx", http.StatusNotFound},
		{"POST", http.MethodPost, "/v3/customers/ada", 0},
		{"PUT", http.MethodPut, "/v3/customers/ada", 0},
		{"DELETE", http.MethodDelete, "/v3/customers/ada", 0},
	} {
		r := e.Send(c.method, c.path, adobeHeaders(key, "corr-w"), []byte(`{}`))
		status := c.status
		if status == 0 {
			status = r.Status
			if status < 400 || status >= 500 {
				t.Errorf("%s: %d %s, want a 4xx", c.name, r.Status, r)
			}
		}
		wantError(t, c.name, r, status, "corr-w")
	}
	// A trailing slash names the same customer (SPEC §10).
	if r := e.Send(http.MethodGet, "/v3/customers/ada/", adobeHeaders(key, "corr-s"), nil); r.Status != http.StatusOK || !strings.Contains(r.String(), `"customerId":"ada"`) {
		t.Errorf("GET /v3/customers/ada/: %d %s", r.Status, r)
	}
}
