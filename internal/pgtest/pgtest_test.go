package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// childEnv makes the test binary, re-run by a test, play a part (see
// TestChildProcess).
const childEnv = "PGTEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "nomain" {
		os.Exit(m.Run())
	}
	os.Exit(Main(m))
}

func TestNewDBHasMigratedSchema(t *testing.T) {
	t.Parallel()
	db := NewDB(t)
	var exists bool
	if err := db.GetContext(t.Context(), &exists, "SELECT to_regclass('public.customers') IS NOT NULL"); err != nil {
		t.Fatal(err)
	}
	if !exists {
		t.Fatal("table customers missing: template not migrated")
	}
}

func TestNewDBIsolatesTests(t *testing.T) {
	t.Parallel()
	a, urlA := NewDBURL(t)
	b, urlB := NewDBURL(t)
	if urlA == urlB {
		t.Fatalf("two NewDBURL calls returned the same URL %s", urlA)
	}
	insertCustomer(t, a, "only-in-a")
	if n := countCustomers(t, a); n != 1 {
		t.Errorf("database a has %d customers, want 1", n)
	}
	if n := countCustomers(t, b); n != 0 {
		t.Errorf("database b sees %d customers inserted into a, want 0", n)
	}
}

func TestNewDBInParallelTests(t *testing.T) {
	const n = 8
	var mu sync.Mutex
	seen := map[string]string{} // database → test
	t.Run("group", func(t *testing.T) {
		for i := range n {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				db := NewDB(t)
				var name string
				if err := db.GetContext(t.Context(), &name, "SELECT current_database()"); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				if other, dup := seen[name]; dup {
					t.Errorf("%s got database %s, already given to %s", t.Name(), name, other)
				}
				seen[name] = t.Name()
				mu.Unlock()
				insertCustomer(t, db, "c-"+strconv.Itoa(i))
				if got := countCustomers(t, db); got != 1 {
					t.Errorf("%d customers, want only the one this test inserted", got)
				}
			})
		}
	})
	if len(seen) != n {
		t.Errorf("%d distinct databases for %d tests", len(seen), n)
	}
}

func TestNewDBDropsDatabaseAtCleanup(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("user", func(t *testing.T) {
		if err := NewDB(t).GetContext(t.Context(), &name, "SELECT current_database()"); err != nil {
			t.Fatal(err)
		}
	})
	if n := countDatabases(t, name); n != 0 {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func TestNewDBWithoutMainFailsClearly(t *testing.T) {
	t.Parallel()
	out, err := runChild(t, "nomain", nil)
	if err == nil {
		t.Fatalf("NewDB without Main did not fail the test:\n%s", out)
	}
	if !strings.Contains(out, "os.Exit(pgtest.Main(m))") {
		t.Errorf("failure does not tell how to fix it:\n%s", out)
	}
}

// A test binary pointed at an existing server by TEST_DATABASE_URL works
// there and leaves no database behind. Our own cluster stands in for it.
func TestExternalServer(t *testing.T) {
	t.Parallel()
	s := current.Load()
	out, err := runChild(t, "external", []string{"TEST_DATABASE_URL=" + s.urlFor("postgres")})
	if err != nil {
		t.Fatalf("child test binary: %v\n%s", err, out)
	}
	pid := strings.TrimSpace(strings.TrimPrefix(lineWith(out, "child pid "), "child pid "))
	if pid == "" {
		t.Fatalf("child did not run its test:\n%s", out)
	}
	for _, prefix := range []string{"tmpl_" + pid + "_", "test_" + pid + "_"} {
		if n := countDatabases(t, prefix+"%"); n != 0 {
			t.Errorf("child left %d databases named %s*", n, prefix)
		}
	}
}

// TestChildProcess does the child's part for runChild; it does nothing in
// an ordinary run.
func TestChildProcess(t *testing.T) {
	switch os.Getenv(childEnv) {
	case "nomain":
		NewDB(t)
		t.Error("NewDB returned without Main")
	case "external":
		fmt.Printf("child pid %d\n", os.Getpid())
		db := NewDB(t)
		if n := countCustomers(t, db); n != 0 {
			t.Errorf("%d customers in a new database", n)
		}
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"postgres://u:p@db:5432/app?sslmode=disable", "postgres://u:p@db:5432/x_1?sslmode=disable"},
		{"postgresql://u@/app?host=/run/pg", "postgresql://u@/x_1?host=/run/pg"},
		{"host=db user=u dbname=app", "host=db user=u dbname=app dbname='x_1'"},
	}
	for _, tt := range tests {
		if got := withDatabase(tt.dsn, "x_1"); got != tt.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

// runChild re-runs this test binary for TestChildProcess alone, as role.
func runChild(t *testing.T, role string, env []string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), append(env, childEnv+"="+role)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func lineWith(text, prefix string) string {
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

func insertCustomer(t *testing.T, db *sqlx.DB, id string) {
	t.Helper()
	const q = `
		WITH org AS (
			INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), 'org') RETURNING id
		)
		INSERT INTO customers (organization_id, id, created_time, updated_time)
		SELECT id, $1, now(), now() FROM org`
	if _, err := db.ExecContext(t.Context(), q, id); err != nil {
		t.Fatal(err)
	}
}

func countCustomers(t *testing.T, db *sqlx.DB) int {
	t.Helper()
	var n int
	if err := db.GetContext(t.Context(), &n, "SELECT count(*) FROM customers"); err != nil {
		t.Fatal(err)
	}
	return n
}

// countDatabases counts databases whose name is LIKE pattern.
func countDatabases(t *testing.T, pattern string) int {
	t.Helper()
	var n int
	if err := current.Load().admin.GetContext(t.Context(), &n, "SELECT count(*) FROM pg_database WHERE datname LIKE $1", pattern); err != nil {
		t.Fatal(err)
	}
	return n
}

// BenchmarkNewDB measures the database part of NewDB: clone the template,
// then drop the clone.
func BenchmarkNewDB(b *testing.B) {
	s := current.Load()
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("bench_%s_%d", s.id, i)
		if err := s.create(b.Context(), name); err != nil {
			b.Fatal(err)
		}
		if _, err := s.admin.ExecContext(b.Context(), "DROP DATABASE "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			b.Fatal(err)
		}
	}
}
