package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/jmoiron/sqlx"
)

// countSlots is how many counter rows an organization's customer total is
// spread over: concurrent inserts pick a slot at random, so they seldom
// queue on one row lock, and reading the total sums at most this many rows.
const countSlots = 8

const sqlAddToCount = `
INSERT INTO customer_counts (organization_id, slot, n) VALUES ($1, $2, $3)
ON CONFLICT (organization_id, slot) DO UPDATE SET n = customer_counts.n + EXCLUDED.n`

// addToCount adds delta to the organization's customer total, in the
// transaction that inserts or deletes the customers.
func addToCount(ctx context.Context, tx *sqlx.Tx, orgID string, delta int) error {
	if _, err := tx.ExecContext(ctx, sqlAddToCount, orgID, rand.IntN(countSlots), delta); err != nil {
		return fmt.Errorf("count customers: %w", err)
	}
	return nil
}

const sqlCount = `SELECT COALESCE(sum(n), 0) FROM customer_counts WHERE organization_id = $1`

// countCustomers is the exact unfiltered total of an organization's
// customers, in O(countSlots).
func countCustomers(ctx context.Context, q sqlx.QueryerContext, orgID string) (int64, error) {
	var n int64
	if err := sqlx.GetContext(ctx, q, &n, sqlCount, orgID); err != nil {
		return 0, fmt.Errorf("count customers: %w", err)
	}
	return n, nil
}
