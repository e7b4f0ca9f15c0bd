package postgres

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/pgtest"
)

// TestClosingAnEvictedStatementWaitsForNobody: evicting a statement from
// a full cache must not hold the cache while the statement closes.
// Closing waits for each connection the statement was prepared on, and a
// connection is held through a statement waiting in PostgreSQL for a row
// lock; when the lock's holder then needed the cache, nobody could go on
// (two nodes' concurrent PUTs of one new id hung CI this way).
func TestClosingAnEvictedStatementWaitsForNobody(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	if _, err := db.ExecContext(ctx, `CREATE TABLE lock_me (id int PRIMARY KEY); INSERT INTO lock_me VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	c := newStmtCache(1)
	prepared := func(query string) *sql.Stmt {
		for range 2 { // prepared the second time it is seen
			st, err := c.get(ctx, db.DB, query)
			if err != nil {
				t.Error(err)
				return nil
			}
			if st != nil {
				return st
			}
		}
		t.Errorf("%q was not prepared", query)
		return nil
	}
	// The statement to be evicted, prepared on each of the pool's three
	// connections (three transactions at once run it).
	db.SetMaxOpenConns(3)
	victim := prepared(`SELECT 1`)
	var txs []*sql.Tx
	for range 3 {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.StmtContext(ctx, victim).ExecContext(ctx); err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	for _, tx := range txs {
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}

	holder, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	if _, err := holder.ExecContext(ctx, `SELECT id FROM lock_me WHERE id = 1 FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	// The waiter waits for the holder's lock, holding its connection
	// (one the victim is prepared on) meanwhile.
	waiter, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Rollback()
	waited := make(chan error, 1)
	go func() {
		var id int
		waited <- waiter.QueryRowContext(ctx, `SELECT id FROM lock_me WHERE id = 1 FOR UPDATE`).Scan(&id)
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := holder.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the waiter never waited for the lock")
		}
	}

	// A new statement evicts the waiter's from the one-entry cache; then
	// the holder needs the cache before it can commit.
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		prepared(`SELECT 2`)
		prepared(`SELECT 3`)
		if err := holder.Commit(); err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-finished:
	case <-time.After(15 * time.Second):
		_ = holder.Rollback() // frees the lock, and so everyone, for the cleanups
		t.Fatal("deadlock: the cache was held while an evicted statement waited to close")
	}
	if err := <-waited; err != nil {
		t.Errorf("the waiter, once the lock was free: %v", err)
	}
}
