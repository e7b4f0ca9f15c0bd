package client_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/app"
	"github.com/billing/customers-api/internal/config"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/webhooks"
	"github.com/billing/customers-api/pkg/client"
)

// newAPIWithWorker is newAPI with the webhook worker running, as serve runs
// it, and a retry schedule of one retry after a second (the default's first
// wait is 5 s).
func newAPIWithWorker(t *testing.T) *api {
	t.Helper()
	db := pgtest.NewDB(t)
	svc := app.New(db, app.Options{Config: config.Config{WebhookRetrySchedule: []time.Duration{time.Second}}})
	a := &api{t: t, db: db, access: svc.Access}
	handler := svc.Handler
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.requests.Add(1)
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(a.srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		svc.Worker.Run(ctx)
	}()
	// Registered after the database's cleanup, so run before it.
	t.Cleanup(func() {
		cancel()
		<-stopped
	})
	a.orgID, a.key = a.newOrgKey()
	return a
}

// delivery is one request a receiver got.
type delivery struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint that records what it receives and answers
// status (200 unless set).
type receiver struct {
	srv *httptest.Server
	got chan delivery

	mu     sync.Mutex
	status int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{got: make(chan delivery, 100), status: http.StatusOK}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.got <- delivery{header: r.Header.Clone(), body: body}
		rc.mu.Lock()
		status := rc.status
		rc.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "receiver says "+http.StatusText(status))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) answer(status int) {
	rc.mu.Lock()
	rc.status = status
	rc.mu.Unlock()
}

// next waits for the next request the receiver gets.
func (rc *receiver) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-rc.got:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery within 10 s")
		return delivery{}
	}
}

// waitDelivery polls webhook webhookID's deliveries until one matching
// filter satisfies ok.
func waitDelivery(t *testing.T, c *client.Client, webhookID, filter string, ok func(client.Delivery) bool) client.Delivery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last []client.Delivery
	for time.Now().Before(deadline) {
		list, _, err := c.ListDeliveries(context.Background(), webhookID, client.Filter(filter))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list.Deliveries {
			if ok(d) {
				return d
			}
		}
		last = list.Deliveries
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no delivery (%s) became as expected within 10 s; last seen %+v", filter, last)
	return client.Delivery{}
}

func mustSecret(t *testing.T, w *client.Webhook) string {
	t.Helper()
	if w.Secret == nil || !strings.HasPrefix(*w.Secret, "whsec_") {
		t.Fatalf("webhook secret %v, want whsec_…", w.Secret)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(*w.Secret, "whsec_"))
	if err != nil || len(key) != 32 {
		t.Fatalf("secret %q: %d bytes, %v; want the base64 of 32 bytes", *w.Secret, len(key), err)
	}
	return *w.Secret
}

