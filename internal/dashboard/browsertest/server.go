package browsertest

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

// Epoch is the service clock's first reading in every Server: the clock
// then moves one second per reading, so that the same steps give the same
// times (and the same screenshots) on every run.
var Epoch = time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)

// Server is the whole service, wired by app.New as serve wires it, over a
// fresh database and behind a real HTTP listener, with an organization and
// its all-permissions key.
type Server struct {
	T      testing.TB
	App    *app.App
	URL    string // http://127.0.0.1:port, no trailing slash
	OrgID  string
	Key    string // every permission
	Client *http.Client
	ticks  atomic.Int64
}

// NewServer starts a service for this test; it stops when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{T: t, Client: &http.Client{Timeout: 30 * time.Second}}
	s.App = app.New(pgtest.NewDB(t), app.Options{Customers: []customers.Option{customers.WithClock(s.now)}})
	srv := httptest.NewServer(s.App.Handler)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	o, err := s.App.Access.CreateOrganization(context.Background(), "Dashboard tests")
	if err != nil {
		t.Fatal(err)
	}
	s.OrgID = o.ID
	s.Key = s.NewKey(access.AllOperations)
	return s
}

func (s *Server) now() time.Time { return Epoch.Add(time.Duration(s.ticks.Add(1)-1) * time.Second) }

// NewKey creates a key of the organization with permissions.
func (s *Server) NewKey(permissions ...string) string {
	s.T.Helper()
	_, secret, err := s.App.Access.CreateKey(context.Background(), s.OrgID, permissions)
	if err != nil {
		s.T.Fatal(err)
	}
	return secret
}

// ReadOnlyKey creates a key that may call every GET operation and nothing
// else.
func (s *Server) ReadOnlyKey() string {
	s.T.Helper()
	var reads []string
	for _, op := range access.Operations {
		if strings.HasPrefix(op, "Get") {
			reads = append(reads, op)
		}
	}
	return s.NewKey(reads...)
}

// Reply is an HTTP answer, read whole.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r Reply) String() string { return string(r.Body) }

// Send makes one real HTTP request to the server.
func (s *Server) Send(method, path string, header http.Header, body []byte) Reply {
	s.T.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		s.T.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		s.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.T.Fatalf("%s %s: %v", method, path, err)
	}
	return Reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// REST calls the API with the all-permissions key; body, when not nil, is
// sent as JSON.
func (s *Server) REST(method, path string, body any) Reply {
	s.T.Helper()
	h := http.Header{"Reb-Apikey": {s.Key}, "Accept": {"application/json"}}
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			s.T.Fatal(err)
		}
		h.Set("Content-Type", "application/json")
	}
	return s.Send(method, path, h, b)
}

// PutCustomer creates or replaces customer id through PUT /customers/{id}
// and returns its new revision's ETag.
func (s *Server) PutCustomer(id string, body map[string]any) string {
	s.T.Helper()
	r := s.REST(http.MethodPut, "/customers/"+url.PathEscape(id), body)
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		s.T.Fatalf("PUT /customers/%s: %d %s", id, r.Status, r)
	}
	return r.Header.Get("ETag")
}

// GetCustomer reads customer id as a JSON object.
func (s *Server) GetCustomer(id string) map[string]any {
	s.T.Helper()
	r := s.REST(http.MethodGet, "/customers/"+url.PathEscape(id), nil)
	if r.Status != http.StatusOK {
		s.T.Fatalf("GET /customers/%s: %d %s", id, r.Status, r)
	}
	var c map[string]any
	if err := json.Unmarshal(r.Body, &c); err != nil {
		s.T.Fatalf("GET /customers/%s: %v in %s", id, err, r)
	}
	return c
}

// Person is the body of a customer with a name, an email and a country.
func Person(first, last, email, country string) map[string]any {
	return map[string]any{
		"primaryAddress": map[string]any{
			"firstName": first, "lastName": last, "country": country,
			"emails": []any{map[string]any{"label": "main", "value": email, "primary": true}},
		},
	}
}
