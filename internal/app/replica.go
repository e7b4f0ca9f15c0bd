package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/billing/customers-api/internal/httpapi"
	"github.com/billing/customers-api/internal/postgres"
)

// replicaMetrics are the series of the replica reads, registered only
// when the service has a replica.
type replicaMetrics struct {
	fenceWait prometheus.Histogram
	fallbacks *prometheus.CounterVec
}

func newReplicaMetrics() *replicaMetrics {
	m := &replicaMetrics{
		fenceWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "customers_api_replica_fence_wait_seconds",
			Help: "Time a collection query waited for the replica to replay the primary's WAL position before it ran there (or fell back to the primary).",
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
				0.5, 1},
		}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "customers_api_replica_fallbacks_total",
			Help: "Collection queries that went to the primary instead of the replica, by reason: lag (not caught up within READ_FENCE_TIMEOUT), busy (no replica connection free), error (the replica failed), down (it failed within the last second and was not tried).",
		}, []string{"reason"}),
	}
	for _, r := range postgres.FallbackReasons {
		m.fallbacks.WithLabelValues(r)
	}
	return m
}

func (m *replicaMetrics) hooks() postgres.ReadMetrics {
	return postgres.ReadMetrics{
		FenceWait: func(d time.Duration) { m.fenceWait.Observe(d.Seconds()) },
		Fallback:  func(reason string) { m.fallbacks.WithLabelValues(reason).Inc() },
	}
}

// register adds the replica's series to reg: the fence waits, the
// fallbacks, and its state and lag, asked of the databases at each
// scrape.
func (m *replicaMetrics) register(reg prometheus.Registerer, store *postgres.Store) {
	reg.MustRegister(m.fenceWait, m.fallbacks, &replicaLag{
		store: store,
		up:    prometheus.NewDesc("customers_api_replica_up", "1 when the read replica answered as a standby at this scrape, else 0 (its reads then go to the primary).", nil, nil),
		bytes: prometheus.NewDesc("customers_api_replica_lag_bytes", "WAL the primary has written that the replica has not replayed, at this scrape (absent while the replica is down).", nil, nil),
		secs:  prometheus.NewDesc("customers_api_replica_lag_seconds", "Age of the last transaction the replica replayed while it has WAL left to replay, else 0, at this scrape (absent while the replica is down).", nil, nil),
	})
}

// replicaLag collects the replica's state from the databases.
type replicaLag struct {
	store           *postgres.Store
	up, bytes, secs *prometheus.Desc
}

func (c *replicaLag) Describe(ch chan<- *prometheus.Desc) { ch <- c.up; ch <- c.bytes; ch <- c.secs }

func (c *replicaLag) Collect(ch chan<- prometheus.Metric) {
	st := c.store.ReplicaStatus(context.Background()) // bounded by ReplicaStatus itself
	up := 0.0
	if st.Up {
		up = 1
		ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(st.LagBytes))
		ch <- prometheus.MustNewConstMetric(c.secs, prometheus.GaugeValue, st.LagSeconds)
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
}

// replicaState is the store's replica state as /readyz reports it.
func replicaState(store *postgres.Store) func(context.Context) httpapi.ReplicaState {
	return func(ctx context.Context) httpapi.ReplicaState {
		st := store.ReplicaStatus(ctx)
		return httpapi.ReplicaState{Up: st.Up, Err: st.Err, LagBytes: st.LagBytes, LagSeconds: st.LagSeconds}
	}
}