func TestWebhookCRUD(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		created, resp, err := c.CreateWebhook(ctx, client.WebhookInput{
			URL:          "https://hooks.example.com/customers",
			Description:  client.String("CRM sync"),
			EventsFilter: []string{client.EventCustomerCreated, client.EventCustomerMerged, client.EventCustomerCreated},
			Headers:      map[string]string{"x-tenant": "acme"},
		})
		if err != nil {
			t.Fatal(err)
		}
		self := base + "/webhooks/" + created.ID
		if resp.StatusCode != http.StatusCreated || resp.Location != self || created.Link("self") != self || created.Link("deliveries") != self+"/deliveries" {
			t.Errorf("create: status %d, Location %q, links %+v; want %s", resp.StatusCode, resp.Location, created.Links, self)
		}
		secret := mustSecret(t, created)
		if created.URL != "https://hooks.example.com/customers" || str(created.Description) != "CRM sync" || created.Status != client.WebhookActive ||
			!reflect.DeepEqual(created.EventsFilter, []string{client.EventCustomerCreated, client.EventCustomerMerged}) ||
			!reflect.DeepEqual(created.Headers, map[string]string{"X-Tenant": "acme"}) ||
			created.CreatedTime.IsZero() || !created.UpdatedTime.Equal(created.CreatedTime) {
			t.Errorf("created webhook %+v (duplicates dropped, header names canonical)", created)
		}

		// Only the creation shows the secret.
		got, _, err := c.GetWebhook(ctx, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		withoutSecret := *created
		withoutSecret.Secret = nil
		if !reflect.DeepEqual(got, &withoutSecret) {
			t.Errorf("GET differs from POST without the secret:\n%+v\n%+v", got, &withoutSecret)
		}

		// Defaults: no description, every event, active, no headers.
		plain, _, err := c.CreateWebhook(ctx, client.WebhookInput{URL: "http://127.0.0.1:9/plain", Status: client.WebhookInactive})
		if err != nil {
			t.Fatal(err)
		}
		if plain.Description != nil || plain.EventsFilter == nil || len(plain.EventsFilter) != 0 || plain.Status != client.WebhookInactive ||
			plain.Headers == nil || len(plain.Headers) != 0 {
			t.Errorf("defaults: %+v", plain)
		}

		list, _, err := c.ListWebhooks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if list.Total != 2 || len(list.Webhooks) != 2 || list.Webhooks[0].Secret != nil {
			t.Fatalf("list: total %d, %+v", list.Total, list.Webhooks)
		}
		active, _, err := c.ListWebhooks(ctx, client.Filter("status:active"), client.Sort("url"), client.Limit(1))
		if err != nil || active.Total != 1 || active.Webhooks[0].ID != created.ID || active.HasNext() {
			t.Errorf("active webhooks: %+v, %v", active, err)
		}
		page, _, err := c.ListWebhooks(ctx, client.Limit(1), client.Sort("url"))
		if err != nil || !page.HasNext() || page.Webhooks[0].ID != plain.ID {
			t.Fatalf("page 1 by url: %+v, %v", page, err)
		}
		if next, _, err := c.ListWebhooksAt(ctx, page.Links.Next); err != nil || len(next.Webhooks) != 1 || next.Webhooks[0].ID != created.ID {
			t.Errorf("page 2: %+v, %v", next, err)
		}
		_, _, err = c.ListWebhooks(ctx, client.Filter("secret:x"))
		mustErr(t, err, http.StatusBadRequest)

		// An update replaces every writable field; the secret stays.
		in := got.Input()
		in.Status = client.WebhookInactive
		in.Headers["X-Other"] = "1"
		in.Description = nil
		updated, resp, err := c.UpdateWebhook(ctx, created.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || updated.Secret != nil || updated.Status != client.WebhookInactive || updated.Description != nil ||
			len(updated.Headers) != 2 || !updated.CreatedTime.Equal(created.CreatedTime) || updated.UpdatedTime.Before(created.UpdatedTime) {
			t.Errorf("updated %+v (status %d)", updated, resp.StatusCode)
		}
		_, _, err = c.UpdateWebhook(ctx, "7c9e6679-7425-40de-944b-e07fc1f90ae7", in)
		mustErr(t, err, http.StatusNotFound)

		// A rotation shows a new secret, once.
		rotated, resp, err := c.RotateWebhookSecret(ctx, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || mustSecret(t, rotated) == secret || rotated.ID != created.ID {
			t.Errorf("rotate: status %d, %+v", resp.StatusCode, rotated)
		}
		if again, _, _ := c.GetWebhook(ctx, created.ID); again.Secret != nil {
			t.Errorf("GET after a rotation shows the secret")
		}

		resp, err = c.DeleteWebhook(ctx, created.ID)
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("delete: %v, %+v", err, resp)
		}
		_, _, err = c.GetWebhook(ctx, created.ID)
		mustErr(t, err, http.StatusNotFound)
		_, err = c.DeleteWebhook(ctx, created.ID)
		mustErr(t, err, http.StatusNotFound)
		_, _, err = c.RotateWebhookSecret(ctx, created.ID)
		mustErr(t, err, http.StatusNotFound)
		_, _, err = c.GetWebhook(ctx, "not-a-uuid")
		mustErr(t, err, http.StatusNotFound)
	})
}

