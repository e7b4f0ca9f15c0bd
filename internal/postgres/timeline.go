package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/pkg/filter"
	"github.com/google/uuid"
	"github.com/lib/pq"
)

// A change's record (customers.Record) is one statement: its timeline
// messages, each with the revision its customer has now; its events,
// each with the customer's representation now, kept only when an active
// webhook of the organization wants that type; and a pending delivery for
// each such webhook, due at once, with its row in the queue of due
// deliveries (migration 00018). Data-modifying WITH queries all run to
// completion, read or not; the statement's own SELECT counts the
// deliveries and may read the changed customer's view besides, sparing
// the write a round trip (RecordView).
const recordMessages = `
	INSERT INTO customer_timeline_messages (organization_id, id, customer_id, type, message, revision,
		request_id, api_key_id, changes, triggered_by, occurred_time, custom_event_type, custom_data, system)
	SELECT $1, x.id, x.customer_id, x.type, x.message, r.revision, NULLIF(x.request_id, ''), NULLIF(x.api_key_id, ''),
		x.changes::json, x.triggered_by, x.occurred_time, NULLIF(x.custom_event_type, ''), NULLIF(x.custom_data, '')::json, x.system
	FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
		$10::timestamptz[], $11::text[], $12::text[], $13::bool[])
		AS x(id, customer_id, type, message, request_id, api_key_id, changes, triggered_by, occurred_time, custom_event_type, custom_data, system)
	JOIN customer_representations r ON r.organization_id = $1 AND r.customer_id = x.customer_id`

// wantsEvent is true for an active webhook w that subscribes to event
// type t (an empty filter subscribes to all).
const wantsEvent = `w.organization_id = $1 AND w.status = 'active' AND (w.events_filter = '{}' OR %s = ANY (w.events_filter))`

var recordEvents = `, e AS (
	INSERT INTO customer_events (organization_id, id, type, customer_id, revision, occurred_time, customer,
		has_lead_source, website_id, payment_instrument_id, duplicate)
	SELECT $1, x.id, x.type, r.customer_id, r.revision, x.occurred_time, r.body,
		EXISTS (SELECT 1 FROM lead_sources l WHERE l.organization_id = $1 AND l.customer_id = r.customer_id),
		r.website_id, r.payment_instrument_id, d.body
	FROM unnest($14::text[], $15::text[], $16::text[], $17::timestamptz[], $18::uuid[]) AS x(type, customer_id, duplicate_id, occurred_time, id)
	JOIN customer_representations r ON r.organization_id = $1 AND r.customer_id = x.customer_id
	LEFT JOIN customer_representations d ON d.organization_id = $1 AND d.customer_id = x.duplicate_id
	WHERE EXISTS (SELECT 1 FROM webhooks w WHERE ` + fmt.Sprintf(wantsEvent, "x.type") + `)
	RETURNING id, type, customer_id
), deliveries AS (
	INSERT INTO webhook_deliveries (organization_id, id, webhook_id, event_id, event_type, customer_id, status, next_attempt_time, created_time)
	SELECT $1, gen_random_uuid(), w.id, e.id, e.type, e.customer_id, 'pending', clock_timestamp(), clock_timestamp()
	FROM e JOIN webhooks w ON ` + fmt.Sprintf(wantsEvent, "e.type") + `
	RETURNING id, webhook_id, next_attempt_time, created_time
), queued AS (
	` + queueFrom("deliveries") + `
)`

// recordSQL is the record statement: with events or without, selecting
// the count of deliveries and then what tail selects (nothing, or a view).
func recordSQL(events bool, tail string) string {
	q := `WITH m AS (` + recordMessages + `)`
	count := "0"
	if events {
		q += recordEvents
		count = "(SELECT count(*) FROM deliveries)"
	}
	return q + `
SELECT ` + count + tail
}

