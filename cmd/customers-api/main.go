// Command customers-api serves the Customers API and administers it:
//
//	customers-api [serve] [--addr HOST:PORT]   run the API (the default)
//	customers-api migrate                      apply database migrations
//	customers-api orgs create NAME             create an organization; prints its id
//	customers-api keys create --org ORG_ID [--permissions P1,P2] [--name NAME] [--rate-limit N]
//	                                           create an API key; prints its secret
//	customers-api keys list --org ORG_ID       the organization's keys, never a secret
//	customers-api keys revoke KEY_ID           revoke a key
//	customers-api seed --org ORG_ID --rows N [--seed S]
//	                                           bulk-load generated customers (benchmarks)
//	customers-api recount (--org ORG_ID | --all)
//	                                           correct the customer counts after hand-run SQL
//	customers-api distribute                   distribute the tables on Citus (docs/CITUS.md)
//
// Configuration comes from the environment (see package config). Without
// DATABASE_URL a local PostgreSQL cluster under DATA_DIR is used, started
// from the installed binaries when it is not running.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/google/uuid"
)

func main() {
	// Request and customer ids draw from a buffer of crypto/rand bytes
	// instead of a read of the kernel's randomness each.
	uuid.EnableRandPool()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "customers-api:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage:
  customers-api [serve] [--addr HOST:PORT]
  customers-api migrate
  customers-api orgs create NAME
  customers-api keys create --org ORG_ID [--permissions P1,P2] [--name NAME] [--rate-limit N]
  customers-api keys list --org ORG_ID
  customers-api keys revoke KEY_ID
  customers-api seed --org ORG_ID --rows N [--seed S]
  customers-api recount (--org ORG_ID | --all)
  customers-api distribute
`

// run executes one command line. Created ids and secrets go to stdout, alone
// on their line, so scripts can capture them; everything else goes to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || slices.Contains([]string{"-h", "-help", "--help"}, args[0])) {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, getenv, stderr)
	case "orgs":
		return orgs(ctx, args, getenv, stdout, stderr)
	case "keys":
		return keys(ctx, args, getenv, stdout, stderr)
	case "seed":
		return seed(ctx, args, getenv, stdout, stderr)
	case "recount":
		return recount(ctx, args, getenv, stdout, stderr)
	case "distribute":
		return distribute(ctx, args, getenv, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
