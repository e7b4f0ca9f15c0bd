// Package config loads the service's configuration from environment
// variables: their names, defaults and validation live here and nowhere else.
package config

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of the service.
type Config struct {
	// Addr is where the API listens (ADDR, default 127.0.0.1:8080).
	Addr string
	// DatabaseURL is the PostgreSQL to use (DATABASE_URL). Empty: a local
	// cluster under DataDir is started from the installed binaries.
	DatabaseURL string
	// DatabaseReadURL, when set, is a streaming replica of the database
	// (DATABASE_READ_URL): the collection queries read there once it has
	// replayed every write acknowledged before they began, else from the
	// primary. Empty: every query goes to the primary.
	DatabaseReadURL string
	// ReadFenceTimeout bounds how long a read waits for the replica to
	// catch up before it goes to the primary instead (READ_FENCE_TIMEOUT,
	// a Go duration, default 50ms).
	ReadFenceTimeout time.Duration
	// DataDir holds the local cluster and the development key (DATA_DIR,
	// default .data).
	DataDir string
	// PublicURL is the absolute base URL of links and Location headers
	// (PUBLIC_URL); empty means each request's scheme and Host.
	PublicURL string
	// LogLevel is the least severe level logged (LOG_LEVEL: debug, info,
	// warn, error; default info).
	LogLevel slog.Level
	// DBMaxConns caps the connection pool (DB_MAX_CONNS, default 20).
	DBMaxConns int
	// DBStatementTimeout cancels any statement that runs longer
	// (DB_STATEMENT_TIMEOUT, a Go duration, default 5s); the request is
	// then answered 503.
	DBStatementTimeout time.Duration
	// DBPoolWait bounds the wait for a free connection of the pool
	// (DB_POOL_WAIT, a Go duration, default 2s); the request is then
	// answered 503.
	DBPoolWait time.Duration
	// ShutdownTimeout bounds the graceful shutdown (SHUTDOWN_TIMEOUT, a Go
	// duration, default 15s).
	ShutdownTimeout time.Duration
	// AuthCacheTTL is how long an authenticated API key is remembered by
	// a node, sparing a statement per request (AUTH_CACHE_TTL, a Go
	// duration, default 10s; 0 turns it off). A key changed or removed in
	// the database keeps working on a node for up to this long.
	AuthCacheTTL time.Duration
	// RateLimit is the default rate limit of API keys without one of their
	// own, in requests a second per node (RATE_LIMIT; 0, the default, means
	// none); RateLimitBurst how many may come at once (RATE_LIMIT_BURST,
	// default twice RateLimit).
	RateLimit      float64
	RateLimitBurst int
	// MetricsAddr is where GET /metrics (Prometheus) is served
	// (METRICS_ADDR): empty serves it on Addr with the API, "off" not at
	// all, HOST:PORT on a listener of its own.
	MetricsAddr string
	// CORSOrigins are the browser origins allowed to call the API
	// (CORS_ALLOWED_ORIGINS, comma-separated, e.g.
	// https://dashboard.example.com, or * for any); empty: no CORS headers.
	CORSOrigins []string
	// Webhook delivery (SPEC §13): WebhookWorkers deliveries attempted at
	// once per node (WEBHOOK_WORKERS, default 4; 0 runs no worker on this
	// node); WebhookTimeout per attempt (WEBHOOK_TIMEOUT, default 10s);
	// WebhookRetrySchedule the wait before each retry
	// (WEBHOOK_RETRY_SCHEDULE, comma-separated Go durations, default
	// 5s,5m,30m,2h,5h,10h,10h); WebhookRetention how long delivered and
	// failed deliveries are kept (WEBHOOK_RETENTION, default 720h).
	WebhookWorkers       int
	WebhookTimeout       time.Duration
	WebhookRetrySchedule []time.Duration
	WebhookRetention     time.Duration
}

