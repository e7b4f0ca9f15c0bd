package httpapi_test

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/customers"

	"github.com/billing/customers-api/internal/testsync"
)

// Helpers shared by the *_http_test.go files.

var (
	uuidV4Pattern     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	wholeSecondsUTC   = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	contactHashFormat = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

const jsonContentType = "application/json; charset=utf-8"

// forTest is a view of the API whose failures are reported on t, so that
// subtests (parallel or not) fail themselves rather than their parent.
func (a *testAPI) forTest(t *testing.T) *testAPI {
	c := *a
	c.t = t
	return &c
}

// wantStatus stops the test unless r has status want.
func wantStatus(t *testing.T, r *response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d; body: %s", r.Status, want, r.Body)
	}
}

// problemFields returns the invalidFields of a problem body as field → message.
func problemFields(t *testing.T, r *response) map[string]string {
	t.Helper()
	var p struct {
		InvalidFields []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"invalidFields"`
	}
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("problem body: %v\n%s", err, r.Body)
	}
	out := map[string]string{}
	for _, f := range p.InvalidFields {
		out[f.Field] = f.Message
	}
	return out
}

// steppingClock is a clock that moves one minute (plus a fraction of a
// second, which the API must drop) every time it is read.
func steppingClock() func() time.Time {
	var n atomic.Int64
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	return func() time.Time {
		return start.Add(time.Duration(n.Add(1))*time.Minute + 250*time.Millisecond)
	}
}

// create POSTs body to the bare collection and returns the new customer.
func (a *testAPI) create(body any) map[string]any {
	a.t.Helper()
	r := a.do(req{Method: http.MethodPost, Path: "/customers", Body: body})
	if r.Status != http.StatusCreated {
		a.t.Fatalf("POST /customers: status %d: %s", r.Status, r.Body)
	}
	return r.JSON()
}

// get GETs a customer with the testAPI's own key and stops the test unless
// the answer is want; it returns the body of a 200.
func (a *testAPI) get(id string, want int) map[string]any {
	a.t.Helper()
	r := a.do(req{Method: http.MethodGet, Path: "/customers/" + id})
	if r.Status != want {
		a.t.Fatalf("GET /customers/%s: status %d, want %d: %s", id, r.Status, want, r.Body)
	}
	if want != http.StatusOK {
		return nil
	}
	return r.JSON()
}

// links maps rel → href of a customer's _links.
func links(t *testing.T, c map[string]any) map[string]string {
	t.Helper()
	raw, ok := c["_links"].([]any)
	if !ok {
		t.Fatalf("_links is %T, want an array: %v", c["_links"], c["_links"])
	}
	out := map[string]string{}
	for _, l := range raw {
		m := l.(map[string]any)
		out[m["rel"].(string)] = m["href"].(string)
	}
	return out
}

// jsonRoundTrip turns any Go value into the generic shape that decoded JSON has.
func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func fullCustomerBody() map[string]any {
	return map[string]any{
		"websiteId":                "web-1",
		"defaultPaymentInstrument": map[string]any{"method": "payment-card", "paymentInstrumentId": "pi-1"},
		"customFields":             map[string]any{"tier": "gold", "score": 1.5, "flags": []any{"a", 2, true, nil}},
		"primaryAddress": map[string]any{
			"firstName": "Ada", "lastName": "Lovelace", "organization": "Analytical Engines",
			"address": "12 St James's Square", "city": "London", "country": "GB", "postalCode": "SW1Y 4JH",
			"dob": "1815-12-10",
			"emails": []any{
				map[string]any{"label": "work", "value": "ada@work.example", "primary": false},
				map[string]any{"label": "home", "value": "ada@home.example", "primary": true},
			},
			"phoneNumbers": []any{map[string]any{"label": "main", "value": "+44 20 7946 0000", "primary": true}},
		},
		"locale":        "en_US",
		"isEddRequired": true,
	}
}

// 1. Create

func TestHTTPCreateCustomer(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for _, path := range []string{"/customers", "/customers/"} {
		t.Run(path, func(t *testing.T) {
			a := a.forTest(t)
			before := time.Now().UTC().Add(-time.Second)
			r := a.do(req{Method: http.MethodPost, Path: path, Body: fullCustomerBody()})
			wantStatus(t, r, http.StatusCreated)
			c := r.JSON()
			id, _ := c["id"].(string)
			if !uuidV4Pattern.MatchString(id) {
				t.Errorf("id %q is not a lower-case UUID v4", id)
			}
			self := a.srv.URL + "/customers/" + id
			if loc := r.Header.Get("Location"); loc != self {
				t.Errorf("Location %q, want %q", loc, self)
			}
			if et := r.Header.Get("ETag"); et != `"0"` {
				t.Errorf("ETag %q, want \"0\"", et)
			}
			if ct := r.Header.Get("Content-Type"); ct != jsonContentType {
				t.Errorf("Content-Type %q", ct)
			}
			for field, want := range map[string]any{
				"revision": 0.0, "email": "ada@home.example", "firstName": "Ada", "lastName": "Lovelace",
				"websiteId": "web-1", "locale": "en_US", "isEddRequired": true, "hasFulfilledKyc": false,
				"paymentCount": 0.0, "invoiceCount": 0.0, "lastPaymentTime": nil,
				"defaultPaymentInstrument": map[string]any{"method": "payment-card", "paymentInstrumentId": "pi-1"},
				"customFields":             map[string]any{"tier": "gold", "score": 1.5, "flags": []any{"a", 2.0, true, nil}},
				"tags":                     []any{},
			} {
				if !reflect.DeepEqual(c[field], want) {
					t.Errorf("%s = %#v, want %#v", field, c[field], want)
				}
			}
			created, _ := c["createdTime"].(string)
			if !wholeSecondsUTC.MatchString(created) || c["updatedTime"] != created {
				t.Errorf("createdTime %q, updatedTime %v: want equal RFC 3339 UTC whole seconds", created, c["updatedTime"])
			}
			if ct, err := time.Parse(time.RFC3339, created); err != nil || ct.Before(before) || ct.After(time.Now().Add(time.Second)) {
				t.Errorf("createdTime %q is not now (%v)", created, err)
			}
			addr, _ := c["primaryAddress"].(map[string]any)
			if h, _ := addr["hash"].(string); !contactHashFormat.MatchString(h) {
				t.Errorf("primaryAddress.hash %q is not 40 lower-case hex characters", addr["hash"])
			}
			if addr["city"] != "London" || addr["postalCode"] != "SW1Y 4JH" {
				t.Errorf("primaryAddress not kept: %v", addr)
			}
			wantLinks := map[string]string{
				"self":                     self,
				"website":                  a.srv.URL + "/websites/web-1",
				"defaultPaymentInstrument": a.srv.URL + "/payment-instruments/pi-1",
			}
			if got := links(t, c); !reflect.DeepEqual(got, wantLinks) {
				t.Errorf("_links %v, want %v", got, wantLinks)
			}

			g := a.do(req{Method: http.MethodGet, Path: "/customers/" + id})
			wantStatus(t, g, http.StatusOK)
			if !reflect.DeepEqual(g.JSON(), c) {
				t.Errorf("GET differs from the POST answer:\nPOST %s\nGET  %s", r.Body, g.Body)
			}
			if et := g.Header.Get("ETag"); et != `"0"` {
				t.Errorf("GET ETag %q", et)
			}
			gs := a.do(req{Method: http.MethodGet, Path: "/customers/" + id + "/"})
			wantStatus(t, gs, http.StatusOK)
			if !reflect.DeepEqual(gs.JSON(), c) {
				t.Errorf("GET with a trailing slash differs: %s", gs.Body)
			}
			if ct := g.Header.Get("Content-Type"); ct != jsonContentType {
				t.Errorf("GET Content-Type %q", ct)
			}
		})
	}
}

func TestHTTPCreateCustomerDefaults(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	zero := map[string]any{"currency": "USD", "amount": 0.0, "amountUsd": 0.0}
	want := map[string]any{
		"email": nil, "firstName": nil, "lastName": nil, "websiteId": nil, "defaultPaymentInstrument": nil,
		"customFields": map[string]any{}, "primaryAddress": nil, "locale": nil, "isEddRequired": false,
		"revision": 0.0, "averageValue": zero, "lifetimeRevenue": zero, "paymentCount": 0.0,
		"invoiceCount": 0.0, "lastPaymentTime": nil, "tags": []any{}, "hasFulfilledKyc": false,
	}
	for name, body := range map[string]any{
		"empty object":    map[string]any{},
		"explicit nulls":  map[string]any{"websiteId": nil, "customFields": nil, "primaryAddress": nil, "locale": nil, "isEddRequired": nil, "defaultPaymentInstrument": nil},
		"empty fields {}": map[string]any{"customFields": map[string]any{}},
	} {
		t.Run(name, func(t *testing.T) {
			a := a.forTest(t)
			c := a.create(body)
			for f, w := range want {
				if v, ok := c[f]; !ok || !reflect.DeepEqual(v, w) {
					t.Errorf("%s = %#v (present %v), want %#v", f, v, ok, w)
				}
			}
			if l := links(t, c); len(l) != 1 || l["self"] != a.srv.URL+"/customers/"+c["id"].(string) {
				t.Errorf("_links %v, want only self", l)
			}
		})
	}
}

func TestHTTPDerivedEmailAndNames(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	email := func(label, value string, primary bool) map[string]any {
		return map[string]any{"label": label, "value": value, "primary": primary}
	}
	for _, tc := range []struct {
		name             string
		address          map[string]any
		wantEmail, first any
	}{
		{"primary wins over first", map[string]any{"firstName": "A", "emails": []any{email("a", "first@x.example", false), email("b", "primary@x.example", true)}}, "primary@x.example", "A"},
		{"no primary takes first", map[string]any{"emails": []any{email("a", "first@x.example", false), email("b", "second@x.example", false)}}, "first@x.example", nil},
		{"no emails", map[string]any{"firstName": "Solo", "emails": []any{}}, nil, "Solo"},
		{"no address", nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := a.forTest(t)
			c := a.create(map[string]any{"primaryAddress": tc.address})
			if c["email"] != tc.wantEmail || c["firstName"] != tc.first {
				t.Errorf("email %v firstName %v, want %v %v", c["email"], c["firstName"], tc.wantEmail, tc.first)
			}
			// Derived values are the same on a later read.
			g := a.get(c["id"].(string), http.StatusOK)
			if g["email"] != tc.wantEmail || g["firstName"] != tc.first {
				t.Errorf("GET: email %v firstName %v", g["email"], g["firstName"])
			}
		})
	}
}

func TestHTTPContactHash(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	addr := func(first string) map[string]any {
		return map[string]any{"firstName": first, "lastName": "Doe", "country": "GB",
			"emails": []any{map[string]any{"label": "w", "value": "j@x.example", "primary": true}}}
	}
	hash := func(c map[string]any) string {
		h, _ := c["primaryAddress"].(map[string]any)["hash"].(string)
		if !contactHashFormat.MatchString(h) {
			t.Fatalf("hash %q is not 40 lower-case hex characters", h)
		}
		return h
	}
	h1 := hash(a.create(map[string]any{"primaryAddress": addr("Jane")}))
	h2 := hash(a.create(map[string]any{"primaryAddress": addr("Jane"), "websiteId": "other"}))
	h3 := hash(a.create(map[string]any{"primaryAddress": addr("jane")}))
	if h1 != h2 {
		t.Errorf("identical contacts of two customers have hashes %s and %s", h1, h2)
	}
	if h1 == h3 {
		t.Errorf("contacts differing in case share the hash %s", h1)
	}
	// A client-sent hash is ignored.
	withHash := addr("Jane")
	withHash["hash"] = strings.Repeat("0", 40)
	if h := hash(a.create(map[string]any{"primaryAddress": withHash})); h != h1 {
		t.Errorf("sent hash changed the stored hash: %s, want %s", h, h1)
	}
}

// 2. Route layouts and tenancy

func TestHTTPOrganizationLayout(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	org := "/organizations/" + a.orgID
	base := a.srv.URL + org
	body := map[string]any{"websiteId": "w 1", "defaultPaymentInstrument": map[string]any{"method": "ach", "paymentInstrumentId": "pi-9"}}

	for _, path := range []string{org + "/customers", org + "/customers/"} {
		t.Run("POST "+path, func(t *testing.T) {
			a := a.forTest(t)
			r := a.do(req{Method: http.MethodPost, Path: path, Body: body})
			wantStatus(t, r, http.StatusCreated)
			c := r.JSON()
			id := c["id"].(string)
			self := base + "/customers/" + id
			if loc := r.Header.Get("Location"); loc != self {
				t.Errorf("Location %q, want %q", loc, self)
			}
			want := map[string]string{"self": self, "website": base + "/websites/w%201", "defaultPaymentInstrument": base + "/payment-instruments/pi-9"}
			if l := links(t, c); !reflect.DeepEqual(l, want) {
				t.Errorf("_links %v, want %v", l, want)
			}
			// The same customer through both layouts: same data, links in each layout's prefix.
			g := a.do(req{Method: http.MethodGet, Path: org + "/customers/" + id})
			wantStatus(t, g, http.StatusOK)
			if !reflect.DeepEqual(g.JSON(), c) {
				t.Errorf("GET under the organization differs from POST:\n%s\n%s", g.Body, r.Body)
			}
			bare := a.get(id, http.StatusOK)
			if l := links(t, bare); l["self"] != a.srv.URL+"/customers/"+id {
				t.Errorf("bare GET self link %q", l["self"])
			}
		})
	}

	t.Run("PUT", func(t *testing.T) {
		a := a.forTest(t)
		r := a.do(req{Method: http.MethodPut, Path: org + "/customers/org-put-1", Body: body})
		wantStatus(t, r, http.StatusCreated)
		if loc := r.Header.Get("Location"); loc != base+"/customers/org-put-1" {
			t.Errorf("Location %q", loc)
		}
		r = a.do(req{Method: http.MethodPut, Path: org + "/customers/org-put-1/", Body: map[string]any{}})
		wantStatus(t, r, http.StatusOK)
		if c := r.JSON(); c["revision"] != 1.0 || links(t, c)["self"] != base+"/customers/org-put-1" {
			t.Errorf("second PUT: revision %v, links %v", c["revision"], c["_links"])
		}
	})
}

func TestHTTPForeignOrganizationPath(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	orgB, keyB := a.newOrgKey()
	existing := a.create(map[string]any{})["id"].(string)
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/organizations/" + orgB + "/customers/" + existing, nil},
		{http.MethodGet, "/organizations/" + orgB + "/customers/does-not-exist", nil},
		{http.MethodPut, "/organizations/" + orgB + "/customers/new-one", map[string]any{}},
		{http.MethodPost, "/organizations/" + orgB + "/customers", map[string]any{}},
		{http.MethodGet, "/organizations/not-an-org/customers/" + existing, nil},
		{http.MethodGet, "/organizations/" + strings.ToUpper(a.orgID) + "x/customers/" + existing, nil},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			a := a.forTest(t)
			wantStatus(t, a.do(req{Method: tc.method, Path: tc.path, Body: tc.body}), http.StatusForbidden)
		})
	}
	// Nothing was written by the refused requests.
	a.get("new-one", http.StatusNotFound)
	if r := a.do(req{Method: http.MethodGet, Path: "/customers/new-one", Key: keyB}); r.Status != http.StatusNotFound {
		t.Errorf("refused PUT created a customer in org B: %d", r.Status)
	}
}

func TestHTTPOtherOrganizationsCustomer(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	orgB, keyB := a.newOrgKey()
	r := a.do(req{Method: http.MethodPut, Path: "/customers/shared-id", Body: map[string]any{"websiteId": "a-site", "customFields": map[string]any{"owner": "A"}}})
	wantStatus(t, r, http.StatusCreated)
	original := r.JSON()

	for _, path := range []string{"/customers/shared-id", "/organizations/" + orgB + "/customers/shared-id"} {
		g := a.do(req{Method: http.MethodGet, Path: path, Key: keyB})
		if g.Status != http.StatusNotFound {
			t.Errorf("org B GET %s: %d, want 404: %s", path, g.Status, g.Body)
		}
		if strings.Contains(string(g.Body), "a-site") {
			t.Errorf("org B GET %s leaks A's data: %s", path, g.Body)
		}
	}

	// B's PUT of the same id creates B's own customer.
	p := a.do(req{Method: http.MethodPut, Path: "/customers/shared-id", Key: keyB, Body: map[string]any{"websiteId": "b-site"}})
	wantStatus(t, p, http.StatusCreated)
	if c := p.JSON(); c["websiteId"] != "b-site" || c["revision"] != 0.0 || c["customFields"] == nil || len(c["customFields"].(map[string]any)) != 0 {
		t.Errorf("B's customer: %s", p.Body)
	}
	if got := a.get("shared-id", http.StatusOK); !reflect.DeepEqual(got, original) {
		t.Errorf("A's customer changed after B's PUT:\nbefore %v\nafter  %v", original, got)
	}
	g := a.do(req{Method: http.MethodGet, Path: "/customers/shared-id", Key: keyB})
	wantStatus(t, g, http.StatusOK)
	if c := g.JSON(); c["websiteId"] != "b-site" {
		t.Errorf("B reads %v", c["websiteId"])
	}
}

func TestHTTPIDsAreCaseSensitive(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	id := a.create(map[string]any{"websiteId": "lower"})["id"].(string)
	upper := strings.ToUpper(id)
	a.get(upper, http.StatusNotFound)

	r := a.do(req{Method: http.MethodPut, Path: "/customers/Mixed-Case", Body: map[string]any{"websiteId": "mixed"}})
	wantStatus(t, r, http.StatusCreated)
	a.get("mixed-case", http.StatusNotFound)
	r = a.do(req{Method: http.MethodPut, Path: "/customers/MIXED-CASE", Body: map[string]any{"websiteId": "upper"}})
	wantStatus(t, r, http.StatusCreated)
	if c := a.get("Mixed-Case", http.StatusOK); c["websiteId"] != "mixed" {
		t.Errorf("Mixed-Case was overwritten by MIXED-CASE: %v", c["websiteId"])
	}
}

// 3. PUT upsert

func TestHTTPPutUpsert(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, customers.WithClock(steppingClock()))
	body := fullCustomerBody()

	r := a.do(req{Method: http.MethodPut, Path: "/customers/imp-1", Body: body})
	wantStatus(t, r, http.StatusCreated)
	if loc := r.Header.Get("Location"); loc != a.srv.URL+"/customers/imp-1" {
		t.Errorf("Location %q", loc)
	}
	first := r.JSON()
	if first["id"] != "imp-1" || first["revision"] != 0.0 || r.Header.Get("ETag") != `"0"` {
		t.Errorf("created: id %v revision %v ETag %q", first["id"], first["revision"], r.Header.Get("ETag"))
	}
	if ct, _ := first["createdTime"].(string); !wholeSecondsUTC.MatchString(ct) || ct != first["updatedTime"] {
		t.Errorf("createdTime %v updatedTime %v", first["createdTime"], first["updatedTime"])
	}

	t.Run("same body changes nothing", func(t *testing.T) {
		a := a.forTest(t)
		r := a.do(req{Method: http.MethodPut, Path: "/customers/imp-1", Body: body})
		wantStatus(t, r, http.StatusOK)
		if c := r.JSON(); !reflect.DeepEqual(c, first) || r.Header.Get("ETag") != `"0"` {
			t.Errorf("repeated PUT changed the customer:\nbefore %v\nafter  %s", first, r.Body)
		}
	})

	t.Run("number spelling is not a change", func(t *testing.T) {
		a := a.forTest(t)
		raw := strings.Replace(mustJSON(t, body), `"score":1.5`, `"score":1.50`, 1)
		if !strings.Contains(raw, `1.50`) {
			t.Fatalf("test body lacks the respelled number: %s", raw)
		}
		r := a.do(req{Method: http.MethodPut, Path: "/customers/imp-1", Body: raw})
		wantStatus(t, r, http.StatusOK)
		if c := r.JSON(); c["revision"] != 0.0 || c["updatedTime"] != first["updatedTime"] {
			t.Errorf("revision %v updatedTime %v after a PUT of equal values", c["revision"], c["updatedTime"])
		}
	})

	t.Run("changed body bumps the revision", func(t *testing.T) {
		a := a.forTest(t)
		changed := fullCustomerBody()
		changed["locale"] = "fr-FR"
		r := a.do(req{Method: http.MethodPut, Path: "/customers/imp-1", Body: changed})
		wantStatus(t, r, http.StatusOK)
		c := r.JSON()
		if c["revision"] != 1.0 || r.Header.Get("ETag") != `"1"` || c["locale"] != "fr-FR" {
			t.Errorf("revision %v ETag %q locale %v", c["revision"], r.Header.Get("ETag"), c["locale"])
		}
		if c["createdTime"] != first["createdTime"] {
			t.Errorf("createdTime moved: %v → %v", first["createdTime"], c["createdTime"])
		}
		ut, _ := c["updatedTime"].(string)
		if !wholeSecondsUTC.MatchString(ut) || ut <= first["updatedTime"].(string) {
			t.Errorf("updatedTime %q did not move forward from %v", ut, first["updatedTime"])
		}
		if g := a.get("imp-1", http.StatusOK); !reflect.DeepEqual(g, c) {
			t.Errorf("GET after update differs from the PUT answer")
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHTTPPutReplacesEveryWritableField(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	full := fullCustomerBody()
	for _, field := range []string{"websiteId", "defaultPaymentInstrument", "customFields", "primaryAddress", "locale", "isEddRequired"} {
		t.Run("omit "+field, func(t *testing.T) {
			t.Parallel()
			a := a.forTest(t)
			id := "replace-" + field
			wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/" + id, Body: full}), http.StatusCreated)
			partial := fullCustomerBody()
			delete(partial, field)
			r := a.do(req{Method: http.MethodPut, Path: "/customers/" + id, Body: partial})
			wantStatus(t, r, http.StatusOK)
			c := r.JSON()
			defaults := map[string]any{
				"websiteId": nil, "defaultPaymentInstrument": nil, "customFields": map[string]any{},
				"primaryAddress": nil, "locale": nil, "isEddRequired": false,
			}
			if !reflect.DeepEqual(c[field], defaults[field]) {
				t.Errorf("%s = %#v after a PUT without it, want %#v", field, c[field], defaults[field])
			}
			if c["revision"] != 1.0 {
				t.Errorf("revision %v, want 1", c["revision"])
			}
			// Every other field kept the value sent.
			for f, v := range jsonRoundTrip(t, partial).(map[string]any) {
				if !containsJSON(c[f], v) {
					t.Errorf("%s = %#v, want %#v", f, c[f], v)
				}
			}
			l := links(t, c)
			if _, ok := l["website"]; ok == (field == "websiteId") {
				t.Errorf("website link present=%v after omitting %s: %v", ok, field, l)
			}
			if _, ok := l["defaultPaymentInstrument"]; ok == (field == "defaultPaymentInstrument") {
				t.Errorf("defaultPaymentInstrument link present=%v after omitting %s: %v", ok, field, l)
			}
			if field == "primaryAddress" && (c["email"] != nil || c["firstName"] != nil || c["lastName"] != nil) {
				t.Errorf("derived fields survive the address: %v %v %v", c["email"], c["firstName"], c["lastName"])
			}
			if g := a.get(id, http.StatusOK); !reflect.DeepEqual(g, c) {
				t.Errorf("GET differs from the PUT answer:\n%v\n%v", g, c)
			}
		})
	}
}

// containsJSON reports whether got holds want: equal values, except that an
// object may have more keys than want's (the server's nulls and hash), each
// of want's keys holding what want says.
func containsJSON(got, want any) bool {
	wm, ok := want.(map[string]any)
	if !ok {
		return reflect.DeepEqual(got, want)
	}
	gm, ok := got.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range wm {
		if !containsJSON(gm[k], v) {
			return false
		}
	}
	return true
}

func TestHTTPPutIgnoresReadOnlyFields(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, customers.WithClock(steppingClock()))
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/ro-1", Body: fullCustomerBody()}), http.StatusCreated)
	current := a.get("ro-1", http.StatusOK)

	t.Run("GET body sent back verbatim", func(t *testing.T) {
		a := a.forTest(t)
		g := a.do(req{Method: http.MethodGet, Path: "/customers/ro-1"})
		wantStatus(t, g, http.StatusOK)
		r := a.do(req{Method: http.MethodPut, Path: "/customers/ro-1", Body: g.Body})
		wantStatus(t, r, http.StatusOK)
		if c := r.JSON(); !reflect.DeepEqual(c, current) {
			t.Errorf("PUT of the GET body changed the customer:\nbefore %s\nafter  %s", g.Body, r.Body)
		}
	})

	t.Run("read-only fields with other values", func(t *testing.T) {
		a := a.forTest(t)
		body := jsonRoundTrip(t, current).(map[string]any)
		body["id"] = "someone-else"
		body["revision"] = 41
		body["createdTime"] = "2001-01-01T00:00:00Z"
		body["updatedTime"] = "2001-01-01T00:00:00Z"
		body["email"] = "forged@x.example"
		body["firstName"] = "Forged"
		body["lastName"] = "Name"
		body["tags"] = []any{map[string]any{"name": "vip"}}
		body["averageValue"] = map[string]any{"currency": "EUR", "amount": 5, "amountUsd": 6}
		body["lifetimeRevenue"] = map[string]any{"currency": "EUR", "amount": 5, "amountUsd": 6}
		body["paymentCount"] = 3
		body["invoiceCount"] = 3
		body["lastPaymentTime"] = "2020-01-01T00:00:00Z"
		body["hasFulfilledKyc"] = true
		body["_links"] = []any{map[string]any{"rel": "self", "href": "http://evil.example/x"}}
		body["_embedded"] = map[string]any{}
		body["primaryAddress"].(map[string]any)["hash"] = strings.Repeat("f", 40)
		r := a.do(req{Method: http.MethodPut, Path: "/customers/ro-1", Body: body})
		wantStatus(t, r, http.StatusOK)
		if c := r.JSON(); !reflect.DeepEqual(c, current) {
			t.Errorf("read-only fields were not ignored:\nbefore %v\nafter  %s", current, r.Body)
		}
		a.get("someone-else", http.StatusNotFound)
	})
}

func TestHTTPPutBadPathID(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for _, tc := range []struct{ name, path string }{
		{"51 characters", strings.Repeat("a", 51)},
		{"space", "a%20b"},
		{"plus", "a+b"},
		{"slash", "a%2Fb"},
		{"non-ASCII letter", "caf%C3%A9"},
		{"NUL", "a%00b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := a.forTest(t)
			r := a.do(req{Method: http.MethodPut, Path: "/customers/" + tc.path, Body: map[string]any{}, InvalidRequest: "a bad path id"})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if _, ok := problemFields(t, r)["id"]; !ok {
				t.Errorf("invalidFields lacks id: %s", r.Body)
			}
			wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/customers/" + tc.path, InvalidRequest: "a bad path id"}), http.StatusNotFound)
		})
	}
	t.Run("valid extremes", func(t *testing.T) {
		t.Parallel()
		a := a.forTest(t)
		for _, id := range []string{strings.Repeat("z", 50), "@~-._", "a.b_c-d@e~f"} {
			r := a.do(req{Method: http.MethodPut, Path: "/customers/" + id, Body: map[string]any{}})
			wantStatus(t, r, http.StatusCreated)
			if c := r.JSON(); c["id"] != id {
				t.Errorf("id %v, want %q", c["id"], id)
			}
			a.get(id, http.StatusOK)
		}
	})
}

// TestHTTPPathIDDecodedOnce: "%25" in a path is a literal "%", so
// /customers/a%2541 names the id "a%41", which breaks the id rule. It must not
// be percent-decoded a second time into "aA".
func TestHTTPPathIDDecodedOnce(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	t.Run("PUT is 422 and creates nothing", func(t *testing.T) {
		a := a.forTest(t)
		r := a.do(req{Method: http.MethodPut, Path: "/customers/a%2541", Body: map[string]any{"websiteId": "via-percent"}, InvalidRequest: "a bad path id"})
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("PUT /customers/a%%2541: status %d, want 422: %s", r.Status, r.Body)
		} else if _, ok := problemFields(t, r)["id"]; !ok {
			t.Errorf("invalidFields lacks id: %s", r.Body)
		}
		a.get("aA", http.StatusNotFound)
	})
	t.Run("GET does not find another id", func(t *testing.T) {
		a := a.forTest(t)
		wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/bB", Body: map[string]any{"websiteId": "real-bB"}}), http.StatusCreated)
		wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/customers/b%2542", InvalidRequest: "a bad path id"}), http.StatusNotFound)
	})
}

// TestHTTPConcurrentPutsOfANewID: twenty racing PUTs of one new id, sent
// to one node or spread over two, answer exactly one 201, and the revision
// every node then reads counts each write once.
func TestHTTPConcurrentPutsOfANewID(t *testing.T) {
	t.Parallel()
	onNodes(t, func(t *testing.T, nodes cluster) {
		const n = 20
		statuses := make([]int, n)
		testsync.Race(n, func(i int) {
			// Every body differs, so every update after the create is a change.
			r := nodes.node(i).do(req{Method: http.MethodPut, Path: "/customers/race-1", Body: map[string]any{"customFields": map[string]any{"writer": i}}})
			statuses[i] = r.Status
		})
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		if count[http.StatusCreated] != 1 || count[http.StatusOK] != n-1 {
			t.Fatalf("statuses %v, want one 201 and %d 200", count, n-1)
		}
		for _, a := range nodes {
			if c := a.get("race-1", http.StatusOK); c["revision"] != float64(n-1) {
				t.Errorf("revision %v after %d distinct writes, want %d (a lost or doubled update)", c["revision"], n, n-1)
			}
		}
	})
}

// 4. Validation

func TestHTTPValidation(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	email := func(value string) map[string]any { return map[string]any{"label": "l", "value": value} }
	bigFields := map[string]any{"k": strings.Repeat("x", customers.MaxCustomFieldsBytes-8+1)} // 16385 bytes serialized
	for i, tc := range []struct {
		name    string
		body    any
		field   string
		message string // a substring the field's message must contain
	}{
		{"unknown top-level field", map[string]any{"nickname": "x"}, "nickname", ""},
		{"unknown address field", map[string]any{"primaryAddress": map[string]any{"foo": 1}}, "primaryAddress.foo", ""},
		{"unknown email field", map[string]any{"primaryAddress": map[string]any{"emails": []any{map[string]any{"label": "l", "value": "a@x.example", "foo": 1}}}}, "primaryAddress.emails[0].foo", ""},
		{"unknown payment instrument field", map[string]any{"defaultPaymentInstrument": map[string]any{"method": "ach", "foo": 1}}, "defaultPaymentInstrument.foo", ""},
		{"paymentToken", map[string]any{"paymentToken": "tok_123"}, "paymentToken", "vault"},
		{"empty websiteId", map[string]any{"websiteId": ""}, "websiteId", ""},
		{"websiteId of 51 characters", map[string]any{"websiteId": strings.Repeat("w", 51)}, "websiteId", ""},
		{"websiteId number", map[string]any{"websiteId": 5}, "websiteId", ""},
		{"isEddRequired string", map[string]any{"isEddRequired": "yes"}, "isEddRequired", ""},
		{"invalid email", map[string]any{"primaryAddress": map[string]any{"emails": []any{email("ok@x.example"), email("not-an-email")}}}, "primaryAddress.emails[1].value", ""},
		{"missing email label", map[string]any{"primaryAddress": map[string]any{"emails": []any{map[string]any{"value": "a@x.example"}}}}, "primaryAddress.emails[0].label", ""},
		{"missing phone label", map[string]any{"primaryAddress": map[string]any{"phoneNumbers": []any{map[string]any{"value": "+1 555"}}}}, "primaryAddress.phoneNumbers[0].label", ""},
		{"two primary emails", map[string]any{"primaryAddress": map[string]any{"emails": []any{
			map[string]any{"label": "a", "value": "a@x.example", "primary": true},
			map[string]any{"label": "b", "value": "b@x.example", "primary": true}}}}, "primaryAddress.emails", ""},
		{"two primary phones", map[string]any{"primaryAddress": map[string]any{"phoneNumbers": []any{
			map[string]any{"label": "a", "value": "1", "primary": true},
			map[string]any{"label": "b", "value": "2", "primary": true}}}}, "primaryAddress.phoneNumbers", ""},
		{"empty first name", map[string]any{"primaryAddress": map[string]any{"firstName": ""}}, "primaryAddress.firstName", ""},
		{"first name of 46 characters", map[string]any{"primaryAddress": map[string]any{"firstName": strings.Repeat("é", 46)}}, "primaryAddress.firstName", ""},
		{"lower-case country", map[string]any{"primaryAddress": map[string]any{"country": "gb"}}, "primaryAddress.country", ""},
		{"bad dob", map[string]any{"primaryAddress": map[string]any{"dob": "1990-13-01"}}, "primaryAddress.dob", ""},
		{"bad postal code", map[string]any{"primaryAddress": map[string]any{"postalCode": "AB#1"}}, "primaryAddress.postalCode", ""},
		{"locale xx!", map[string]any{"locale": "xx!"}, "locale", ""},
		{"unknown payment method", map[string]any{"defaultPaymentInstrument": map[string]any{"method": "bitcoin"}}, "defaultPaymentInstrument.method", ""},
		{"custom field object value", map[string]any{"customFields": map[string]any{"nested": map[string]any{"a": 1}}}, "customFields.nested", ""},
		{"custom field array of objects", map[string]any{"customFields": map[string]any{"list": []any{map[string]any{"a": 1}}}}, "customFields.list[0]", ""},
		{"custom fields over 16 KiB", map[string]any{"customFields": bigFields}, "customFields", ""},
		{"customFields not an object", map[string]any{"customFields": []any{1}}, "customFields", ""},
	} {
		id := fmt.Sprintf("invalid-%d", i)
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := a.forTest(t)
			for _, q := range []req{
				{Method: http.MethodPost, Path: "/customers", Body: tc.body, InvalidRequest: tc.name},
				{Method: http.MethodPut, Path: "/customers/" + id, Body: tc.body, InvalidRequest: tc.name},
			} {
				r := a.do(q)
				if r.Status != http.StatusUnprocessableEntity {
					t.Errorf("%s: status %d, want 422: %s", q.Method, r.Status, r.Body)
					continue
				}
				fields := problemFields(t, r)
				msg, ok := fields[tc.field]
				if !ok {
					t.Errorf("%s: invalidFields lacks %q: %s", q.Method, tc.field, r.Body)
				} else if !strings.Contains(msg, tc.message) {
					t.Errorf("%s: message %q for %s lacks %q", q.Method, msg, tc.field, tc.message)
				}
				if p := r.JSON(); p["type"] != "/problems/validation-error" {
					t.Errorf("%s: problem type %v", q.Method, p["type"])
				}
			}
			// Nothing was written.
			a.get(id, http.StatusNotFound)
		})
	}
}

// TestHTTPWrongJSONTypeNamesTheField: a value of the wrong JSON type is 422
// naming the field by its API path, with list indexes (SPEC §7:
// primaryAddress.emails[0].value).
func TestHTTPWrongJSONTypeNamesTheField(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	point := func(primary any) map[string]any {
		return map[string]any{"label": "l", "value": "v@x.example", "primary": primary}
	}
	for _, tc := range []struct {
		name, body, field string
	}{
		{"websiteId number", `{"websiteId":5}`, "websiteId"},
		{"locale array", `{"locale":["fr"]}`, "locale"},
		{"isEddRequired string", `{"isEddRequired":"true"}`, "isEddRequired"},
		{"primaryAddress string", `{"primaryAddress":"London"}`, "primaryAddress"},
		{"address city number", `{"primaryAddress":{"city":7}}`, "primaryAddress.city"},
		{"payment method number", `{"defaultPaymentInstrument":{"method":1}}`, "defaultPaymentInstrument.method"},
		{"emails object", `{"primaryAddress":{"emails":{}}}`, "primaryAddress.emails"},
		{"first email primary string", mustJSON(t, map[string]any{"primaryAddress": map[string]any{"emails": []any{point("yes")}}}), "primaryAddress.emails[0].primary"},
		{"second phone value number", `{"primaryAddress":{"phoneNumbers":[{"label":"a","value":"1"},{"label":"b","value":2}]}}`, "primaryAddress.phoneNumbers[1].value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := a.forTest(t)
			r := a.do(req{Method: http.MethodPost, Path: "/customers", Body: tc.body, InvalidRequest: "a value of the wrong JSON type"})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if _, ok := problemFields(t, r)[tc.field]; !ok {
				t.Errorf("invalidFields lacks %q: %s", tc.field, r.Body)
			}
		})
	}
}

// TestHTTPNULCharacterIsInvalidData: PostgreSQL text and jsonb cannot hold
// U+0000, so a string holding it must be refused as invalid data (422 naming
// the field), never reach the database and answer 500 (SPEC §3, §7).
func TestHTTPNULCharacterIsInvalidData(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for i, tc := range []struct {
		name, body, field string
	}{
		{"websiteId", `{"websiteId":"a\u0000b"}`, "websiteId"},
		{"primaryAddress.firstName", `{"primaryAddress":{"firstName":"a\u0000b"}}`, "primaryAddress.firstName"},
		{"email label", `{"primaryAddress":{"emails":[{"label":"a\u0000","value":"a@x.example"}]}}`, "primaryAddress.emails[0].label"},
		{"payment instrument id", `{"defaultPaymentInstrument":{"method":"ach","paymentInstrumentId":"\u0000"}}`, "defaultPaymentInstrument.paymentInstrumentId"},
		{"custom field value", `{"customFields":{"note":"a\u0000b"}}`, "customFields.note"},
	} {
		id := fmt.Sprintf("nul-%d", i)
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := a.forTest(t)
			r := a.do(req{Method: http.MethodPut, Path: "/customers/" + id, Body: tc.body})
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", r.Status, r.Body)
			}
			if _, ok := problemFields(t, r)[tc.field]; !ok {
				t.Errorf("invalidFields lacks %q: %s", tc.field, r.Body)
			}
			a.get(id, http.StatusNotFound)
		})
	}
}

// TestHTTPCustomFieldNumbersKeptExactly: customFields values are JSON scalars
// stored as sent (1.50 and 1.5 are the same number); a number must come
// back with the value the client sent, not rounded through float64.
func TestHTTPCustomFieldNumbersKeptExactly(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	sent := map[string]string{
		"int":     "42",
		"neg":     "-7",
		"dec":     "1.50",
		"exp":     "1e2",
		"small":   "0.1",
		"big":     "18446744073709551615",
		"precise": "3.14159265358979323846",
		"cents":   "12345678901234567.89",
	}
	var parts []string
	for k, v := range sent {
		parts = append(parts, fmt.Sprintf("%q:%s", k, v))
	}
	r := a.do(req{Method: http.MethodPut, Path: "/customers/numbers", Body: `{"customFields":{` + strings.Join(parts, ",") + `}}`})
	wantStatus(t, r, http.StatusCreated)
	for _, body := range [][]byte{r.Body, a.do(req{Method: http.MethodGet, Path: "/customers/numbers"}).Body} {
		var c struct {
			CustomFields map[string]json.Number `json:"customFields"`
		}
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.UseNumber()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		for k, v := range sent {
			want, _ := new(big.Rat).SetString(v)
			got, ok := new(big.Rat).SetString(string(c.CustomFields[k]))
			if !ok || got.Cmp(want) != 0 {
				t.Errorf("customFields.%s = %s, sent %s", k, c.CustomFields[k], v)
			}
		}
	}
}

func TestHTTPValidValuesAtTheLimits(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	atLimit := map[string]any{"k": strings.Repeat("x", customers.MaxCustomFieldsBytes-8)} // exactly 16384 bytes serialized
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
		want  any
	}{
		{"locale en_US kept as sent", map[string]any{"locale": "en_US"}, "locale", "en_US"},
		{"locale fr-FR", map[string]any{"locale": "fr-FR"}, "locale", "fr-FR"},
		{"locale zh-Hant-TW", map[string]any{"locale": "zh-Hant-TW"}, "locale", "zh-Hant-TW"},
		{"websiteId of 50 characters", map[string]any{"websiteId": strings.Repeat("w", 50)}, "websiteId", strings.Repeat("w", 50)},
		{"first name of 45 multibyte characters", map[string]any{"primaryAddress": map[string]any{"firstName": strings.Repeat("é", 45)}}, "firstName", strings.Repeat("é", 45)},
		{"custom fields of exactly 16 KiB", map[string]any{"customFields": atLimit}, "customFields", jsonRoundTrip(t, atLimit)},
		{"custom field scalars and arrays", map[string]any{"customFields": map[string]any{"s": "x", "n": 2, "b": false, "z": nil, "arr": []any{"a", 1, nil}}},
			"customFields", map[string]any{"s": "x", "n": 2.0, "b": false, "z": nil, "arr": []any{"a", 1.0, nil}}},
		{"every payment method spelled out", map[string]any{"defaultPaymentInstrument": map[string]any{"method": "digital-wallet"}}, "defaultPaymentInstrument", map[string]any{"method": "digital-wallet", "paymentInstrumentId": nil}},
		{"null strings in the address", map[string]any{"primaryAddress": map[string]any{"firstName": nil, "city": nil, "emails": []any{map[string]any{"label": "l", "value": "a@x.example"}}}}, "email", "a@x.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := a.forTest(t)
			c := a.create(tc.body)
			if !reflect.DeepEqual(c[tc.field], tc.want) {
				t.Errorf("%s = %#v, want %#v", tc.field, c[tc.field], tc.want)
			}
			if g := a.get(c["id"].(string), http.StatusOK); !reflect.DeepEqual(g[tc.field], tc.want) {
				t.Errorf("GET: %s = %#v", tc.field, g[tc.field])
			}
		})
	}
}

// 6. Conditional requests

func TestHTTPConditionalGet(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/etag-get", Body: map[string]any{}}), http.StatusCreated)
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/etag-get", Body: map[string]any{"locale": "fr-FR"}}), http.StatusOK)
	// The customer is at revision 1.
	for _, tc := range []struct {
		ifNoneMatch string
		want        int
	}{
		{`"1"`, http.StatusNotModified},
		{`W/"1"`, http.StatusNotModified},
		{`"0", "1"`, http.StatusNotModified},
		{`*`, http.StatusNotModified},
		{`"0"`, http.StatusOK},
		{`"2"`, http.StatusOK},
	} {
		t.Run(tc.ifNoneMatch, func(t *testing.T) {
			a := a.forTest(t)
			r := a.do(req{Method: http.MethodGet, Path: "/customers/etag-get", Headers: map[string]string{"If-None-Match": tc.ifNoneMatch}})
			wantStatus(t, r, tc.want)
			if et := r.Header.Get("ETag"); et != `"1"` {
				t.Errorf("ETag %q, want \"1\"", et)
			}
			if tc.want == http.StatusNotModified && len(r.Body) != 0 {
				t.Errorf("304 with a body: %q", r.Body)
			}
			if tc.want == http.StatusOK && r.JSON()["revision"] != 1.0 {
				t.Errorf("body: %s", r.Body)
			}
		})
	}
	t.Run("missing customer", func(t *testing.T) {
		a := a.forTest(t)
		r := a.do(req{Method: http.MethodGet, Path: "/customers/nobody", Headers: map[string]string{"If-None-Match": "*"}})
		wantStatus(t, r, http.StatusNotFound)
	})
}

func TestHTTPConditionalPut(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	put := func(t *testing.T, id string, body any, headers map[string]string) *response {
		return a.forTest(t).do(req{Method: http.MethodPut, Path: "/customers/" + id, Body: body, Headers: headers})
	}
	changed := map[string]any{"websiteId": "changed"}

	t.Run("If-Match stale", func(t *testing.T) {
		t.Parallel()
		wantStatus(t, put(t, "im-stale", map[string]any{}, nil), http.StatusCreated)
		r := put(t, "im-stale", changed, map[string]string{"If-Match": `"7"`})
		wantStatus(t, r, http.StatusPreconditionFailed)
		if c := a.forTest(t).get("im-stale", http.StatusOK); c["revision"] != 0.0 || c["websiteId"] != nil {
			t.Errorf("a failed If-Match wrote: %v", c)
		}
	})
	t.Run("If-Match current, then stale", func(t *testing.T) {
		t.Parallel()
		wantStatus(t, put(t, "im-current", map[string]any{}, nil), http.StatusCreated)
		r := put(t, "im-current", changed, map[string]string{"If-Match": `"0"`})
		wantStatus(t, r, http.StatusOK)
		if r.Header.Get("ETag") != `"1"` || r.JSON()["websiteId"] != "changed" {
			t.Errorf("ETag %q body %s", r.Header.Get("ETag"), r.Body)
		}
		r = put(t, "im-current", map[string]any{"websiteId": "again"}, map[string]string{"If-Match": `"0"`})
		wantStatus(t, r, http.StatusPreconditionFailed)
		if c := a.forTest(t).get("im-current", http.StatusOK); c["revision"] != 1.0 || c["websiteId"] != "changed" {
			t.Errorf("a failed If-Match wrote: %v", c)
		}
	})
	t.Run("If-Match star on existing", func(t *testing.T) {
		t.Parallel()
		wantStatus(t, put(t, "im-star", map[string]any{}, nil), http.StatusCreated)
		wantStatus(t, put(t, "im-star", changed, map[string]string{"If-Match": "*"}), http.StatusOK)
	})
	for _, ifMatch := range []string{`"0"`, `"1"`, "*"} {
		t.Run("If-Match "+ifMatch+" on a new id", func(t *testing.T) {
			t.Parallel()
			id := "im-new-" + strings.Trim(ifMatch, `"`)
			if ifMatch == "*" {
				id = "im-new-star"
			}
			wantStatus(t, put(t, id, changed, map[string]string{"If-Match": ifMatch}), http.StatusPreconditionFailed)
			a.forTest(t).get(id, http.StatusNotFound)
		})
	}
	t.Run("If-None-Match star on existing", func(t *testing.T) {
		t.Parallel()
		wantStatus(t, put(t, "inm-existing", map[string]any{}, nil), http.StatusCreated)
		wantStatus(t, put(t, "inm-existing", changed, map[string]string{"If-None-Match": "*"}), http.StatusPreconditionFailed)
		if c := a.forTest(t).get("inm-existing", http.StatusOK); c["revision"] != 0.0 || c["websiteId"] != nil {
			t.Errorf("a failed If-None-Match wrote: %v", c)
		}
	})
	t.Run("If-None-Match star on a new id", func(t *testing.T) {
		t.Parallel()
		r := put(t, "inm-new", changed, map[string]string{"If-None-Match": "*"})
		wantStatus(t, r, http.StatusCreated)
		if r.Header.Get("Location") == "" {
			t.Error("201 without Location")
		}
	})
}

