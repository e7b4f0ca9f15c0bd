// Package apitest is the test harness of the whole service behind a real
// listener: wired by app.New over a fresh database, as serve wires it,
// with a clock a test can move forward or fix, and the REST calls that
// set up what a test then reads through another door (the foreign-API
// adapters' tests, the dashboard's browser tests). Test code only.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/app"
	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/pgtest"
)

// Env is the whole service, wired by app.New as serve wires it, over a
// fresh database and behind a real HTTP listener, with a clock the test
// can move forward (to expire tokens without waiting).
type Env struct {
	T      testing.TB
	App    *app.App
	URL    string
	Client *http.Client
	skew   atomic.Int64 // nanoseconds added to the wall clock
}

// New starts the service for this test, on the wall clock (which Advance
// moves forward); it stops when the test ends.
func New(t testing.TB) *Env { return NewWithClock(t, nil) }

// NewWithClock is New with the service's clock now (nil: the wall clock
// moved by Advance), for tests that need the same times on every run.
func NewWithClock(t testing.TB, now func() time.Time) *Env {
	t.Helper()
	e := &Env{T: t, Client: &http.Client{Timeout: 30 * time.Second}}
	if now == nil {
		now = e.now
	}
	e.App = app.New(pgtest.NewDB(t), app.Options{Customers: []customers.Option{customers.WithClock(now)}})
	srv := httptest.NewServer(e.App.Handler)
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

func (e *Env) now() time.Time { return time.Now().Add(time.Duration(e.skew.Load())) }

// Advance moves the service's clock forward by d.
func (e *Env) Advance(d time.Duration) { e.skew.Add(int64(d)) }

// Org creates an organization and an all-permissions key, and returns
// the organization's id and the key's secret.
func (e *Env) Org(name string) (id, key string) {
	e.T.Helper()
	ctx := context.Background()
	o, err := e.App.Access.CreateOrganization(ctx, name)
	if err != nil {
		e.T.Fatal(err)
	}
	return o.ID, e.Key(o.ID, access.AllOperations)
}

// Reply is an HTTP answer, read whole.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r Reply) String() string { return string(r.Body) }

// Send makes one real HTTP request.
func (e *Env) Send(method, path string, header http.Header, body []byte) Reply {
	e.T.Helper()
	req, err := http.NewRequest(method, e.URL+path, bytes.NewReader(body))
	if err != nil {
		e.T.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	return Reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// REST calls the main API with key; body, when not nil, is sent as JSON.
func (e *Env) REST(key, method, path string, body any) Reply {
	e.T.Helper()
	h := http.Header{"Reb-Apikey": {key}, "Accept": {"application/json"}}
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			e.T.Fatal(err)
		}
		h.Set("Content-Type", "application/json")
	}
	return e.Send(method, path, h, b)
}

// PutCustomer creates or replaces customer id through PUT /customers/{id}
// and returns its new revision's ETag.
func (e *Env) PutCustomer(key, id string, body map[string]any) string {
	e.T.Helper()
	r := e.REST(key, http.MethodPut, "/customers/"+url.PathEscape(id), body)
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		e.T.Fatalf("PUT /customers/%s: %d %s", id, r.Status, r)
	}
	return r.Header.Get("ETag")
}

// Token issues a customer token through POST /customers/{id}/tokens;
// expiresIn 0 leaves the default lifetime.
func (e *Env) Token(key, customerID string, expiresIn int) (id, secret string) {
	e.T.Helper()
	body := map[string]any{}
	if expiresIn > 0 {
		body["expiresIn"] = expiresIn
	}
	r := e.REST(key, http.MethodPost, "/customers/"+url.PathEscape(customerID)+"/tokens", body)
	if r.Status != http.StatusCreated {
		e.T.Fatalf("POST /customers/%s/tokens: %d %s", customerID, r.Status, r)
	}
	var out struct{ ID, Token, CustomerID string }
	if err := json.Unmarshal(r.Body, &out); err != nil || out.ID == "" || !strings.HasPrefix(out.Token, "ct_") || out.CustomerID != customerID {
		e.T.Fatalf("POST /customers/%s/tokens: %s (%v)", customerID, r, err)
	}
	return out.ID, out.Token
}

// Merge merges customer dup into target (DELETE /customers/{dup}?targetCustomerId=).
func (e *Env) Merge(key, dup, target string) {
	e.T.Helper()
	if r := e.REST(key, http.MethodDelete, "/customers/"+url.PathEscape(dup)+"?targetCustomerId="+url.QueryEscape(target), nil); r.Status != http.StatusNoContent {
		e.T.Fatalf("merge %s into %s: %d %s", dup, target, r.Status, r)
	}
}

// Key creates a key of organization orgID with permissions.
func (e *Env) Key(orgID string, permissions ...string) string {
	e.T.Helper()
	_, secret, err := e.App.Access.CreateKey(context.Background(), orgID, permissions)
	if err != nil {
		e.T.Fatal(err)
	}
	return secret
}

// FullCustomer fills every field the adapters map (SPEC §15). The primary
// email and phone are not the first of their lists, and the default tax
// number is not the first, so that a mapping that takes the first entry
// shows.
func FullCustomer() map[string]any {
	return map[string]any{
		"primaryAddress": map[string]any{
			"firstName": "Amélie", "lastName": "Poulain", "organization": "Les Deux Moulins",
			"address": "15 Rue Lepic", "address2": "Apt 2", "city": "Paris", "region": "Île-de-France",
			"country": "FR", "postalCode": "75018",
			"emails": []any{
				map[string]any{"label": "home", "value": "amelie.home@example.com", "primary": false},
				map[string]any{"label": "work", "value": "amelie@example.com", "primary": true},
			},
			"phoneNumbers": []any{
				map[string]any{"label": "home", "value": "+33 1 00 00 00 01", "primary": false},
				map[string]any{"label": "mobile", "value": "+33 6 00 00 00 02", "primary": true},
			},
		},
		"locale":       "fr-FR",
		"websiteId":    "web-77",
		"customFields": map[string]any{"currency": "EUR", "externalReferenceId": "342"},
		"taxNumbers": []any{
			map[string]any{"type": "other", "value": "FR-OTHER-1", "isDefault": false},
			map[string]any{"type": "eu-vat", "value": "FR12345678901", "isDefault": true},
		},
	}
}
