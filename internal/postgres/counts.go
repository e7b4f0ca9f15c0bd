package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// The counters in customer_counts are kept by triggers (migration 00003):
// every statement that inserts or deletes customers adds its rows to one of
// a few slots per organization, in its own transaction.

const sqlCount = `SELECT COALESCE(sum(n), 0) FROM customer_counts WHERE organization_id = $1`

// countCustomers is the exact unfiltered total of an organization's
// customers: the sum of its few counter slots.
func countCustomers(ctx context.Context, q sqlx.QueryerContext, orgID string) (int64, error) {
	var n int64
	if err := sqlx.GetContext(ctx, q, &n, sqlCount, orgID); err != nil {
		return 0, fmt.Errorf("count customers: %w", err)
	}
	return n, nil
}