// The record statements, by whether there are events and what the view asks.
var (
	sqlRecord = [2]string{recordSQL(false, ""), recordSQL(true, "")}
	viewTail  = func(opt customers.ViewOptions, idParam string) string {
		return `, ` + viewSelect(opt) + viewFrom + ` WHERE r.organization_id = $1 AND r.customer_id = ` + idParam
	}
	sqlRecordView = [2][2]string{
		{recordSQL(false, viewTail(customers.ViewOptions{}, "$14")), recordSQL(false, viewTail(customers.ViewOptions{LeadSource: true}, "$14"))},
		{recordSQL(true, viewTail(customers.ViewOptions{}, "$19")), recordSQL(true, viewTail(customers.ViewOptions{LeadSource: true}, "$19"))},
	}
)

// recordArgs are the record statement's arguments.
func (t *customerTx) recordArgs(r customers.Record) []any {
	n := len(r.Messages)
	ids, custs, types, texts := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	reqs, keys, changes, by := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	times, cets, data, system := make([]time.Time, n), make([]string, n), make([]string, n), make([]bool, n)
	for i, m := range r.Messages {
		ids[i], custs[i], types[i], texts[i] = m.ID, m.CustomerID, m.Type, m.Text
		reqs[i], keys[i], changes[i], by[i] = m.RequestID, m.APIKeyID, string(m.Changes), m.TriggeredBy
		times[i], data[i], system[i] = m.OccurredTime, string(m.CustomData), m.System
		if m.CustomEventType != nil {
			cets[i] = *m.CustomEventType
		}
	}
	args := []any{t.orgID, pq.StringArray(ids), pq.StringArray(custs), pq.StringArray(types), pq.StringArray(texts),
		pq.StringArray(reqs), pq.StringArray(keys), pq.StringArray(changes), pq.StringArray(by),
		pq.Array(times), pq.StringArray(cets), pq.StringArray(data), pq.BoolArray(system)}
	if len(r.Events) == 0 {
		return args
	}
	k := len(r.Events)
	etypes, ecusts, dups, etimes, eids := make([]string, k), make([]string, k), make([]string, k), make([]time.Time, k), make([]string, k)
	for i, e := range r.Events {
		etypes[i], ecusts[i], dups[i], etimes[i] = e.Type, e.CustomerID, e.DuplicateID, e.OccurredTime
		eids[i] = eventID()
	}
	return append(args, pq.StringArray(etypes), pq.StringArray(ecusts), pq.StringArray(dups), pq.Array(etimes), pq.StringArray(eids))
}

// eventID is a new event's id, time-ordered (UUID version 7): the events'
// primary key and the deliveries' event index then grow at their right
// edge, instead of each write touching a page of their own at random.
// Event ids are never shown; delivery ids (webhook-id) stay random.
func eventID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (t *customerTx) Record(ctx context.Context, r customers.Record) error {
	var deliveries int64
	if err := t.q.queryRow(ctx, sqlRecord[b2i(len(r.Events) > 0)], t.recordArgs(r)...).Scan(&deliveries); err != nil {
		return fmt.Errorf("record change: %w", err)
	}
	if deliveries > 0 {
		t.q.enqueued = true
	}
	return nil
}

func (t *customerTx) RecordView(ctx context.Context, r customers.Record, id string, opt customers.ViewOptions) (*customers.View, error) {
	query := sqlRecordView[b2i(len(r.Events) > 0)][b2i(opt.LeadSource)]
	rows, err := t.q.query(ctx, query, append(t.recordArgs(r), id)...)
	if err != nil {
		return nil, fmt.Errorf("record change and read customer: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, fmt.Errorf("record change: customer %q not found after its change: %w", id, rowsErr(rows, "read customer"))
	}
	var v customers.View
	var deliveries int64
	if err := scanView(rows, &v, opt, &deliveries); err != nil {
		return nil, fmt.Errorf("scan customer: %w", err)
	}
	if deliveries > 0 {
		t.q.enqueued = true
	}
	return ownJSON(&v), rowsErr(rows, "record change and read customer")
}

const messageColumns = `m.id, m.customer_id, m.type, m.message, m.revision, COALESCE(m.request_id, ''), COALESCE(m.api_key_id, ''),
	m.changes, m.triggered_by, m.occurred_time, m.custom_event_type, m.custom_data, m.system`

func messageFields(m *customers.Message) []any {
	return []any{&m.ID, &m.CustomerID, &m.Type, &m.Text, &m.Revision, &m.RequestID, &m.APIKeyID,
		(*rawJSON)(&m.Changes), &m.TriggeredBy, &m.OccurredTime, &m.CustomEventType, (*rawJSON)(&m.CustomData), &m.System}
}

// rawJSON scans a json column (or NULL, as nil) into a json.RawMessage of
// its own.
type rawJSON json.RawMessage

func (r *rawJSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*r = nil
	case []byte:
		*r = append(rawJSON(nil), v...)
	case string:
		*r = rawJSON(v)
	default:
		return fmt.Errorf("scan json: unexpected %T", src)
	}
	return nil
}

