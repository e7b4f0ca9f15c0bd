package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/webhooks"
	"github.com/billing/customers-api/pkg/filter"
	"github.com/lib/pq"
)

var _ webhooks.Store = (*Store)(nil)

const webhookColumns = `w.id, w.url, w.description, w.events_filter, w.status, w.headers, w.secret, w.created_time, w.updated_time`

// webhookRow is a webhook as scanned; headers are JSON.
type webhookRow struct {
	w       webhooks.Webhook
	filter  pq.StringArray
	headers []byte
}

func (r *webhookRow) fields() []any {
	return []any{&r.w.ID, &r.w.URL, &r.w.Description, &r.filter, &r.w.Status, &r.headers, &r.w.Secret, &r.w.CreatedTime, &r.w.UpdatedTime}
}

func (r *webhookRow) webhook() (*webhooks.Webhook, error) {
	w := r.w
	w.EventsFilter = append([]string{}, r.filter...)
	w.Headers = map[string]string{}
	if err := json.Unmarshal(r.headers, &w.Headers); err != nil {
		return nil, fmt.Errorf("webhook %s headers: %w", w.ID, err)
	}
	w.CreatedTime, w.UpdatedTime = w.CreatedTime.UTC(), w.UpdatedTime.UTC()
	return &w, nil
}

