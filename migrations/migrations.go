// Package migrations holds the numbered SQL migrations of the service's
// schema, embedded in the binary, and applies them with goose.
//
// Every migration runs in its own transaction. Up takes a PostgreSQL session
// advisory lock first, so several nodes starting at once (or `serve` racing
// `migrate`) apply each migration exactly once.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// Up applies every migration not yet applied to db and returns how many it
// applied. It fails, leaving the failing migration rolled back, on the first
// migration that errors.
func Up(ctx context.Context, db *sql.DB) (int, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return 0, fmt.Errorf("migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files, goose.WithSessionLocker(locker))
	if err != nil {
		return 0, fmt.Errorf("load migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return len(results), fmt.Errorf("apply migrations: %w", err)
	}
	return len(results), nil
}
