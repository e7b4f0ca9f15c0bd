// Command customers-bench measures the Customers API on this machine and
// prints a report; `make bench` runs it. It is a report, never a test: no
// number it prints fails anything.
//
// It starts a throwaway local PostgreSQL (package localpg), migrates it,
// creates an organization and an API key, seeds -rows customers by COPY and
// starts the server, all through the customers-api binary given by -bin, the
// server on a free port of 127.0.0.1. It then drives the server with -c
// concurrent clients for -d per scenario (after a short warm-up):
// get by id, the default list page, a filtered, sorted and offset page, a q
// search, POST and PUT. For get by id and the filtered page it also runs the
// same store method, hence the same SQL, straight through sqlx and lib/pq on
// a pool opened like the server's, and prints the API's rate as a share of
// it. Last, it holds -rss-c connections busy and reads the server's resident
// memory from /proc, and prints EXPLAIN (ANALYZE, BUFFERS) of the default
// list page, an email filter and a q search. With -cpuprofile it also
// profiles the default list page served by the same handler in this
// process. Everything it started is
// stopped when it ends, however it ends.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "customers-bench:", err)
		}
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	bin      string
	rows     int
	conc     int
	dur      time.Duration
	warmup   time.Duration
	rssConc  int
	timeout  time.Duration
	explain  bool
	maxConns int
	cpuProf  string
	webhook  bool
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("customers-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.bin, "bin", "bin/customers-api", "the customers-api binary to benchmark")
	fs.IntVar(&o.rows, "rows", 100000, "customers to seed")
	fs.IntVar(&o.conc, "c", 16, "concurrent clients per scenario")
	fs.DurationVar(&o.dur, "d", 10*time.Second, "measured duration of each scenario")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured warm-up before each scenario")
	fs.IntVar(&o.rssConc, "rss-c", 64, "concurrent connections while the server's memory is read")
	fs.DurationVar(&o.timeout, "timeout", 45*time.Minute, "bound on the whole run, seeding included")
	fs.BoolVar(&o.explain, "explain", true, "print EXPLAIN (ANALYZE, BUFFERS) of the list, email filter and q queries")
	fs.IntVar(&o.maxConns, "db-max-conns", 20, "the server's and the SQL baseline's pool size (DB_MAX_CONNS)")
	fs.BoolVar(&o.webhook, "webhook", true, "also measure POST and PUT with one active webhook (a local receiver answering 200)")
	fs.StringVar(&o.cpuProf, "cpuprofile", "", "also write a CPU profile of the default list page, served in-process by the same handler, to this file")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 || o.rows < 1 || o.conc < 1 || o.rssConc < 1 || o.dur <= 0 || o.maxConns < 1 {
		fs.Usage()
		return o, errors.New("invalid arguments")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "bench: "+format+"\n", a...)
	}

	env, err := setUp(ctx, o, logf)
	if err != nil {
		return err
	}
	defer env.tearDown(logf)
	return measure(ctx, env, o, stdout, logf)
}
