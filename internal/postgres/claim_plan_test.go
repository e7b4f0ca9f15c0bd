package postgres

import (
	"context"
	"database/sql"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/webhooks"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// sqlBacklog queues $4 pending deliveries of webhook $2 in organization $1,
// each with its event (a customer of about a kilobyte) and its queue row,
// due from $3 seconds ago onwards one second apart, so that the first ones
// are the oldest.
const sqlBacklog = `
WITH e AS (
	INSERT INTO customer_events (organization_id, id, type, customer_id, revision, occurred_time, customer, has_lead_source)
	SELECT $1, gen_random_uuid(), 'customer-updated', 'cus-' || g, 1, now(),
		json_build_object('id', 'cus-' || g, 'padding', repeat('x', 1000)), false
	FROM generate_series(1, $4::int) AS g
	RETURNING id, customer_id
), d AS (
	INSERT INTO webhook_deliveries (organization_id, id, webhook_id, event_id, event_type, customer_id, status,
		next_attempt_time, created_time)
	SELECT $1, gen_random_uuid(), $2, e.id, 'customer-updated', e.customer_id, 'pending',
		now() - make_interval(secs => $3::int - substr(e.customer_id, 5)::int), now()
	FROM e
	RETURNING organization_id, next_attempt_time, id, webhook_id, created_time
)
INSERT INTO webhook_queue (organization_id, due_time, delivery_id, webhook_id, created_time) SELECT * FROM d`

// TestClaimReadsOnlyWhatItClaims proves that a worker's claim and its
// outcomes cost the same at any backlog: with thousands of deliveries
// pending (some of an inactive webhook, whose deliveries wait) and
// thousands done, they read a handful of pages, the queue in its key
// order, and join only the rows claimed to their deliveries and events. A
// claim that joined the backlog first and sorted it read 7 700 pages at
// 2 400 pending, so that a worker that fell behind fell further behind.
// Three sets of statistics: none (the tables never analyzed), those of
// empty tables (a new organization's, until autovacuum comes: the planner
// took the whole backlog for 15 rows, sorted all of it for each claim and
// compared each outcome with every delivery), and true ones. Each
// statement runs as the worker runs it, after sqlDeliverySettings.
func TestClaimReadsOnlyWhatItClaims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	org, active, inactive := uuid.NewString(), uuid.NewString(), uuid.NewString()
	if _, err := db.ExecContext(ctx, `INSERT INTO organizations (id, name) VALUES ($1, 'backlog')`, org); err != nil {
		t.Fatal(err)
	}
	for id, status := range map[string]string{active: "active", inactive: "inactive"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO webhooks (organization_id, id, url, status, secret, created_time, updated_time)
			VALUES ($1, $2, 'http://127.0.0.1:1/hook', $3, 'whsec_test', now(), now())`, org, id, status); err != nil {
			t.Fatal(err)
		}
	}
	// The inactive webhook's deliveries are interleaved with the active
	// one's; a thousand more of the active one's are done already.
	const backlog = 4000
	for _, q := range []struct {
		webhook string
		n       int
	}{{active, backlog}, {inactive, backlog / 4}} {
		if _, err := db.ExecContext(ctx, sqlBacklog, org, q.webhook, backlog, q.n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, sqlBacklog, org, active, 2*backlog, 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `WITH done AS (UPDATE webhook_deliveries SET status = 'delivered', next_attempt_time = NULL,
		last_attempt_time = now(), attempts = 1 WHERE next_attempt_time < now() - interval '4001 seconds' RETURNING id)
		DELETE FROM webhook_queue WHERE delivery_id IN (SELECT id FROM done)`); err != nil {
		t.Fatal(err)
	}
	// The outcomes of the oldest 16 due, as the claim finds them.
	var oldest []struct {
		ID  string    `db:"delivery_id"`
		Due time.Time `db:"due_time"`
	}
	if err := db.SelectContext(ctx, &oldest, `SELECT delivery_id, due_time FROM webhook_queue WHERE webhook_id = $1
		ORDER BY due_time LIMIT $2`, active, batchOf); err != nil || len(oldest) != batchOf {
		t.Fatalf("%d oldest (%v)", len(oldest), err)
	}
	ids, due, statuses := make([]string, batchOf), make([]time.Time, batchOf), make([]string, batchOf)
	codes, retry, errs := make([]int64, batchOf), make([]int64, batchOf), make([]sql.NullString, batchOf)
	for i, o := range oldest {
		ids[i], due[i], statuses[i], codes[i] = o.ID, o.Due, webhooks.DeliveryDelivered, 200
	}
	outcomeArgs := []any{org, pq.StringArray(ids), pq.Array(due), pq.StringArray(statuses), pq.Int64Array(retry), pq.Int64Array(codes), pq.Array(errs)}

	tables := `webhook_queue, webhook_deliveries, customer_events, webhooks`
	emptyStatistics := `DO $$ DECLARE s text; BEGIN
		FOREACH s IN ARRAY ARRAY['customer_events', 'webhook_deliveries', 'webhook_queue', 'webhooks'] LOOP
			EXECUTE format('UPDATE pg_class SET reltuples = 0, relpages = 0 WHERE oid = %L::regclass', s);
			EXECUTE format('DELETE FROM pg_statistic WHERE starelid = %L::regclass', s);
		END LOOP; END $$`
	for _, when := range []string{"never analyzed", "with the statistics of empty tables", "after ANALYZE"} {
		switch when {
		case "with the statistics of empty tables":
			// What ANALYZE of the empty tables left, as a new database has.
			if _, err := db.ExecContext(ctx, emptyStatistics); err != nil {
				t.Fatal(err)
			}
		case "after ANALYZE":
			if _, err := db.ExecContext(ctx, `ANALYZE `+tables); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []struct {
			name   string
			query  string
			args   []any
			worker bool
		}{
			{"the claim", sqlClaim, []any{org, batchOf}, true},
			{"the outcomes", sqlRecordAttempts, outcomeArgs, true},
			{"finding due organizations", sqlDueOrganizations, []any{100}, false},
		} {
			plan := explainAnalyze(t, db, q.worker, q.query, q.args...)
			t.Logf("%s %s:\n%s", q.name, when, plan)
			if m := regexp.MustCompile(`(?m)^\s*Buffers: shared hit=(\d+)(?: read=(\d+))?`).FindStringSubmatch(plan); m == nil {
				t.Errorf("%s %s: no Buffers line in the plan", q.name, when)
			} else if hit, _ := strconv.Atoi(m[1]); hit+atoi(m[2]) > maxClaimBuffers {
				t.Errorf("%s %s reads %d pages, more than %d: it scales with the backlog", q.name, when, hit+atoi(m[2]), maxClaimBuffers)
			}
			// (Finding organizations may probe the queue by a scan that
			// stops at the first due row, when the planner expects many.)
			if q.worker && regexp.MustCompile(`(Seq|Bitmap Heap) Scan on (webhook_queue|webhook_deliveries|customer_events)`).MatchString(plan) {
				t.Errorf("%s %s scans a table", q.name, when)
			}
			for _, m := range regexp.MustCompile(`Sort  \(.*actual time=\S+ rows=(\d+)`).FindAllStringSubmatch(plan, -1) {
				if atoi(m[1]) > batchOf {
					t.Errorf("%s %s sorts %s rows, more than it claims", q.name, when, m[1])
				}
			}
		}
	}

	// And what it claims: the oldest due deliveries of the active webhook,
	// oldest first, each with its event.
	s := New(db)
	var claimed []webhooks.Claimed
	n, err := s.Deliver(ctx, org, batchOf, func(_ context.Context, c []webhooks.Claimed) []webhooks.Outcome {
		claimed = c
		out := make([]webhooks.Outcome, len(c))
		for i := range out {
			out[i].Status = webhooks.DeliveryDelivered
		}
		return out
	})
	if err != nil || n != batchOf {
		t.Fatalf("Deliver: %d claimed, %v; want %d", n, err, batchOf)
	}
	got := make([]string, len(claimed))
	for i, c := range claimed {
		if c.WebhookID != active || c.Event.CustomerID == "" || len(c.Event.Customer) < 1000 {
			t.Errorf("claimed %+v: want a delivery of the active webhook with its event", c.DeliveryID)
		}
		got[i] = c.Event.CustomerID
	}
	// The active webhook's pending deliveries are cus-1 … cus-4000, due in
	// that order (the inactive one's cus-1 … cus-1000 at the same times).
	var want []string
	for g := 1; g <= batchOf; g++ {
		want = append(want, "cus-"+strconv.Itoa(g))
	}
	if !slices.Equal(got, want) {
		t.Errorf("claimed %v, want the oldest due %v", got, want)
	}
}

// explainAnalyze runs query under EXPLAIN (ANALYZE, BUFFERS) in a
// transaction that it rolls back, after the worker's settings if worker,
// and returns the plan.
func explainAnalyze(t *testing.T, db *sqlx.DB, worker bool, query string, args ...any) string {
	t.Helper()
	tx, err := db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if worker {
		if _, err := tx.Exec(sqlDeliverySettings); err != nil {
			t.Fatal(err)
		}
	}
	var lines []string
	if err := tx.Select(&lines, "EXPLAIN (ANALYZE, BUFFERS) "+query, args...); err != nil {
		t.Fatalf("EXPLAIN: %v", err)
	}
	return strings.Join(lines, "\n")
}

// batchOf is the claim's size in the plan test, the worker's own.
const batchOf = 16

// maxClaimBuffers bounds the pages one claim of 16 reads (a few dozen
// here): the queue's first pages, 16 rows, their events and the
// webhooks, where a claim that sorts the backlog reads thousands.
const maxClaimBuffers = 300

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// TestOutcomesAreHeapOnlyUpdates: recording attempts changes no indexed
// column of the delivery log, so each outcome is a HOT update (no new
// index entry), and it takes the claimed rows out of the queue. Counted
// in the transaction's own statistics, where nothing else interferes.
func TestOutcomesAreHeapOnlyUpdates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	org, hook := uuid.NewString(), uuid.NewString()
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, name) VALUES ($1, 'hot')`, org); err != nil {
		t.Fatal(err)
	}
	const n = 4
	if _, err := tx.ExecContext(ctx, sqlBacklog, org, hook, n, n); err != nil {
		t.Fatal(err)
	}
	var claimed []struct {
		ID  string    `db:"delivery_id"`
		Due time.Time `db:"due_time"`
	}
	if err := tx.SelectContext(ctx, &claimed, `SELECT delivery_id, due_time FROM webhook_queue WHERE organization_id = $1`, org); err != nil || len(claimed) != n {
		t.Fatalf("%d queued (%v), want %d", len(claimed), err, n)
	}
	ids, due := make([]string, n), make([]time.Time, n)
	statuses, retry, codes, errs := make([]string, n), make([]int64, n), make([]int64, n), make([]sql.NullString, n)
	for i, c := range claimed {
		ids[i], due[i], statuses[i], codes[i] = c.ID, c.Due, webhooks.DeliveryDelivered, 200
	}
	// The last one is to be retried: it goes back to the queue.
	statuses[n-1], retry[n-1], codes[n-1] = webhooks.DeliveryPending, 60_000, 503
	if _, err := tx.ExecContext(ctx, sqlRecordAttempts, org, pq.StringArray(ids), pq.Array(due), pq.StringArray(statuses),
		pq.Int64Array(retry), pq.Int64Array(codes), pq.Array(errs)); err != nil {
		t.Fatal(err)
	}
	var updates, hot, queued, delivered int
	if err := tx.QueryRowxContext(ctx, `SELECT n_tup_upd, n_tup_hot_upd,
		(SELECT count(*) FROM webhook_queue WHERE organization_id = $1 AND due_time > now()),
		(SELECT count(*) FROM webhook_deliveries WHERE organization_id = $1 AND status = 'delivered' AND attempts = 1)
		FROM pg_stat_xact_user_tables WHERE relname = 'webhook_deliveries'`, org).Scan(&updates, &hot, &queued, &delivered); err != nil {
		t.Fatal(err)
	}
	if updates != n || hot != n {
		t.Errorf("%d outcomes: %d updates, %d of them HOT; want every one HOT", n, updates, hot)
	}
	if queued != 1 || delivered != n-1 {
		t.Errorf("%d queued again and %d delivered, want 1 and %d", queued, delivered, n-1)
	}
}
