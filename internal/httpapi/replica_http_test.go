package httpapi_test

// Two API nodes over one primary and one streaming replica, as
// DATABASE_READ_URL runs them: a write acknowledged by one node is in the
// next collection query on the other, whether the replica keeps up, lags
// or is down; /readyz and /metrics say what the replica does.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/billing/customers-api/internal/app"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
)

// replicatedNodes starts two API nodes, each with pools of its own to the
// primary and the replica of r, and one organization and key that both
// serve.
func replicatedNodes(t *testing.T, r *pgtest.Replicated, fence time.Duration) (a, b *testAPI) {
	t.Helper()
	primary, err := postgres.Open(context.Background(), r.PrimaryURL, postgres.Settings{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { primary.Close() })
	c := clusterOn(t, primary, r.PrimaryURL, 2, func(o *app.Options) {
		replica, err := postgres.OpenReplica(r.ReplicaURL, postgres.Settings{MaxConns: 8})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { replica.Close() })
		o.Config.ReadFenceTimeout, o.Replica = fence, replica
	})
	return c[0], c[1]
}

// putThenList writes customer id with websiteId site on w, then lists it
// on r, and fails the test unless the list shows the write. It sends
// plain requests, not through the harness's contract check (tens of
// milliseconds an exchange, which hundreds of pairs cannot afford): the
// shapes of these exchanges are checked by the other tests, these check
// freshness.
func putThenList(t *testing.T, w, r *testAPI, id, site string) (listTook time.Duration) {
	t.Helper()
	var put struct{ Revision int64 }
	if status := plainDo(t, w, http.MethodPut, "/customers/"+id, `{"websiteId":"`+site+`"}`, &put); status != http.StatusOK && status != http.StatusCreated {
		t.Fatalf("PUT %s: %d", id, status)
	}
	began := time.Now()
	var list []struct {
		ID        string
		WebsiteID string
		Revision  int64
	}
	if status := plainDo(t, r, http.MethodGet, "/customers?filter=id:"+url.QueryEscape(id), "", &list); status != http.StatusOK {
		t.Fatalf("GET /customers: %d", status)
	}
	listTook = time.Since(began)
	if len(list) != 1 || list[0].WebsiteID != site || list[0].Revision != put.Revision {
		t.Fatalf("PUT %s (revision %d, websiteId %s) on one node, then the list on the other shows %+v: a stale read", id, put.Revision, site, list)
	}
	return listTook
}

// plainClient sends requests without the contract check.
var plainClient = &http.Client{Timeout: 30 * time.Second}