const (
	sqlGetWebhook = `SELECT ` + webhookColumns + ` FROM webhooks w WHERE w.organization_id = $1 AND w.id = $2`
	// Changes to an organization's webhooks queue behind one another, so
	// that the active count a change checks stays true until it commits.
	sqlLockWebhooks  = `SELECT pg_advisory_xact_lock(hashtextextended('webhooks/' || $1::text, 0))`
	sqlCountActive   = `SELECT count(*) FROM webhooks WHERE organization_id = $1 AND status = 'active'`
	sqlInsertWebhook = `INSERT INTO webhooks (organization_id, id, url, description, events_filter, status, headers, secret, created_time, updated_time)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	sqlUpdateWebhook = `UPDATE webhooks SET url = $3, description = $4, events_filter = $5, status = $6, headers = $7, secret = $8, created_time = $9, updated_time = $10
WHERE organization_id = $1 AND id = $2`
	// The webhook's deliveries go with it, and every event no other
	// webhook's delivery needs; its queued deliveries go first, in a
	// statement of their own (sqlUnqueueWebhook), so that this one, like
	// a worker recording outcomes, locks queue rows before deliveries.
	sqlUnqueueWebhook = `DELETE FROM webhook_queue WHERE organization_id = $1 AND webhook_id = $2`
	sqlDeleteWebhook  = `
WITH gone AS (
	DELETE FROM webhook_deliveries WHERE organization_id = $1 AND webhook_id = $2 RETURNING id, event_id
), ` + dropOrphanEvents + `
DELETE FROM webhooks WHERE organization_id = $1 AND id = $2`
)

// dropOrphanEvents follows a WITH query "gone" that deleted deliveries
// (id, event_id) of organization $1: it deletes each of their events that
// no other delivery needs (the statement's snapshot still sees the
// deleted deliveries, hence the NOT IN).
const dropOrphanEvents = `events AS (
	DELETE FROM customer_events e USING (SELECT DISTINCT event_id FROM gone) g
	WHERE e.organization_id = $1 AND e.id = g.event_id AND NOT EXISTS (
		SELECT 1 FROM webhook_deliveries d WHERE d.organization_id = $1 AND d.event_id = e.id AND d.id NOT IN (SELECT id FROM gone))
)`

func getWebhook(ctx context.Context, q querier, orgID, id string) (*webhooks.Webhook, error) {
	var r webhookRow
	err := q.queryRow(ctx, sqlGetWebhook, orgID, id).Scan(r.fields()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("select webhook: %w", err)
	}
	return r.webhook()
}

// GetWebhook implements webhooks.Store.
func (s *Store) GetWebhook(ctx context.Context, orgID, id string) (w *webhooks.Webhook, err error) {
	err = s.doQuick(ctx, func(ctx context.Context, q querier) error {
		w, err = getWebhook(ctx, q, orgID, id)
		return err
	})
	return w, customersErr(err)
}

var webhookCollection = collection{what: "webhooks", from: "webhooks w", columns: webhookColumns, schema: mustSchema(filter.Schema{
	Fields: []filter.Field{
		{Name: "id", Expr: "w.id::text", Type: filter.String, CaseSensitive: true, Sortable: true, NotNull: true},
		{Name: "url", Expr: "w.url", Type: filter.String, CaseSensitive: true, Sortable: true, NotNull: true},
		{Name: "status", Expr: "w.status", Type: filter.String, CaseSensitive: true, Sortable: true, NotNull: true},
		{Name: "createdTime", Expr: "w.created_time", Type: filter.DateTime, Sortable: true, NotNull: true},
		{Name: "updatedTime", Expr: "w.updated_time", Type: filter.DateTime, Sortable: true, NotNull: true},
	},
	TieBreak:    "w.id",
	DefaultSort: []string{"-createdTime"},
})}

// ListWebhooks implements webhooks.Store.
func (s *Store) ListWebhooks(ctx context.Context, orgID string, lq customers.ListQuery) (int64, []webhooks.Webhook, error) {
	total, rows, err := listPage(ctx, s, webhookCollection, "w.organization_id = $1", []any{orgID}, "lower(w.url) LIKE lower(", lq,
		func(r *webhookRow) []any { return r.fields() })
	if err != nil {
		return 0, nil, err
	}
	out := make([]webhooks.Webhook, len(rows))
	for i := range rows {
		w, err := rows[i].webhook()
		if err != nil {
			return 0, nil, err
		}
		out[i] = *w
	}
	return total, out, nil
}

// InWebhookTx implements webhooks.Store.
func (s *Store) InWebhookTx(ctx context.Context, orgID string, fn func(webhooks.Tx) error) error {
	return customersErr(s.inTx(ctx, func(tx *txQuerier) error { return fn(&webhookTx{q: tx, orgID: orgID}) }))
}

type webhookTx struct {
	q     *txQuerier
	orgID string
}

func (t *webhookTx) CountActive(ctx context.Context) (int, error) {
	if _, err := t.q.exec(ctx, sqlLockWebhooks, t.orgID); err != nil {
		return 0, fmt.Errorf("lock webhooks: %w", err)
	}
	var n int
	if err := t.q.queryRow(ctx, sqlCountActive, t.orgID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count active webhooks: %w", err)
	}
	return n, nil
}

func (t *webhookTx) Get(ctx context.Context, id string) (*webhooks.Webhook, error) {
	return getWebhook(ctx, t.q, t.orgID, id)
}

func (t *webhookTx) args(w *webhooks.Webhook) ([]any, error) {
	headers, err := json.Marshal(w.Headers)
	if err != nil {
		return nil, err
	}
	return []any{t.orgID, w.ID, w.URL, w.Description, pq.StringArray(w.EventsFilter), w.Status, headers, w.Secret, w.CreatedTime, w.UpdatedTime}, nil
}

func (t *webhookTx) Insert(ctx context.Context, w *webhooks.Webhook) error {
	args, err := t.args(w)
	if err != nil {
		return err
	}
	if _, err := t.q.exec(ctx, sqlInsertWebhook, args...); err != nil {
		return fmt.Errorf("insert webhook: %w", err)
	}
	return nil
}

func (t *webhookTx) Update(ctx context.Context, w *webhooks.Webhook) error {
	args, err := t.args(w)
	if err != nil {
		return err
	}
	if _, err := t.q.exec(ctx, sqlUpdateWebhook, args...); err != nil {
		return fmt.Errorf("update webhook: %w", err)
	}
	return nil
}

func (t *webhookTx) Delete(ctx context.Context, id string) (bool, error) {
	if _, err := t.q.exec(ctx, sqlUnqueueWebhook, t.orgID, id); err != nil {
		return false, fmt.Errorf("delete webhook: %w", err)
	}
	n, err := t.q.exec(ctx, sqlDeleteWebhook, t.orgID, id)
	if err != nil {
		return false, fmt.Errorf("delete webhook: %w", err)
	}
	return n == 1, nil
}

const deliveryColumns = `d.id, d.webhook_id, d.event_type, d.customer_id, d.status, d.attempts, d.last_attempt_time,
	d.next_attempt_time, d.last_response_status, d.last_error, d.created_time`

func deliveryFields(d *webhooks.Delivery) []any {
	return []any{&d.ID, &d.WebhookID, &d.EventType, &d.CustomerID, &d.Status, &d.Attempts, &d.LastAttemptTime,
		&d.NextAttemptTime, &d.LastResponseStatus, &d.LastError, &d.CreatedTime}
}

var deliveryCollection = collection{what: "deliveries", from: "webhook_deliveries d", columns: deliveryColumns, schema: mustSchema(filter.Schema{
	Fields: []filter.Field{
		{Name: "id", Expr: "d.id::text", Type: filter.String, CaseSensitive: true, Sortable: true, NotNull: true},
		{Name: "status", Expr: "d.status", Type: filter.String, CaseSensitive: true, Sortable: true, NotNull: true},
		{Name: "eventType", Expr: "d.event_type", Type: filter.String, CaseSensitive: true, Sortable: true, NotNull: true},
		{Name: "customerId", Expr: "d.customer_id", Type: filter.String, CaseSensitive: true, Sortable: true, NotNull: true},
		{Name: "createdTime", Expr: "d.created_time", Type: filter.DateTime, Sortable: true, NotNull: true},
	},
	TieBreak:    "d.id",
	DefaultSort: []string{"-createdTime"},
})}

// ListDeliveries implements webhooks.Store.
func (s *Store) ListDeliveries(ctx context.Context, orgID, webhookID string, lq customers.ListQuery) (int64, []webhooks.Delivery, error) {
	total, list, err := listPage(ctx, s, deliveryCollection, "d.organization_id = $1 AND d.webhook_id = $2", []any{orgID, webhookID}, "lower(d.customer_id) LIKE lower(", lq, deliveryFields)
	for i := range list {
		d := &list[i]
		d.CreatedTime = d.CreatedTime.UTC()
		for _, t := range []**time.Time{&d.LastAttemptTime, &d.NextAttemptTime} {
			if *t != nil {
				u := (*t).UTC().Truncate(time.Second)
				*t = &u
			}
		}
		if d.Status != webhooks.DeliveryPending {
			d.NextAttemptTime = nil
		}
	}
	return total, list, err
}

// queueFrom queues, in organization $1, the deliveries that rows (a WITH
// query that returned webhook_deliveries' id, webhook_id,
// next_attempt_time and created_time, with a condition if any) name, each
// due at its next_attempt_time: how a write, a retry and an outcome to be
// retried put a delivery in the queue (migration 00018).
func queueFrom(rows string) string {
	return `INSERT INTO webhook_queue (organization_id, due_time, delivery_id, webhook_id, created_time)
SELECT $1, next_attempt_time, id, webhook_id, created_time FROM ` + rows
}

// A retry queues the delivery afresh, due now, and removes the queue row
// it had when it was pending already, unless a worker holds that row (it
// is attempting the delivery): the retry never waits for a worker, which
// waits for the delivery's row the retry locks. A worker that attempted
// it meanwhile records nothing (sqlRecordAttempts) and drops its row, and
// a row left behind that no longer stands for the delivery is dropped by
// the worker that claims it (sqlClaim), so the retry's row is what sends it.
var sqlRetryDelivery = `
WITH old AS (
	SELECT id, status, next_attempt_time FROM webhook_deliveries WHERE organization_id = $1 AND webhook_id = $2 AND id = $3
), d AS (
	UPDATE webhook_deliveries SET status = 'pending', next_attempt_time = clock_timestamp()
	WHERE organization_id = $1 AND webhook_id = $2 AND id = $3
	RETURNING id, webhook_id, next_attempt_time, created_time
), unqueued AS (
	DELETE FROM webhook_queue WHERE organization_id = $1 AND (due_time, delivery_id) IN (
		SELECT q.due_time, q.delivery_id FROM webhook_queue q JOIN old ON q.due_time = old.next_attempt_time AND q.delivery_id = old.id
		WHERE q.organization_id = $1 AND old.status = 'pending'
		FOR UPDATE OF q SKIP LOCKED)
)
` + queueFrom("d")

// RetryDelivery implements webhooks.Store.
func (s *Store) RetryDelivery(ctx context.Context, orgID, webhookID, id string) (found bool, err error) {
	err = s.do(ctx, func(ctx context.Context, q querier) error {
		n, err := q.exec(ctx, sqlRetryDelivery, orgID, webhookID, id)
		found = n == 1
		return err
	})
	return found, customersErr(err)
}

// The organizations with due deliveries of an active webhook (an inactive
// webhook's pending deliveries wait, SPEC §16), found from the few active
// webhooks, each probing the due index for one row: the cost does not
// grow with the backlog, as a DISTINCT over the pending rows did (2.9 ms
// at a 2 400-row backlog, every 20 ms while writes poured in).
const sqlDueOrganizations = `SELECT w.organization_id FROM webhooks w
WHERE w.status = 'active' AND EXISTS (SELECT 1 FROM webhook_queue q
	WHERE q.organization_id = w.organization_id AND q.due_time <= clock_timestamp() AND q.webhook_id = w.id)
GROUP BY w.organization_id LIMIT $1`

// DueOrganizations implements webhooks.Store. It locks nothing.
func (s *Store) DueOrganizations(ctx context.Context, limit int) ([]string, error) {
	return s.textValues(ctx, "due organizations", sqlDueOrganizations, limit)
}

// textValues runs a query of one text column and returns its values.
func (s *Store) textValues(ctx context.Context, what, query string, args ...any) ([]string, error) {
	var out []string
	err := s.do(ctx, func(ctx context.Context, q querier) error {
		out = nil
		rows, err := q.query(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			out = append(out, v)
		}
		return rowsErr(rows, what)
	})
	return out, err
}

// The claim locks due queue rows of one organization (SKIP LOCKED: rows
// another transaction holds are passed over, never waited for) and
// returns what an attempt needs, the webhook's current secret and headers
// included; the locks last until the outcomes are recorded. The oldest
// due rows are read alone, in the queue's key order, the organization's
// active webhooks computed once beforehand, and only the rows claimed are
// joined to their deliveries and events: joining first had the planner
// sort the whole backlog with its events (7 700 buffers at 2 400 pending),
// so that a worker that fell behind fell further behind
// (TestClaimReadsOnlyWhatItClaims). A claimed row whose delivery has been
// queued afresh since (a retry) no longer stands for it: it is deleted
// here and not attempted.
const sqlClaim = `
WITH c AS (
	SELECT q.due_time, q.delivery_id FROM webhook_queue q
	WHERE q.organization_id = $1 AND q.due_time <= clock_timestamp()
		AND q.webhook_id = ANY (ARRAY(SELECT a.id FROM webhooks a WHERE a.organization_id = $1 AND a.status = 'active'))
	ORDER BY q.due_time
	LIMIT $2
	FOR UPDATE OF q SKIP LOCKED
), live AS (
	SELECT c.due_time, d.id, d.attempts, d.webhook_id, d.event_id
	FROM c JOIN webhook_deliveries d ON d.organization_id = $1 AND d.id = c.delivery_id
		AND d.id = ANY (ARRAY(SELECT delivery_id FROM c))
		AND d.status = 'pending' AND d.next_attempt_time = c.due_time
), stale AS (
	DELETE FROM webhook_queue q USING c
	WHERE q.organization_id = $1 AND q.due_time = c.due_time AND q.delivery_id = c.delivery_id
		AND c.delivery_id NOT IN (SELECT id FROM live)
)
SELECT c.id, c.due_time, c.attempts + 1, w.id, w.url, w.headers, w.secret,
	e.id, e.type, e.customer_id, e.revision, e.occurred_time, e.customer, e.has_lead_source, e.website_id, e.payment_instrument_id, e.duplicate
FROM live c
JOIN webhooks w ON w.organization_id = $1 AND w.id = c.webhook_id
JOIN customer_events e ON e.organization_id = $1 AND e.id = c.event_id AND e.id = ANY (ARRAY(SELECT event_id FROM live))
ORDER BY c.due_time`

// The outcomes of a batch, in one statement: the claimed queue rows go;
// each delivery is one attempt more, attempted when the claim was made,
// and one to be retried is queued again at its new time. The update
// changes no indexed column, so it is a HOT update (migration 00018). A
// delivery retried by hand during the attempt (queued afresh, its
// next_attempt_time changed) keeps the retry's state: its new queue row
// sends it again.
var sqlRecordAttempts = `
WITH o AS (
	SELECT * FROM unnest($2::uuid[], $3::timestamptz[], $4::text[], $5::bigint[], $6::int[], $7::text[])
		AS o(id, due_time, status, retry_ms, response_status, error)
), gone AS (
	DELETE FROM webhook_queue q USING o WHERE q.organization_id = $1 AND q.due_time = ANY ($3::timestamptz[])
		AND q.due_time = o.due_time AND q.delivery_id = o.id
), d AS (
	UPDATE webhook_deliveries d SET status = o.status, attempts = d.attempts + 1, last_attempt_time = now(),
		next_attempt_time = CASE WHEN o.status = 'pending' THEN clock_timestamp() + o.retry_ms * interval '1 millisecond' END,
		last_response_status = o.response_status, last_error = o.error
	FROM o
	WHERE d.organization_id = $1 AND d.id = ANY ($2::uuid[]) AND d.id = o.id AND d.status = 'pending' AND d.next_attempt_time = o.due_time
	RETURNING d.id, d.status, d.webhook_id, d.next_attempt_time, d.created_time
)
` + queueFrom("d WHERE status = 'pending'")

// sqlDeliverySettings sets a worker's transaction up, in one round trip.
//
// Its commit need not wait for the disk: delivery is at least once (SPEC
// §13), so an outcome lost in a crash only means the delivery is
// attempted again, with the same webhook-id, which is what receivers
// deduplicate by. The commit then waits for no flush, and the writes'
// own commits find less queued before theirs.
//
// And its statements read by key, never by a scan of an organization's
// rows: until autovacuum has analyzed them, the webhook tables of a new
// or growing organization have no statistics, and the planner takes all
// of its queue or its delivery log for about 15 rows. It then read the
// whole queue into a sort for each claim (4.8 ms at 2 000 queued) and
// compared every delivery of the organization with each outcome (15 ms a
// batch at 3 000 deliveries). The key conditions in sqlClaim and
// sqlRecordAttempts (= ANY of the ids) keep their joins on the primary
// keys, and with bitmap and sequential scans off the queue is read in its
// key order, the oldest rows first, whatever the estimates: from 580 to
// 160-180 µs of CPU a delivery in BenchmarkWebhookCost (internal/webhooks).
// (Sorts stay on: with enable_sort off the planner chose a claim 50
// times slower.)
const sqlDeliverySettings = `SELECT set_config('synchronous_commit', 'off', true),
	set_config('enable_bitmapscan', 'off', true), set_config('enable_seqscan', 'off', true)`

// Deliver implements webhooks.Store.
func (s *Store) Deliver(ctx context.Context, orgID string, limit int, attempt func(context.Context, []webhooks.Claimed) []webhooks.Outcome) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *txQuerier) error {
		if _, err := tx.exec(ctx, sqlDeliverySettings); err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		claimed, due, err := claim(ctx, tx, orgID, limit)
		n = len(claimed)
		if err != nil || n == 0 {
			return err
		}
		outcomes := attempt(ctx, claimed)
		ids, statuses, errs := make([]string, n), make([]string, n), make([]sql.NullString, n)
		retry, codes := make([]int64, n), make([]sql.NullInt64, n)
		for i, o := range outcomes {
			ids[i], statuses[i], retry[i] = claimed[i].DeliveryID, o.Status, o.RetryIn.Milliseconds()
			if o.ResponseStatus != nil {
				codes[i] = sql.NullInt64{Int64: int64(*o.ResponseStatus), Valid: true}
			}
			if o.Error != nil {
				errs[i] = sql.NullString{String: *o.Error, Valid: true}
			}
		}
		_, err = tx.exec(ctx, sqlRecordAttempts, orgID, pq.StringArray(ids), pq.Array(due), pq.StringArray(statuses), pq.Int64Array(retry),
			pq.Array(codes), pq.Array(errs))
		if err != nil {
			return fmt.Errorf("record delivery attempts: %w", err)
		}
		return nil
	})
	return n, err
}

// claim returns the claimed deliveries and the due time of each one's
// queue row, which its outcome deletes.
func claim(ctx context.Context, tx *txQuerier, orgID string, limit int) ([]webhooks.Claimed, []time.Time, error) {
	rows, err := tx.query(ctx, sqlClaim, orgID, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("claim deliveries: %w", err)
	}
	defer rows.Close()
	var out []webhooks.Claimed
	var due []time.Time
	for rows.Next() {
		c := webhooks.Claimed{OrganizationID: orgID}
		var headers []byte
		var at time.Time
		e := &c.Event
		if err := rows.Scan(&c.DeliveryID, &at, &c.Attempt, &c.WebhookID, &c.URL, &headers, &c.Secret,
			&e.ID, &e.Type, &e.CustomerID, &e.Revision, &e.OccurredTime, (*rawJSON)(&e.Customer), &e.HasLeadSource,
			&e.WebsiteID, &e.PaymentInstrumentID, (*rawJSON)(&e.Duplicate)); err != nil {
			return nil, nil, fmt.Errorf("scan claimed delivery: %w", err)
		}
		if err := json.Unmarshal(headers, &c.Headers); err != nil {
			return nil, nil, fmt.Errorf("webhook %s headers: %w", c.WebhookID, err)
		}
		e.OccurredTime = e.OccurredTime.UTC()
		out = append(out, c)
		due = append(due, at)
	}
	return out, due, rowsErr(rows, "claim deliveries")
}

// A batch of ended deliveries goes, and with it each event that no other
// delivery needs. Ended ones are found per webhook in the log index, by
// created_time, which is never later than last_attempt_time. Queued
// deliveries of a webhook deleted at the same instant as they were
// written (the deletion did not see them) go too.
const sqlPrune = `
WITH orphans AS (
	DELETE FROM webhook_queue q WHERE q.organization_id = $1
		AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.organization_id = $1 AND w.id = q.webhook_id)
	RETURNING q.delivery_id
), gone AS (
	DELETE FROM webhook_deliveries WHERE organization_id = $1 AND id IN (
		(SELECT x.id FROM webhooks w CROSS JOIN LATERAL (
			SELECT d.id FROM webhook_deliveries d
			WHERE d.organization_id = $1 AND d.webhook_id = w.id AND d.created_time < $2
				AND d.status <> 'pending' AND d.last_attempt_time < $2
			LIMIT $3) x
		WHERE w.organization_id = $1 LIMIT $3)
		UNION ALL
		(SELECT delivery_id FROM orphans))
	RETURNING id, event_id
), ` + dropOrphanEvents + `
SELECT count(*) FROM gone`

// Prune implements webhooks.Store.
func (s *Store) Prune(ctx context.Context, orgID string, cutoff time.Time, limit int) (int, error) {
	var n int
	err := s.do(ctx, func(ctx context.Context, q querier) error {
		return q.queryRow(ctx, sqlPrune, orgID, cutoff, limit).Scan(&n)
	})
	return n, err
}

// Organizations implements webhooks.Store: those with webhooks, and those
// with queued deliveries of a webhook deleted as they were written.
func (s *Store) Organizations(ctx context.Context) ([]string, error) {
	return s.textValues(ctx, "organizations with webhooks",
		`SELECT organization_id FROM webhooks UNION SELECT organization_id FROM webhook_queue`)
}

// Backlog implements webhooks.Store.
func (s *Store) Backlog(ctx context.Context) (pending int64, oldest *time.Time, err error) {
	err = s.do(ctx, func(ctx context.Context, q querier) error {
		return q.queryRow(ctx, `SELECT count(*), min(created_time) FROM webhook_queue`).Scan(&pending, &oldest)
	})
	return pending, oldest, err
}
