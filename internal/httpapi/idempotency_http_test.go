package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/billing/customers-api/internal/app"
	"github.com/billing/customers-api/internal/testsync"
)

// idem sends q with an Idempotency-Key.
func (a *testAPI) idem(key string, q req) *response {
	a.t.Helper()
	if q.Headers == nil {
		q.Headers = map[string]string{}
	}
	q.Headers["Idempotency-Key"] = key
	return a.do(q)
}

func (a *testAPI) countCustomers(t *testing.T, orgID string) int {
	t.Helper()
	var n int
	if err := a.db.GetContext(context.Background(), &n, `SELECT count(*) FROM customers WHERE organization_id = $1`, orgID); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestHTTPIdempotencyKeyReplaysTheFirstAnswer(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	body := map[string]any{"websiteId": "web-1"}
	first := a.idem("create-1", req{Method: http.MethodPost, Path: "/customers", Body: body})
	wantStatus(t, first, http.StatusCreated)
	if first.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("a first answer is marked as replayed")
	}
	again := a.idem("create-1", req{Method: http.MethodPost, Path: "/customers", Body: body})
	wantStatus(t, again, http.StatusCreated)
	if again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the retry is not marked Idempotent-Replayed: %v", again.Header)
	}
	if string(again.Body) != string(first.Body) {
		t.Fatalf("the replay's body differs:\nfirst  %s\nreplay %s", first.Body, again.Body)
	}
	for _, h := range []string{"Location", "ETag", "Content-Type"} {
		if again.Header.Get(h) != first.Header.Get(h) || first.Header.Get(h) == "" {
			t.Errorf("%s: first %q, replay %q", h, first.Header.Get(h), again.Header.Get(h))
		}
	}
	if again.Header.Get("X-Request-Id") == first.Header.Get("X-Request-Id") {
		t.Error("the replay reuses the first answer's X-Request-Id; it gets its own")
	}
	if n := a.countCustomers(t, a.orgID); n != 1 {
		t.Fatalf("%d customers after a retried POST, want 1", n)
	}

	// Without a key, the same body creates another customer.
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/customers", Body: body}), http.StatusCreated)
	if n := a.countCustomers(t, a.orgID); n != 2 {
		t.Fatalf("%d customers, want 2", n)
	}
}

func TestHTTPIdempotencyKeyReusedForAnotherRequestIs422(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	wantStatus(t, a.idem("k", req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{"websiteId": "a"}}), http.StatusCreated)
	for _, q := range []req{
		{Method: http.MethodPost, Path: "/customers", Body: map[string]any{"websiteId": "b"}},           // another body
		{Method: http.MethodPost, Path: "/customers", Body: `{"websiteId": "a"}`},                       // the same JSON, other bytes
		{Method: http.MethodPost, Path: "/customers?fields=id", Body: map[string]any{"websiteId": "a"}}, // another query
		{Method: http.MethodDelete, Path: "/customers/x?targetCustomerId=y"},                            // another route
	} {
		r := a.idem("k", q)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if typ := r.JSON()["type"]; typ != "/problems/idempotency-key-reused" {
			t.Errorf("%s %s: type %v", q.Method, q.Path, typ)
		}
	}
	if n := a.countCustomers(t, a.orgID); n != 1 {
		t.Fatalf("%d customers, want 1", n)
	}
}

