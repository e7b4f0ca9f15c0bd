// Package postgres implements the stores of packages customers and access on
// PostgreSQL with hand-written, parameterised SQL. Every statement about an
// organization's data filters by organization_id; every write runs in one
// transaction that commits before the caller is answered.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Store is the PostgreSQL store. It is safe for concurrent use.
type Store struct {
	db    *dbQuerier
	gate  *gate
	probe *sql.DB // readiness checks: a connection of their own
	wake  func()  // called after a commit that queued webhook deliveries
	// replica, when set, serves the collection queries (replica.go).
	replica     *replica
	readMetrics ReadMetrics
}

// Option configures a Store.
type Option func(*Store)

// WithPoolWait bounds how long a call waits for a free connection of the
// pool before it fails as unavailable; 0 waits as long as the caller's
// context allows.
func WithPoolWait(d time.Duration) Option {
	return func(s *Store) { s.gate = newGate(s.db.db.Stats().MaxOpenConnections, d) }
}

// WithReadinessProbe makes Ready use probe, a pool of its own, so that a
// readiness check answers even when every connection of db is busy.
func WithReadinessProbe(probe *sqlx.DB) Option { return func(s *Store) { s.probe = probe.DB } }

// WithDeliveryWake has wake called after every commit that queued webhook
// deliveries, so that this process's workers attempt them at once instead
// of at their next poll. wake must not block.
func WithDeliveryWake(wake func()) Option { return func(s *Store) { s.wake = wake } }

// New returns a Store over db. Its statements are prepared once per pooled
// connection and reused, so PostgreSQL parses each only once per session
// and can keep its plan.
func New(db *sqlx.DB, opts ...Option) *Store {
	s := &Store{db: &dbQuerier{db: db.DB, stmts: newStmtCache(maxCachedStatements)}, probe: db.DB}
	s.gate = newGate(0, 0)
	for _, o := range opts {
		o(s)
	}
	return s
}

// Settings are the session defaults of Open's connections.
type Settings struct {
	// MaxConns caps the pool; <= 0 keeps the default of 20.
	MaxConns int
	// StatementTimeout cancels any statement running longer (the
	// session's statement_timeout); 0 leaves the server's default.
	StatementTimeout time.Duration
}

// Open connects to the database at dsn and checks that it answers. The
// pool is sized for one API node. Each session runs with jit off unless
// dsn says otherwise (the JIT compiler costs milliseconds on the large
// counts of collection queries and never pays off on short OLTP
// statements) and with the statement timeout of set.
func Open(ctx context.Context, dsn string, set Settings) (*sqlx.DB, error) {
	db, err := openPool(dsn, set)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// openPool opens Open's pool without connecting.
func openPool(dsn string, set Settings) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", withSessionDefaults(dsn, set))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	maxConns := set.MaxConns
	if maxConns <= 0 {
		maxConns = 20
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// withSessionDefaults adds jit=off and the statement timeout to a
// connection string (URL or key=value form) that does not set them
// itself; lib/pq passes them to the server as run-time parameters of
// every session.
func withSessionDefaults(dsn string, set Settings) string {
	params := map[string]string{"jit": "off"}
	if set.StatementTimeout > 0 {
		// At least 1: 0 would mean no timeout at all.
		params["statement_timeout"] = strconv.FormatInt(max(set.StatementTimeout.Milliseconds(), 1), 10)
	}
	u, err := url.Parse(dsn)
	isURL := err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql")
	var q url.Values
	if isURL {
		q = u.Query()
	}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if hasParam(dsn, isURL, q, k) {
			continue // the DSN's own word
		}
		if isURL {
			q.Set(k, params[k])
		} else {
			dsn = strings.TrimSpace(dsn + " " + k + "=" + params[k])
		}
	}
	if isURL {
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn
}

// hasParam reports whether the connection string sets parameter k itself.
func hasParam(dsn string, isURL bool, q url.Values, k string) bool {
	if isURL {
		return q.Has(k)
	}
	for _, f := range strings.Fields(dsn) {
		if name, _, ok := strings.Cut(f, "="); ok && strings.TrimSpace(name) == k {
			return true
		}
	}
	return false
}

// readyTimeout bounds a readiness check.
const readyTimeout = time.Second

// Ready reports, within a second, whether the database answers a query,
// on a connection the serving pool does not share; the error says why not.
func (s *Store) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var one int
	if err := s.probe.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("the database did not answer within %s: %w", readyTimeout, context.DeadlineExceeded)
		}
		return fmt.Errorf("the database does not answer: %w", err)
	}
	return nil
}

// SQLSTATEs the store reacts to.
const (
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

func sqlState(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return string(pqErr.Code)
	}
	return ""
}

// maxTxAttempts bounds retries of a transaction that PostgreSQL aborted to
// resolve a serialization failure or deadlock; the domain locks rows in a
// fixed order, so these are rare and one retry nearly always succeeds.
const maxTxAttempts = 3

// inTx runs fn in a transaction, committing when it returns nil and rolling
// back otherwise, as one call of the store (see do). It retries the whole
// of fn on serialization failures and deadlocks.
func (s *Store) inTx(ctx context.Context, fn func(*txQuerier) error) error {
	if a := ambientFrom(ctx); a != nil {
		return classify(ctx, a.savepoint(ctx, fn))
	}
	return s.do(ctx, func(ctx context.Context, _ querier) error {
		var err error
		for attempt := 0; attempt < maxTxAttempts; attempt++ {
			err = s.tryTx(ctx, fn)
			if code := sqlState(err); code != codeSerializationFailure && code != codeDeadlockDetected {
				return err
			}
		}
		return err
	})
}

func (s *Store) tryTx(ctx context.Context, fn func(*txQuerier) error) (err error) {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			// The rollback error adds nothing: the connection is discarded
			// by database/sql if it is broken.
			_ = tx.Rollback()
		}
	}()
	q := &txQuerier{tx: tx, stmts: s.db.stmts, db: s.db.db}
	if err = fn(q); err != nil {
		return err
	}
	if err = q.commit(ctx); err != nil {
		return err
	}
	s.committed(q)
	return nil
}

// committed is called after q's transaction committed.
func (s *Store) committed(q *txQuerier) {
	if q.enqueued && s.wake != nil {
		s.wake()
	}
}
