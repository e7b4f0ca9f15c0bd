package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"sync"
)

// maxCachedStatements bounds the prepared statements a Store keeps: the
// fixed statements and the most recent collection queries (their text
// depends on the filter's shape, never on its values). Each is prepared on
// at most every pooled connection.
const maxCachedStatements = 256

// stmtCache holds prepared statements by their SQL text. database/sql
// prepares a *sql.Stmt on each connection the first time it runs there
// and reuses it after, so PostgreSQL parses a statement once per session
// and can settle on a generic plan instead of planning every call.
//
// A text is prepared the second time it is seen: preparing costs a round
// trip of its own, which a statement that never comes back (a page at an
// odd offset) would pay for nothing.
type stmtCache struct {
	max  int
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	seen map[string]struct{} // texts run once, unprepared
}

func newStmtCache(max int) *stmtCache {
	return &stmtCache{max: max, m: make(map[string]*sql.Stmt), seen: make(map[string]struct{})}
}

// get returns the prepared statement of query, preparing it on db when it
// is seen again, or nil when query should run unprepared this time. When
// the cache is full, one other statement is closed first (database/sql
// closes it once no query is using it).
func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.m[query]
	if !ok {
		if _, again := c.seen[query]; !again {
			if len(c.seen) >= 4*c.max {
				clear(c.seen)
			}
			c.seen[query] = struct{}{}
			c.mu.Unlock()
			return nil, nil
		}
	}
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if other, ok := c.m[query]; ok {
		// Prepared concurrently: keep the first one.
		c.mu.Unlock()
		closeLater(st)
		return other, nil
	}
	var victim *sql.Stmt
	if len(c.m) >= c.max {
		for q, old := range c.m { // an arbitrary victim: map order is random
			victim = old
			delete(c.m, q)
			break
		}
	}
	c.m[query] = st
	delete(c.seen, query)
	c.mu.Unlock()
	if victim != nil {
		closeLater(victim)
	}
	return st, nil
}

// closeLater closes st in the background, never under the cache's lock
// nor in the caller's request. Closing waits for the connection of each
// of st's prepared copies, and a connection is held through a statement
// that may be waiting in PostgreSQL for a row lock, whose holder may be
// waiting for this cache: closing under the lock deadlocked two nodes'
// concurrent PUTs of one new id once the cache was full
// (TestClosingAnEvictedStatementWaitsForNobody).
func closeLater(st *sql.Stmt) {
	go func() { _ = st.Close() }()
}

// querier runs statements on the pool or in a transaction, through
// prepared statements.
type querier interface {
	query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	// queryUnprepared runs query without preparing it, so that PostgreSQL
	// plans it for these arguments.
	queryUnprepared(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	queryRow(ctx context.Context, query string, args ...any) *sql.Row
	exec(ctx context.Context, query string, args ...any) (int64, error)
}

// dbQuerier runs statements on the pool.
type dbQuerier struct {
	db    *sql.DB
	stmts *stmtCache
}

func (q *dbQuerier) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.stmts.get(ctx, q.db, query)
	if err != nil || st == nil {
		return q.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (q *dbQuerier) queryUnprepared(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.db.QueryContext(ctx, query, args...)
}

func (q *dbQuerier) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := q.stmts.get(ctx, q.db, query)
	if err != nil || st == nil {
		// Unprepared; and a *sql.Row cannot be made with an error: a
		// failed prepare is reported by QueryRow itself.
		return q.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (q *dbQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	st, err := q.stmts.get(ctx, q.db, query)
	if err != nil {
		return 0, err
	}
	if st == nil {
		return rowsAffected(q.db.ExecContext(ctx, query, args...))
	}
	return rowsAffected(st.ExecContext(ctx, args...))
}

// txQuerier runs statements in a transaction, through the store's
// prepared statements (database/sql reuses the one prepared on the
// transaction's connection).
type txQuerier struct {
	tx    *sql.Tx
	db    *sql.DB
	stmts *stmtCache
	// enqueued is set when the transaction queued webhook deliveries: once
	// it commits, the store wakes the delivery workers.
	enqueued bool
	// uncounted are the customers the transaction inserted, by
	// organization, not yet added to the counters (commit).
	uncounted map[string]int64
}

// inserted notes n customers of organization orgID inserted by the
// transaction, to be counted before it commits.
func (q *txQuerier) inserted(orgID string, n int64) {
	if n == 0 {
		return
	}
	if q.uncounted == nil {
		q.uncounted = make(map[string]int64, 1)
	}
	q.uncounted[orgID] += n
}

// commit ends the transaction: it first adds the customers it inserted
// to their organizations' counters, the last statement before the commit,
// so that a counter row stays locked for the commit alone. Every store
// transaction commits here.
func (q *txQuerier) commit(ctx context.Context) error {
	for orgID, n := range q.uncounted {
		if _, err := q.exec(ctx, sqlAddToCount, orgID, countSlot(), n); err != nil {
			return fmt.Errorf("count inserted customers: %w", err)
		}
	}
	q.uncounted = nil
	if err := q.tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// savepoint runs fn inside a savepoint of the transaction, so that fn's
// failure undoes fn's writes and nothing else: how a store transaction
// joins an ambient one.
func (q *txQuerier) savepoint(ctx context.Context, fn func(*txQuerier) error) error {
	if _, err := q.tx.ExecContext(ctx, "SAVEPOINT store_call"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	uncounted := maps.Clone(q.uncounted)
	if err := fn(q); err != nil {
		q.uncounted = uncounted // fn's inserts are undone
		if _, rerr := q.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT store_call"); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rerr))
		}
		return err
	}
	if _, err := q.tx.ExecContext(ctx, "RELEASE SAVEPOINT store_call"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// stmt returns the transaction's own handle on the prepared statement of
// query, or nil when query runs unprepared.
func (q *txQuerier) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := q.stmts.get(ctx, q.db, query)
	if err != nil || st == nil {
		return nil, err
	}
	return q.tx.StmtContext(ctx, st), nil
}

func (q *txQuerier) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.stmt(ctx, query)
	if err != nil || st == nil {
		return q.tx.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (q *txQuerier) queryUnprepared(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.tx.QueryContext(ctx, query, args...)
}

func (q *txQuerier) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := q.stmt(ctx, query)
	if err != nil || st == nil {
		return q.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (q *txQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return 0, err
	}
	if st == nil {
		return rowsAffected(q.tx.ExecContext(ctx, query, args...))
	}
	return rowsAffected(st.ExecContext(ctx, args...))
}

func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
