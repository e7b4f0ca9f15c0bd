package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/billing/customers-api/internal/localpg"
)

// Replicated is a test database on a primary and the same database on a
// streaming replica (a hot standby) of that primary, both local clusters
// started by the test binary from the installed binaries, whatever
// TEST_DATABASE_URL says: a replica of a server someone else runs cannot
// be made here.
//
// The primary commits with synchronous_commit on (unlike the package's
// shared cluster, which is Fast throughout): an acknowledged commit is in
// the WAL the replica is sent, as on a production primary.
type Replicated struct {
	Primary    *sqlx.DB
	PrimaryURL string
	Replica    *sqlx.DB
	ReplicaURL string
	pair       *pair
	own        bool
}

// ReplicatedOptions configure NewReplicated.
type ReplicatedOptions struct {
	// ApplyDelay is the replica's recovery_min_apply_delay (see
	// localpg.ReplicaOptions); it implies Own.
	ApplyDelay time.Duration
	// Own gives the test a primary and a replica of its own, which it may
	// stop (StopReplica); without it, the test gets a database of its own
	// on a pair the package's tests share, started by the first test that
	// asks and stopped by Main.
	Own bool
}

// pair is a primary, a streaming replica of it, and the migrated
// template that the test databases on it are cloned from.
type pair struct {
	primary, replica *localpg.Cluster
	admin            *sqlx.DB
	template         string
	seq              int
	createMu         sync.Mutex
}

// shared is the pair the package's tests share, started on first use.
var shared struct {
	mu   sync.Mutex
	pair *pair
	err  error
}

// NewReplicated returns a database with the migrated schema on a primary
// and on a streaming replica of it, for this test alone, caught up: the
// replica has replayed the database's creation. Pools and databases go
// when the test ends (an Own pair's clusters too). It fails the test if
// the package's TestMain does not call Main, or if the clusters cannot be
// started (a shared pair that failed to start fails every later caller at
// once).
func NewReplicated(t testing.TB, opts ...ReplicatedOptions) *Replicated {
	t.Helper()
	if current.Load() == nil {
		t.Fatalf("pgtest: no test database server; add to this package's tests:\n\n" +
			"\tfunc TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }")
	}
	var o ReplicatedOptions
	for _, x := range opts {
		o = x
	}
	own := o.Own || o.ApplyDelay > 0
	var p *pair
	if own {
		ctx, cancel := context.WithTimeout(t.Context(), setupTimeout)
		defer cancel()
		var err error
		if p, err = startPair(ctx, o.ApplyDelay, func(f string, a ...any) { t.Logf(f, a...) }); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		t.Cleanup(func() {
			if err := p.close(); err != nil {
				t.Errorf("pgtest: %v", err)
			}
		})
	} else {
		var err error
		// Not t.Logf: the pair logs its stop after this test has ended.
		logf := func(format string, args ...any) {
			if testing.Verbose() {
				fmt.Fprintf(os.Stderr, format+"\n", args...)
			}
		}
		if p, err = sharedPair(logf); err != nil {
			t.Fatalf("pgtest: the shared primary and replica: %v", err)
		}
	}

	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()
	name, err := p.create(ctx)
	if err != nil {
		t.Fatalf("pgtest: create replicated database: %v", err)
	}
	r := &Replicated{PrimaryURL: p.primary.URL(name), ReplicaURL: p.replica.URL(name), pair: p, own: own}
	if r.Primary, err = sqlx.Open("postgres", r.PrimaryURL); err != nil {
		t.Fatalf("pgtest: open %s: %v", name, err)
	}
	if r.Replica, err = sqlx.Open("postgres", r.ReplicaURL); err != nil {
		t.Fatalf("pgtest: open %s on the replica: %v", name, err)
	}
	t.Cleanup(func() {
		_ = r.Replica.Close()
		_ = r.Primary.Close()
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if _, err := p.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	// An apply delay holds the database's creation back too.
	r.catchUp(t, o.ApplyDelay+30*time.Second)
	if err := r.Replica.PingContext(ctx); err != nil {
		t.Fatalf("pgtest: connect to %s on the replica: %v", name, err)
	}
	return r
}

// CatchUp waits until the replica has replayed everything the primary
// had written when CatchUp was called, for at most 30 s (plus an Own
// pair's apply delay).
func (r *Replicated) CatchUp(t testing.TB) {
	t.Helper()
	r.catchUp(t, 30*time.Second)
}

func (r *Replicated) catchUp(t testing.TB, limit time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	if err := r.pair.catchUp(ctx); err != nil {
		t.Fatalf("pgtest: replica catching up: %v", err)
	}
}

// StopReplica stops the replica (only of an Own pair): connections to it
// fail from then on, while the primary serves on.
func (r *Replicated) StopReplica(t testing.TB) {
	t.Helper()
	if !r.own {
		t.Fatal("pgtest: StopReplica needs a pair of the test's own (ReplicatedOptions.Own)")
	}
	if err := r.pair.replica.Stop(); err != nil {
		t.Fatalf("pgtest: stop the replica: %v", err)
	}
}

// startPair starts a primary, migrates a template database on it and
// starts a replica of it.
func startPair(ctx context.Context, applyDelay time.Duration, logf func(string, ...any)) (_ *pair, err error) {
	began := time.Now()
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	p := &pair{template: "tmpl_" + id}
	defer func() {
		if err != nil {
			err = errors.Join(err, p.close())
		}
	}()
	log := func(msg string) { logf("pgtest: %s", msg) }
	p.primary, err = localpg.Start(ctx, localpg.Options{Fast: true, Log: log, Settings: []string{"synchronous_commit = on"}})
	if err != nil {
		return nil, fmt.Errorf("start a throwaway primary: %w", err)
	}
	if p.admin, err = sqlx.Open("postgres", p.primary.URL("postgres")); err != nil {
		return nil, fmt.Errorf("open admin connection: %w", err)
	}
	if _, err := p.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(p.template)); err != nil {
		return nil, fmt.Errorf("create template database: %w", err)
	}
	if _, err := migrate(ctx, p.primary.URL(p.template)); err != nil {
		return nil, err
	}
	if _, err := p.admin.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(p.template)+" ALLOW_CONNECTIONS false"); err != nil {
		return nil, fmt.Errorf("seal template database: %w", err)
	}
	if p.replica, err = p.primary.StartReplica(ctx, localpg.ReplicaOptions{ApplyDelay: applyDelay, Log: log}); err != nil {
		return nil, fmt.Errorf("start a replica: %w", err)
	}
	logf("pgtest: primary and replica ready in %s", time.Since(began).Round(time.Millisecond))
	return p, nil
}

