package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/billing/customers-api/pkg/client"
)

// recordingTransport passes requests to a real transport and keeps a copy
// of each one's method, URL and header.
type recordingTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []*http.Request
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.seen = append(rt.seen, r.Clone(context.Background()))
	rt.mu.Unlock()
	return rt.next.RoundTrip(r)
}

func (rt *recordingTransport) last(t *testing.T) *http.Request {
	t.Helper()
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.seen) == 0 {
		t.Fatal("no request went through the custom HTTP client")
	}
	return rt.seen[len(rt.seen)-1]
}

func TestCustomHTTPClientAndHeaders(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	rt := &recordingTransport{next: a.srv.Client().Transport}
	c := a.client(client.WithHTTPClient(&http.Client{Transport: rt}), client.WithUserAgent("importer/2.1"))
	ctx := context.Background()

	if _, _, err := c.PutCustomer(ctx, "cus_h", client.CustomerInput{}, client.WithRequestID("rid-7"), client.WithHeader("X-Extra", "yes")); err != nil {
		t.Fatal(err)
	}
	r := rt.last(t)
	for name, want := range map[string]string{
		"REB-APIKEY": a.key, "User-Agent": "importer/2.1", "X-Request-Id": "rid-7", "X-Extra": "yes",
		"Content-Type": "application/json", "Accept": "application/json, application/problem+json",
	} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if r.Method != http.MethodPut || r.URL.Path != "/customers/cus_h" {
		t.Errorf("request %s %s", r.Method, r.URL.Path)
	}

	if _, _, err := c.GetCustomer(ctx, "cus_h", client.IfNoneMatch(client.ETag(3)), client.Fields("email", "locale"), client.Expand("leadSource")); err != nil {
		t.Fatal(err)
	}
	r = rt.last(t)
	if r.Header.Get("If-None-Match") != `"3"` || r.Header.Get("Content-Type") != "" || r.Header.Get("X-Request-Id") != "" {
		t.Errorf("GET headers %v", r.Header)
	}
	if q := r.URL.Query(); q.Get("fields") != "email,locale" || q.Get("expand") != "leadSource" {
		t.Errorf("GET query %q", r.URL.RawQuery)
	}

	if _, err := c.MergeCustomer(ctx, "cus_h", "other", client.IfMatch(`"1"`, `"2"`)); !client.IsNotFound(err) {
		t.Errorf("merge into a missing target: %v", err)
	}
	r = rt.last(t)
	if r.Header.Get("If-Match") != `"1", "2"` || r.URL.Query().Get("targetCustomerId") != "other" || r.Method != http.MethodDelete {
		t.Errorf("merge request %s %s %v", r.Method, r.URL, r.Header)
	}

	// The zero value of an option type does nothing (and does not panic),
	// nor do Fields and Expand with no names.
	if _, _, err := c.GetCustomer(ctx, "cus_h", client.RequestOption{}, client.ConditionOption{}, client.ShapeOption{}, client.Fields(), client.Expand()); err != nil {
		t.Errorf("zero options: %v", err)
	}
	if r := rt.last(t); r.URL.RawQuery != "" || r.Header.Get("If-None-Match") != "" {
		t.Errorf("zero options changed the request: %s %v", r.URL, r.Header)
	}

	// List options become query parameters.
	_, _, _ = c.ListCustomers(ctx, client.Limit(0), client.Offset(10), client.Filter("firstName:Ada,Bob"), client.Search("ada"),
		client.Sort("lastName"), client.Sort("-id"), client.Fields("email"), client.Expand("leadSource"))
	q := rt.last(t).URL.Query()
	for name, want := range map[string]string{
		"limit": "0", "offset": "10", "filter": "firstName:Ada,Bob", "q": "ada", "sort": "lastName,-id", "fields": "email", "expand": "leadSource",
	} {
		if got := q.Get(name); got != want || len(q[name]) != 1 {
			t.Errorf("query %s = %q, want %q", name, q[name], want)
		}
	}
}

