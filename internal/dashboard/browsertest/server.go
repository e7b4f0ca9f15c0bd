package browsertest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/apitest"
)

// Epoch is the service clock's first reading in every Server: the clock
// then moves one second per reading, so that the same steps give the same
// times (and the same screenshots) on every run.
var Epoch = time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)

// Server is the whole service (apitest.Env: wired by app.New as serve
// wires it, over a fresh database, behind a real HTTP listener) on a clock
// that gives the same times on every run, with an organization and its
// all-permissions key.
type Server struct {
	*apitest.Env
	OrgID string
	Key   string // every permission
	ticks atomic.Int64
}

// NewServer starts a service for this test; it stops when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	s.Env = apitest.NewWithClock(t, s.now)
	s.OrgID, s.Key = s.Org("Dashboard tests")
	return s
}

func (s *Server) now() time.Time { return Epoch.Add(time.Duration(s.ticks.Add(1)-1) * time.Second) }

// NewKey creates a key of the organization with permissions.
func (s *Server) NewKey(permissions ...string) string { return s.Env.Key(s.OrgID, permissions...) }

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
type Reply = apitest.Reply

// REST calls the API with the all-permissions key; body, when not nil, is
// sent as JSON.
func (s *Server) REST(method, path string, body any) Reply {
	s.T.Helper()
	return s.Env.REST(s.Key, method, path, body)
}

// PutCustomer creates or replaces customer id through PUT /customers/{id}
// and returns its new revision's ETag.
func (s *Server) PutCustomer(id string, body map[string]any) string {
	s.T.Helper()
	return s.Env.PutCustomer(s.Key, id, body)
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
