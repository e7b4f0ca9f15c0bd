package webhooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/app"
	"github.com/billing/customers-api/internal/config"
	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
	"github.com/billing/customers-api/internal/webhooks"
	"github.com/jmoiron/sqlx"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// receipt is one request a receiver got.
type receipt struct {
	id, timestamp, signature string
	header                   http.Header
	body                     []byte
	at                       time.Time
}

// receiver is a real HTTP server standing in for a client's endpoint; it
// answers each request with what answer says (200 when nil).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []receipt
	answer func(n int) int // n: 1 for the first request
	notify chan struct{}
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	rc := &receiver{answer: answer, notify: make(chan struct{}, 1000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, receipt{id: r.Header.Get("webhook-id"), timestamp: r.Header.Get("webhook-timestamp"),
			signature: r.Header.Get("webhook-signature"), header: r.Header.Clone(), body: body, at: time.Now()})
		n := len(rc.got)
		rc.mu.Unlock()
		status := http.StatusOK
		if rc.answer != nil {
			status = rc.answer(n)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"why":"` + strconv.Itoa(status) + `"}`))
		rc.notify <- struct{}{}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) receipts() []receipt {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receipt(nil), rc.got...)
}

// waitFor waits until the receiver has had n requests, or fails.
func (rc *receiver) waitFor(t *testing.T, n int, within time.Duration) []receipt {
	t.Helper()
	deadline := time.After(within)
	for {
		if got := rc.receipts(); len(got) >= n {
			return got
		}
		select {
		case <-rc.notify:
		case <-deadline:
			t.Fatalf("receiver got %d requests, want %d within %s", len(rc.receipts()), n, within)
		}
	}
}

// verify is an implementation of the Standard Webhooks check written
// from the specification, independent of webhooks.Sign: the signature is
// "v1," and the base64 HMAC-SHA256 of "id.timestamp.body" keyed with the
// base64-decoded secret after "whsec_"; the timestamp within 5 minutes.
func verify(secret string, r receipt) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || r.id == "" {
		return false
	}
	ts, err := strconv.ParseInt(r.timestamp, 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.id + "." + r.timestamp + "." + string(r.body)))
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(r.signature) {
		v, b64, ok := strings.Cut(sig, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// env is a service over a fresh database, with a worker that the test
// starts and stops.
type env struct {
	t     testing.TB
	db    *sqlx.DB
	url   string
	svc   *app.App
	orgID string
}

var fastRetries = []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}

func newEnv(t testing.TB) *env {
	t.Helper()
	db, url := pgtest.NewDBURL(t)
	e := &env{t: t, db: db, url: url}
	e.svc = e.newApp(db)
	org, err := e.svc.Access.CreateOrganization(context.Background(), "org")
	if err != nil {
		t.Fatal(err)
	}
	e.orgID = org.ID
	return e
}

// openPool opens a pool of its own on the test's database, as another
// process would.
func (e *env) openPool(maxConns int) *sqlx.DB {
	e.t.Helper()
	db, err := postgres.Open(context.Background(), e.url, postgres.Settings{MaxConns: maxConns})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	return db
}

func (e *env) newApp(db *sqlx.DB) *app.App {
	return app.New(db, app.Options{Config: config.Config{
		PublicURL: "https://api.example.test", WebhookWorkers: 4, WebhookTimeout: 2 * time.Second,
		WebhookRetrySchedule: fastRetries, WebhookRetention: time.Hour,
	}})
}

// start runs a's worker until the test ends or the returned stop is called.
func (e *env) start(a *app.App) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Worker.Run(ctx); close(done) }()
	stop = sync.OnceFunc(func() { cancel(); <-done })
	e.t.Cleanup(stop)
	return stop
}

func (e *env) webhook(in webhooks.Input) *webhooks.Webhook {
	e.t.Helper()
	w, err := e.svc.Webhooks.Create(context.Background(), e.orgID, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

func str(s string) *string { return &s }

func (e *env) createCustomer(email string) *customers.View {
	e.t.Helper()
	v, err := e.svc.Customers.Create(context.Background(), e.orgID, customers.Input{
		PrimaryAddress: &customers.Contact{FirstName: str("Ada"), Emails: []customers.ContactEmail{{Label: "main", Value: email, Primary: true}}},
	}, customers.ViewOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

// payload is a webhook body as a receiver decodes it.
type payload struct {
	EventType          string          `json:"eventType"`
	CustomerID         string          `json:"customerId"`
	TargetCustomerID   string          `json:"targetCustomerId"`
	DuplicatedCustomer json.RawMessage `json:"duplicatedCustomer"`
	Embedded           struct {
		Customer       map[string]any `json:"customer"`
		TargetCustomer map[string]any `json:"targetCustomer"`
	} `json:"_embedded"`
	Links []struct{ Rel, Href string } `json:"_links"`
}

func decode(t *testing.T, r receipt) payload {
	t.Helper()
	var p payload
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return p
}

func (e *env) deliveries(webhookID string, filter string) []webhooks.Delivery {
	e.t.Helper()
	_, list, err := e.svc.Webhooks.ListDeliveries(context.Background(), e.orgID, webhookID, customers.ListQuery{Filter: filter, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// waitDeliveries waits until webhook id has n deliveries matching filter.
func (e *env) waitDeliveries(id, filter string, n int) []webhooks.Delivery {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		list := e.deliveries(id, filter)
		if len(list) >= n {
			return list
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d deliveries match %q, want %d", len(list), filter, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEveryEventTypeIsDeliveredSignedWithTheCustomerAtItsRevision(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	w := e.webhook(webhooks.Input{URL: str(rc.srv.URL + "/hook"), Headers: map[string]string{"X-Tenant": "acme"}})
	e.start(e.svc)
	ctx := context.Background()

	created := e.createCustomer("ada@example.com")
	dup := e.createCustomer("dup@example.com")
	if _, _, err := e.svc.Customers.Put(ctx, e.orgID, created.ID, customers.Input{
		PrimaryAddress: &customers.Contact{FirstName: str("Ada"), LastName: str("Lovelace"), Emails: []customers.ContactEmail{{Label: "main", Value: "ada@example.com", Primary: true}}},
		Locale:         str("en-GB"),
	}, customers.Precondition{}, customers.ViewOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Customers.PutLeadSource(ctx, e.orgID, created.ID, customers.LeadSourceData{Source: str("ads")}, customers.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Customers.TagCustomers(ctx, e.orgID, "vip", []string{created.ID}, true, false); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Customers.Merge(ctx, e.orgID, dup.ID, created.ID, customers.Precondition{}); err != nil {
		t.Fatal(err)
	}
	got := rc.waitFor(t, 6, 10*time.Second)
	// Deliveries may arrive in any order: receivers order by revision.
	byRevision := map[string]payload{}
	for _, r := range got {
		if !verify(w.Secret, r) {
			t.Errorf("delivery %s: signature %q does not verify", r.id, r.signature)
		}
		if r.header.Get("Content-Type") != "application/json" || r.header.Get("X-Tenant") != "acme" ||
			!strings.HasPrefix(r.header.Get("User-Agent"), "customers-api") {
			t.Errorf("delivery %s headers: %v", r.id, r.header)
		}
		p := decode(t, r)
		c := p.Embedded.Customer
		id := p.CustomerID
		if p.EventType == customers.EventCustomerMerged {
			c, id = p.Embedded.TargetCustomer, p.TargetCustomerID
		}
		key := p.EventType + "/" + id + "/" + jsonNum(c["revision"])
		byRevision[key] = p
	}
	want := []string{
		"customer-created/" + created.ID + "/0",
		"customer-created/" + dup.ID + "/0",
		"customer-updated/" + created.ID + "/1",
		"lead-source-changed/" + created.ID + "/2",
		"customer-updated/" + created.ID + "/3",
		"customer-merged/" + created.ID + "/4",
	}
	for _, k := range want {
		if _, ok := byRevision[k]; !ok {
			t.Errorf("no delivery %s; got %v", k, keys(byRevision))
		}
	}
	// The bodies hold the customer as the change left it, not as it is now.
	if p := byRevision["customer-updated/"+created.ID+"/1"]; p.Embedded.Customer["locale"] != "en-GB" || p.Embedded.Customer["lastName"] != "Lovelace" {
		t.Errorf("update body: %v", p.Embedded.Customer)
	}
	if p := byRevision["customer-created/"+created.ID+"/0"]; p.Embedded.Customer["locale"] != nil {
		t.Errorf("created body shows a later change: %v", p.Embedded.Customer)
	}
	if p := byRevision["customer-updated/"+created.ID+"/3"]; !strings.Contains(mustMarshal(p.Embedded.Customer["tags"]), `"vip"`) {
		t.Errorf("tagged body: %v", p.Embedded.Customer["tags"])
	}
	merged := byRevision["customer-merged/"+created.ID+"/4"]
	var dupBody map[string]any
	if err := json.Unmarshal(merged.DuplicatedCustomer, &dupBody); err != nil || dupBody["id"] != dup.ID || dupBody["email"] != "dup@example.com" {
		t.Errorf("duplicatedCustomer = %s", merged.DuplicatedCustomer)
	}
	if len(merged.Links) != 1 || merged.Links[0].Href != "https://api.example.test/customers/"+created.ID {
		t.Errorf("merged _links = %v", merged.Links)
	}
	self := p0Links(byRevision["lead-source-changed/"+created.ID+"/2"].Embedded.Customer)
	if !strings.Contains(self, `"leadSource"`) || !strings.Contains(self, "https://api.example.test/customers/"+created.ID) {
		t.Errorf("customer _links in an event = %s", self)
	}
	for _, d := range e.waitDeliveries(w.ID, "status:delivered", 6) {
		if d.Status != webhooks.DeliveryDelivered || d.Attempts != 1 || d.LastResponseStatus == nil || *d.LastResponseStatus != 200 {
			t.Errorf("delivery %+v", d)
		}
	}
}

func jsonNum(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatInt(int64(f), 10)
	}
	return "?"
}

func keys(m map[string]payload) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func mustMarshal(v any) string { b, _ := json.Marshal(v); return string(b) }

func p0Links(c map[string]any) string { return mustMarshal(c["_links"]) }

func TestAFailingReceiverIsRetriedWithTheSameIDUntilItAnswers(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	w := e.webhook(webhooks.Input{URL: str(rc.srv.URL)})
	e.start(e.svc)
	e.createCustomer("retry@example.com")
	got := rc.waitFor(t, 3, 10*time.Second)
	if got[0].id != got[1].id || got[1].id != got[2].id {
		t.Errorf("webhook-id changed between attempts: %s %s %s", got[0].id, got[1].id, got[2].id)
	}
	ds := e.waitDeliveries(w.ID, "status:delivered", 1)
	if d := ds[0]; d.Attempts != 3 || d.ID != got[0].id || d.LastResponseStatus == nil || *d.LastResponseStatus != 200 {
		t.Errorf("delivery = %+v", d)
	}
	// Each attempt was signed afresh, and verifies.
	for _, r := range got {
		if !verify(w.Secret, r) {
			t.Errorf("attempt at %s does not verify", r.timestamp)
		}
	}
}

func TestAReceiverThatNeverAnswersWellEndsFailedWithItsAnswerRecorded(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("x", 5000)
	rc := newReceiver(t, func(int) int { return http.StatusBadRequest })
	rc.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.got = append(rc.got, receipt{id: r.Header.Get("webhook-id")})
		rc.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte("bad " + long))
		rc.notify <- struct{}{}
	})
	w := e.webhook(webhooks.Input{URL: str(rc.srv.URL)})
	e.start(e.svc)
	e.createCustomer("fail@example.com")
	ds := e.waitDeliveries(w.ID, "status:failed", 1)
	d := ds[0]
	if d.Attempts != len(fastRetries)+1 || d.NextAttemptTime != nil || d.LastResponseStatus == nil || *d.LastResponseStatus != 400 {
		t.Errorf("failed delivery = %+v", d)
	}
	if d.LastError == nil || !strings.HasPrefix(*d.LastError, "HTTP 400: bad xxx") || len(*d.LastError) > 1100 {
		t.Errorf("lastError is not the answer, truncated: %v", d.LastError)
	}
	// A retry asked for by a client attempts it once more, now.
	if err := e.svc.Webhooks.Retry(context.Background(), e.orgID, w.ID, d.ID); err != nil {
		t.Fatal(err)
	}
	rc.waitFor(t, len(fastRetries)+2, 10*time.Second)
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	e := newEnv(t)
	target := newReceiver(t, nil)
	redirect := httptest.NewServer(http.RedirectHandler(target.srv.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	w := e.webhook(webhooks.Input{URL: str(redirect.URL)})
	e.start(e.svc)
	e.createCustomer("redirect@example.com")
	ds := e.waitDeliveries(w.ID, "status:failed", 1)
	if ds[0].LastResponseStatus == nil || *ds[0].LastResponseStatus != http.StatusTemporaryRedirect {
		t.Errorf("delivery = %+v", ds[0])
	}
	if n := len(target.receipts()); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

// The process dies after the commit and before the delivery: nothing runs
// the worker. A fresh worker delivers the event once.
func TestAnEventCommittedWhileNoWorkerRunsIsDeliveredByTheNextOne(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	w := e.webhook(webhooks.Input{URL: str(rc.srv.URL)})
	stop := e.start(e.svc)
	stop() // the first process's worker is gone, as after kill -9
	e.createCustomer("orphan@example.com")
	if ds := e.deliveries(w.ID, "status:pending"); len(ds) != 1 || ds[0].Attempts != 0 {
		t.Fatalf("pending deliveries = %+v", ds)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(rc.receipts()); n != 0 {
		t.Fatalf("delivered with no worker running: %d", n)
	}
	// A new process: its own pool, its own worker.
	db2 := e.openPool(4)
	e.start(e.newApp(db2))
	rc.waitFor(t, 1, 5*time.Second)
	e.waitDeliveries(w.ID, "status:delivered", 1)
	time.Sleep(300 * time.Millisecond)
	if n := len(rc.receipts()); n != 1 {
		t.Errorf("delivered %d times, want once", n)
	}
}

// Two processes' workers share one outbox: 500 events, each delivered
// exactly once.
func TestTwoProcessesDeliverEachOf500EventsExactlyOnce(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	w := e.webhook(webhooks.Input{URL: str(rc.srv.URL)})
	db2 := e.openPool(8)
	other := e.newApp(db2)
	e.start(e.svc)
	e.start(other)
	const n = 500
	var wg sync.WaitGroup
	for g := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half the changes through each process: each wakes its own
			// worker; the other learns of them by polling.
			svc := e.svc
			if g%2 == 1 {
				svc = other
			}
			for i := range n / 5 {
				if _, err := svc.Customers.Create(context.Background(), e.orgID, customers.Input{}, customers.ViewOptions{}); err != nil {
					t.Error(err)
					return
				}
				_ = i
			}
		}()
	}
	wg.Wait()
	rc.waitFor(t, n, 60*time.Second)
	e.waitDeliveries(w.ID, "status:delivered", n)
	time.Sleep(500 * time.Millisecond) // time for any duplicate to show
	got := rc.receipts()
	seen := map[string]int{}
	for _, r := range got {
		seen[r.id]++
	}
	if len(got) != n || len(seen) != n {
		t.Errorf("%d requests for %d distinct deliveries, want %d of %d", len(got), len(seen), n, n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("delivery %s attempted %d times", id, c)
		}
	}
}

func TestFiltersInactiveWebhooksAndTenancy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	all := newReceiver(t, nil)
	mergesOnly := newReceiver(t, nil)
	inactive := newReceiver(t, nil)
	wAll := e.webhook(webhooks.Input{URL: str(all.srv.URL)})
	e.webhook(webhooks.Input{URL: str(mergesOnly.srv.URL), EventsFilter: []string{customers.EventCustomerMerged}})
	wInactive := e.webhook(webhooks.Input{URL: str(inactive.srv.URL), Status: str(webhooks.StatusInactive)})
	// Another organization's webhook, listening to everything.
	orgB, err := e.svc.Access.CreateOrganization(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	other := newReceiver(t, nil)
	if _, err := e.svc.Webhooks.Create(ctx, orgB.ID, webhooks.Input{URL: str(other.srv.URL)}); err != nil {
		t.Fatal(err)
	}
	e.start(e.svc)
	e.createCustomer("a@example.com")
	all.waitFor(t, 1, 5*time.Second)
	e.waitDeliveries(wAll.ID, "status:delivered", 1)
	time.Sleep(300 * time.Millisecond)
	if n := len(mergesOnly.receipts()); n != 0 {
		t.Errorf("a customer-merged-only webhook got %d deliveries of customer-created", n)
	}
	if n := len(inactive.receipts()); n != 0 || len(e.deliveries(wInactive.ID, "")) != 0 {
		t.Errorf("an inactive webhook got %d requests", n)
	}
	if n := len(other.receipts()); n != 0 {
		t.Errorf("organization B's webhook got %d of organization A's events", n)
	}
}

func TestPendingDeliveriesOfAnInactiveWebhookWaitUntilItIsActiveAgain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rc := newReceiver(t, nil)
	w := e.webhook(webhooks.Input{URL: str(rc.srv.URL)})
	e.createCustomer("wait@example.com") // pending: no worker yet
	if _, err := e.svc.Webhooks.Update(ctx, e.orgID, w.ID, webhooks.Input{URL: str(rc.srv.URL), Status: str(webhooks.StatusInactive)}); err != nil {
		t.Fatal(err)
	}
	e.start(e.svc)
	time.Sleep(700 * time.Millisecond) // more than a poll
	if n := len(rc.receipts()); n != 0 || len(e.deliveries(w.ID, "status:pending")) != 1 {
		t.Fatalf("an inactive webhook's pending delivery was attempted (%d requests)", n)
	}
	if _, err := e.svc.Webhooks.Update(ctx, e.orgID, w.ID, webhooks.Input{URL: str(rc.srv.URL)}); err != nil {
		t.Fatal(err)
	}
	rc.waitFor(t, 1, 5*time.Second)
}

func TestRotatedSecretSignsAtOnceAndPruningKeepsPending(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rc := newReceiver(t, nil)
	w := e.webhook(webhooks.Input{URL: str(rc.srv.URL)})
	rotated, err := e.svc.Webhooks.RotateSecret(ctx, e.orgID, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Secret == w.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") {
		t.Fatalf("rotated secret %q", rotated.Secret)
	}
	stop := e.start(e.svc)
	old := e.createCustomer("rot@example.com")
	got := rc.waitFor(t, 1, 5*time.Second)
	if verify(w.Secret, got[0]) || !verify(rotated.Secret, got[0]) {
		t.Error("the delivery after a rotation is not signed with the new secret alone")
	}
	e.createCustomer("kept@example.com")
	e.waitDeliveries(w.ID, "status:delivered", 2)
	// Retention counts from the last attempt: a delivered delivery last
	// attempted longer ago than the retention goes, with its event; one
	// created as long ago but attempted since stays, and so does a
	// pending one.
	if _, err := e.db.Exec(`UPDATE webhook_deliveries SET created_time = now() - interval '3 hours',
		last_attempt_time = CASE WHEN customer_id = $1 THEN now() - interval '2 hours' ELSE last_attempt_time END`, old.ID); err != nil {
		t.Fatal(err)
	}
	stop()
	e.createCustomer("pending@example.com")
	if n := e.svc.Worker.Prune(ctx); n != 1 {
		t.Errorf("pruned %d deliveries, want 1", n)
	}
	var deliveries, events, gone int
	if err := e.db.QueryRow(`SELECT (SELECT count(*) FROM webhook_deliveries), (SELECT count(*) FROM customer_events),
		(SELECT count(*) FROM webhook_deliveries WHERE customer_id = $1)`, old.ID).Scan(&deliveries, &events, &gone); err != nil {
		t.Fatal(err)
	}
	if deliveries != 2 || events != 2 || gone != 0 {
		t.Errorf("after pruning: %d deliveries and %d events (%d of the old one), want the recent and the pending one of each", deliveries, events, gone)
	}
}

// waitDelivery waits until webhook id's only delivery satisfies ok.
func (e *env) waitDelivery(id string, ok func(webhooks.Delivery) bool) webhooks.Delivery {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		list := e.deliveries(id, "")
		if len(list) == 1 && ok(list[0]) {
			return list[0]
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("deliveries %+v: not the one awaited", list)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// queued counts the rows of the queue of due deliveries.
func (e *env) queued() int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(`SELECT count(*) FROM webhook_queue`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// A retry by hand sends a delivery that waits for its backoff at once,
// and once: the queue row it waited on goes with the retry (the pending
// gauge does not count it for an hour). A queue row that no longer stands
// for its delivery is dropped, unsent, by the worker that claims it.
func TestARetryByHandSendsAWaitingDeliveryNowAndOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := app.New(e.db, app.Options{Config: config.Config{
		PublicURL: "https://api.example.test", WebhookWorkers: 4, WebhookTimeout: 2 * time.Second,
		WebhookRetrySchedule: []time.Duration{time.Hour}, WebhookRetention: time.Hour,
	}})
	rc := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	w := e.webhook(webhooks.Input{URL: str(rc.srv.URL)})
	e.start(a)
	e.createCustomer("later@example.com")
	rc.waitFor(t, 1, 5*time.Second)
	d := e.waitDelivery(w.ID, func(d webhooks.Delivery) bool { return d.Attempts == 1 })
	if d.Status != webhooks.DeliveryPending || d.NextAttemptTime == nil || time.Until(*d.NextAttemptTime) < 30*time.Minute {
		t.Fatalf("after a failure: %+v, want pending about an hour ahead", d)
	}
	if err := a.Webhooks.Retry(ctx, e.orgID, w.ID, d.ID); err != nil {
		t.Fatal(err)
	}
	got := rc.waitFor(t, 2, 5*time.Second)
	d = e.waitDelivery(w.ID, func(d webhooks.Delivery) bool { return d.Status == webhooks.DeliveryDelivered })
	if d.Attempts != 2 || got[1].id != d.ID {
		t.Errorf("after the retry: %+v (webhook-id %s)", d, got[1].id)
	}
	if n := e.queued(); n != 0 {
		t.Errorf("%d queue rows after the retried delivery was delivered, want 0", n)
	}
	// A row that does not stand for its delivery (the delivery is not
	// pending at that time) is due at once, claimed and dropped.
	if _, err := e.db.Exec(`INSERT INTO webhook_queue (organization_id, due_time, delivery_id, webhook_id, created_time)
		VALUES ($1, now() - interval '1 minute', $2, $3, now())`, e.orgID, d.ID, w.ID); err != nil {
		t.Fatal(err)
	}
	a.Worker.Wake()
	deadline := time.Now().Add(5 * time.Second)
	for e.queued() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := e.queued(); n != 0 {
		t.Errorf("the stale queue row is still there (%d rows)", n)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(rc.receipts()); n != 2 {
		t.Errorf("%d requests, want 2: a stale queue row sent its delivery again", n)
	}
	// A delivered delivery retried by hand is sent again.
	if err := a.Webhooks.Retry(ctx, e.orgID, w.ID, d.ID); err != nil {
		t.Fatal(err)
	}
	rc.waitFor(t, 3, 5*time.Second)
	e.waitDelivery(w.ID, func(d webhooks.Delivery) bool { return d.Status == webhooks.DeliveryDelivered && d.Attempts == 3 })
}

// The queued deliveries of a webhook deleted in the instant they were
// written (its deletion did not see them) are pruned, with their events.
func TestPruningDropsTheQueueOfADeletedWebhook(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	w := e.webhook(webhooks.Input{URL: str(rc.srv.URL)})
	e.createCustomer("orphan@example.com") // no worker runs: it stays queued
	// What the race leaves: the webhook gone, its delivery queued.
	if _, err := e.db.Exec(`DELETE FROM webhooks WHERE id = $1`, w.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.svc.Worker.Prune(context.Background()); n != 1 {
		t.Errorf("pruned %d deliveries, want 1", n)
	}
	var deliveries, events int
	if err := e.db.QueryRow(`SELECT (SELECT count(*) FROM webhook_deliveries), (SELECT count(*) FROM customer_events)`).Scan(&deliveries, &events); err != nil {
		t.Fatal(err)
	}
	if q := e.queued(); q+deliveries+events != 0 {
		t.Errorf("after pruning: %d queued, %d deliveries, %d events; want none", q, deliveries, events)
	}
}

// watchedStore is a store that counts the batches under way at once.
type watchedStore struct {
	webhooks.Store
	mu                  sync.Mutex
	running, most, runs int
}

func (s *watchedStore) Deliver(ctx context.Context, orgID string, limit int, attempt func(context.Context, []webhooks.Claimed) []webhooks.Outcome) (int, error) {
	s.mu.Lock()
	s.running++
	s.runs++
	s.most = max(s.most, s.running)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}()
	return s.Store.Deliver(ctx, orgID, limit, attempt)
}

// One batch loop at a time per organization in a process: wake-ups while
// its batches run (commits keep coming, the receiver takes a moment) ask
// it to go on, and do not start another that would split the due
// deliveries into more, smaller transactions.
func TestOneBatchLoopPerOrganization(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(int) int {
		time.Sleep(3 * time.Millisecond)
		return http.StatusOK
	})
	e.webhook(webhooks.Input{URL: str(rc.srv.URL)})
	store := &watchedStore{Store: postgres.New(e.db)}
	w := webhooks.NewWorker(store, webhooks.Config{Workers: 4, Timeout: 2 * time.Second},
		func(webhooks.Event) []byte { return []byte(`{}`) }, nil, webhooks.Metrics{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for j := range each {
				e.createCustomer(fmt.Sprintf("w%d-%d@example.com", i, j))
				w.Wake()
			}
		})
	}
	wg.Wait()
	rc.waitFor(t, writers*each, 20*time.Second)
	store.mu.Lock()
	defer store.mu.Unlock()
	if store.most != 1 {
		t.Errorf("%d batches of one organization ran at once, want 1 (%d batches)", store.most, store.runs)
	}
}

// A change and its record are one: when writing the record fails, the
// change is not kept either, and when the change fails, no record is.
func TestAChangeAndItsMessageAndEventCommitTogether(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rc := newReceiver(t, nil)
	e.webhook(webhooks.Input{URL: str(rc.srv.URL)})
	c := e.createCustomer("atomic@example.com")
	// The outbox refuses the next event: the update must not happen.
	if _, err := e.db.Exec(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'outbox refused'; END $$;
		CREATE TRIGGER refuse BEFORE INSERT ON customer_events FOR EACH ROW EXECUTE FUNCTION refuse()`); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.svc.Customers.Put(ctx, e.orgID, c.ID, customers.Input{Locale: str("fr-FR")}, customers.Precondition{}, customers.ViewOptions{})
	if err == nil {
		t.Fatal("the update succeeded though its event could not be written")
	}
	got, err := e.svc.Customers.Get(ctx, e.orgID, c.ID, customers.ViewOptions{})
	if err != nil || got.Revision != 0 {
		t.Fatalf("after a failed record the customer is at revision %v (%v)", got, err)
	}
	total, _, err := e.svc.Customers.ListTimeline(ctx, e.orgID, c.ID, customers.ListQuery{Limit: 10})
	if err != nil || total != 1 {
		t.Errorf("timeline has %d messages (%v), want only customer-created", total, err)
	}
	// And a change that fails leaves no message and no event.
	if _, err := e.db.Exec(`DROP TRIGGER refuse ON customer_events`); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.Customers.Put(ctx, e.orgID, c.ID, customers.Input{Locale: str("fr-FR")}, customers.Precondition{IfMatch: []string{"7"}}, customers.ViewOptions{})
	if customers.ErrorKind(err) != customers.KindPreconditionFailed {
		t.Fatalf("err = %v", err)
	}
	var events int
	if err := e.db.QueryRow(`SELECT count(*) FROM customer_events`).Scan(&events); err != nil || events != 1 {
		t.Errorf("%d events (%v), want the creation's only", events, err)
	}
}

