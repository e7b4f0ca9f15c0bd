package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/billing/customers-api/internal/postgres"
	"github.com/billing/customers-api/migrations"
)

const recountUsage = "usage: customers-api recount (--org ORG_ID | --all)"

// recount corrects the customer counters behind the unfiltered
// Pagination-Total of one organization or of all, after customers were
// inserted or deleted by hand-run SQL (the store counts only its own
// writes: migration 00015). It prints each organization's id and the
// correction made, tab-separated; it is safe while the service writes.
func recount(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("recount", flag.ContinueOnError)
	fs.SetOutput(stderr)
	org := fs.String("org", "", "the organization to recount")
	all := fs.Bool("all", false, "recount every organization")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*org == "") == !*all || fs.NArg() > 0 {
		return errors.New(recountUsage)
	}
	return withDatabase(ctx, getenv, stderr, func(d *database) error {
		store := postgres.New(d.db)
		orgs := []string{*org}
		if *all {
			var err error
			if orgs, err = store.OrganizationIDs(ctx); err != nil {
				return err
			}
		} else if ok, err := store.OrganizationExists(ctx, *org); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("organization %q does not exist", *org)
		}
		for _, o := range orgs {
			diff, err := store.RecountCustomers(ctx, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s\t%+d\n", o, diff)
		}
		return nil
	})
}

// distribute distributes the tables by organization on a database where
// the citus extension was installed after it was migrated (on a fresh one,
// migration 00016 did it): docs/CITUS.md.
func distribute(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	if len(args) > 0 {
		return errors.New("usage: customers-api distribute")
	}
	return withDatabase(ctx, getenv, stderr, func(d *database) error {
		return migrations.Distribute(ctx, d.db.DB)
	})
}
