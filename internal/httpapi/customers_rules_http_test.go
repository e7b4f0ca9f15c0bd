package httpapi_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/customers"
)

// contactHash computes SPEC §10's hash from a response's primaryAddress:
// SHA-1 of the contact as JSON with sorted keys, hash left out, strings as
// sent (no HTML escaping), list order kept.
func contactHash(t *testing.T, addr map[string]any) string {
	t.Helper()
	doc := make(map[string]any, len(addr))
	for k, v := range addr {
		if k != "hash" {
			doc[k] = v
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil { // maps are written with sorted keys
		t.Fatal(err)
	}
	sum := sha1.Sum(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return hex.EncodeToString(sum[:])
}

// TestHTTPContactHashIsSHA1OfTheContact checks the hash against an
// independent computation, not only against itself.
func TestHTTPContactHashIsSHA1OfTheContact(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	email := func(label, value string, primary bool) map[string]any {
		return map[string]any{"label": label, "value": value, "primary": primary}
	}
	addr := map[string]any{
		"firstName": "Zoë", "lastName": "O'Brien <Ltd> & Co", "city": "Zürich", "country": "CH",
		"emails":       []any{email("work", "z@work.example", false), email("home", "z@home.example", true)},
		"phoneNumbers": []any{map[string]any{"label": "main", "value": "+41 44 000 00 00"}},
	}
	c := a.create(map[string]any{"primaryAddress": addr})
	got := c["primaryAddress"].(map[string]any)
	if want := contactHash(t, got); got["hash"] != want {
		t.Errorf("hash %v, want SHA-1 of the sorted-key contact %s", got["hash"], want)
	}
	// The same values in another key order are the same contact.
	raw := `{"primaryAddress":{"phoneNumbers":[{"value":"+41 44 000 00 00","label":"main"}],"country":"CH","city":"Zürich",` +
		`"emails":[{"primary":false,"value":"z@work.example","label":"work"},{"value":"z@home.example","label":"home","primary":true}],` +
		`"lastName":"O'Brien <Ltd> & Co","firstName":"Zoë"}}`
	r := a.do(req{Method: http.MethodPost, Path: "/customers", Body: raw})
	wantStatus(t, r, http.StatusCreated)
	if h := r.JSON()["primaryAddress"].(map[string]any)["hash"]; h != got["hash"] {
		t.Errorf("same contact, other key order: hash %v, want %v", h, got["hash"])
	}
	// List order is part of the contact.
	swapped := map[string]any{}
	for k, v := range addr {
		swapped[k] = v
	}
	swapped["emails"] = []any{email("home", "z@home.example", true), email("work", "z@work.example", false)}
	if h := a.create(map[string]any{"primaryAddress": swapped})["primaryAddress"].(map[string]any)["hash"]; h == got["hash"] {
		t.Errorf("reordered emails kept the hash %v", h)
	}
}

// TestHTTPCustomFieldsLimitCountsCharactersAsSent: the 16 KiB limit is on
// the serialized JSON of customFields, so "<" counts one byte, not the six
// of an HTML-safe \u003c escape.
func TestHTTPCustomFieldsLimitCountsCharactersAsSent(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	atLimit := map[string]any{"k": strings.Repeat("<&>", (customers.MaxCustomFieldsBytes-8)/3) + "<<"} // {"k":"…"} is 16384 bytes
	if n := len(mustJSONNoEscape(t, atLimit)); n != customers.MaxCustomFieldsBytes {
		t.Fatalf("test value serializes to %d bytes", n)
	}
	r := a.do(req{Method: http.MethodPut, Path: "/customers/cf-html", Body: map[string]any{"customFields": atLimit}})
	wantStatus(t, r, http.StatusCreated)
	over := map[string]any{"k": atLimit["k"].(string) + "<"}
	r = a.do(req{Method: http.MethodPut, Path: "/customers/cf-html", Body: map[string]any{"customFields": over}, InvalidRequest: "customFields over 16 KiB"})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if _, ok := problemFields(t, r)["customFields"]; !ok {
		t.Errorf("invalidFields lack customFields: %s", r.Body)
	}
}

func mustJSONNoEscape(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