// How soon after the commit a delivery is first attempted: by the worker
// of the process that committed (woken at once), and by another process's
// worker (its poll). Measured and logged, not asserted: timing belongs to
// benchmarks, not to tests on a shared machine.
func TestDeliveryLatencyAfterCommit(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.webhook(webhooks.Input{URL: str(rc.srv.URL)})
	db2 := e.openPool(4)
	other := e.newApp(db2)
	measure := func(name string, committer *app.App) {
		const n = 20
		var lat []time.Duration
		for i := range n {
			before := len(rc.receipts())
			if _, err := committer.Customers.Create(context.Background(), e.orgID, customers.Input{}, customers.ViewOptions{}); err != nil {
				t.Fatal(err)
			}
			committed := time.Now()
			got := rc.waitFor(t, before+1, 5*time.Second)
			lat = append(lat, got[before].at.Sub(committed))
			_ = i
		}
		slices.Sort(lat)
		t.Logf("%s: first attempt after commit p50 %s, max %s (%d events)", name, lat[n/2].Round(time.Microsecond), lat[n-1].Round(time.Microsecond), n)
	}
	e.start(e.svc)
	measure("same process (woken on commit)", e.svc)
	measure("another process (poll)", other)
}

// syncBuffer is a log destination safe for the worker's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestEveryAttemptIsLoggedWithoutTheSecret(t *testing.T) {
	e := newEnv(t)
	var logs syncBuffer
	e.svc = app.New(e.db, app.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Config: config.Config{
		WebhookWorkers: 2, WebhookTimeout: 2 * time.Second, WebhookRetrySchedule: fastRetries[:1],
	}})
	rc := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	w := e.webhook(webhooks.Input{URL: str(rc.srv.URL)})
	e.start(e.svc)
	e.createCustomer("log@example.com")
	ds := e.waitDeliveries(w.ID, "status:delivered", 1)
	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "webhook delivery" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("%d attempt lines, want 2:\n%s", len(lines), logs.String())
	}
	if lines[0]["delivery_id"] != ds[0].ID || lines[0]["status"] != float64(500) || lines[0]["result"] != "retried" ||
		lines[1]["status"] != float64(204) || lines[1]["result"] != "delivered" || lines[1]["attempt"] != float64(2) {
		t.Errorf("attempt lines: %v", lines)
	}
	secretKey := strings.TrimPrefix(w.Secret, "whsec_")
	if strings.Contains(logs.String(), secretKey) {
		t.Error("the log holds the webhook's secret")
	}
	// The metrics count both attempts.
	rec := httptest.NewRecorder()
	e.svc.Metrics.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{`customers_api_webhook_deliveries_total{result="delivered"} 1`, `customers_api_webhook_deliveries_total{result="retried"} 1`,
		"customers_api_webhook_deliveries_pending", "customers_api_webhook_oldest_pending_seconds"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