// TestWritesHonourExpandAndFields: Rebilly's SDK sends expand on create and
// update, so every customer answer shapes itself like a GET; a malformed
// expand is a 400 that writes nothing.
func TestWritesHonourExpandAndFields(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	body := map[string]any{"locale": "en-GB", "leadSource": map[string]any{"campaign": "spring"}}

	r := a.do(req{Method: http.MethodPost, Path: "/customers/?expand=leadSource", Body: body})
	if r.Status != http.StatusCreated {
		t.Fatalf("POST with expand: %d %s", r.Status, r.Body)
	}
	c := r.JSON()
	emb, _ := c["_embedded"].(map[string]any)
	ls, _ := emb["leadSource"].(map[string]any)
	if ls["campaign"] != "spring" {
		t.Errorf("POST ?expand=leadSource: _embedded = %v, want the inline lead source", c["_embedded"])
	}

	r = a.do(req{Method: http.MethodPut, Path: "/customers/w-1?expand=leadSource&fields=locale", Body: map[string]any{"locale": "fr-FR"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("PUT with expand: %d %s", r.Status, r.Body)
	}
	got := r.JSON()
	if len(got) != 3 || got["id"] != "w-1" || got["locale"] != "fr-FR" {
		t.Errorf("PUT ?fields=locale&expand=leadSource: %v, want id, locale and _embedded only", got)
	}
	if emb, ok := got["_embedded"].(map[string]any); !ok || emb["leadSource"] != nil {
		t.Errorf("PUT ?expand=leadSource without a lead source: _embedded = %v, want {leadSource: null}", got["_embedded"])
	}
	if r.Header.Get("ETag") != `"0"` || r.Header.Get("Location") == "" {
		t.Errorf("a shaped answer keeps its headers: ETag %q, Location %q", r.Header.Get("ETag"), r.Header.Get("Location"))
	}

	for _, q := range []req{
		{Method: http.MethodPost, Path: "/customers?expand=nonsense", Body: body, InvalidRequest: "an unknown expand, on purpose"},
		{Method: http.MethodPut, Path: "/customers/w-2?fields=nope", Body: body},
	} {
		r := a.do(q)
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s %s: %d, want 400: %s", q.Method, q.Path, r.Status, r.Body)
		}
	}
	list := a.do(req{Method: http.MethodGet, Path: "/customers?limit=0"})
	if total := list.Header.Get("Pagination-Total"); total != "2" {
		t.Errorf("after two writes and two refused ones, Pagination-Total = %s, want 2", total)
	}
}