func TestHTTPIdempotencyKeyInUseIs409(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	ctx := context.Background()
	// Another session holds the key's lock, as a first request still
	// running does.
	conn, err := a.db.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || $2::text, 0))`, a.orgID, "busy"); err != nil {
		t.Fatal(err)
	}
	r := a.idem("busy", req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{}})
	wantStatus(t, r, http.StatusConflict)
	if typ := r.JSON()["type"]; typ != "/problems/idempotency-key-in-progress" {
		t.Fatalf("type %v", typ)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, a.idem("busy", req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{}}), http.StatusCreated)
}

// Twenty clients retrying one POST at once, through one node or spread
// over two: one customer, every answer is either that customer or "in
// progress", and afterwards every node replays the first answer as it was.
func TestHTTPIdempotencyRacingRetriesCreateOneCustomer(t *testing.T) {
	t.Parallel()
	onNodes(t, func(t *testing.T, nodes cluster) {
		const n = 20
		q := req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{"websiteId": "w"}}
		var mu sync.Mutex
		statuses := map[int]int{}
		ids := map[string]bool{}
		var first *response // the one answer not replayed
		testsync.Race(n, func(i int) {
			r := nodes.node(i).idem("race", q)
			mu.Lock()
			defer mu.Unlock()
			statuses[r.Status]++
			if r.Status != http.StatusCreated {
				return
			}
			ids[r.JSON()["id"].(string)] = true
			if r.Header.Get("Idempotent-Replayed") == "" {
				if first != nil {
					t.Errorf("two answers not marked replayed:\n%s\n%s", first.Body, r.Body)
				}
				first = r
			}
		})
		if statuses[http.StatusCreated]+statuses[http.StatusConflict] != n || len(ids) != 1 || first == nil {
			t.Fatalf("statuses %v, created ids %v: want only 201 (one id, one of them not replayed) and 409", statuses, ids)
		}
		if c := nodes[0].countCustomers(t, nodes[0].orgID); c != 1 {
			t.Fatalf("%d customers, want 1", c)
		}
		for i, a := range nodes {
			again := a.idem("race", q)
			wantStatus(t, again, http.StatusCreated)
			if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(first.Body) {
				t.Errorf("node %d: the replay differs from the first answer:\nfirst  %s\nreplay %v %s", i, first.Body, again.Header, again.Body)
			}
			for _, h := range []string{"Location", "ETag"} {
				if again.Header.Get(h) != first.Header.Get(h) {
					t.Errorf("node %d: %s: first %q, replay %q", i, h, first.Header.Get(h), again.Header.Get(h))
				}
			}
		}
	})
}

func TestHTTPIdempotencyKeysAreScopedToTheOrganization(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	otherOrg, otherKey := a.newOrgKey()
	wantStatus(t, a.idem("shared", req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{}}), http.StatusCreated)
	r := a.idem("shared", req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{}, Key: otherKey})
	wantStatus(t, r, http.StatusCreated)
	if r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("another organization got the first one's answer")
	}
	if a.countCustomers(t, otherOrg) != 1 || a.countCustomers(t, a.orgID) != 1 {
		t.Fatal("each organization should have one customer")
	}
}

// Errors the client caused are stored and replayed; the write they stopped
// left nothing behind. Answers the server failed to give are not stored.
func TestHTTPIdempotencyStoresClientErrorsOnly(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	const empty = `an empty websiteId, which the document's schema refuses`
	bad := a.idem("bad", req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{"websiteId": ""}, InvalidRequest: empty})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	again := a.idem("bad", req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{"websiteId": ""}, InvalidRequest: empty})
	wantStatus(t, again, http.StatusUnprocessableEntity)
	if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(bad.Body) {
		t.Fatalf("the 422 was not replayed as it was: %v %s", again.Header, again.Body)
	}
	// A merge that fails halfway (the target is missing) writes nothing.
	c := a.create(map[string]any{})
	id := c["id"].(string)
	r := a.idem("merge", req{Method: http.MethodDelete, Path: "/customers/" + id + "?targetCustomerId=nobody"})
	wantStatus(t, r, http.StatusNotFound)
	a.get(id, http.StatusOK)
	// 401 and 403 are not stored: the same key works once the key may.
	_, readOnly := a.newOrgKey("GetCustomer")
	wantStatus(t, a.idem("perm", req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{}, Key: readOnly}), http.StatusForbidden)
	var stored int
	if err := a.db.GetContext(context.Background(), &stored, `SELECT count(*) FROM idempotency_keys WHERE key = 'perm'`); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Fatal("a 403 was stored")
	}
}

// The stored answer lives in the database: a new server process over the
// same database replays it.
func TestHTTPIdempotencyAnswerSurvivesARestart(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	first := a.idem("restart", req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{}})
	wantStatus(t, first, http.StatusCreated)
	b := &testAPI{t: t, db: a.db, access: a.access, orgID: a.orgID, key: a.key}
	b.serve(app.New(a.db, app.Options{}).Handler)
	again := b.idem("restart", req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{}})
	wantStatus(t, again, http.StatusCreated)
	if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(first.Body) {
		t.Fatal("the restarted server did not replay the stored answer")
	}
}

func TestHTTPIdempotencyKeyMustBePrintable(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for _, key := range []string{strings.Repeat("k", 256), "tab\there"} {
		r := a.idem(key, req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{},
			InvalidRequest: "an Idempotency-Key outside the documented pattern"})
		wantStatus(t, r, http.StatusBadRequest)
	}
	if n := a.countCustomers(t, a.orgID); n != 0 {
		t.Fatalf("%d customers, want 0", n)
	}
}

// Answers without a body (204 of a merge, a tag or a delete; 202 of a
// retry) are stored and replayed like any other.
func TestHTTPIdempotencyKeyReplaysAnswersWithoutABody(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.put("keep", map[string]any{})
	a.put("dup", map[string]any{})
	merge := req{Method: http.MethodDelete, Path: "/customers/dup?targetCustomerId=keep"}
	first := a.idem("merge-1", merge)
	wantStatus(t, first, http.StatusNoContent)
	again := a.idem("merge-1", merge)
	wantStatus(t, again, http.StatusNoContent)
	if again.Header.Get("Idempotent-Replayed") != "true" || len(again.Body) != 0 {
		t.Errorf("replay: %v %q", again.Header, again.Body)
	}
	tag := req{Method: http.MethodPost, Path: tagPath("vip", "/customers/keep")}
	wantStatus(t, a.idem("tag-1", tag), http.StatusNoContent)
	if r := a.idem("tag-1", tag); r.Status != http.StatusNoContent || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("tag replay: %d %v", r.Status, r.Header)
	}
}