// A base URL may carry a path prefix (an API gateway's, say); every route
// hangs below it. The gateway here is the standard library's ServeMux,
// which, like many proxies, cleans "." and ".." out of paths: customer ids
// "." and ".." are valid and must still reach their customer.
func TestBaseURLWithPathPrefix(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	mux := http.NewServeMux()
	mux.Handle("/billing/", http.StripPrefix("/billing", a.srv.Config.Handler))
	gateway := httptest.NewServer(mux)
	defer gateway.Close()
	ctx := context.Background()
	for _, base := range []string{gateway.URL + "/billing", gateway.URL + "/billing/"} {
		for _, l := range layouts {
			c, err := client.New(base, a.key, l.opts(a)...)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"cus_" + l.name, ".", ".."} {
				put, _, err := c.PutCustomer(ctx, id, client.CustomerInput{Locale: client.String("en-GB")})
				if err != nil {
					t.Fatalf("%s, %s layout: PUT %q: %v", base, l.name, id, err)
				}
				got, _, err := c.GetCustomer(ctx, id)
				if err != nil {
					t.Fatalf("%s, %s layout: GET %q: %v", base, l.name, id, err)
				}
				if put.ID != id || got.ID != id {
					t.Errorf("%s, %s layout: id %q reached %q and %q", base, l.name, id, put.ID, got.ID)
				}
			}
			if _, err := c.CheckHealth(ctx); err != nil {
				t.Errorf("%s: health: %v", base, err)
			}
		}
	}
}

// The default HTTP client does not follow a redirect, which would carry the
// API key to the redirect's target.
func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	var reached sync.Mutex
	var keys []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Lock()
		keys = append(keys, r.Header.Get("REB-APIKEY"))
		reached.Unlock()
	}))
	defer target.Close()
	redirector := httptest.NewServer(http.RedirectHandler(target.URL+"/customers/x", http.StatusPermanentRedirect))
	defer redirector.Close()

	c, err := client.New(redirector.URL, "sk_live_secret")
	if err != nil {
		t.Fatal(err)
	}
	_, resp, err := c.GetCustomer(context.Background(), "x")
	e := mustErr(t, err, http.StatusPermanentRedirect)
	if resp.Header.Get("Location") != target.URL+"/customers/x" || e.Title != "Permanent Redirect" {
		t.Errorf("redirect answer: %+v, Location %q", e, resp.Header.Get("Location"))
	}
	reached.Lock()
	defer reached.Unlock()
	if len(keys) != 0 {
		t.Errorf("the redirect was followed, carrying the key %q", keys)
	}
}

func TestNewRejectsBadBaseURLs(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"", "api.example.com", "ftp://api.example.com", "http://", "http://h/?x=1", "http://h/#f", "http://[::1"} {
		if c, err := client.New(base, "k"); err == nil {
			t.Errorf("New(%q) = %v, want an error", base, c)
		}
	}
	if _, err := client.New("https://api.example.com/", "k"); err != nil {
		t.Errorf("New with a good URL: %v", err)
	}
}

func TestHealthProbes(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	ctx := context.Background()
	for _, c := range []*client.Client{a.clientWithKey(""), a.client(client.WithOrganization(a.orgID))} {
		resp, err := c.CheckHealth(ctx, client.WithRequestID("probe"))
		if err != nil || resp.StatusCode != http.StatusOK || resp.RequestID != "probe" {
			t.Errorf("health: %v, %+v", err, resp)
		}
		if resp, err := c.CheckReady(ctx); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("ready: %v", err)
		}
	}

	// Without its database the service is alive but not ready.
	if err := a.db.Close(); err != nil {
		t.Fatal(err)
	}
	c := a.clientWithKey("")
	if _, err := c.CheckHealth(ctx); err != nil {
		t.Errorf("health without a database: %v", err)
	}
	_, err := c.CheckReady(ctx)
	if e := mustErr(t, err, http.StatusServiceUnavailable); e.Type != "/problems/service-unavailable" {
		t.Errorf("ready without a database: %+v", e)
	}
}

func TestContextAndTransportFailures(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	c := a.client()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, resp, err := c.GetCustomer(ctx, "x")
	if !errors.Is(err, context.Canceled) || resp != nil || client.StatusCode(err) != 0 {
		t.Errorf("cancelled context: %v (response %v)", err, resp)
	}
	if a.requests.Load() != 0 {
		t.Errorf("%d requests reached the server with a cancelled context", a.requests.Load())
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	down, err := client.New(closed.URL, a.key)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = down.GetCustomer(context.Background(), "x")
	var e *client.Error
	if err == nil || errors.As(err, &e) || !strings.Contains(err.Error(), "GET /customers/x") {
		t.Errorf("unreachable server: %v", err)
	}
}

// The package is for other modules: it must need nothing but the standard
// library (its tests may use the service's internals).
func TestStandardLibraryOnly(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) != 1 || deps[0] != "github.com/billing/customers-api/pkg/client" {
		t.Errorf("pkg/client depends on %v beyond the standard library", deps)
	}
}
