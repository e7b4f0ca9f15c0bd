// Package pgtest gives tests a real PostgreSQL database of their own, with
// the service's schema already migrated. Import it only from _test.go files.
//
// A test package opts in with
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Main starts a throwaway local cluster (see localpg), or uses the server at
// TEST_DATABASE_URL when set, and migrates a template database once. Each
// NewDB then clones that template (about 0.1 s, drop included), so every
// test, parallel or not, gets an isolated database and never has to clean
// up after itself. Tests are never skipped for lack of a server: if none can be
// had, the package fails.
//
// NewReplicated gives a test a database on a primary and on a streaming
// replica of it, for the tests of replica reads (replicated.go).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/billing/customers-api/internal/localpg"
	"github.com/billing/customers-api/migrations"
)

const (
	// setupTimeout bounds starting the server and migrating the template.
	setupTimeout = 2 * time.Minute
	// opTimeout bounds creating or dropping one test database.
	opTimeout = time.Minute
)

// current is the server Main set up for this test binary. It has to be
// package state: NewDB gets nothing but a testing.TB to find it with.
var current atomic.Pointer[server]

// server is where the test databases of one test binary live.
type server struct {
	cluster  *localpg.Cluster // nil when using TEST_DATABASE_URL
	urlFor   func(database string) string
	admin    *sqlx.DB // maintenance connection for CREATE/DROP DATABASE
	id       string   // "<pid>_<random>", unique among test binaries sharing a server
	template string
	created  bool // template exists and is ours to drop
	seq      atomic.Int64
	// createMu serialises CREATE DATABASE ... TEMPLATE: PostgreSQL refuses
	// to clone a template another session is using, and one clone at a
	// time (tens of milliseconds each) rules out clones tripping over each
	// other.
	createMu sync.Mutex
}

// Main sets up the database server, runs the package's tests and tears the
// server down; call it from TestMain as os.Exit(pgtest.Main(m)).
//
// It uses the server at TEST_DATABASE_URL if set (its role needs CREATEDB),
// else starts a throwaway local cluster. If the server cannot be started or
// the migrations fail, Main prints why to stderr and returns 1 without
// running any test. A failure to tear down also makes it return 1. A local
// cluster is removed even when the test binary dies (see localpg).
func Main(m *testing.M) int {
	flag.Parse() // testing.Verbose needs the flags; m.Run would parse them anyway
	logf := func(format string, args ...any) {
		if testing.Verbose() {
			fmt.Fprintf(os.Stderr, "pgtest: "+format+"\n", args...)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	s, err := setup(ctx, logf)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}

	current.Store(s)
	code := m.Run()
	current.Store(nil)

	if err := errors.Join(closeShared(), s.close()); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// setup connects to or starts the server and creates the migrated template.
func setup(ctx context.Context, logf func(string, ...any)) (_ *server, err error) {
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	s := &server{id: id, template: "tmpl_" + id}
	defer func() {
		if err != nil {
			if cerr := s.close(); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}
	}()

	var adminURL string
	if env := os.Getenv("TEST_DATABASE_URL"); env != "" {
		logf("using the server at TEST_DATABASE_URL")
		adminURL = env
		s.urlFor = func(database string) string { return withDatabase(env, database) }
	} else {
		began := time.Now()
		c, err := localpg.Start(ctx, localpg.Options{Fast: true, Log: func(msg string) { logf("%s", msg) }})
		if err != nil {
			return nil, fmt.Errorf("start a throwaway PostgreSQL (or set TEST_DATABASE_URL to use a running server): %w", err)
		}
		logf("throwaway PostgreSQL ready in %s", time.Since(began).Round(time.Millisecond))
		s.cluster, s.urlFor, adminURL = c, c.URL, c.URL("postgres")
	}

	if s.admin, err = sqlx.Open("postgres", adminURL); err != nil {
		return nil, fmt.Errorf("open admin connection: %w", err)
	}
	if err := s.admin.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("connect to the test server: %w", err)
	}
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(s.template)); err != nil {
		return nil, fmt.Errorf("create template database (the role needs CREATEDB): %w", err)
	}
	s.created = true
	n, err := migrate(ctx, s.urlFor(s.template))
	if err != nil {
		return nil, err
	}
	// A stray connection to the template would make every clone fail;
	// refusing connections turns that mistake into a clear error.
	if _, err := s.admin.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(s.template)+" ALLOW_CONNECTIONS false"); err != nil {
		return nil, fmt.Errorf("seal template database: %w", err)
	}
	logf("template %s has %d migrations", s.template, n)
	return s, nil
}

