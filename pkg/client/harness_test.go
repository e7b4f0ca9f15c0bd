package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/app"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/pkg/client"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// api is the whole service over a fresh PostgreSQL database, served by a
// real HTTP listener, as internal/httpapi's tests build it, with one
// organization and an all-permissions key.
type api struct {
	t      testing.TB
	srv    *httptest.Server
	db     *sqlx.DB
	access *access.Service
	orgID  string
	key    string
	// requests counts the requests the server received.
	requests atomic.Int64
}

func newAPI(t testing.TB) *api {
	t.Helper()
	db := pgtest.NewDB(t)
	svc := app.New(db, app.Options{})
	a := &api{t: t, db: db, access: svc.Access}
	handler := svc.Handler
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.requests.Add(1)
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(a.srv.Close)
	a.orgID, a.key = a.newOrgKey()
	return a
}

// newOrgKey creates an organization and a key for it with the given
// permissions (none: "*").
func (a *api) newOrgKey(perms ...string) (orgID, key string) {
	a.t.Helper()
	org, err := a.access.CreateOrganization(context.Background(), "org")
	if err != nil {
		a.t.Fatal(err)
	}
	return org.ID, a.newKey(org.ID, perms...)
}

func (a *api) newKey(orgID string, perms ...string) string {
	a.t.Helper()
	_, secret, err := a.access.CreateKey(context.Background(), orgID, perms)
	if err != nil {
		a.t.Fatal(err)
	}
	return secret
}

// client returns a client of the server with the api's own key.
func (a *api) client(opts ...client.Option) *client.Client {
	a.t.Helper()
	return a.clientWithKey(a.key, opts...)
}

func (a *api) clientWithKey(key string, opts ...client.Option) *client.Client {
	a.t.Helper()
	opts = append([]client.Option{client.WithHTTPClient(a.srv.Client())}, opts...)
	c, err := client.New(a.srv.URL, key, opts...)
	if err != nil {
		a.t.Fatal(err)
	}
	return c
}

// layout is one of the two route layouts a client can use.
type layout struct {
	name string
	opts func(a *api) []client.Option
	// prefix is the path under the server URL that links use.
	prefix func(a *api) string
}

var layouts = []layout{
	{"bare", func(*api) []client.Option { return nil }, func(*api) string { return "" }},
	{"organization", func(a *api) []client.Option { return []client.Option{client.WithOrganization(a.orgID)} },
		func(a *api) string { return "/organizations/" + a.orgID }},
}

// forEachLayout runs f as a subtest per layout, each against its own server.
func forEachLayout(t *testing.T, f func(t *testing.T, a *api, c *client.Client, prefix string)) {
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			a := newAPI(t)
			f(t, a, a.client(l.opts(a)...), a.srv.URL+l.prefix(a))
		})
	}
}

// mustErr asserts that err is a *client.Error with the given status and
// returns it.
func mustErr(t *testing.T, err error, status int) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *client.Error", err, err)
	}
	if e.Status != status {
		t.Fatalf("status %d, want %d: %v", e.Status, status, err)
	}
	return e
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
