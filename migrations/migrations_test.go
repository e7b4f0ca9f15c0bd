package migrations_test

import (
	"context"
	"database/sql"
	"os"
	"sync"
	"testing"

	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/migrations"
	_ "github.com/lib/pq"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestUpIsSafeConcurrently: several nodes starting at once (SPEC §10) apply
// every migration exactly once between them, and none fails. A later Up
// applies nothing.
func TestUpIsSafeConcurrently(t *testing.T) {
	t.Parallel()
	admin, url := pgtest.NewDBURL(t)
	// pgtest's databases come migrated: start again from an empty schema.
	if _, err := admin.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	const nodes = 4
	applied := make([]int, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := sql.Open("postgres", url)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			<-start
			applied[i], errs[i] = migrations.Up(context.Background(), db)
		}()
	}
	close(start)
	wg.Wait()
	total := 0
	for i := range nodes {
		if errs[i] != nil {
			t.Errorf("node %d: %v", i, errs[i])
		}
		total += applied[i]
	}
	var versions, distinct int
	if err := admin.QueryRow(`SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&versions, &distinct); err != nil {
		t.Fatal(err)
	}
	if versions == 0 || versions != distinct || total != versions {
		t.Errorf("nodes applied %v (%d in all); the version table has %d rows for %d versions", applied, total, versions, distinct)
	}
	// The schema is really there.
	var tables int
	if err := admin.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('organizations', 'api_keys', 'customers', 'lead_sources', 'customer_merges')`).Scan(&tables); err != nil || tables != 5 {
		t.Errorf("%d of the 5 tables exist (%v)", tables, err)
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := migrations.Up(context.Background(), db); err != nil || n != 0 {
		t.Errorf("Up on a migrated database applied %d (%v), want 0", n, err)
	}
}