// Load reads the configuration through getenv (os.Getenv in production).
// It returns an error naming the variable for any invalid value.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:               or(getenv("ADDR"), "127.0.0.1:8080"),
		DatabaseURL:        strings.TrimSpace(getenv("DATABASE_URL")),
		DatabaseReadURL:    strings.TrimSpace(getenv("DATABASE_READ_URL")),
		ReadFenceTimeout:   50 * time.Millisecond,
		DataDir:            or(getenv("DATA_DIR"), ".data"),
		PublicURL:          strings.TrimSuffix(strings.TrimSpace(getenv("PUBLIC_URL")), "/"),
		DBMaxConns:         20,
		DBStatementTimeout: 5 * time.Second,
		DBPoolWait:         2 * time.Second,
		ShutdownTimeout:    15 * time.Second,
		AuthCacheTTL:       10 * time.Second,
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("ADDR %q: want HOST:PORT: %w", c.Addr, err)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("PUBLIC_URL %q: want an absolute http(s) URL", c.PublicURL)
		}
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return c, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", v)
		}
	}
	if v := getenv("DB_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return c, fmt.Errorf("DB_MAX_CONNS %q: want a whole number from 1 to 1000", v)
		}
		c.DBMaxConns = n
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"DB_STATEMENT_TIMEOUT", &c.DBStatementTimeout}, {"DB_POOL_WAIT", &c.DBPoolWait}} {
		if v := getenv(d.name); v != "" {
			dur, err := time.ParseDuration(v)
			if err != nil || dur < time.Millisecond || dur > time.Hour {
				return c, fmt.Errorf("%s %q: want a duration from 1ms to 1h such as 5s", d.name, v)
			}
			*d.dst = dur
		}
	}
	if v := getenv("READ_FENCE_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Millisecond || d > 10*time.Second {
			return c, fmt.Errorf("READ_FENCE_TIMEOUT %q: want a duration from 1ms to 10s such as 50ms", v)
		}
		c.ReadFenceTimeout = d
	}
	if v := getenv("SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("SHUTDOWN_TIMEOUT %q: want a positive duration such as 15s", v)
		}
		c.ShutdownTimeout = d
	}
	if v := getenv("RATE_LIMIT"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1e6 || math.IsNaN(f) {
			return c, fmt.Errorf("RATE_LIMIT %q: want requests a second, such as 50 (0 for none)", v)
		}
		c.RateLimit = f
	}
	if v := getenv("RATE_LIMIT_BURST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1e7 {
			return c, fmt.Errorf("RATE_LIMIT_BURST %q: want a whole number of at least 1", v)
		}
		c.RateLimitBurst = n
	}
	c.MetricsAddr = strings.TrimSpace(getenv("METRICS_ADDR"))
	if c.MetricsAddr != "" && c.MetricsAddr != "off" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return c, fmt.Errorf("METRICS_ADDR %q: want HOST:PORT, off, or nothing: %w", c.MetricsAddr, err)
		}
	}
	if v := getenv("AUTH_CACHE_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > time.Hour {
			return c, fmt.Errorf("AUTH_CACHE_TTL %q: want a duration from 0s to 1h such as 10s", v)
		}
		c.AuthCacheTTL = d
	}
	for o := range strings.SplitSeq(getenv("CORS_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSuffix(strings.TrimSpace(o), "/"); o == "" {
			continue
		}
		if u, err := url.Parse(o); o != "*" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") ||
			u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil) {
			return c, fmt.Errorf("CORS_ALLOWED_ORIGINS: %q is not an origin such as https://dashboard.example.com (scheme and host only) or *", o)
		}
		// Browsers send scheme and host in lower case.
		c.CORSOrigins = append(c.CORSOrigins, strings.ToLower(o))
	}
	if err := loadWebhooks(&c, getenv); err != nil {
		return c, err
	}
	return c, nil
}

// DefaultWebhookRetrySchedule is SPEC §13's: about 5 s, 5 min, 30 min,
// 2 h, 5 h, 10 h, 10 h.
var DefaultWebhookRetrySchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

func loadWebhooks(c *Config, getenv func(string) string) error {
	c.WebhookWorkers, c.WebhookTimeout, c.WebhookRetention = 4, 10*time.Second, 720*time.Hour
	c.WebhookRetrySchedule = DefaultWebhookRetrySchedule
	if v := getenv("WEBHOOK_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			return fmt.Errorf("WEBHOOK_WORKERS %q: want a whole number from 0 to 1000", v)
		}
		c.WebhookWorkers = n
	}
	if v := getenv("WEBHOOK_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond || d > 5*time.Minute {
			return fmt.Errorf("WEBHOOK_TIMEOUT %q: want a duration from 100ms to 5m such as 10s", v)
		}
		c.WebhookTimeout = d
	}
	if v := strings.TrimSpace(getenv("WEBHOOK_RETRY_SCHEDULE")); v != "" {
		var sched []time.Duration
		for part := range strings.SplitSeq(v, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(part))
			if err != nil || d <= 0 || d > 7*24*time.Hour {
				return fmt.Errorf("WEBHOOK_RETRY_SCHEDULE %q: want comma-separated positive durations such as 5s,5m,30m", v)
			}
			sched = append(sched, d)
		}
		if len(sched) > 50 {
			return fmt.Errorf("WEBHOOK_RETRY_SCHEDULE %q: at most 50 retries", v)
		}
		c.WebhookRetrySchedule = sched
	}
	if v := getenv("WEBHOOK_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			return fmt.Errorf("WEBHOOK_RETENTION %q: want a duration of at least 1m such as 720h", v)
		}
		c.WebhookRetention = d
	}
	return nil
}

func or(v, def string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}