// plainDo sends a request with a's key and decodes a 2xx JSON answer into
// out; it returns the status.
func plainDo(t *testing.T, a *testAPI, method, path, body string, out any) int {
	t.Helper()
	hr, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("REB-APIKEY", a.key)
	if body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	res, err := plainClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode < 300 {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return res.StatusCode
}

// TestHTTPReplicaNoStaleReads: 500 writes, each followed by a collection
// query on the other node, and not one stale answer; the reads did go to
// the replica.
func TestHTTPReplicaNoStaleReads(t *testing.T) {
	t.Parallel()
	r := pgtest.NewReplicated(t)
	a, b := replicatedNodes(t, r, 0)
	// One round through the harness, shapes checked.
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/c-0", Body: map[string]any{"websiteId": "first"}}), http.StatusCreated)
	if l := getList(t, b, "/customers", params("filter", "id:c-0")); len(l.items) != 1 || l.items[0]["websiteId"] != "first" {
		t.Fatalf("the first list: %v", l.items)
	}
	const n = 500
	for i := range n {
		w, rd := a, b
		if i%2 == 1 {
			w, rd = b, a
		}
		putThenList(t, w, rd, fmt.Sprintf("c-%d", i%7), fmt.Sprintf("site-%d", i))
	}
	var waits, fallbacks float64
	for _, node := range []*testAPI{a, b} {
		m := scrapeMetrics(t, node)
		waits += m.histogramCount("customers_api_replica_fence_wait_seconds")
		for _, reason := range postgres.FallbackReasons {
			fallbacks += m.value("customers_api_replica_fallbacks_total", "reason", reason)
		}
		if up := m.value("customers_api_replica_up"); up != 1 {
			t.Errorf("customers_api_replica_up = %v, want 1", up)
		}
	}
	if waits != n+1 || fallbacks > n/10 {
		t.Errorf("%v fence waits and %v fallbacks for %d lists: the replica was hardly used", waits, fallbacks, n)
	}
	ready := a.do(req{Method: http.MethodGet, Path: "/readyz", NoKey: true})
	wantStatus(t, ready, http.StatusOK)
	if rep, _ := ready.JSON()["replica"].(map[string]any); rep["status"] != "up" || rep["lagBytes"] == nil {
		t.Errorf("/readyz with the replica up: %s", ready.Body)
	}
}

// TestHTTPReplicaLaggingThenDown: with the replica 2 s behind, reads stay
// fresh by falling back within the fence timeout; with the replica
// stopped, they stay fresh on the primary, the node stays ready, and
// /readyz says the replica is down.
func TestHTTPReplicaLaggingThenDown(t *testing.T) {
	t.Parallel()
	const fence = 50 * time.Millisecond
	r := pgtest.NewReplicated(t, pgtest.ReplicatedOptions{ApplyDelay: 2 * time.Second})
	a, b := replicatedNodes(t, r, fence)

	for i := range 10 {
		// Not a timing target (the machine may be busy): a list that waited
		// for the replica would take the 2 s apply delay.
		if took := putThenList(t, a, b, "ada", fmt.Sprintf("lag-%d", i)); took >= time.Second {
			t.Errorf("list %d took %s with a fence timeout of %s: it waited for the lagging replica", i, took, fence)
		}
	}
	if lag := scrapeMetrics(t, b).value("customers_api_replica_fallbacks_total", "reason", "lag"); lag != 10 {
		t.Errorf("lag fallbacks on the reading node: %v, want 10", lag)
	}
	ready := b.do(req{Method: http.MethodGet, Path: "/readyz", NoKey: true})
	wantStatus(t, ready, http.StatusOK)
	if rep, _ := ready.JSON()["replica"].(map[string]any); rep["status"] != "up" {
		t.Errorf("/readyz with a lagging replica: %s", ready.Body)
	}

	r.StopReplica(t)
	for i := range 5 {
		putThenList(t, a, b, "ada", fmt.Sprintf("down-%d", i))
	}
	m := scrapeMetrics(t, b)
	if e, d := m.value("customers_api_replica_fallbacks_total", "reason", "error"), m.value("customers_api_replica_fallbacks_total", "reason", "down"); e+d != 5 || e < 1 || d < 1 {
		t.Errorf("fallbacks with the replica down: %v error, %v down; want 5, errors first, then down", e, d)
	}
	if up := m.value("customers_api_replica_up"); up != 0 {
		t.Errorf("customers_api_replica_up = %v with the replica stopped", up)
	}
	ready = b.do(req{Method: http.MethodGet, Path: "/readyz", NoKey: true})
	wantStatus(t, ready, http.StatusOK)
	body := ready.JSON()
	if rep, _ := body["replica"].(map[string]any); body["status"] != "ready" || rep["status"] != "down" || rep["detail"] == nil {
		t.Errorf("/readyz with the replica down: %s", ready.Body)
	}
}

// metricFamilies is a parsed /metrics answer.
type metricFamilies map[string]*dto.MetricFamily

func scrapeMetrics(t *testing.T, a *testAPI) metricFamilies {
	t.Helper()
	scrape := a.do(req{Method: http.MethodGet, Path: "/metrics", NoKey: true})
	wantStatus(t, scrape, http.StatusOK)
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(scrape.Body))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	return families
}

// value is the value of the counter or gauge name whose labels include
// the pairs given; 0 when there is none.
func (m metricFamilies) value(name string, labelPairs ...string) float64 {
	f := m[name]
	if f == nil {
		return 0
	}
	for _, s := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range s.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(labelPairs); i += 2 {
			match = match && labels[labelPairs[i]] == labelPairs[i+1]
		}
		if match {
			if c := s.GetCounter(); c != nil {
				return c.GetValue()
			}
			return s.GetGauge().GetValue()
		}
	}
	return 0
}

func (m metricFamilies) histogramCount(name string) float64 {
	if f := m[name]; f != nil && len(f.GetMetric()) == 1 {
		return float64(f.GetMetric()[0].GetHistogram().GetSampleCount())
	}
	return 0
}