func TestWebhookValidation(t *testing.T) {
	a := newAPI(t)
	c := a.client()
	ctx := context.Background()
	long := "https://hooks.example.com/" + strings.Repeat("a", 2100)
	for _, tc := range []struct {
		name  string
		in    client.WebhookInput
		field string
	}{
		{"no url", client.WebhookInput{}, "url"},
		{"a relative url", client.WebhookInput{URL: "/hooks"}, "url"},
		{"another scheme", client.WebhookInput{URL: "ftp://hooks.example.com/"}, "url"},
		{"a url over 2083 characters", client.WebhookInput{URL: long}, "url"},
		{"an unknown event", client.WebhookInput{URL: "https://h.example", EventsFilter: []string{"customer-deleted"}}, "eventsFilter[0]"},
		{"an unknown status", client.WebhookInput{URL: "https://h.example", Status: "paused"}, "status"},
		{"a description over 1000 characters", client.WebhookInput{URL: "https://h.example", Description: client.String(strings.Repeat("d", 1001))}, "description"},
		{"a User-Agent header", client.WebhookInput{URL: "https://h.example", Headers: map[string]string{"User-Agent": "x"}}, "headers.User-Agent"},
		{"a webhook-* header", client.WebhookInput{URL: "https://h.example", Headers: map[string]string{"Webhook-Id": "x"}}, "headers.Webhook-Id"},
		{"a header name that is no token", client.WebhookInput{URL: "https://h.example", Headers: map[string]string{"X Bad": "x"}}, "headers.X Bad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.CreateWebhook(ctx, tc.in)
			if e := mustErr(t, err, http.StatusUnprocessableEntity); !client.IsValidation(err) {
				t.Errorf("IsValidation(%v) is false", err)
			} else if _, ok := e.Field(tc.field); !ok {
				t.Errorf("invalid fields %+v, want %s", e.InvalidFields, tc.field)
			}
		})
	}
	if list, _, err := c.ListWebhooks(ctx); err != nil || list.Total != 0 {
		t.Errorf("invalid webhooks were created: %+v, %v", list, err)
	}

	// At most 25 active webhooks; inactive ones do not count.
	for i := range 25 {
		if _, _, err := c.CreateWebhook(ctx, client.WebhookInput{URL: fmt.Sprintf("https://h.example/%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := c.CreateWebhook(ctx, client.WebhookInput{URL: "https://h.example/26"})
	if e := mustErr(t, err, http.StatusUnprocessableEntity); len(e.InvalidFields) != 1 || e.InvalidFields[0].Field != "status" {
		t.Errorf("a 26th active webhook: %+v", e.InvalidFields)
	}
	spare, _, err := c.CreateWebhook(ctx, client.WebhookInput{URL: "https://h.example/26", Status: client.WebhookInactive})
	if err != nil {
		t.Fatalf("an inactive 26th: %v", err)
	}
	_, _, err = c.UpdateWebhook(ctx, spare.ID, client.WebhookInput{URL: spare.URL})
	mustErr(t, err, http.StatusUnprocessableEntity)

	// Client-side guards: nothing is sent for an empty id.
	before := a.requests.Load()
	if _, _, err := c.GetWebhook(ctx, ""); err == nil || client.StatusCode(err) != 0 {
		t.Errorf("empty webhook id: %v", err)
	}
	if _, err := c.RetryDelivery(ctx, spare.ID, ""); err == nil || client.StatusCode(err) != 0 {
		t.Errorf("empty delivery id: %v", err)
	}
	if n := a.requests.Load() - before; n != 0 {
		t.Errorf("%d requests sent for empty ids", n)
	}

	// Permissions: GetWebhook reads a webhook and its deliveries, and
	// PutWebhook is needed to rotate its secret.
	reader := a.clientWithKey(a.newKey(a.orgID, "GetWebhook"))
	if _, _, err := reader.GetWebhook(ctx, spare.ID); err != nil {
		t.Errorf("GetWebhook: %v", err)
	}
	if _, _, err := reader.ListDeliveries(ctx, spare.ID); err != nil {
		t.Errorf("deliveries with GetWebhook: %v", err)
	}
	_, _, err = reader.RotateWebhookSecret(ctx, spare.ID)
	mustErr(t, err, http.StatusForbidden)
	_, _, err = reader.ListWebhooks(ctx)
	mustErr(t, err, http.StatusForbidden)
}

func TestCreateWebhookIdempotent(t *testing.T) {
	a := newAPI(t)
	c := a.client()
	ctx := context.Background()
	in := client.WebhookInput{URL: "https://hooks.example.com/once"}
	key := client.WithHeader("Idempotency-Key", "create-webhook-1")
	first, _, err := c.CreateWebhook(ctx, in, key)
	if err != nil {
		t.Fatal(err)
	}
	mustSecret(t, first)
	// The replay is the first answer, but a stored answer keeps no secret.
	again, resp, err := c.CreateWebhook(ctx, in, key)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || again.Secret != nil || !resp.Created || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: id %q (first %q), secret %v, created %v, Idempotent-Replayed %q",
			again.ID, first.ID, again.Secret, resp.Created, resp.Header.Get("Idempotent-Replayed"))
	}
	rotateKey := client.WithHeader("Idempotency-Key", "rotate-1")
	rotated, _, err := c.RotateWebhookSecret(ctx, first.ID, rotateKey)
	if err != nil {
		t.Fatal(err)
	}
	mustSecret(t, rotated)
	replayed, resp, err := c.RotateWebhookSecret(ctx, first.ID, rotateKey)
	if err != nil {
		t.Fatal(err)
	}
	if replayed.Secret != nil || resp.Header.Get("Idempotent-Replayed") != "true" || !replayed.UpdatedTime.Equal(rotated.UpdatedTime) {
		t.Errorf("rotation replay: secret %v, Idempotent-Replayed %q", replayed.Secret, resp.Header.Get("Idempotent-Replayed"))
	}
	if list, _, err := c.ListWebhooks(ctx); err != nil || list.Total != 1 {
		t.Errorf("webhooks after a replayed create: %+v, %v", list, err)
	}
}

// event is the body of a customer event as a receiver reads it.
type event struct {
	EventType  string `json:"eventType"`
	CustomerID string `json:"customerId"`
	Embedded   struct {
		Customer client.Customer `json:"customer"`
	} `json:"_embedded"`
	Links []client.Link `json:"_links"`
}

func TestWebhookDeliveries(t *testing.T) {
	a := newAPIWithWorker(t)
	c := a.client()
	ctx := context.Background()
	rc := newReceiver(t)
	hook, _, err := c.CreateWebhook(ctx, client.WebhookInput{
		URL:          rc.srv.URL + "/hook",
		EventsFilter: []string{client.EventCustomerCreated, client.EventCustomerUpdated},
		Headers:      map[string]string{"X-Tenant": "acme"},
	})
	if err != nil {
		t.Fatal(err)
	}
	secret := mustSecret(t, hook)

	cust, _, err := c.CreateCustomer(ctx, client.CustomerInput{WebsiteID: client.String("web-1")})
	if err != nil {
		t.Fatal(err)
	}
	d := rc.next(t)
	h := d.header
	if h.Get("Content-Type") != "application/json" || h.Get("User-Agent") == "" || h.Get("X-Tenant") != "acme" || h.Get("webhook-id") == "" {
		t.Errorf("delivery headers %v", h)
	}
	if err := client.VerifyWebhookSignature(secret, h.Get("webhook-id"), h.Get("webhook-timestamp"), d.body, h.Get("webhook-signature")); err != nil {
		t.Errorf("signature %q: %v", h.Get("webhook-signature"), err)
	}
	if err := client.VerifyWebhookSignature(secret, h.Get("webhook-id"), h.Get("webhook-timestamp"), append(d.body, ' '), h.Get("webhook-signature")); !errors.Is(err, client.ErrBadWebhookSignature) {
		t.Errorf("a changed body verifies: %v", err)
	}
	var ev event
	if err := json.Unmarshal(d.body, &ev); err != nil {
		t.Fatalf("body %s: %v", d.body, err)
	}
	if ev.EventType != client.EventCustomerCreated || ev.CustomerID != cust.ID || ev.Embedded.Customer.ID != cust.ID ||
		ev.Embedded.Customer.Revision != 0 || str(ev.Embedded.Customer.WebsiteID) != "web-1" || len(ev.Links) != 1 || ev.Links[0].Rel != "customer" {
		t.Errorf("event %s", d.body)
	}

	delivered := waitDelivery(t, c, hook.ID, "status:delivered", func(client.Delivery) bool { return true })
	if delivered.ID != h.Get("webhook-id") || delivered.EventType != client.EventCustomerCreated || delivered.CustomerID != cust.ID ||
		delivered.Attempts != 1 || delivered.LastAttemptTime == nil || delivered.NextAttemptTime != nil ||
		delivered.LastResponseStatus == nil || *delivered.LastResponseStatus != http.StatusOK || delivered.LastError != nil {
		t.Errorf("delivered %+v", delivered)
	}

	// A lead source change is not subscribed to; tagging is an update.
	if _, _, err := c.PutLeadSource(ctx, cust.ID, client.LeadSourceData{Source: client.String("google")}); err != nil {
		t.Fatal(err)
	}
	rc.answer(http.StatusServiceUnavailable)
	if _, err := c.TagCustomer(ctx, "vip", cust.ID); err != nil {
		t.Fatal(err)
	}
	d = rc.next(t)
	if err := json.Unmarshal(d.body, &ev); err != nil || ev.EventType != client.EventCustomerUpdated || ev.Embedded.Customer.Revision != 2 ||
		len(ev.Embedded.Customer.Tags) != 1 {
		t.Errorf("update event %s (%v)", d.body, err)
	}
	// A failed attempt is retried after the schedule's wait, with the same
	// webhook-id, then the delivery fails.
	failing := waitDelivery(t, c, hook.ID, "eventType:customer-updated", func(d client.Delivery) bool {
		// Once the attempt is recorded (while it is under way, attempts
		// already counts it but it has no outcome yet).
		return d.Attempts == 1 && d.Status == client.DeliveryPending && d.LastResponseStatus != nil
	})
	if failing.ID != d.header.Get("webhook-id") || failing.NextAttemptTime == nil || failing.LastResponseStatus == nil ||
		*failing.LastResponseStatus != http.StatusServiceUnavailable || failing.LastError == nil || !strings.Contains(*failing.LastError, "503") {
		t.Errorf("after a failed attempt: %+v", failing)
	}
	if retried := rc.next(t); retried.header.Get("webhook-id") != failing.ID {
		t.Errorf("the retry has webhook-id %q, want %q", retried.header.Get("webhook-id"), failing.ID)
	}
	failed := waitDelivery(t, c, hook.ID, "status:failed", func(d client.Delivery) bool { return d.ID == failing.ID })
	if failed.Attempts != 2 || failed.NextAttemptTime != nil {
		t.Errorf("failed %+v", failed)
	}
	list, _, err := c.ListDeliveries(ctx, hook.ID, client.Sort("createdTime"))
	if err != nil || list.Total != 2 || list.Deliveries[0].ID != delivered.ID || list.Deliveries[1].ID != failed.ID {
		t.Fatalf("deliveries: %+v, %v (the lead source change is not subscribed to)", list, err)
	}

	// A retry after a rotation is sent again, signed with the new secret.
	rotated, _, err := c.RotateWebhookSecret(ctx, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	rc.answer(http.StatusNoContent)
	resp, err := c.RetryDelivery(ctx, hook.ID, failed.ID)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("retry: %v, %+v", err, resp)
	}
	d = rc.next(t)
	h = d.header
	if h.Get("webhook-id") != failed.ID {
		t.Errorf("the retried delivery has webhook-id %q, want %q", h.Get("webhook-id"), failed.ID)
	}
	if err := client.VerifyWebhookSignature(*rotated.Secret, h.Get("webhook-id"), h.Get("webhook-timestamp"), d.body, h.Get("webhook-signature")); err != nil {
		t.Errorf("signed with the new secret: %v", err)
	}
	if err := client.VerifyWebhookSignature(secret, h.Get("webhook-id"), h.Get("webhook-timestamp"), d.body, h.Get("webhook-signature")); err == nil {
		t.Error("the old secret still verifies after a rotation")
	}
	waitDelivery(t, c, hook.ID, "status:delivered;eventType:customer-updated", func(d client.Delivery) bool {
		return d.ID == failed.ID && d.Attempts == 3 && d.LastResponseStatus != nil && *d.LastResponseStatus == http.StatusNoContent
	})

	_, err = c.RetryDelivery(ctx, hook.ID, "1b4e28ba-2fa1-41d2-883f-0016d3cca427")
	mustErr(t, err, http.StatusNotFound)
	_, err = c.RetryDelivery(ctx, "7c9e6679-7425-40de-944b-e07fc1f90ae7", failed.ID)
	mustErr(t, err, http.StatusNotFound)
	_, _, err = c.ListDeliveries(ctx, "7c9e6679-7425-40de-944b-e07fc1f90ae7")
	mustErr(t, err, http.StatusNotFound)
	_, _, err = c.ListDeliveries(ctx, hook.ID, client.Filter("url:x"))
	mustErr(t, err, http.StatusBadRequest)

	// An inactive webhook gets no new deliveries.
	in := hook.Input()
	in.Status = client.WebhookInactive
	if _, _, err := c.UpdateWebhook(ctx, hook.ID, in); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.CreateCustomer(ctx, client.CustomerInput{}); err != nil {
		t.Fatal(err)
	}
	if list, _, err := c.ListDeliveries(ctx, hook.ID); err != nil || list.Total != 2 {
		t.Errorf("deliveries after a change while inactive: %+v, %v", list, err)
	}
}

func TestVerifyWebhookSignature(t *testing.T) {
	// Signed as the service signs its deliveries.
	secret := webhooks.NewSecret()
	const (
		id   = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
		ts   = "1714564800"
		body = `{"eventType":"customer-created"}`
	)
	sig, err := webhooks.Sign(secret, id, 1714564800, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := client.VerifyWebhookSignature(secret, id, ts, []byte(body), sig); err != nil {
		t.Errorf("the service's signature %q: %v", sig, err)
	}
	// Several signatures (the Standard Webhooks header may list more than
	// one): any one matching is enough.
	if err := client.VerifyWebhookSignature(secret, id, ts, []byte(body), "v1,AAAA "+sig); err != nil {
		t.Errorf("two signatures: %v", err)
	}
	for name, tc := range map[string][3]string{
		"another timestamp": {secret, ts + "1", sig},
		"another version":   {secret, ts, "v2," + strings.TrimPrefix(sig, "v1,")},
		"no signature":      {secret, ts, ""},
		"another secret":    {webhooks.NewSecret(), ts, sig},
	} {
		if err := client.VerifyWebhookSignature(tc[0], id, tc[1], []byte(body), tc[2]); !errors.Is(err, client.ErrBadWebhookSignature) {
			t.Errorf("%s: %v, want ErrBadWebhookSignature", name, err)
		}
	}
	if err := client.VerifyWebhookSignature("not a secret", id, ts, []byte(body), sig); err == nil || errors.Is(err, client.ErrBadWebhookSignature) {
		t.Errorf("a malformed secret: %v", err)
	}
}
