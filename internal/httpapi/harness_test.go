package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/adapters/adobevip"
	"github.com/billing/customers-api/internal/adapters/cleeng"
	"github.com/billing/customers-api/internal/adapters/worldline"
	"github.com/billing/customers-api/internal/app"
	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
	"github.com/jmoiron/sqlx"
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	// Only a whole run can say which documented responses no test produced.
	if run := flag.Lookup("test.run"); testing.Verbose() && run != nil && run.Value.String() == "" {
		reportContractCoverage(os.Stderr)
	}
	os.Exit(code)
}

// testAPI is the whole service over a fresh database, wired by app.New as
// serve wires it and served by a real HTTP listener, with one organization
// and an all-permissions key ready.
type testAPI struct {
	t      *testing.T
	srv    *httptest.Server
	db     *sqlx.DB // for read-only columns (tags, payment figures) no route writes
	app    *app.App // nil when a test wires the handler itself
	access *access.Service
	orgID  string
	key    string
}

func newTestAPI(t *testing.T, opts ...customers.Option) *testAPI {
	t.Helper()
	return newTestAPIWith(t, nil, opts...)
}

// newTestAPIWith is newTestAPI with a last word on the service's options
// (edit may be nil), e.g. to allow CORS origins.
func newTestAPIWith(t *testing.T, edit func(*app.Options), opts ...customers.Option) *testAPI {
	t.Helper()
	return newCluster(t, 1, edit, opts...)[0]
}

// cluster is n API nodes over one database, as n serve processes behind
// a load balancer: node 0 over the pool pgtest opened, every other node
// over a pool of its own (postgres.Open, as serve opens it), each wired by
// app.New and behind its own listener, so that nodes share nothing but
// PostgreSQL. Every node serves node 0's organization with its key.
type cluster []*testAPI

// newCluster starts n nodes (n >= 1) over a fresh database; edit and opts
// are newTestAPIWith's, applied to every node.
func newCluster(t *testing.T, n int, edit func(*app.Options), opts ...customers.Option) cluster {
	t.Helper()
	db, url := pgtest.NewDBURL(t)
	return clusterOn(t, db, url, n, edit, opts...)
}

// clusterOn is newCluster over database url, whose pool db the first node
// uses; edit is called once per node.
func clusterOn(t *testing.T, db *sqlx.DB, url string, n int, edit func(*app.Options), opts ...customers.Option) cluster {
	t.Helper()
	c := make(cluster, n)
	for i := range c {
		if i > 0 {
			// Pools close before pgtest drops the database (cleanups run
			// last registered first).
			pool, err := postgres.Open(context.Background(), url, postgres.Settings{MaxConns: 10})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { pool.Close() })
			db = pool
		}
		o := app.Options{Customers: opts}
		if edit != nil {
			edit(&o)
		}
		svc := app.New(db, o)
		c[i] = &testAPI{t: t, db: db, app: svc, access: svc.Access}
		c[i].serve(svc.Handler)
	}
	c[0].orgID, c[0].key = c[0].newOrgKey()
	for _, a := range c[1:] {
		a.orgID, a.key = c[0].orgID, c[0].key
	}
	return c
}

// node is the node that the i-th request goes to: requests take turns.
func (c cluster) node(i int) *testAPI { return c[i%len(c)] }

// onNodes runs body as two parallel subtests, over one node ("nodes=1")
// and over two nodes sharing one database ("nodes=2"): what holds for
// concurrent requests to one process must hold when they are spread over
// several.
func onNodes(t *testing.T, body func(t *testing.T, c cluster)) {
	t.Helper()
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprintf("nodes=%d", n), func(t *testing.T) {
			t.Parallel()
			body(t, newCluster(t, n, nil))
		})
	}
}

// serve starts the listener for h. Every exchange is checked against
// openapi.yaml (contract_test.go).
func (a *testAPI) serve(h http.Handler) {
	a.srv = httptest.NewServer(h)
	a.t.Cleanup(a.srv.Close)
	client := a.srv.Client()
	client.Transport = &contractTransport{base: client.Transport}
}

// newOrgKey creates an organization and a key for it with the given
// permissions (none: "*").
func (a *testAPI) newOrgKey(perms ...string) (orgID, key string) {
	a.t.Helper()
	ctx := context.Background()
	org, err := a.access.CreateOrganization(ctx, "org")
	if err != nil {
		a.t.Fatal(err)
	}
	return org.ID, a.newKey(org.ID, perms...)
}

