package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
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
