package postgres

import (
	"context"
	"fmt"
)

// sqlRecount corrects organization $1's customer counters by the
// difference between its customers and its counters, both read in the
// statement's one snapshot, and returns that difference. Every write of
// the store counts in its own transaction (sqlAddToCount before the
// commit of inserts and seeds, sqlDeleteCustomer), so what the snapshot holds of them
// cancels out: the difference is what hand-run statements inserted or
// deleted, and adding it (not overwriting a total) stays exact while the
// service writes.
const sqlRecount = `WITH diff AS (
	SELECT (SELECT count(*) FROM customers WHERE organization_id = $1)
	     - (SELECT COALESCE(sum(n), 0) FROM customer_counts WHERE organization_id = $1) AS n
), fixed AS (
	INSERT INTO customer_counts (organization_id, slot, n)
	SELECT $1::uuid, 0, n FROM diff WHERE n <> 0
	ON CONFLICT (organization_id, slot) DO UPDATE SET n = customer_counts.n + EXCLUDED.n
)
SELECT n FROM diff`

// sqlAddToCount adds $3 customers to organization $1's count, in slot $2.
const sqlAddToCount = `INSERT INTO customer_counts (organization_id, slot, n) VALUES ($1, $2, $3)
ON CONFLICT (organization_id, slot) DO UPDATE SET n = customer_counts.n + EXCLUDED.n`

// RecountCustomers makes organization orgID's customer count (the
// unfiltered Pagination-Total) equal its customers again after rows were
// inserted or deleted behind the store's back, and returns the correction
// it made (0 when the count was right). It counts every customer of the
// organization, so it takes as long as an index scan of them; it is for
// the operator (`customers-api recount`), never for a request.
func (s *Store) RecountCustomers(ctx context.Context, orgID string) (int64, error) {
	var diff int64
	err := s.do(ctx, func(ctx context.Context, q querier) error {
		if err := q.queryRow(ctx, sqlRecount, orgID).Scan(&diff); err != nil {
			return fmt.Errorf("recount customers: %w", err)
		}
		return nil
	})
	return diff, err
}

// OrganizationIDs returns the id of every organization, in id order.
func (s *Store) OrganizationIDs(ctx context.Context) ([]string, error) {
	return s.textValues(ctx, "organizations", `SELECT id FROM organizations ORDER BY id`)
}