func (a *testAPI) newKey(orgID string, perms ...string) string {
	a.t.Helper()
	_, secret, err := a.access.CreateKey(context.Background(), orgID, perms)
	if err != nil {
		a.t.Fatal(err)
	}
	return secret
}

// response is a finished HTTP exchange.
type response struct {
	t      *testing.T
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as a JSON object.
func (r *response) JSON() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Fatalf("body is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// req describes one request; the zero Key means the testAPI's own key, and
// NoKey sends none (the document's security requirement is then not checked).
type req struct {
	Method  string
	Path    string
	Key     string
	NoKey   bool
	Body    any               // marshalled to JSON unless a string or []byte
	Headers map[string]string // extra headers
	// InvalidRequest says why the request deliberately breaks openapi.yaml
	// (bad JSON, unknown fields, an undocumented route, ...). The request is
	// then not validated against the document, but the response still is;
	// a marked request that conforms and succeeds fails the test (a stale
	// mark).
	InvalidRequest string
}

// do sends the request through a real HTTP client. Every HTTP test goes
// through here, so checks that apply to every exchange live here too: the
// envelope below, and openapi.yaml for request and response (contract_test.go).
func (a *testAPI) do(q req) *response {
	a.t.Helper()
	var body io.Reader
	switch b := q.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		body = bytes.NewReader(raw)
	}
	x := &exchange{invalidRequest: q.InvalidRequest, unauthenticated: q.NoKey}
	ctx := withExchange(context.Background(), x)
	hr, err := http.NewRequestWithContext(ctx, q.Method, a.srv.URL+q.Path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if !q.NoKey {
		key := q.Key
		if key == "" {
			key = a.key
		}
		hr.Header.Set("REB-APIKEY", key)
	}
	for k, v := range q.Headers {
		hr.Header.Set(k, v)
	}
	res, err := a.srv.Client().Do(hr)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	r := &response{t: a.t, Status: res.StatusCode, Header: res.Header, Body: raw}
	for _, p := range x.problems {
		a.t.Errorf("%s %s → %d breaks openapi.yaml: %s\nresponse body: %.500s", q.Method, q.Path, r.Status, p, r.Body)
	}
	if q.InvalidRequest != "" && x.conforms {
		a.t.Logf("%s %s: req.InvalidRequest says %q, yet the request conforms to openapi.yaml (a rule the document does not express)", q.Method, q.Path, q.InvalidRequest)
	}
	a.checkEnvelope(q, r)
	return r
}

// checkEnvelope asserts what every response must have: an X-Request-Id, and
// for errors a problem+json body whose status and request id match. The
// other platforms' routes answer errors in their platforms' own shapes,
// which the contract check validates against the document instead.
func (a *testAPI) checkEnvelope(q req, r *response) {
	a.t.Helper()
	rid := r.Header.Get("X-Request-Id")
	if rid == "" {
		a.t.Errorf("%s %s: no X-Request-Id on the response", q.Method, q.Path)
	}
	if r.Status < 400 {
		return
	}
	if path, _, _ := strings.Cut(q.Path, "?"); foreignPath(path) && r.Header.Get("Content-Type") != "application/problem+json; charset=utf-8" {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json; charset=utf-8" {
		a.t.Errorf("%s %s: error %d has Content-Type %q", q.Method, q.Path, r.Status, ct)
		return
	}
	p := r.JSON()
	for _, f := range []string{"type", "title", "status", "detail", "instance", "requestId"} {
		if _, ok := p[f]; !ok {
			a.t.Errorf("%s %s: problem lacks %q: %s", q.Method, q.Path, f, r.Body)
		}
	}
	if p["status"] != float64(r.Status) {
		a.t.Errorf("%s %s: problem status %v, response status %d", q.Method, q.Path, p["status"], r.Status)
	}
	// A replayed answer (Idempotency-Key) is the first answer's body, with
	// the first request's id; the header is this request's own.
	if p["requestId"] != rid && r.Header.Get("Idempotent-Replayed") != "true" {
		a.t.Errorf("%s %s: problem requestId %v, header %q", q.Method, q.Path, p["requestId"], rid)
	}
}

// foreignPath reports whether a request path is served by one of the other
// platforms' adapters (SPEC §15), as internal/app mounts them: Cleeng's
// JSON-RPC endpoint, and any path below Adobe's and Worldline's prefixes.
// A trailing slash is the same path, as the server strips it first.
func foreignPath(path string) bool {
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	below := func(prefix string) bool { return len(path) > len(prefix) && strings.HasPrefix(path, prefix) }
	return path == cleeng.Path || below(adobevip.PathPrefix) || below(worldline.PathPrefix)
}
