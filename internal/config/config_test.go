package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != ".data" || c.DBMaxConns != 20 || c.CORSOrigins != nil || c.AuthCacheTTL != 10*time.Second ||
		c.DBStatementTimeout != 5*time.Second || c.DBPoolWait != 2*time.Second || c.DatabaseReadURL != "" || c.ReadFenceTimeout != 50*time.Millisecond {
		t.Errorf("defaults: %+v", c)
	}
}

func TestLoadCORSOrigins(t *testing.T) {
	c, err := Load(env(map[string]string{"CORS_ALLOWED_ORIGINS": " https://Dash.Example.com/ , http://localhost:5173,,*"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://dash.example.com", "http://localhost:5173", "*"}
	if !slices.Equal(c.CORSOrigins, want) {
		t.Errorf("CORSOrigins = %q, want %q", c.CORSOrigins, want)
	}
	for _, bad := range []string{"dash.example.com", "ftp://x.example", "https://x.example/app", "https://x.example?a=1", "https://u@x.example", "https://"} {
		_, err := Load(env(map[string]string{"CORS_ALLOWED_ORIGINS": bad}))
		if err == nil || !strings.Contains(err.Error(), "CORS_ALLOWED_ORIGINS") {
			t.Errorf("CORS_ALLOWED_ORIGINS=%q: %v, want an error naming the variable", bad, err)
		}
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	for name, v := range map[string]string{
		"ADDR": "8080", "PUBLIC_URL": "api.example.com", "LOG_LEVEL": "loud",
		"DB_MAX_CONNS": "0", "SHUTDOWN_TIMEOUT": "-1s", "AUTH_CACHE_TTL": "2h",
		"DB_STATEMENT_TIMEOUT": "0s", "DB_POOL_WAIT": "soon", "METRICS_ADDR": "9090", "RATE_LIMIT": "-1", "RATE_LIMIT_BURST": "0", "READ_FENCE_TIMEOUT": "0s",
		"WEBHOOK_WORKERS": "-1", "WEBHOOK_TIMEOUT": "10ms", "WEBHOOK_RETRY_SCHEDULE": "1s,,2s", "WEBHOOK_RETENTION": "30s",
	} {
		if _, err := Load(env(map[string]string{name: v})); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: %v, want an error naming the variable", name, v, err)
		}
	}
}

func TestLoadWebhookSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.WebhookWorkers != 4 || c.WebhookTimeout != 10*time.Second || c.WebhookRetention != 720*time.Hour ||
		!slices.Equal(c.WebhookRetrySchedule, DefaultWebhookRetrySchedule) || len(DefaultWebhookRetrySchedule) != 7 {
		t.Errorf("webhook defaults: %+v", c)
	}
	c, err = Load(env(map[string]string{"WEBHOOK_WORKERS": "0", "WEBHOOK_TIMEOUT": "3s", "WEBHOOK_RETRY_SCHEDULE": " 1s, 1s,2s ", "WEBHOOK_RETENTION": "24h"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.WebhookWorkers != 0 || c.WebhookTimeout != 3*time.Second || c.WebhookRetention != 24*time.Hour ||
		!slices.Equal(c.WebhookRetrySchedule, []time.Duration{time.Second, time.Second, 2 * time.Second}) {
		t.Errorf("webhook settings: %+v", c)
	}
}

func TestLoadReplica(t *testing.T) {
	c, err := Load(env(map[string]string{"DATABASE_READ_URL": " postgres://replica/db ", "READ_FENCE_TIMEOUT": "20ms"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseReadURL != "postgres://replica/db" || c.ReadFenceTimeout != 20*time.Millisecond {
		t.Errorf("replica settings: %q %s", c.DatabaseReadURL, c.ReadFenceTimeout)
	}
}
