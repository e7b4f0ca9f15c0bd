package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/config"
	"github.com/billing/customers-api/internal/customers"
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
	log := newLogger(cfg, stderr)

	d, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := d.close(); err != nil {
			log.Error("close database", "error", err.Error())
		}
	}()
	store := postgres.New(d.db)
	accessSvc := access.NewService(store)
	if d.local {
		if err := printDevKey(ctx, cfg, accessSvc, stdout); err != nil {
			return err
		}
	}
	api := httpapi.NewServer(httpapi.Config{
		Customers:   customers.NewService(store),
		Access:      accessSvc,
		Ready:       store.Ping,
		Logger:      log,
		PublicURL:   cfg.PublicURL,
		CORSOrigins: cfg.CORSOrigins,
	})
	srv := newHTTPServer(cfg.Addr, api)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	log.Info("listening", "addr", ln.Addr().String())
	fmt.Fprintf(stdout, "Customers API listening on http://%s\n", ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
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
