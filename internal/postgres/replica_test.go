package postgres_test

// Replica reads (replica.go) against a real primary and a real streaming
// replica of it: the fence keeps every read fresh, a lagging or stopped
// replica costs a fallback to the primary and never a stale or failed
// read, and nothing inside a transaction goes to the replica.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/idempotency"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
)

// readMetrics records what a store's replica reads report.
type readMetrics struct {
	mu        sync.Mutex
	waits     []time.Duration
	fallbacks map[string]int
}

func (m *readMetrics) hooks() postgres.ReadMetrics {
	return postgres.ReadMetrics{
		FenceWait: func(d time.Duration) { m.mu.Lock(); m.waits = append(m.waits, d); m.mu.Unlock() },
		Fallback: func(reason string) {
			m.mu.Lock()
			if m.fallbacks == nil {
				m.fallbacks = map[string]int{}
			}
			m.fallbacks[reason]++
			m.mu.Unlock()
		},
	}
}

// snapshot returns the fence waits and fallbacks so far, and forgets them.
func (m *readMetrics) snapshot() (waits []time.Duration, fallbacks map[string]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	waits, fallbacks = m.waits, m.fallbacks
	m.waits, m.fallbacks = nil, nil
	return waits, fallbacks
}

// replicaFixture is a store over a replicated database, reading from the
// replica behind the fence.
type replicaFixture struct {
	r       *pgtest.Replicated
	store   *postgres.Store
	svc     *customers.Service
	org     string
	metrics *readMetrics
}

