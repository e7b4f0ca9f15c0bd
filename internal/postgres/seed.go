package postgres

import (
	"context"
	"fmt"

	"github.com/billing/customers-api/internal/customers"
	"github.com/jmoiron/sqlx"
)

// SeedCustomer is one customer for Seed to load, with its lead source or nil.
type SeedCustomer struct {
	Customer   *customers.Customer
	LeadSource *customers.LeadSource
}

// sqlCopyCustomers writes the columns sqlInsertCustomer writes, in the
// order of customerCopyValues (a test keeps that order right).
const sqlCopyCustomers = `COPY customers (` + customerWriteColumns + `) FROM STDIN`

// COPY's text format would write []byte as bytea, so JSON goes as a string;
// nil stays NULL.
func jsonText(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

func customerCopyValues(r *customerRow) []any {
	return []any{
		r.OrganizationID, r.ID, r.WebsiteID, r.PaymentInstrumentMethod, r.PaymentInstrumentID,
		jsonText(r.CustomFields), jsonText(r.PrimaryAddress), r.Email, r.FirstName, r.LastName, r.Locale,
		r.IsEddRequired, r.CreatedTime, r.UpdatedTime, r.Revision,
		r.AverageValueCurrency, r.AverageValueAmount, r.AverageValueAmountUSD,
		r.LifetimeRevenueCurrency, r.LifetimeRevenueAmount, r.LifetimeRevenueAmountUSD,
		r.PaymentCount, r.InvoiceCount, r.LastPaymentTime, r.Tags,
	}
}

// sqlCopyLeadSources writes the columns of sqlPutLeadSource, in the order of
// leadSourceCopyValues.
const sqlCopyLeadSources = `
COPY lead_sources (
	organization_id, customer_id, medium, source, campaign, term, content, affiliate,
	sub_affiliate, sales_agent, click_id, path, referrer, original, created_time, updated_time
) FROM STDIN`

func leadSourceCopyValues(r *leadSourceRow) []any {
	return []any{
		r.OrganizationID, r.CustomerID, r.Medium, r.Source, r.Campaign, r.Term, r.Content, r.Affiliate,
		r.SubAffiliate, r.SalesAgent, r.ClickID, r.Path, r.Referrer, jsonText(r.Original), r.CreatedTime, r.UpdatedTime,
	}
}

// SeedOptions tune Seed.
type SeedOptions struct {
	// RebuildIndexes drops the secondary indexes of customers and
	// lead_sources before loading and creates them again afterwards, in the
	// same transaction: several times faster for a large load, but both
	// tables are locked against every other session until Seed returns.
	RebuildIndexes bool
	// Progress, when set, is called after each batch with how many
	// customers have been loaded so far (not yet committed).
	Progress func(loaded int)
}

// Seed bulk-loads the batches next returns, until it returns an empty one,
// into organization orgID by COPY, in one transaction: the customers (the
// row InsertCustomer writes), their lead sources
// and the organization's customer count, so that totals stay exact. It
// returns how many customers it loaded: all of them, or none and an error.
//
// It is for benchmarks and demos. It bypasses the service, so the caller
// must pass customers the service would have accepted: of orgID, ids valid
// and unique, contact hashes set. A customer that already exists fails the
// whole load with a unique violation.
func (s *Store) Seed(ctx context.Context, orgID string, next func() ([]SeedCustomer, error), opts SeedOptions) (int, error) {
	var loaded int
	// Not inTx: a retry could not call next for the batches again.
	err := s.tryTx(ctx, func(tx *sqlx.Tx) error {
		var indexes []string
		if opts.RebuildIndexes {
			var err error
			if indexes, err = dropSecondaryIndexes(ctx, tx); err != nil {
				return err
			}
		}
		for {
			batch, err := next()
			if err != nil {
				return err
			}
			if len(batch) == 0 {
				break
			}
			if err := copyBatch(ctx, tx, orgID, batch); err != nil {
				return err
			}
			loaded += len(batch)
			if opts.Progress != nil {
				opts.Progress(loaded)
			}
		}
		// The counters follow by themselves (migration 00003's triggers
		// fire for COPY as for INSERT).
		return createIndexes(ctx, tx, indexes)
	})
	if err != nil {
		return 0, err
	}
	return loaded, nil
}

// Secondary indexes: those that back no constraint (the primary keys and
// api_keys' unique hash stay, and so do the foreign keys they serve).
const sqlSecondaryIndexes = `
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i
WHERE i.indrelid IN ('customers'::regclass, 'lead_sources'::regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 1`

// dropSecondaryIndexes drops the secondary indexes of customers and
// lead_sources and returns the statements that create them again.
func dropSecondaryIndexes(ctx context.Context, tx *sqlx.Tx) ([]string, error) {
	var rows []struct {
		Name string `db:"name"`
		Def  string `db:"def"`
	}
	if err := tx.SelectContext(ctx, &rows, sqlSecondaryIndexes); err != nil {
		return nil, fmt.Errorf("seed: list indexes: %w", err)
	}
	defs := make([]string, 0, len(rows))
	for _, r := range rows {
		// The name comes from the catalog (regclass quotes it as needed).
		if _, err := tx.ExecContext(ctx, "DROP INDEX "+r.Name); err != nil {
			return nil, fmt.Errorf("seed: drop index %s: %w", r.Name, err)
		}
		defs = append(defs, r.Def)
	}
	return defs, nil
}

func createIndexes(ctx context.Context, tx *sqlx.Tx, defs []string) error {
	if len(defs) == 0 {
		return nil
	}
	// Index builds sort in memory up to this much; the default 64MB spills
	// to disk at a million rows.
	if _, err := tx.ExecContext(ctx, "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	for _, def := range defs {
		if _, err := tx.ExecContext(ctx, def); err != nil {
			return fmt.Errorf("seed: %s: %w", def, err)
		}
	}
	return nil
}

// copyBatch writes one batch of customers, then their lead sources (whose
// foreign key needs the customers first).
func copyBatch(ctx context.Context, tx *sqlx.Tx, orgID string, batch []SeedCustomer) error {
	customerStmt, err := tx.PrepareContext(ctx, sqlCopyCustomers)
	if err != nil {
		return fmt.Errorf("seed: copy customers: %w", err)
	}
	defer customerStmt.Close()
	var leadSources []*leadSourceRow
	for _, sc := range batch {
		c := sc.Customer
		if c.OrganizationID != orgID {
			return fmt.Errorf("seed: customer %q of organization %s in a load of %s", c.ID, c.OrganizationID, orgID)
		}
		r, err := toCustomerRow(c)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if _, err := customerStmt.ExecContext(ctx, customerCopyValues(r)...); err != nil {
			return fmt.Errorf("seed: copy customer %q: %w", c.ID, err)
		}
		if sc.LeadSource != nil {
			if sc.LeadSource.CustomerID != c.ID {
				return fmt.Errorf("seed: lead source of %q with customer %q", sc.LeadSource.CustomerID, c.ID)
			}
			lr, err := toLeadSourceRow(orgID, sc.LeadSource)
			if err != nil {
				return fmt.Errorf("seed: %w", err)
			}
			leadSources = append(leadSources, lr)
		}
	}
	// The Exec without arguments ends the COPY and reports its errors.
	if _, err := customerStmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("seed: copy customers: %w", err)
	}
	if err := customerStmt.Close(); err != nil {
		return fmt.Errorf("seed: copy customers: %w", err)
	}
	if len(leadSources) == 0 {
		return nil
	}
	lsStmt, err := tx.PrepareContext(ctx, sqlCopyLeadSources)
	if err != nil {
		return fmt.Errorf("seed: copy lead sources: %w", err)
	}
	defer lsStmt.Close()
	for _, lr := range leadSources {
		if _, err := lsStmt.ExecContext(ctx, leadSourceCopyValues(lr)...); err != nil {
			return fmt.Errorf("seed: copy lead source of %q: %w", lr.CustomerID, err)
		}
	}
	if _, err := lsStmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("seed: copy lead sources: %w", err)
	}
	if err := lsStmt.Close(); err != nil {
		return fmt.Errorf("seed: copy lead sources: %w", err)
	}
	return nil
}
