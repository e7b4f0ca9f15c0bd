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
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Store is the PostgreSQL store. It is safe for concurrent use.
type Store struct {
	db *sqlx.DB
}

// New returns a Store over db.
func New(db *sqlx.DB) *Store { return &Store{db: db} }

// Open connects to the database at dsn and checks that it answers. The pool
// is sized for one API node; maxConns <= 0 keeps the default of 20. Each
// session runs with jit off unless dsn says otherwise: the JIT compiler
// costs milliseconds on the large counts of collection queries and never
// pays off on short OLTP statements.
func Open(ctx context.Context, dsn string, maxConns int) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", withSessionDefaults(dsn))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if maxConns <= 0 {
		maxConns = 20
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// withSessionDefaults adds jit=off to a connection string (URL or key=value
// form) that does not set jit itself; lib/pq passes it to the server as a
// run-time parameter of every session.
func withSessionDefaults(dsn string) string {
	if strings.Contains(dsn, "jit=") {
		return dsn
	}
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("jit", "off")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(dsn + " jit=off")
}

// Ping reports whether the database answers; readiness checks use it.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// SQLSTATEs the store reacts to.
const (
	codeUniqueViolation      = "23505"
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
// back otherwise. It retries the whole of fn on serialization failures and
// deadlocks.
func (s *Store) inTx(ctx context.Context, fn func(*sqlx.Tx) error) error {
	var err error
	for attempt := 0; attempt < maxTxAttempts; attempt++ {
		err = s.tryTx(ctx, fn)
		if code := sqlState(err); code != codeSerializationFailure && code != codeDeadlockDetected {
			return err
		}
	}
	return err
}

func (s *Store) tryTx(ctx context.Context, fn func(*sqlx.Tx) error) (err error) {
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{})
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
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