func newReplicaFixture(t *testing.T, fence time.Duration, opts ...pgtest.ReplicatedOptions) *replicaFixture {
	t.Helper()
	ctx := context.Background()
	r := pgtest.NewReplicated(t, opts...)
	primary, err := postgres.Open(ctx, r.PrimaryURL, postgres.Settings{MaxConns: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { primary.Close() })
	replica, err := postgres.OpenReplica(r.ReplicaURL, postgres.Settings{MaxConns: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { replica.Close() })
	m := &readMetrics{}
	store := postgres.New(primary, postgres.WithReplica(replica, fence), postgres.WithReadMetrics(m.hooks()))
	org, err := access.NewService(store).CreateOrganization(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	return &replicaFixture{r: r, store: store, svc: customers.NewService(store), org: org.ID, metrics: m}
}

// put writes customer id with websiteId site and returns its revision.
func (f *replicaFixture) put(t *testing.T, id, site string) int64 {
	t.Helper()
	v, _, err := f.svc.Put(context.Background(), f.org, id, customers.Input{WebsiteID: &site}, customers.Precondition{}, customers.ViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return v.Revision
}

// listed returns customer id as the collection query sees it.
func (f *replicaFixture) listed(t *testing.T, id string) (revision int64, site string) {
	t.Helper()
	p := listPage(t, f.store, f.org, customers.ListQuery{Filter: "id:" + id, Limit: 10}, customers.ViewOptions{})
	if len(p.views) != 1 {
		t.Fatalf("list of id:%s has %d customers", id, len(p.views))
	}
	v := p.views[0]
	if v.WebsiteID != nil {
		site = *v.WebsiteID
	}
	return v.Revision, site
}

// TestReplicaReadsFollowWrites: every collection query right after a
// write shows the write, and they run on the replica (the fence is
// waited for; it rarely falls back on an idle replica).
func TestReplicaReadsFollowWrites(t *testing.T) {
	t.Parallel()
	f := newReplicaFixture(t, 0)
	const n = 200
	for i := range n {
		site := fmt.Sprintf("site-%d", i)
		rev := f.put(t, "ada", site)
		if got, gotSite := f.listed(t, "ada"); got != rev || gotSite != site {
			t.Fatalf("write %d: the list shows revision %d (%s), want %d (%s): a stale read", i, got, gotSite, rev, site)
		}
	}
	// The other collections go the same way: a tag just created is listed.
	if err := f.svc.TagCustomers(context.Background(), f.org, "vip", []string{"ada"}, true, false); err != nil {
		t.Fatal(err)
	}
	_, tags, err := f.store.ListTags(context.Background(), f.org, customers.ListQuery{Limit: 10})
	if err != nil || len(tags) != 1 || tags[0].Name != "vip" {
		t.Fatalf("tags listed right after tagging: %v, %v", tags, err)
	}
	waits, fallbacks := f.metrics.snapshot()
	if len(waits) != n+1 {
		t.Errorf("%d fence waits for %d reads", len(waits), n+1)
	}
	if fallbacks[postgres.FallbackLag]+fallbacks[postgres.FallbackBusy] > n/10 || fallbacks[postgres.FallbackError]+fallbacks[postgres.FallbackDown] > 0 {
		t.Errorf("fallbacks %v in %d reads: the replica was hardly used", fallbacks, n+1)
	}
	t.Logf("fence wait %s; fallbacks %v", quantiles(waits), fallbacks)
}

// TestReplicaNotInTransactions: a collection query inside a transaction
// (here an idempotent request's) reads the transaction's own writes, on
// the primary, without a fence.
func TestReplicaNotInTransactions(t *testing.T) {
	t.Parallel()
	f := newReplicaFixture(t, 0)
	ctx := context.Background()
	req := idempotency.Request{OrganizationID: f.org, Key: "k1", Method: "PUT", Path: "/customers/ada"}
	_, _, err := f.store.Do(ctx, req, time.Now().Add(time.Hour), func(ctx context.Context) (*idempotency.Answer, error) {
		site := "in-tx"
		if _, _, err := f.svc.Put(ctx, f.org, "ada", customers.Input{WebsiteID: &site}, customers.Precondition{}, customers.ViewOptions{}); err != nil {
			return nil, err
		}
		p := &page{}
		if err := f.store.ListViews(ctx, f.org, customers.ListQuery{Filter: "id:ada", Limit: 1}, customers.ViewOptions{}, p); err != nil {
			return nil, err
		}
		if len(p.views) != 1 {
			t.Errorf("inside the transaction the list shows %d customers, want its own write", len(p.views))
		}
		return &idempotency.Answer{Status: 200, Body: []byte("{}")}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if waits, fallbacks := f.metrics.snapshot(); len(waits) != 0 || len(fallbacks) != 0 {
		t.Errorf("a read inside a transaction waited on the fence (%d) or fell back (%v)", len(waits), fallbacks)
	}
}

// TestReplicaLaggingAndStopped: a replica held 2 s behind by
// recovery_min_apply_delay serves stale data to a direct read (so the
// fresh reads below prove something), while the store's reads stay fresh
// by falling back to the primary within about the fence timeout; once
// the replica is stopped, the reads go on on the primary.
func TestReplicaLaggingAndStopped(t *testing.T) {
	t.Parallel()
	const fence = 30 * time.Millisecond
	f := newReplicaFixture(t, fence, pgtest.ReplicatedOptions{ApplyDelay: 2 * time.Second})
	ctx := context.Background()

	// Without the fence: the replica misses the write.
	f.put(t, "ada", "first")
	var direct int
	if err := f.r.Replica.GetContext(ctx, &direct, "SELECT count(*) FROM customers WHERE id = 'ada'"); err != nil {
		t.Fatal(err)
	}
	if direct != 0 {
		t.Fatal("a direct read of the replica saw a write made under a 2 s apply delay: the lag this test needs is missing")
	}
	st := f.store.ReplicaStatus(ctx)
	if !st.Configured || !st.Up || st.LagBytes <= 0 {
		t.Errorf("ReplicaStatus while lagging: %+v, want up with lag bytes", st)
	}

	// With it: fresh every time, each read at most about the fence
	// timeout slower.
	f.metrics.snapshot()
	for i := range 10 {
		site := fmt.Sprintf("site-%d", i)
		rev := f.put(t, "ada", site)
		began := time.Now()
		got, gotSite := f.listed(t, "ada")
		took := time.Since(began)
		if got != rev || gotSite != site {
			t.Fatalf("write %d: the list shows revision %d (%s), want %d (%s): a stale read", i, got, gotSite, rev, site)
		}
		// Not a timing target (the machine may be busy): a read that waited
		// for the replica would take the 2 s apply delay.
		if took >= time.Second {
			t.Errorf("read %d took %s with a fence timeout of %s: it waited for the lagging replica", i, took, fence)
		}
	}
	waits, fallbacks := f.metrics.snapshot()
	if fallbacks[postgres.FallbackLag] != 10 {
		t.Errorf("fallbacks %v, want 10 for lag", fallbacks)
	}
	for _, w := range waits {
		if w < fence {
			t.Errorf("a fence wait of %s, shorter than the timeout %s, on a replica 2 s behind", w, fence)
		}
	}
	t.Logf("fence waits on a lagging replica %s", quantiles(waits))

	// Stopped: reads go on on the primary.
	f.r.StopReplica(t)
	for i := range 5 {
		site := fmt.Sprintf("down-%d", i)
		rev := f.put(t, "ada", site)
		if got, gotSite := f.listed(t, "ada"); got != rev || gotSite != site {
			t.Fatalf("replica down, write %d: the list shows revision %d (%s), want %d (%s)", i, got, gotSite, rev, site)
		}
	}
	_, fallbacks = f.metrics.snapshot()
	// The first read finds the replica failed; the next leave it alone for
	// a second (a read after that tries it again).
	if e, d := fallbacks[postgres.FallbackError], fallbacks[postgres.FallbackDown]; e < 1 || d < 1 || e+d != 5 {
		t.Errorf("fallbacks with the replica down: %v, want 5, errors first, then down", fallbacks)
	}
	if st := f.store.ReplicaStatus(ctx); !st.Configured || st.Up || st.Err == nil {
		t.Errorf("ReplicaStatus with the replica down: %+v", st)
	}
}

// quantiles formats the p50, p99 and max of ds.
func quantiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "(none)"
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return fmt.Sprintf("p50 %s, p99 %s, max %s over %d", q(0.5), q(0.99), s[len(s)-1], len(s))
}

// TestCheckReplica: serve's start-up check tells a replica of the
// database from a primary, a standby of another cluster, another
// database, and a server that does not answer.
func TestCheckReplica(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := pgtest.NewReplicated(t)
	b := pgtest.NewReplicated(t)
	other := pgtest.NewDB(t) // the package's cluster: not the pair's
	if err := postgres.CheckReplica(ctx, a.Primary, a.Replica); err != nil {
		t.Errorf("a replica of the database: %v", err)
	}
	for name, c := range map[string]struct{ primary, replica *sqlx.DB }{
		"a primary":                    {a.Primary, b.Primary},
		"another database":             {a.Primary, b.Replica},
		"a standby of another cluster": {other, a.Replica},
	} {
		if err := postgres.CheckReplica(ctx, c.primary, c.replica); !errors.Is(err, postgres.ErrNotReplica) {
			t.Errorf("%s: %v, want ErrNotReplica", name, err)
		}
	}
	gone, err := postgres.OpenReplica("host=/nonexistent port=5432 user=postgres dbname=app sslmode=disable", postgres.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer gone.Close()
	if err := postgres.CheckReplica(ctx, a.Primary, gone); err == nil || errors.Is(err, postgres.ErrNotReplica) {
		t.Errorf("a replica that does not answer: %v, want an error other than ErrNotReplica", err)
	}
}
