package cleeng_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/app"
	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// env is the whole service, wired by app.New as serve wires it, over a
// fresh database and behind a real HTTP listener, with a clock the test
// can move forward (to expire tokens without waiting).
type env struct {
	t      *testing.T
	app    *app.App
	url    string
	client *http.Client
	skew   atomic.Int64 // nanoseconds added to the wall clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, client: &http.Client{Timeout: 30 * time.Second}}
	e.app = app.New(pgtest.NewDB(t), app.Options{Customers: []customers.Option{customers.WithClock(e.now)}})
	srv := httptest.NewServer(e.app.Handler)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

func (e *env) now() time.Time { return time.Now().Add(time.Duration(e.skew.Load())) }

// advance moves the service's clock forward by d.
func (e *env) advance(d time.Duration) { e.skew.Add(int64(d)) }

// org creates an organization and an all-permissions key, and returns
// the organization's id and the key's secret.
func (e *env) org(name string) (id, key string) {
	e.t.Helper()
	ctx := context.Background()
	o, err := e.app.Access.CreateOrganization(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	_, secret, err := e.app.Access.CreateKey(ctx, o.ID, []string{access.AllOperations})
	if err != nil {
		e.t.Fatal(err)
	}
	return o.ID, secret
}

// reply is an HTTP answer, read whole.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) String() string { return string(r.Body) }

// send makes one real HTTP request.
func (e *env) send(method, path string, header http.Header, body []byte) reply {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// rest calls the main API with key; body, when not nil, is sent as JSON.
func (e *env) rest(key, method, path string, body any) reply {
	e.t.Helper()
	h := http.Header{"Reb-Apikey": {key}, "Accept": {"application/json"}}
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			e.t.Fatal(err)
		}
		h.Set("Content-Type", "application/json")
	}
	return e.send(method, path, h, b)
}

// putCustomer creates or replaces customer id through PUT /customers/{id}.
func (e *env) putCustomer(key, id string, body map[string]any) {
	e.t.Helper()
	if r := e.rest(key, http.MethodPut, "/customers/"+url.PathEscape(id), body); r.Status != http.StatusOK && r.Status != http.StatusCreated {
		e.t.Fatalf("PUT /customers/%s: %d %s", id, r.Status, r)
	}
}

// token issues a customer token through POST /customers/{id}/tokens;
// expiresIn 0 leaves the default lifetime.
func (e *env) token(key, customerID string, expiresIn int) (id, secret string) {
	e.t.Helper()
	body := map[string]any{}
	if expiresIn > 0 {
		body["expiresIn"] = expiresIn
	}
	r := e.rest(key, http.MethodPost, "/customers/"+url.PathEscape(customerID)+"/tokens", body)
	if r.Status != http.StatusCreated {
		e.t.Fatalf("POST /customers/%s/tokens: %d %s", customerID, r.Status, r)
	}
	var out struct{ ID, Token, CustomerID string }
	if err := json.Unmarshal(r.Body, &out); err != nil || out.ID == "" || !strings.HasPrefix(out.Token, "ct_") || out.CustomerID != customerID {
		e.t.Fatalf("POST /customers/%s/tokens: %s (%v)", customerID, r, err)
	}
	return out.ID, out.Token
}

// merge merges customer dup into target (DELETE /customers/{dup}?targetCustomerId=).
func (e *env) merge(key, dup, target string) {
	e.t.Helper()
	if r := e.rest(key, http.MethodDelete, "/customers/"+url.PathEscape(dup)+"?targetCustomerId="+url.QueryEscape(target), nil); r.Status != http.StatusNoContent {
		e.t.Fatalf("merge %s into %s: %d %s", dup, target, r.Status, r)
	}
}

// fullCustomer fills every field the adapters map (SPEC §15). The primary
// email and phone are not the first of their lists, and the default tax
// number is not the first, so that a mapping that takes the first entry
// shows.
func fullCustomer() map[string]any {
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
