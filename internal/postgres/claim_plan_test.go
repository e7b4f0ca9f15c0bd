package postgres

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/webhooks"
	"github.com/google/uuid"
)

// sqlBacklog queues $4 pending deliveries of webhook $2 in organization $1,
// each with its event (a customer of about a kilobyte), due from $3
// seconds ago onwards one second apart, so that the first ones are the
// oldest.
const sqlBacklog = `
WITH e AS (
	INSERT INTO customer_events (organization_id, id, type, customer_id, revision, occurred_time, customer, has_lead_source)
	SELECT $1, gen_random_uuid(), 'customer-updated', 'cus-' || g, 1, now(),
		json_build_object('id', 'cus-' || g, 'padding', repeat('x', 1000)), false
	FROM generate_series(1, $4::int) AS g
	RETURNING id, customer_id
)
INSERT INTO webhook_deliveries (organization_id, id, webhook_id, event_id, event_type, customer_id, status,
	next_attempt_time, created_time)
SELECT $1, gen_random_uuid(), $2, e.id, 'customer-updated', e.customer_id, 'pending',
	now() - make_interval(secs => $3::int - substr(e.customer_id, 5)::int), now()
FROM e`

// TestClaimReadsOnlyWhatItClaims proves that a worker's claim costs the
// same at any backlog: with thousands of deliveries pending (some of an
// inactive webhook, whose deliveries wait) and thousands done, it reads a
// handful of pages, in the due index's order, and joins only the rows it
// claims to their events. A claim that joined the backlog first and
// sorted it read 7 700 pages at 2 400 pending, so that a worker that fell
// behind fell further behind. Before and after ANALYZE: the backlog grows
// faster than statistics follow it.
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
	if _, err := db.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'delivered', next_attempt_time = NULL,
		last_attempt_time = now(), attempts = 1 WHERE next_attempt_time < now() - interval '4001 seconds'`); err != nil {
		t.Fatal(err)
	}

	for _, when := range []string{"before ANALYZE", "after ANALYZE"} {
		if when == "after ANALYZE" {
			if _, err := db.ExecContext(ctx, `ANALYZE webhook_deliveries, customer_events, webhooks`); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []struct {
			name  string
			query string
			args  []any
		}{{"the claim", sqlClaim, []any{org, batchOf}}, {"finding due organizations", sqlDueOrganizations, []any{100}}} {
			var lines []string
			if err := db.SelectContext(ctx, &lines, "EXPLAIN (ANALYZE, BUFFERS) "+q.query, q.args...); err != nil {
				t.Fatalf("EXPLAIN %s: %v", q.name, err)
			}
			plan := strings.Join(lines, "\n")
			t.Logf("%s %s:\n%s", q.name, when, plan)
			if m := regexp.MustCompile(`(?m)^\s*Buffers: shared hit=(\d+)(?: read=(\d+))?`).FindStringSubmatch(plan); m == nil {
				t.Errorf("%s %s: no Buffers line in the plan", q.name, when)
			} else if hit, _ := strconv.Atoi(m[1]); hit+atoi(m[2]) > maxClaimBuffers {
				t.Errorf("%s %s reads %d pages, more than %d: it scales with the backlog", q.name, when, hit+atoi(m[2]), maxClaimBuffers)
			}
			// (Finding organizations may probe deliveries by a scan that
			// stops at the first due row, when the planner expects many.)
			if q.name == "the claim" && (strings.Contains(plan, "Seq Scan on webhook_deliveries") || strings.Contains(plan, "Seq Scan on customer_events")) {
				t.Errorf("%s %s scans a whole table", q.name, when)
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

// batchOf is the claim's size in the plan test, the worker's own.
const batchOf = 16

// maxClaimBuffers bounds the pages one claim of 16 reads (a few dozen
// here): the due index's first pages, 16 rows, their events and the
// webhooks, where a claim that sorts the backlog reads thousands.
const maxClaimBuffers = 300

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
