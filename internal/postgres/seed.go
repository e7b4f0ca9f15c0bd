package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/billing/customers-api/internal/customers"
	"github.com/lib/pq"
)

// SeedCustomer is one customer for Seed to load, with its lead source or nil.
type SeedCustomer struct {
	Customer   *customers.Customer
	LeadSource *customers.LeadSource
}

// sqlCopyCustomers writes the columns sqlInsertCustomer writes, with the
// same arguments, and the customer's tag objects.
var sqlCopyCustomers = `COPY customers (organization_id, ` + strings.Join(customerColumns, ", ") + `, tag_objects) FROM STDIN`

// copyArgs are args made fit for COPY's text format, which would write
// []byte as bytea: JSON goes as a string; nil stays NULL.
func copyArgs(args []any) []any {
	for i, a := range args {
		if b, ok := a.(*[]byte); ok {
			if *b == nil {
				args[i] = nil
			} else {
				args[i] = string(*b)
			}
		}
	}
	return args
}

// sqlCopyLeadSources writes the columns of sqlPutLeadSource, with the same
// arguments.
// Seeded customers' tags: the rows of the names a batch uses are made
// before the batch is copied, so that each customer is written once with
// its tag objects (an UPDATE after the load would leave every tagged row
// twice in the heap and its indexes); the links follow the load.
const (
	sqlSeedTags = `INSERT INTO tags (organization_id, id, name, created_time, updated_time)
SELECT $1, gen_random_uuid(), n, $3, $3 FROM unnest($2::text[]) AS n
ON CONFLICT (organization_id, name) DO NOTHING`
	sqlSeedTagRows      = `SELECT ` + tagColumns + ` FROM tags t WHERE t.organization_id = $1 AND t.name = ANY($2)`
	sqlSeedCustomerTags = `INSERT INTO customer_tags (organization_id, customer_id, tag_id)
SELECT c.organization_id, c.id, t.id
FROM customers c CROSS JOIN LATERAL unnest(c.tags) AS n(name)
JOIN tags t ON t.organization_id = c.organization_id AND t.name = n.name
WHERE c.organization_id = $1
ON CONFLICT DO NOTHING`
)

// seedTags are the tags a seed has made or found, by name.
type seedTags map[string]*customers.Tag