const (
	sqlMoveTimeline = `UPDATE customer_timeline_messages SET customer_id = $3 WHERE organization_id = $1 AND customer_id = $2`
	sqlGetMessage   = `SELECT ` + messageColumns + ` FROM customer_timeline_messages m
WHERE m.organization_id = $1 AND m.customer_id = $2 AND m.id = $3`
	sqlDeleteMessage = `DELETE FROM customer_timeline_messages WHERE organization_id = $1 AND customer_id = $2 AND id = $3`
)

func getMessage(ctx context.Context, q querier, orgID, id, msgID string) (*customers.Message, error) {
	var m customers.Message
	err := q.queryRow(ctx, sqlGetMessage, orgID, id, msgID).Scan(messageFields(&m)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("select timeline message: %w", err)
	}
	m.OccurredTime = m.OccurredTime.UTC()
	return &m, nil
}

func (t *customerTx) TimelineMessage(ctx context.Context, id, msgID string) (*customers.Message, error) {
	return getMessage(ctx, t.q, t.orgID, id, msgID)
}

func (t *customerTx) DeleteTimelineMessage(ctx context.Context, id, msgID string) error {
	if _, err := t.q.exec(ctx, sqlDeleteMessage, t.orgID, id, msgID); err != nil {
		return fmt.Errorf("delete timeline message: %w", err)
	}
	return nil
}

// GetTimelineMessage returns message msgID of customer id, and whether
// the customer exists.
func (s *Store) GetTimelineMessage(ctx context.Context, orgID, id, msgID string) (m *customers.Message, exists bool, err error) {
	err = s.doQuick(ctx, func(ctx context.Context, q querier) error {
		m, err = getMessage(ctx, q, orgID, id, msgID)
		return err
	})
	if err != nil || m != nil {
		return m, m != nil, customersErr(err)
	}
	exists, err = s.customerExists(ctx, orgID, id)
	return nil, exists, err
}

// timelineSchema is what a timeline's collection query may filter and
// sort on; the id breaks ties.
var timelineSchema = mustSchema(filter.Schema{
	Fields: []filter.Field{
		{Name: "type", Expr: "m.type", Type: filter.String, CaseSensitive: true, Sortable: true, NotNull: true},
		{Name: "occurredTime", Expr: "m.occurred_time", Type: filter.DateTime, Sortable: true, NotNull: true},
	},
	TieBreak:    "m.id",
	DefaultSort: []string{"-occurredTime"},
})

var timelineCollection = collection{what: "timeline", from: "customer_timeline_messages m", columns: messageColumns, schema: timelineSchema}

// ListTimeline returns a page of customer id's timeline, the exact total,
// and whether the customer exists.
func (s *Store) ListTimeline(ctx context.Context, orgID, id string, lq customers.ListQuery) (total int64, msgs []customers.Message, exists bool, err error) {
	total, msgs, exists, err = listOfCustomer(ctx, s, timelineCollection, "m", orgID, id, "lower(m.message) LIKE lower(", lq, messageFields)
	for i := range msgs {
		msgs[i].OccurredTime = msgs[i].OccurredTime.UTC()
	}
	return total, msgs, exists, err
}
