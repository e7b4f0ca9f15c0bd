package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/billing/customers-api/internal/config"
	"github.com/billing/customers-api/internal/localpg"
	"github.com/billing/customers-api/internal/postgres"
	"github.com/billing/customers-api/migrations"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// localDatabase is the database the local development cluster serves.
const localDatabase = "customers"

// database is an open, migrated database and how to let go of it.
type database struct {
	db    *sqlx.DB
	url   string // the connection string db was opened with
	local bool   // a local cluster under DATA_DIR, not DATABASE_URL
	close func() error
}

// openDatabase connects to DATABASE_URL or, without it, starts (or reuses)
// the local cluster under cfg.DataDir and creates its database. It applies
// the migrations either way.
func openDatabase(ctx context.Context, cfg config.Config, log *slog.Logger) (*database, error) {
	if cfg.DatabaseURL != "" {
		db, err := postgres.Open(ctx, cfg.DatabaseURL, dbSettings(cfg))
		if err != nil {
			return nil, err
		}
		d := &database{db: db, url: cfg.DatabaseURL, close: db.Close}
		return d, migrateDB(ctx, d, log)
	}
	dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "postgres"))
	if err != nil {
		return nil, err
	}
	cluster, err := localpg.Start(ctx, localpg.Options{DataDir: dir, Log: func(msg string) { log.Info(msg) }})
	if err != nil {
		return nil, fmt.Errorf("local PostgreSQL (set DATABASE_URL to use another server): %w", err)
	}
	if err := createDatabase(ctx, cluster.URL("postgres"), localDatabase); err != nil {
		cluster.Stop()
		return nil, err
	}
	db, err := postgres.Open(ctx, cluster.URL(localDatabase), dbSettings(cfg))
	if err != nil {
		cluster.Stop()
		return nil, err
	}
	d := &database{db: db, url: cluster.URL(localDatabase), local: true, close: func() error {
		db.Close()
		return cluster.Stop()
	}}
	if err := migrateDB(ctx, d, log); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func dbSettings(cfg config.Config) postgres.Settings {
	return postgres.Settings{MaxConns: cfg.DBMaxConns, StatementTimeout: cfg.DBStatementTimeout}
}

// migrateDB applies the migrations over a pool of their own, without the
// serving statement timeout: building an index on a large table takes
// longer than any request may.
func migrateDB(ctx context.Context, d *database, log *slog.Logger) error {
	db, err := postgres.Open(ctx, d.url, postgres.Settings{MaxConns: 2})
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := migrations.Up(ctx, db.DB)
	if err != nil {
		return err
	}
	log.Info("database migrated", "applied", n)
	return nil
}

// createDatabase creates database name on the server at adminURL unless it
// exists; two processes racing to create it both succeed.
func createDatabase(ctx context.Context, adminURL, name string) error {
	db, err := sqlx.Open("postgres", adminURL)
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	if pqErr, ok := err.(*pq.Error); ok && pqErr.Code == "42P04" { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: cfg.LogLevel}))
}

// openReplica opens the pool to DATABASE_READ_URL. A replica that does not
// answer yet is no reason not to serve (reads go to the primary until it
// does), but one that answers as another database than a standby of the
// primary is a mistake that would serve wrong data: serve refuses it.
func openReplica(ctx context.Context, cfg config.Config, primary *sqlx.DB, log *slog.Logger) (*sqlx.DB, error) {
	replica, err := postgres.OpenReplica(cfg.DatabaseReadURL, dbSettings(cfg))
	if err != nil {
		return nil, fmt.Errorf("DATABASE_READ_URL: %w", err)
	}
	err = postgres.CheckReplica(ctx, primary, replica)
	switch {
	case errors.Is(err, postgres.ErrNotReplica):
		replica.Close()
		return nil, fmt.Errorf("DATABASE_READ_URL: %w", err)
	case err != nil:
		log.Warn("the read replica does not answer; reads go to the primary until it does", "error", err.Error())
	default:
		log.Info("reading collections from the replica", "fence_timeout", cfg.ReadFenceTimeout.String())
	}
	return replica, nil
}