// migrate applies the migrations to the database at dbURL and closes every
// connection to it, as CREATE DATABASE ... TEMPLATE requires.
func migrate(ctx context.Context, dbURL string) (int, error) {
	db, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		return 0, fmt.Errorf("open template database: %w", err)
	}
	n, err := migrations.Up(ctx, db.DB)
	if cerr := db.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("migrate template database: %w", err)
	}
	return n, nil
}

// close drops the template from an external server and stops a local
// cluster, which takes every test database with it.
func (s *server) close() error {
	var errs []error
	if s.admin != nil {
		if s.cluster == nil && s.created {
			ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
			_, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(s.template)+" WITH (FORCE)")
			cancel()
			if err != nil {
				errs = append(errs, fmt.Errorf("drop template database %s: %w", s.template, err))
			}
		}
		if err := s.admin.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close admin connection: %w", err))
		}
	}
	if s.cluster != nil {
		if err := s.cluster.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// NewDB returns a connection pool to a new database with the migrated
// schema, for this test alone; it is safe to call from parallel tests. The
// pool is closed and the database dropped when the test ends. NewDB fails
// the test if the package's TestMain does not call Main, or if the database
// cannot be created or reached.
func NewDB(t testing.TB) *sqlx.DB {
	t.Helper()
	db, _ := NewDBURL(t)
	return db
}

// NewDBURL is NewDB that also returns the database's connection URL, for
// code under test that opens connections itself.
func NewDBURL(t testing.TB) (db *sqlx.DB, url string) {
	t.Helper()
	s := current.Load()
	if s == nil {
		t.Fatalf("pgtest: no test database server; add to this package's tests:\n\n" +
			"\tfunc TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }")
	}
	name := fmt.Sprintf("test_%s_%d", s.id, s.seq.Add(1))
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()
	if err := s.create(ctx, name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}

	url = s.urlFor(name)
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatalf("pgtest: open %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = db.Close()
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		// FORCE: a connection the test leaked must not keep the database.
		if _, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("pgtest: connect to %s: %v", name, err)
	}
	return db, url
}

func (s *server) create(ctx context.Context, name string) error {
	s.createMu.Lock()
	defer s.createMu.Unlock()
	_, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE "+pq.QuoteIdentifier(s.template))
	return err
}

// withDatabase returns the connection string dsn, in URL or key=value form,
// pointed at database instead.
func withDatabase(dsn, database string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			u.Path, u.RawPath = "/"+database, ""
			return u.String()
		}
	}
	// key=value form: lib/pq lets a later key override an earlier one.
	return dsn + " dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(database) + "'"
}

// randomID returns "<pid>_<8 hex digits>": the pid tells a human which test
// binary a leftover database came from, the random part keeps test binaries
// on different machines sharing one server apart.
func randomID() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return fmt.Sprintf("%d_%s", os.Getpid(), hex.EncodeToString(b)), nil
}

// SetTags gives customer id of organization org exactly the tags names,
// stored as the tag operations store them (tag rows, links and the
// customer's sorted names) but without the revisions they would add: for
// fixtures that need tagged customers at known revisions.
func SetTags(t testing.TB, db *sqlx.DB, org, id string, names ...string) {
	t.Helper()
	_, err := db.Exec(`WITH t AS (
		INSERT INTO tags (organization_id, id, name, created_time, updated_time)
		SELECT $1, gen_random_uuid(), n, now(), now() FROM unnest($3::text[]) AS n
		ON CONFLICT (organization_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id),
	gone AS (DELETE FROM customer_tags WHERE organization_id = $1 AND customer_id = $2),
	link AS (INSERT INTO customer_tags (organization_id, customer_id, tag_id) SELECT $1, $2, id FROM t)
	UPDATE customers SET tags = ARRAY(SELECT DISTINCT n COLLATE "C" FROM unnest($3::text[]) AS n ORDER BY 1)
	WHERE organization_id = $1 AND id = $2`, org, id, "{"+strings.Join(names, ",")+"}")
	if err != nil {
		t.Fatalf("set tags of %s: %v", id, err)
	}
	// A statement of its own, to see the links the first one wrote.
	if _, err := db.Exec(`UPDATE customers SET tag_objects = customer_tag_objects(organization_id, id)
		WHERE organization_id = $1 AND id = $2`, org, id); err != nil {
		t.Fatalf("set tag objects of %s: %v", id, err)
	}
}
