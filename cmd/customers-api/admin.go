package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/config"
	"github.com/billing/customers-api/internal/postgres"
)

func migrate(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	d, err := openDatabase(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	return d.close()
}

// withDatabase loads the config, opens the database (starting the local
// cluster when DATABASE_URL is unset, migrating either way) and runs fn with
// it, then closes it, stopping a cluster it started, whether or not fn
// failed. It returns fn's error joined with the close's; when the config or
// the database fails, fn does not run.
func withDatabase(ctx context.Context, getenv func(string) string, stderr io.Writer, fn func(*database) error) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	// Admin commands log only warnings, so their stdout/stderr stay quiet.
	cfg.LogLevel = slog.LevelWarn
	d, err := openDatabase(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	err = fn(d)
	return errors.Join(err, d.close())
}

// withAccess opens the database and runs fn with the access service.
func withAccess(ctx context.Context, getenv func(string) string, stderr io.Writer, fn func(*access.Service) error) error {
	return withDatabase(ctx, getenv, stderr, func(d *database) error {
		return fn(access.NewService(postgres.New(d.db)))
	})
}

func orgs(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "create" {
		return fmt.Errorf("usage: customers-api orgs create NAME")
	}
	return withAccess(ctx, getenv, stderr, func(svc *access.Service) error {
		o, err := svc.CreateOrganization(ctx, args[1])
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, o.ID)
		return nil
	})
}

func keys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: customers-api keys create --org ORG_ID [--permissions P1,P2]")
	}
	fs := flag.NewFlagSet("keys create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	org := fs.String("org", "", "organization id (required)")
	perms := fs.String("permissions", access.AllOperations, "comma-separated operation ids, or * for all: "+strings.Join(access.Operations, ","))
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *org == "" || fs.NArg() > 0 {
		return fmt.Errorf("usage: customers-api keys create --org ORG_ID [--permissions P1,P2]")
	}
	var list []string
	for _, p := range strings.Split(*perms, ",") {
		if p = strings.TrimSpace(p); p != "" {
			list = append(list, p)
		}
	}
	// An empty list would mean "*" to the access service: a typo such as
	// --permissions "$UNSET" must not hand out every permission.
	if len(list) == 0 {
		return fmt.Errorf("--permissions is empty: give operation ids or *")
	}
	return withAccess(ctx, getenv, stderr, func(svc *access.Service) error {
		_, secret, err := svc.CreateKey(ctx, *org, list)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		return nil
	})
}
