package httpapi_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/app"
	"github.com/billing/customers-api/internal/config"
	"github.com/billing/customers-api/internal/localpg"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
	"github.com/billing/customers-api/migrations"
	"github.com/jmoiron/sqlx"
)

// newLimitedAPI serves a fresh database through a pool opened as serve
// opens it, with the given limits, and a readiness probe of its own.
func newLimitedAPI(t *testing.T, set postgres.Settings, poolWait time.Duration) *testAPI {
	t.Helper()
	admin, url := pgtest.NewDBURL(t)
	db, err := postgres.Open(context.Background(), url, set)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	probe, err := postgres.Open(context.Background(), url, postgres.Settings{MaxConns: 1, StatementTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { probe.Close() })
	svc := app.New(db, app.Options{Config: config.Config{DBPoolWait: poolWait}, Probe: probe})
	a := &testAPI{t: t, db: admin, access: svc.Access}
	a.serve(svc.Handler)
	a.orgID, a.key = a.newOrgKey()
	return a
}

// lockCustomers takes an ACCESS EXCLUSIVE lock on customers and their
// stored representations (what a read by id reads) until the returned
// func is called: every statement on them waits.
func lockCustomers(t *testing.T, db *sqlx.DB) (unlock func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `LOCK TABLE customers, customer_representations IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	unlock = func() { once.Do(func() { _ = tx.Rollback() }) }
	t.Cleanup(unlock)
	return unlock
}

func want503(t *testing.T, r *response) {
	t.Helper()
	wantStatus(t, r, http.StatusServiceUnavailable)
	if r.Header.Get("Retry-After") == "" || r.JSON()["type"] != "/problems/service-unavailable" {
		t.Fatalf("503 without Retry-After or of type %v", r.JSON()["type"])
	}
}

// Behind a lock, a statement runs into DB_STATEMENT_TIMEOUT and the
// request is a 503 that changed nothing, not a hang and not a 200 much
// later.
func TestHTTPStatementTimeoutIs503(t *testing.T) {
	t.Parallel()
	a := newLimitedAPI(t, postgres.Settings{MaxConns: 4, StatementTimeout: 300 * time.Millisecond}, time.Second)
	c := a.create(map[string]any{})
	unlock := lockCustomers(t, a.db)
	began := time.Now()
	want503(t, a.do(req{Method: http.MethodGet, Path: "/customers/" + c["id"].(string)}))
	want503(t, a.do(req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{"websiteId": "late"}}))
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("two requests behind the lock took %s", took)
	}
	unlock()
	if n := a.countCustomers(t, a.orgID); n != 1 {
		t.Fatalf("%d customers: the timed-out POST wrote something", n)
	}
	a.get(c["id"].(string), http.StatusOK)
}

// With every pooled connection busy, a cheap request is a 503 within the
// pool wait, and /readyz (on a connection of its own) still says ready.
func TestHTTPPoolExhaustionAnswersQuickly(t *testing.T) {
	t.Parallel()
	a := newLimitedAPI(t, postgres.Settings{MaxConns: 2, StatementTimeout: 5 * time.Second}, 200*time.Millisecond)
	c := a.create(map[string]any{})
	id := c["id"].(string)
	unlock := lockCustomers(t, a.db)
	var stuck sync.WaitGroup
	for range 2 { // both pooled connections wait behind the lock
		stuck.Add(1)
		go func() {
			defer stuck.Done()
			a.forTest(t).do(req{Method: http.MethodGet, Path: "/customers/" + id})
		}()
	}
	time.Sleep(300 * time.Millisecond)
	began := time.Now()
	want503(t, a.do(req{Method: http.MethodGet, Path: "/customers/" + id}))
	ready := a.do(req{Method: http.MethodGet, Path: "/readyz", NoKey: true})
	wantStatus(t, ready, http.StatusOK)
	if took := time.Since(began); took > time.Second {
		t.Fatalf("a 503 and a readiness check took %s with the pool exhausted, want under 1 s", took)
	}
	unlock()
	stuck.Wait()
	a.get(id, http.StatusOK)
}

// With PostgreSQL stopped, requests are 503 with Retry-After at once and
// /readyz is 503; when it is back, the same process serves again.
func TestHTTPDatabaseDownIs503AndRecovers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tmp := t.TempDir()
	// Run as root, localpg runs the server as the postgres user, which
	// must be able to enter the test's temp dirs.
	for _, d := range []string{filepath.Dir(tmp), tmp} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(tmp, "pg")
	cluster, err := localpg.Start(ctx, localpg.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Stop() })
	url := cluster.URL("postgres")
	db, err := postgres.Open(ctx, url, postgres.Settings{MaxConns: 4, StatementTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	probe, err := postgres.Open(ctx, url, postgres.Settings{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	svc := app.New(db, app.Options{Config: config.Config{DBPoolWait: time.Second}, Probe: probe})
	a := &testAPI{t: t, db: db, access: svc.Access}
	a.serve(svc.Handler)
	a.orgID, a.key = a.newOrgKey()
	c := a.create(map[string]any{})
	id := c["id"].(string)

	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	want503(t, a.do(req{Method: http.MethodGet, Path: "/customers/" + id}))
	want503(t, a.do(req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{}}))
	want503(t, a.do(req{Method: http.MethodGet, Path: "/readyz", NoKey: true}))
	if took := time.Since(began); took > 3*time.Second {
		t.Fatalf("answering with the database down took %s", took)
	}

	again, err := localpg.Start(ctx, localpg.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = again.Stop() })
	if again.URL("postgres") != url {
		t.Fatalf("the restarted cluster moved: %s, was %s", again.URL("postgres"), url)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := a.do(req{Method: http.MethodGet, Path: "/customers/" + id})
		if r.Status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not recovered 10 s after the database returned: %d %s", r.Status, r.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/readyz", NoKey: true}), http.StatusOK)
}

// TestHTTPDefinitionChangeOutlivesTheStatementTimeout: typing the stored
// values of a newly defined field is a schema change that may take longer
// than DB_STATEMENT_TIMEOUT (13 s for 500 000 values at 1 M customers);
// it has a limit of its own, so it succeeds where a read would be cut
// (without it, this definition answers 503 here).
func TestHTTPDefinitionChangeOutlivesTheStatementTimeout(t *testing.T) {
	t.Parallel()
	a := newLimitedAPI(t, postgres.Settings{MaxConns: 4, StatementTimeout: 20 * time.Millisecond}, time.Second)
	if _, err := a.db.Exec(`INSERT INTO customers (organization_id, id, custom_fields, created_time, updated_time)
		SELECT $1, 'many-' || g, jsonb_build_object('points', g), now(), now() FROM generate_series(1, 60000) AS g`, a.orgID); err != nil {
		t.Fatal(err)
	}
	r := a.do(req{Method: http.MethodPut, Path: "/custom-fields/customers/points", Body: map[string]any{"type": "integer"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("defining a field over 60 000 stored values: %d %s", r.Status, r.Body)
	}
	var typed int
	if err := a.db.Get(&typed, `SELECT count(*) FROM customer_field_values WHERE organization_id = $1 AND name = 'points'`, a.orgID); err != nil || typed != 60000 {
		t.Errorf("%d typed values (%v), want 60000", typed, err)
	}
}
