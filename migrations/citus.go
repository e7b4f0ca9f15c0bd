package migrations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/pressly/goose/v3/lock"
)

// citusMigration is the migration that distributes the tables when the
// citus extension is installed; its one PL/pgSQL block is what Distribute
// runs again.
const citusMigration = "00016_citus.sql"

// ErrNoCitus is Distribute's error on a database without the citus
// extension.
var ErrNoCitus = errors.New("the citus extension is not installed in this database: CREATE EXTENSION citus first (docs/CITUS.md)")

// DistributeSQL returns the block of migration 00016 that distributes the
// tables (reference tables, then the tables distributed by organization,
// in foreign-key order) when the citus extension is installed, and does
// nothing otherwise.
func DistributeSQL() (string, error) {
	b, err := files.ReadFile(citusMigration)
	if err != nil {
		return "", err
	}
	const begin, end = "-- +goose StatementBegin\n", "-- +goose StatementEnd"
	text := string(b)
	i := strings.Index(text, begin)
	j := strings.Index(text, end)
	if i < 0 || j < i {
		return "", fmt.Errorf("%s: no StatementBegin ... StatementEnd block", citusMigration)
	}
	return text[i+len(begin) : j], nil
}

// Distribute distributes the tables of a migrated database that are not
// distributed yet, as migration 00016 does, for a database that got the
// citus extension after that migration ran (and did nothing). It is
// idempotent; it fails with ErrNoCitus when the extension is not
// installed, and on any error leaves every table as it was. Distributing
// a table copies its rows to the workers and blocks writes to it
// meanwhile.
func Distribute(ctx context.Context, db *sql.DB) error {
	block, err := DistributeSQL()
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("distribute: %w", err)
	}
	defer tx.Rollback()
	// Not while another node migrates: the lock Up's session lock takes.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lock.DefaultLockID); err != nil {
		return fmt.Errorf("distribute: lock: %w", err)
	}
	var citus bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')`).Scan(&citus); err != nil {
		return fmt.Errorf("distribute: %w", err)
	}
	if !citus {
		return ErrNoCitus
	}
	if _, err := tx.ExecContext(ctx, block); err != nil {
		return fmt.Errorf("distribute: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("distribute: commit: %w", err)
	}
	return nil
}
