package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

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
	// A bulk load rebuilds indexes for minutes: the serving statement
	// timeout is not for it.
	cfg.DBStatementTimeout = 0
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

const keysUsage = `usage:
  customers-api keys create --org ORG_ID [--permissions P1,P2] [--name NAME] [--rate-limit N]
  customers-api keys list --org ORG_ID
  customers-api keys revoke KEY_ID`

func keys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(keysUsage)
	}
	switch args[0] {
	case "create":
		return createKey(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		return listKeys(ctx, args[1:], getenv, stdout, stderr)
	case "revoke":
		if len(args) != 2 {
			return errors.New(keysUsage)
		}
		return withAccess(ctx, getenv, stderr, func(svc *access.Service) error {
			if err := svc.RevokeKey(ctx, args[1]); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "revoked key %s; a node that authenticated it in the last AUTH_CACHE_TTL may accept it until then\n", args[1])
			return nil
		})
	}
	return errors.New(keysUsage)
}

func createKey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	org := fs.String("org", "", "organization id (required)")
	perms := fs.String("permissions", access.AllOperations, "comma-separated operation ids, or * for all: "+strings.Join(access.Operations, ","))
	name := fs.String("name", "", "a name for the key, shown by keys list")
	rateLimit := fs.Int("rate-limit", 0, "the key's own limit in requests a second (default: RATE_LIMIT, if set)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *org == "" || fs.NArg() > 0 {
		return errors.New(keysUsage)
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
	if *rateLimit < 0 {
		return fmt.Errorf("--rate-limit %d: want a positive number of requests a second", *rateLimit)
	}
	return withAccess(ctx, getenv, stderr, func(svc *access.Service) error {
		k, secret, err := svc.CreateKey(ctx, *org, list, access.WithName(*name), access.WithRateLimit(*rateLimit))
		if err != nil {
			return err
		}
		// The audit record: who the key is, never its secret.
		fmt.Fprintf(stderr, "created key %s (name %q, permissions %s) for organization %s\n", k.ID, k.Name, strings.Join(k.Permissions, ","), k.OrganizationID)
		fmt.Fprintln(stdout, secret)
		return nil
	})
}

// listKeys prints the organization's keys as a table, never a secret.
func listKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	org := fs.String("org", "", "organization id (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *org == "" || fs.NArg() > 0 {
		return errors.New(keysUsage)
	}
	return withAccess(ctx, getenv, stderr, func(svc *access.Service) error {
		keys, err := svc.Keys(ctx, *org)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tPERMISSIONS\tRATE LIMIT\tCREATED\tLAST USED\tREVOKED")
		stamp := func(t *time.Time) string {
			if t == nil {
				return "-"
			}
			return t.UTC().Format(time.RFC3339)
		}
		for _, k := range keys {
			limit := "default"
			if k.RateLimit > 0 {
				limit = strconv.Itoa(k.RateLimit) + "/s"
			}
			name := k.Name
			if name == "" {
				name = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, name, strings.Join(k.Permissions, ","), limit,
				stamp(&k.CreatedTime), stamp(k.LastUsedTime), stamp(k.RevokedTime))
		}
		return tw.Flush()
	})
}
