package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/app"
	"github.com/billing/customers-api/internal/testsync"
)

func (a *testAPI) createWebhook(body map[string]any) map[string]any {
	a.t.Helper()
	r := a.do(req{Method: http.MethodPost, Path: "/webhooks", Body: body})
	wantStatus(a.t, r, http.StatusCreated)
	return r.JSON()
}

func TestHTTPWebhookLifecycle(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	r := a.do(req{Method: http.MethodPost, Path: "/webhooks", Body: map[string]any{
		"url": "https://hooks.example.com/customers", "description": "CRM sync",
		"eventsFilter": []any{"customer-created", "customer-merged"}, "headers": map[string]any{"x-tenant": "acme"},
	}})
	wantStatus(t, r, http.StatusCreated)
	w := r.JSON()
	id := w["id"].(string)
	secret, _ := w["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+44 || w["status"] != "active" ||
		w["headers"].(map[string]any)["X-Tenant"] != "acme" || !strings.HasSuffix(r.Header.Get("Location"), "/webhooks/"+id) {
		t.Errorf("created %v (Location %q)", w, r.Header.Get("Location"))
	}
	// The secret is never shown again.
	got := a.do(req{Method: http.MethodGet, Path: "/webhooks/" + id})
	wantStatus(t, got, http.StatusOK)
	if _, ok := got.JSON()["secret"]; ok || strings.Contains(string(got.Body), secret) {
		t.Errorf("GET shows the secret: %s", got.Body)
	}
	list := a.do(req{Method: http.MethodGet, Path: "/webhooks"})
	wantStatus(t, list, http.StatusOK)
	if list.Header.Get("Pagination-Total") != "1" || strings.Contains(string(list.Body), secret) {
		t.Errorf("list: %s %s", list.Header.Get("Pagination-Total"), list.Body)
	}
	for q, want := range map[string]string{"HOOKS.example": "1", "elsewhere": "0"} {
		if r := a.do(req{Method: http.MethodGet, Path: "/webhooks?q=" + url.QueryEscape(q)}); r.Header.Get("Pagination-Total") != want {
			t.Errorf("q=%s: total %s", q, r.Header.Get("Pagination-Total"))
		}
	}

	// PUT replaces; the secret stays.
	r = a.do(req{Method: http.MethodPut, Path: "/webhooks/" + id, Body: map[string]any{"url": "http://hooks.example.com/v2", "status": "inactive"}})
	wantStatus(t, r, http.StatusOK)
	if u := r.JSON(); u["url"] != "http://hooks.example.com/v2" || u["status"] != "inactive" || len(u["eventsFilter"].([]any)) != 0 || u["description"] != nil {
		t.Errorf("after PUT: %v", u)
	}
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/webhooks/00000000-0000-4000-8000-000000000000", Body: map[string]any{"url": "https://x.example"}}), http.StatusNotFound)

	// rotate-secret: a new secret, once.
	r = a.do(req{Method: http.MethodPost, Path: "/webhooks/" + id + "/rotate-secret"})
	wantStatus(t, r, http.StatusOK)
	if s, _ := r.JSON()["secret"].(string); !strings.HasPrefix(s, "whsec_") || s == secret {
		t.Errorf("rotated secret %q", s)
	}

	// Deliveries: none yet, then one pending per event it wants.
	a.do(req{Method: http.MethodPut, Path: "/webhooks/" + id, Body: map[string]any{"url": "http://127.0.0.1:9/unreachable", "eventsFilter": []any{"customer-created"}}})
	c := a.create(map[string]any{})
	a.put(c["id"].(string), map[string]any{"locale": "en"}) // customer-updated: not wanted
	r = a.do(req{Method: http.MethodGet, Path: "/webhooks/" + id + "/deliveries?filter=" + url.QueryEscape("status:pending")})
	wantStatus(t, r, http.StatusOK)
	ds := decodeList(t, r)
	if len(ds) != 1 || ds[0]["eventType"] != "customer-created" || ds[0]["customerId"] != c["id"] || ds[0]["attempts"] != float64(0) ||
		ds[0]["nextAttemptTime"] == nil || ds[0]["lastError"] != nil {
		t.Fatalf("deliveries = %s", r.Body)
	}
	deliveryID := ds[0]["id"].(string)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/webhooks/" + id + "/deliveries/" + deliveryID + "/retry"}), http.StatusAccepted)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/webhooks/" + id + "/deliveries/00000000-0000-4000-8000-000000000000/retry"}), http.StatusNotFound)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/webhooks/" + id + "/deliveries?filter=" + url.QueryEscape("attempts:1")}), http.StatusBadRequest)

	// DELETE: 204, then 404 everywhere.
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: "/webhooks/" + id}), http.StatusNoContent)
	for _, q := range []req{
		{Method: http.MethodGet, Path: "/webhooks/" + id},
		{Method: http.MethodDelete, Path: "/webhooks/" + id},
		{Method: http.MethodGet, Path: "/webhooks/" + id + "/deliveries"},
		{Method: http.MethodPost, Path: "/webhooks/" + id + "/rotate-secret"},
		{Method: http.MethodGet, Path: "/webhooks/not-a-uuid"},
	} {
		wantStatus(t, a.do(q), http.StatusNotFound)
	}
	var events int
	if err := a.db.QueryRow(`SELECT count(*) FROM customer_events`).Scan(&events); err != nil || events != 0 {
		t.Errorf("%d events outlive their only webhook (%v)", events, err)
	}
}

