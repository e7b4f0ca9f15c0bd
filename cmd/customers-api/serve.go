package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/billing/customers-api/internal/app"
	"github.com/billing/customers-api/internal/config"
	"github.com/billing/customers-api/internal/httpapi"
	"github.com/billing/customers-api/internal/postgres"
)

// serve runs the API until ctx is cancelled (SIGINT/SIGTERM), then shuts
// down gracefully: in-flight requests finish, then the database closes.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address HOST:PORT (env ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logs := newLogBuffer(stderr)
	defer logs.Close() // last, after the shutdown's own lines
	log := newLogger(cfg, logs)

	d, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := d.close(); err != nil {
			log.Error("close database", "error", err.Error())
		}
	}()
	// Readiness checks get a connection of their own: they must answer
	// when every connection of the serving pool is busy.
	probe, err := postgres.Open(ctx, d.url, postgres.Settings{MaxConns: 1, StatementTimeout: time.Second})
	if err != nil {
		return err
	}
	defer probe.Close()
	opts := app.Options{Config: cfg, Logger: log, Probe: probe}
	if cfg.DatabaseReadURL != "" {
		if opts.Replica, err = openReplica(ctx, cfg, d.db, log); err != nil {
			return err
		}
		defer opts.Replica.Close()
	}
	svc := app.New(d.db, opts)
	if cfg.PublicURL == "" && cfg.WebhookWorkers > 0 {
		log.Warn("PUBLIC_URL is not set: the links in webhook bodies use the listen address, which receivers elsewhere may not reach")
	}
	if d.local {
		if err := printDevKey(ctx, cfg, svc.Access, stdout); err != nil {
			return err
		}
	}
	bgCtx, stopBackground := context.WithCancel(ctx)
	background := make(chan struct{})
	go func() { svc.Background(bgCtx, log); close(background) }()
	// The database closes after the background work stops: a delivery
	// attempt under way records its outcome first.
	defer func() { stopBackground(); <-background }()
	servers := []*listener{{name: "API", addr: cfg.Addr, srv: newHTTPServer(cfg.Addr, svc.Handler)}}
	if cfg.MetricsAddr != "" && cfg.MetricsAddr != "off" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", svc.Metrics)
		servers = append(servers, &listener{name: "metrics", addr: cfg.MetricsAddr, srv: newHTTPServer(cfg.MetricsAddr, mux)})
	}
	errc := make(chan error, len(servers))
	for _, l := range servers {
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			for _, started := range servers {
				started.srv.Close()
			}
			return fmt.Errorf("listen on %s: %w", l.addr, err)
		}
		log.Info("listening", "what", l.name, "addr", ln.Addr().String())
		if l.name == "API" {
			fmt.Fprintf(stdout, "Customers API listening on http://%s\n", ln.Addr())
			if !d.local {
				fmt.Fprintln(stdout, "No development key with DATABASE_URL set: create an organization and a key with\n"+
					"  customers-api orgs create NAME\n  customers-api keys create --org ORG_ID")
			}
		}
		go func() { errc <- l.srv.Serve(ln) }()
	}
	select {
	case err := <-errc:
		for _, l := range servers {
			l.srv.Close()
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	return shutdown(servers, svc.Handler, cfg.ShutdownTimeout, log)
}

// listener is one of the servers serve runs.
type listener struct {
	name, addr string
	srv        *http.Server
}

// shutdown stops the servers gracefully: no new connections, in-flight
// requests finish. Requests still running after timeout are logged one by
// one and cut off, and the shutdown fails; one that completes in time is
// a clean exit.
func shutdown(servers []*listener, api *httpapi.Server, timeout time.Duration, log *slog.Logger) error {
	log.Info("shutting down", "timeout", timeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	for _, l := range servers {
		if err := l.srv.Shutdown(ctx); err != nil {
			if l.name == "API" {
				for _, r := range api.InFlight() {
					log.Error("request cut off by shutdown", "request_id", r.ID, "method", r.Method,
						"path", r.Path, "running_ms", time.Since(r.Started).Milliseconds())
				}
			}
			l.srv.Close()
			errs = append(errs, fmt.Errorf("shutdown of the %s listener: %w", l.name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log.Info("shut down cleanly")
	return nil
}

// newHTTPServer returns the server for handler with every timeout set, so
// that slow or stalled clients cannot hold connections open indefinitely.
func newHTTPServer(addr string, handler http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