// create clones the template into a new database on the primary.
func (p *pair) create(ctx context.Context) (string, error) {
	p.createMu.Lock()
	defer p.createMu.Unlock()
	p.seq++
	name := fmt.Sprintf("%s_%d", p.template, p.seq)
	_, err := p.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE "+pq.QuoteIdentifier(p.template))
	return name, err
}

// catchUp waits until the replica has replayed the primary's WAL as it
// is now.
func (p *pair) catchUp(ctx context.Context) error {
	var lsn string
	if err := p.admin.QueryRowContext(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
		return fmt.Errorf("read the primary's WAL position: %w", err)
	}
	rdb, err := sqlx.Open("postgres", p.replica.URL("postgres"))
	if err != nil {
		return err
	}
	defer rdb.Close()
	for {
		var done bool
		err := rdb.QueryRowContext(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn).Scan(&done)
		if err != nil {
			return fmt.Errorf("read the replica's replay position: %w", err)
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replay of %s: %w", lsn, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (p *pair) close() error {
	var errs []error
	if p.admin != nil {
		errs = append(errs, p.admin.Close())
	}
	if p.replica != nil {
		errs = append(errs, p.replica.Stop())
	}
	if p.primary != nil {
		errs = append(errs, p.primary.Stop())
	}
	return errors.Join(errs...)
}

// sharedPair returns the shared pair, starting it on first use.
func sharedPair(logf func(string, ...any)) (*pair, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.pair == nil && shared.err == nil {
		// Not the asking test's context: the pair outlives it.
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		shared.pair, shared.err = startPair(ctx, 0, logf)
	}
	return shared.pair, shared.err
}

// closeShared stops the shared pair, if one was started.
func closeShared() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.pair == nil {
		return nil
	}
	err := shared.pair.close()
	shared.pair, shared.err = nil, nil
	if err != nil {
		return fmt.Errorf("stop the shared primary and replica: %w", err)
	}
	return nil
}