func TestHTTPWebhookValidation(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{}, "url"},
		{map[string]any{"url": "ftp://example.com/x"}, "url"},
		{map[string]any{"url": "/relative"}, "url"},
		{map[string]any{"url": "https://"}, "url"},
		{map[string]any{"url": "https://example.com/" + strings.Repeat("a", 2100)}, "url"},
		{map[string]any{"url": "https://example.com", "eventsFilter": []any{"customer-deleted"}}, "eventsFilter[0]"},
		{map[string]any{"url": "https://example.com", "status": "paused"}, "status"},
		{map[string]any{"url": "https://example.com", "headers": map[string]any{"Content-Type": "text/plain"}}, "headers.Content-Type"},
		{map[string]any{"url": "https://example.com", "headers": map[string]any{"user-agent": "me"}}, "headers.user-agent"},
		{map[string]any{"url": "https://example.com", "headers": map[string]any{"Webhook-Signature": "v1,forged"}}, "headers.Webhook-Signature"},
		{map[string]any{"url": "https://example.com", "headers": map[string]any{"bad name": "x"}}, "headers.bad name"},
		{map[string]any{"url": "https://example.com", "headers": map[string]any{"X-Ok": "line\r\nbreak"}}, "headers.X-Ok"},
	} {
		r := a.do(req{Method: http.MethodPost, Path: "/webhooks", Body: c.body, InvalidRequest: "breaks a webhook rule"})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), `"field":"`+c.field+`"`) {
			t.Errorf("%v: %s does not name %s", c.body, r.Body, c.field)
		}
	}
	if r := a.do(req{Method: http.MethodGet, Path: "/webhooks"}); r.Header.Get("Pagination-Total") != "0" {
		t.Errorf("invalid webhooks were kept: %s", r.Body)
	}
}

func TestHTTPWebhookActiveLimit(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for i := range 25 {
		a.createWebhook(map[string]any{"url": fmt.Sprintf("https://hooks.example.com/%d", i)})
	}
	r := a.do(req{Method: http.MethodPost, Path: "/webhooks", Body: map[string]any{"url": "https://hooks.example.com/26"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	// An inactive one may still be made, and not activated.
	idle := a.createWebhook(map[string]any{"url": "https://hooks.example.com/idle", "status": "inactive"})
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/webhooks/" + idle["id"].(string), Body: map[string]any{"url": "https://hooks.example.com/idle"}}), http.StatusUnprocessableEntity)
	// Another organization has its own 25.
	_, otherKey := a.newOrgKey()
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/webhooks", Key: otherKey, Body: map[string]any{"url": "https://hooks.example.com/b"}}), http.StatusCreated)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/webhooks/" + idle["id"].(string), Key: otherKey}), http.StatusNotFound)
}

func TestHTTPWebhookSecretIsNotReplayed(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	q := req{Method: http.MethodPost, Path: "/webhooks", Body: map[string]any{"url": "https://hooks.example.com/once"},
		Headers: map[string]string{"Idempotency-Key": "hook-1"}}
	first := a.do(q)
	wantStatus(t, first, http.StatusCreated)
	secret, _ := first.JSON()["secret"].(string)
	again := a.do(q)
	wantStatus(t, again, http.StatusCreated)
	body := again.JSON()
	if again.Header.Get("Idempotent-Replayed") != "true" || body["id"] != first.JSON()["id"] {
		t.Fatalf("not a replay: %v %s", again.Header, again.Body)
	}
	if v, ok := body["secret"]; !ok || v != nil || strings.Contains(string(again.Body), secret) {
		t.Errorf("the replay carries secret %v", v)
	}
	var stored int
	if err := a.db.QueryRow(`SELECT count(*) FROM idempotency_keys WHERE position($1 in convert_from(body, 'UTF8')) > 0`, secret).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the secret is stored with the answer (%d, %v)", stored, err)
	}
	id := body["id"].(string)
	rq := req{Method: http.MethodPost, Path: "/webhooks/" + id + "/rotate-secret", Headers: map[string]string{"Idempotency-Key": "rotate-1"}}
	rotated := a.do(rq)
	if s, _ := rotated.JSON()["secret"].(string); !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("rotate: %s", rotated.Body)
	}
	if replay := a.do(rq); replay.JSON()["secret"] != nil || replay.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("rotate replay: %s", replay.Body)
	}
}

