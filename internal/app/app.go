// Package app is the composition root: it wires one running service — the
// store over a database pool, the domain services and the HTTP API — the
// same way for the serve command, the benchmark's profiler and every test
// harness. Only it and the commands know every package.
package app

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	customersapi "github.com/billing/customers-api"
	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/adapters/adobevip"
	"github.com/billing/customers-api/internal/adapters/cleeng"
	"github.com/billing/customers-api/internal/adapters/worldline"
	"github.com/billing/customers-api/internal/config"
	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/dashboard"
	"github.com/billing/customers-api/internal/httpapi"
	"github.com/billing/customers-api/internal/postgres"
	"github.com/billing/customers-api/internal/webhooks"
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
	// Replica, when set, is a pool to a streaming replica of db: the
	// collection queries read there behind the fence (postgres.WithReplica,
	// Config.ReadFenceTimeout), and /readyz and /metrics report it.
	Replica *sqlx.DB
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
	Webhooks  *webhooks.Service
	// Worker delivers webhooks; Background runs it when the configuration
	// asks for workers (tests run it themselves).
	Worker  *webhooks.Worker
	Handler *httpapi.Server
	Metrics http.Handler
	cfg     config.Config
}

// New wires a service over db.
func New(db *sqlx.DB, opt Options) *App {
	cfg := opt.Config
	// The store wakes this process's worker after each commit that queued
	// deliveries; the worker exists before anything can commit.
	var worker *webhooks.Worker
	storeOpts := []postgres.Option{postgres.WithPoolWait(cfg.DBPoolWait), postgres.WithDeliveryWake(func() { worker.Wake() })}
	if opt.Probe != nil {
		storeOpts = append(storeOpts, postgres.WithReadinessProbe(opt.Probe))
	}
	var replica *replicaMetrics
	if opt.Replica != nil {
		replica = newReplicaMetrics()
		storeOpts = append(storeOpts, postgres.WithReplica(opt.Replica, cfg.ReadFenceTimeout), postgres.WithReadMetrics(replica.hooks()))
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
	if replica != nil {
		reg.MustRegister(collectors.NewDBStatsCollector(opt.Replica.DB, "customers_replica"))
		replica.register(reg, store)
	}
	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "customers_api_webhook_deliveries_total",
		Help: "Webhook delivery attempts by result: delivered, retried (failed, to be tried again) or failed (for good).",
	}, []string{"result"})
	for _, r := range []string{"delivered", "retried", "failed"} {
		deliveries.WithLabelValues(r)
	}
	worker = webhooks.NewWorker(store, webhooks.Config{
		Workers: cfg.WebhookWorkers, Timeout: cfg.WebhookTimeout, Schedule: cfg.WebhookRetrySchedule,
		Retention: cfg.WebhookRetention, UserAgent: "customers-api-webhooks/1",
	}, func(e webhooks.Event) []byte { return httpapi.RenderEvent(eventBase(cfg), e) }, opt.Logger,
		webhooks.Metrics{Attempted: func(result string) { deliveries.WithLabelValues(result).Inc() }})
	reg.MustRegister(deliveries,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "customers_api_webhook_deliveries_pending",
			Help: "Webhook deliveries not yet delivered or failed, all organizations (refreshed every few seconds).",
		}, func() float64 { return float64(worker.Pending()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "customers_api_webhook_oldest_pending_seconds",
			Help: "How long the oldest pending webhook delivery has waited (refreshed every few seconds).",
		}, func() float64 { return worker.OldestPendingAge().Seconds() }),
	)
	a := &App{
		Store:     store,
		Access:    access.NewService(store, append([]access.Option{access.WithCache(cfg.AuthCacheTTL)}, opt.Access...)...),
		Customers: customers.NewService(store, opt.Customers...),
		Webhooks:  webhooks.NewService(store, worker.Wake),
		Worker:    worker,
		Metrics:   promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		cfg:       cfg,
	}
	hc := httpapi.Config{
		Customers:   a.Customers,
		Access:      a.Access,
		Webhooks:    a.Webhooks,
		Ready:       store.Ready,
		Logger:      opt.Logger,
		PublicURL:   cfg.PublicURL,
		CORSOrigins: cfg.CORSOrigins,
		Metrics:     reg,
		OpenAPI:     customersapi.OpenAPI,
		RateLimit:   httpapi.RateLimit{PerSecond: cfg.RateLimit, Burst: cfg.RateLimitBurst},
		Idempotency: store,
		Dashboard:   dashboard.Handler(),
	}
	if cfg.MetricsAddr == "" {
		hc.MetricsHandler = a.Metrics
	}
	if replica != nil {
		hc.Replica = replicaState(store)
	}
	hc.Foreign = []httpapi.ForeignRoute{
		{Method: http.MethodPost, Path: cleeng.Path, Pattern: cleeng.Path, Handler: cleeng.New(a.Customers)},
		{Method: http.MethodGet, Path: adobevip.PathPrefix + "{customerId}", Pattern: adobevip.PathPrefix + "*",
			Handler: adobevip.New(a.Customers, a.Access)},
		{Method: http.MethodPost, Path: worldline.PathPrefix + "{merchantId}/products/{paymentProductId}/customerDetails",
			Pattern: worldline.PathPrefix + "*", Handler: worldline.New(a.Customers, a.Access)},
	}
	a.Handler = httpapi.NewServer(hc)
	return a
}

// eventBase is the absolute URL of the links in webhook bodies: the public
// URL, else the listen address (loopback when it listens on every
// interface). Set PUBLIC_URL for links a receiver elsewhere can follow.
func eventBase(cfg config.Config) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return "http://127.0.0.1:8080"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// janitorEvery is how often Background deletes expired idempotency
// answers; janitorBatch how many it deletes per statement.
const (
	janitorEvery = 10 * time.Minute
	janitorBatch = 1000
)

// Background does the service's own work until ctx is done, and returns
// when it has stopped: webhook
// deliveries (when the configuration asks for workers) and the deletion
// of expired idempotency answers. Every node may run it; nodes share the
// deliveries and their deletes do not conflict.
func (a *App) Background(ctx context.Context, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if a.cfg.WebhookWorkers > 0 {
		// Returned from only once the attempts under way are recorded, so
		// that the caller may close the database after.
		done := make(chan struct{})
		go func() { a.Worker.Run(ctx); close(done) }()
		defer func() { <-done }()
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