// ensure makes or finds the tags of the batch's customers.
func (known seedTags) ensure(ctx context.Context, tx *sql.Tx, orgID string, batch []SeedCustomer) error {
	var missing []string
	for _, sc := range batch {
		for _, name := range sc.Customer.Tags {
			if _, ok := known[name]; !ok && !slices.Contains(missing, name) {
				missing = append(missing, name)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	now := time.Now().UTC().Truncate(time.Second)
	if _, err := tx.ExecContext(ctx, sqlSeedTags, orgID, pq.StringArray(missing), now); err != nil {
		return fmt.Errorf("seed: tags: %w", err)
	}
	rows, err := tx.QueryContext(ctx, sqlSeedTagRows, orgID, pq.StringArray(missing))
	if err != nil {
		return fmt.Errorf("seed: tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanTag(rows)
		if err != nil {
			return fmt.Errorf("seed: tags: %w", err)
		}
		known[t.Name] = t
	}
	return rows.Err()
}

// objects renders the tag objects of sorted names as customer_tag_objects
// (migration 00010) does; a test compares the two.
func (known seedTags) objects(names []string) (string, error) {
	type object struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Type        string `json:"type"`
		CreatedTime string `json:"createdTime"`
		UpdatedTime string `json:"updatedTime"`
	}
	out := make([]object, 0, len(names))
	for _, name := range slices.Sorted(slices.Values(names)) {
		t := known[name]
		if t == nil {
			return "", fmt.Errorf("seed: tag %q was not made", name)
		}
		out = append(out, object{ID: t.ID, Name: t.Name, Type: "customer",
			CreatedTime: t.CreatedTime.Format(time.RFC3339), UpdatedTime: t.UpdatedTime.Format(time.RFC3339)})
	}
	b, err := json.Marshal(out)
	return string(b), err
}

const sqlCopyLeadSources = `COPY lead_sources (` + leadSourceColumns + `) FROM STDIN`

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

// SeedBatches generates rows customers (customer(i) for i from 0) in
// batches of batchSize on a goroutine of its own, ahead of the COPY of the
// previous batch, and returns Seed's next: an empty batch after the last,
// ctx's error when ctx ends first.
func SeedBatches(ctx context.Context, rows, batchSize int, customer func(i int) SeedCustomer) func() ([]SeedCustomer, error) {
	batches := make(chan []SeedCustomer, 2)
	go func() {
		defer close(batches)
		for start := 0; start < rows; start += batchSize {
			batch := make([]SeedCustomer, 0, min(batchSize, rows-start))
			for i := start; i < start+cap(batch); i++ {
				batch = append(batch, customer(i))
			}
			select {
			case batches <- batch:
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() ([]SeedCustomer, error) {
		select {
		case b := <-batches:
			return b, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
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
	err := s.seedTx(ctx, func(tx *sql.Tx) error {
		tags := seedTags{}
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
			if err := tags.ensure(ctx, tx, orgID, batch); err != nil {
				return err
			}
			if err := copyBatch(ctx, tx, orgID, batch, tags); err != nil {
				return err
			}
			loaded += len(batch)
			if opts.Progress != nil {
				opts.Progress(loaded)
			}
		}
		// The load is counted in its transaction, as the store counts
		// every write (migration 00015); the tags become rows and links.
		if loaded > 0 {
			if _, err := tx.ExecContext(ctx, sqlAddToCount, orgID, countSlot(), loaded); err != nil {
				return fmt.Errorf("seed: count customers: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, sqlSeedCustomerTags, orgID); err != nil {
			return fmt.Errorf("seed customer tags: %w", err)
		}
		return createIndexes(ctx, tx, indexes)
	})
	if err != nil {
		return 0, err
	}
	if err := s.settle(ctx, orgID); err != nil {
		return loaded, err
	}
	return loaded, nil
}

// settle leaves a load as autovacuum would leave it some time later: the
// rows read once (a read sets their commit hint bits, which VACUUM needs
// before it marks a page all-visible, and which it did not set itself on
// PostgreSQL 15 right after a load), then vacuumed and analysed, so that
// counts are answered from indexes alone and plans see the new rows.
func (s *Store) settle(ctx context.Context, orgID string) error {
	for _, q := range []string{
		// revision and data are in no index: these read the heap.
		`SELECT sum(c.revision) FROM customers c WHERE c.organization_id = $1`,
		`SELECT count(l.data) FROM lead_sources l WHERE l.organization_id = $1`,
	} {
		if _, err := s.db.db.ExecContext(ctx, q, orgID); err != nil {
			return fmt.Errorf("seed: read back: %w", err)
		}
	}
	if _, err := s.db.db.ExecContext(ctx, `VACUUM (ANALYZE) customers, lead_sources`); err != nil {
		return fmt.Errorf("seed: vacuum: %w", err)
	}
	return nil
}

// seedTx runs fn in one transaction, without retries: a retry could not
// call next for the batches again.
func (s *Store) seedTx(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("seed: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	// Committed synchronously whatever the server's default: the load is
	// durable when Seed returns, and a VACUUM right after it can mark the
	// pages all-visible (with an asynchronous commit not yet flushed, it
	// cannot set the rows' hint bits, and counts then visit the heap).
	if _, err = tx.ExecContext(ctx, "SET LOCAL synchronous_commit = on"); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("seed: commit: %w", err)
	}
	return nil
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
func dropSecondaryIndexes(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, sqlSecondaryIndexes)
	if err != nil {
		return nil, fmt.Errorf("seed: list indexes: %w", err)
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, fmt.Errorf("seed: list indexes: %w", err)
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("seed: list indexes: %w", err)
	}
	for _, name := range names {
		// The name comes from the catalog (regclass quotes it as needed).
		if _, err := tx.ExecContext(ctx, "DROP INDEX "+name); err != nil {
			return nil, fmt.Errorf("seed: drop index %s: %w", name, err)
		}
	}
	return defs, nil
}

func createIndexes(ctx context.Context, tx *sql.Tx, defs []string) error {
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
func copyBatch(ctx context.Context, tx *sql.Tx, orgID string, batch []SeedCustomer, tags seedTags) error {
	customerStmt, err := tx.PrepareContext(ctx, sqlCopyCustomers)
	if err != nil {
		return fmt.Errorf("seed: copy customers: %w", err)
	}
	defer customerStmt.Close()
	var leadSources [][]any
	for _, sc := range batch {
		c := sc.Customer
		r, err := toCustomerRow(c)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		objects, err := tags.objects(c.Tags)
		if err != nil {
			return err
		}
		if _, err := customerStmt.ExecContext(ctx, append(copyArgs(r.args(orgID)), objects)...); err != nil {
			return fmt.Errorf("seed: copy customer %q: %w", c.ID, err)
		}
		if sc.LeadSource != nil {
			if sc.LeadSource.CustomerID != c.ID {
				return fmt.Errorf("seed: lead source of %q with customer %q", sc.LeadSource.CustomerID, c.ID)
			}
			args, err := leadSourceArgs(orgID, sc.LeadSource)
			if err != nil {
				return fmt.Errorf("seed: %w", err)
			}
			leadSources = append(leadSources, args)
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
	for _, args := range leadSources {
		if _, err := lsStmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("seed: copy lead source of %q: %w", args[1], err)
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