func TestHTTPWebhookPermissions(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	w := a.createWebhook(map[string]any{"url": "https://hooks.example.com"})
	id := w["id"].(string)
	reader := a.newKey(a.orgID, "GetWebhook", "GetWebhookCollection")
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/webhooks/" + id, Key: reader}), http.StatusOK)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/webhooks/" + id + "/deliveries", Key: reader}), http.StatusOK)
	for _, q := range []req{
		{Method: http.MethodPost, Path: "/webhooks", Body: map[string]any{"url": "https://x.example"}},
		{Method: http.MethodPut, Path: "/webhooks/" + id, Body: map[string]any{"url": "https://x.example"}},
		{Method: http.MethodDelete, Path: "/webhooks/" + id},
		{Method: http.MethodPost, Path: "/webhooks/" + id + "/rotate-secret"},
	} {
		q.Key = reader
		wantStatus(t, a.do(q), http.StatusForbidden)
	}
}

// TestHTTPTwoNodesDeliverEachOf500EventsExactlyOnce: two nodes over one
// database, each with a pool and a webhook worker of its own, as two serve
// processes with WEBHOOK_WORKERS set. 500 customers are created through
// both nodes' HTTP, and a real receiver gets each creation's delivery
// exactly once, whichever node's worker claimed it; both nodes' workers
// take part.
func TestHTTPTwoNodesDeliverEachOf500EventsExactlyOnce(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 2, func(o *app.Options) {
		o.Config.WebhookWorkers = 4
		o.Config.WebhookTimeout = 5 * time.Second
		o.Config.WebhookRetrySchedule = []time.Duration{100 * time.Millisecond}
		o.Config.WebhookRetention = time.Hour
	})
	var mu sync.Mutex
	byID := map[string]int{}       // webhook-id → requests
	byCustomer := map[string]int{} // customerId in the body → requests
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ CustomerID string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("delivery body: %v", err)
		}
		mu.Lock()
		byID[r.Header.Get("webhook-id")]++
		byCustomer[body.CustomerID]++
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.Close)
	hook := nodes[0].createWebhook(map[string]any{"url": rc.URL + "/hook", "eventsFilter": []any{"customer-created"}})
	// Registered after the cluster, so the workers stop before the pools
	// close.
	for _, a := range nodes {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { a.app.Worker.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}

	const n, clients = 500, 10
	created := make([][]string, clients)
	testsync.Race(clients, func(g int) {
		// Each client sends to one node: each node's commits wake its own
		// worker, and the other learns of them by polling. Plain requests,
		// not the harness's contract check, which would take most of the
		// time: the exchange's shape is checked by the other tests.
		a := nodes.node(g)
		for range n / clients {
			id, err := postCustomer(a)
			if err != nil {
				t.Error(err)
				return
			}
			created[g] = append(created[g], id)
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	delivered := "/webhooks/" + hook["id"].(string) + "/deliveries?limit=0&filter=" + url.QueryEscape("status:delivered")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r := nodes.node(1).do(req{Method: http.MethodGet, Path: delivered})
		wantStatus(t, r, http.StatusOK)
		if r.Header.Get("Pagination-Total") == strconv.Itoa(n) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s deliveries delivered after 30 s, want %d", r.Header.Get("Pagination-Total"), n)
		}
	}
	time.Sleep(300 * time.Millisecond) // time for a duplicate to show

	mu.Lock()
	defer mu.Unlock()
	if len(byID) != n {
		t.Errorf("%d distinct webhook-ids, want %d", len(byID), n)
	}
	for id, c := range byID {
		if c != 1 {
			t.Errorf("delivery %s attempted %d times", id, c)
		}
	}
	for _, ids := range created {
		for _, id := range ids {
			if byCustomer[id] != 1 {
				t.Errorf("customer %s: %d deliveries of its creation, want 1", id, byCustomer[id])
			}
		}
	}
	total := 0
	for i, a := range nodes {
		d := deliveredByWorker(t, a)
		if d == 0 {
			t.Errorf("node %d's worker delivered nothing: the nodes did not share the outbox", i)
		}
		total += d
	}
	if total != n {
		t.Errorf("the workers delivered %d in all, want %d", total, n)
	}
}

// postCustomer creates an empty customer through a's API with a plain
// client, and returns its id.
func postCustomer(a *testAPI) (string, error) {
	hr, err := http.NewRequest(http.MethodPost, a.srv.URL+"/customers", strings.NewReader("{}"))
	if err != nil {
		return "", err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("REB-APIKEY", a.key)
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var c struct{ ID string }
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil || res.StatusCode != http.StatusCreated || c.ID == "" {
		return "", fmt.Errorf("POST /customers: %d, id %q (%v)", res.StatusCode, c.ID, err)
	}
	return c.ID, nil
}

// deliveredByWorker is the count of deliveries a's own worker made, from
// its /metrics.
func deliveredByWorker(t *testing.T, a *testAPI) int {
	t.Helper()
	r := a.do(req{Method: http.MethodGet, Path: "/metrics", NoKey: true})
	wantStatus(t, r, http.StatusOK)
	const series = `customers_api_webhook_deliveries_total{result="delivered"} `
	for line := range strings.Lines(string(r.Body)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return int(f)
		}
	}
	t.Fatalf("/metrics has no %s", series)
	return 0
}
