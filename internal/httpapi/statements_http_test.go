package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/app"
)

// TestHTTPHotPathsSendOneStatement counts, with PostgreSQL's own
// pg_stat_statements, the statements the server runs for one request of
// each hot read once its key is known: a get, a first page, a filtered page
// and a lead source each take exactly one (the key comes from the
// authentication cache, the page's total rides in the page's statement).
// It also counts how often PostgreSQL planned them: the fixed statements
// and the pages whose filter is only equalities keep their plan, while a
// q search is planned for its pattern every time, by design
// (postgres.listSQL.Reusable says why).
func TestHTTPHotPathsSendOneStatement(t *testing.T) {
	t.Parallel()
	a := newTestAPIWith(t, func(o *app.Options) { o.Config.AuthCacheTTL = time.Minute })
	ctx := context.Background()
	if _, err := a.db.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		t.Fatalf("pg_stat_statements (the test cluster preloads it): %v", err)
	}
	var dbName string
	if err := a.db.GetContext(ctx, &dbName, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.ExecContext(ctx, `ALTER DATABASE "`+dbName+`" SET pg_stat_statements.track_planning = on`); err != nil {
		t.Fatal(err)
	}
	// Sessions read the setting when they start: start new ones.
	a.db.SetMaxIdleConns(0)
	a.db.SetMaxIdleConns(2)
	created := a.do(req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{
		"primaryAddress": map[string]any{"firstName": "Ada", "country": "GB",
			"emails": []any{map[string]any{"label": "w", "value": "ada@example.com"}}},
		"leadSource": map[string]any{"source": "news"},
	}})
	wantStatus(t, created, http.StatusCreated)
	id := created.JSON()["id"].(string)

	for _, c := range []struct {
		path  string
		plans int64
	}{
		{"/customers/" + id, 0},
		{"/customers/" + id + "?expand=leadSource", 0},
		{"/customers?limit=20", 0},
		{"/customers?filter=primaryAddress.country:GB&limit=20", 0},
		{"/customers?q=ada&limit=20", 1},
		{"/customers/" + id + "/lead-source", 0},
	} {
		t.Run(c.path, func(t *testing.T) {
			// The key gets cached, a statement is prepared the second
			// time the server sees it, and PostgreSQL keeps a plan after
			// planning it five times on a connection.
			for range 12 {
				wantStatus(t, a.do(req{Method: http.MethodGet, Path: c.path}), http.StatusOK)
			}
			n, plans := a.statementsFor(t, func() {
				wantStatus(t, a.do(req{Method: http.MethodGet, Path: c.path}), http.StatusOK)
			})
			if n != 1 {
				t.Errorf("GET %s ran %d statements, want 1", c.path, n)
			}
			if plans != c.plans {
				t.Errorf("GET %s was planned %d times, want %d", c.path, plans, c.plans)
			}
		})
	}
}

// statementsFor returns how many statements the test database ran during
// fn, and how many it planned, as pg_stat_statements counts them (BEGIN
// and COMMIT included). The subtests share the database, so they must not
// run in parallel.
func (a *testAPI) statementsFor(t *testing.T, fn func()) (calls, plans int64) {
	t.Helper()
	ctx := context.Background()
	const reset = `SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`
	if _, err := a.db.ExecContext(ctx, reset); err != nil {
		t.Fatal(err)
	}
	fn()
	err := a.db.QueryRowContext(ctx, `
SELECT COALESCE(sum(calls), 0), COALESCE(sum(plans), 0) FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND query NOT LIKE '%pg_stat_statements%'`).Scan(&calls, &plans)
	if err != nil {
		t.Fatal(err)
	}
	return calls, plans
}
