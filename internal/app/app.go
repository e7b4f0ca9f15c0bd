// Package app is the composition root: it wires one running service — the
// store over a database pool, the domain services and the HTTP API — the
// same way for the serve command, the benchmark's profiler and every test
// harness. Only it and the commands know every package.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	customersapi "github.com/billing/customers-api"
	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/config"
	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/httpapi"
	"github.com/billing/customers-api/internal/postgres"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options are what a service needs beyond its database.
type Options struct {
	// Config is the service's configuration; the zero Config serves with
	// no key cache, no pool wait, no public URL and no CORS.
	Config config.Config
	// Logger receives the access log and errors; nil discards them.
	Logger *slog.Logger
	// Probe, when set, is a pool of its own for readiness checks, so that
	// /readyz answers while the serving pool is saturated.
	Probe *sqlx.DB
	// Customers are options of the customers service (tests pass a clock).
	Customers []customers.Option
	// Access are options of the access service.
	Access []access.Option
}

// App is a wired service. Handler serves the API; Metrics serves the
// Prometheus series of this service, which Handler serves too at /metrics
// unless Config.MetricsAddr says otherwise.
type App struct {
	Store     *postgres.Store
	Access    *access.Service
	Customers *customers.Service
	Handler   *httpapi.Server
	Metrics   http.Handler
}

// New wires a service over db.
func New(db *sqlx.DB, opt Options) *App {
	cfg := opt.Config
	storeOpts := []postgres.Option{postgres.WithPoolWait(cfg.DBPoolWait)}
	if opt.Probe != nil {
		storeOpts = append(storeOpts, postgres.WithReadinessProbe(opt.Probe))
	}
	store := postgres.New(db, storeOpts...)
	// The Go runtime's series, the process's, the pool's (go_sql_*), and
	// the API's own.
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.DB, "customers"),
	)
	a := &App{
		Store:     store,
		Access:    access.NewService(store, append([]access.Option{access.WithCache(cfg.AuthCacheTTL)}, opt.Access...)...),
		Customers: customers.NewService(store, opt.Customers...),
		Metrics:   promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
	}
	hc := httpapi.Config{
		Customers:   a.Customers,
		Access:      a.Access,
		Ready:       store.Ready,
		Logger:      opt.Logger,
		PublicURL:   cfg.PublicURL,
		CORSOrigins: cfg.CORSOrigins,
		Metrics:     reg,
		OpenAPI:     customersapi.OpenAPI,
		RateLimit:   httpapi.RateLimit{PerSecond: cfg.RateLimit, Burst: cfg.RateLimitBurst},
		Idempotency: store,
	}
	if cfg.MetricsAddr == "" {
		hc.MetricsHandler = a.Metrics
	}
	a.Handler = httpapi.NewServer(hc)
	return a
}

// janitorEvery is how often Background deletes expired idempotency
// answers; janitorBatch how many it deletes per statement.
const (
	janitorEvery = 10 * time.Minute
	janitorBatch = 1000
)

// Background does the service's own upkeep until ctx is done: expired
// idempotency answers are deleted. Every node may run it; the deletes do
// not conflict.
func (a *App) Background(ctx context.Context, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(janitorEvery)
	defer t.Stop()
	for {
		for {
			n, err := a.Store.DeleteExpired(ctx, time.Now(), janitorBatch)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("delete expired idempotency answers", "error", err.Error())
				}
				break
			}
			if n < janitorBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
