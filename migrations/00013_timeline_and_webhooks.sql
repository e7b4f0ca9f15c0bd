-- +goose Up
-- The customer timeline (SPEC §12) and the webhook outbox (SPEC §13).
-- Every table's key leads with organization_id and nothing references
-- rows of another organization, so each can be distributed by
-- organization (Citus) with its customers.

-- One row per timeline message. The system's messages are written in the
-- transaction of the change they describe; comments and custom events are
-- a client's (system false, the only ones it may delete). revision is
-- the customer's revision right after the change.
CREATE TABLE customer_timeline_messages (
    organization_id   uuid        NOT NULL,
    id                uuid        NOT NULL,
    customer_id       text        NOT NULL,
    type              text        NOT NULL,
    message           text        NOT NULL,
    revision          bigint      NOT NULL,
    request_id        text,
    api_key_id        text,
    changes           json        NOT NULL,
    triggered_by      text        NOT NULL,
    occurred_time     timestamptz NOT NULL,
    custom_event_type text,
    custom_data       json,
    system            boolean     NOT NULL,
    PRIMARY KEY (organization_id, id)
);
-- A customer's timeline, newest first (the default sort), with the id
-- breaking ties; a merge repoints a duplicate's messages through it too.
CREATE INDEX customer_timeline_messages_customer
    ON customer_timeline_messages (organization_id, customer_id, occurred_time, id);

-- Subscriptions. The secret signs deliveries (HMAC), so it is kept as it
-- was issued; it is never shown again after the answer that issued it.
CREATE TABLE webhooks (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL,
    url             text        NOT NULL,
    description     text,
    events_filter   text[]      NOT NULL DEFAULT '{}',
    status          text        NOT NULL CHECK (status IN ('active', 'inactive')),
    headers         jsonb       NOT NULL DEFAULT '{}',
    secret          text        NOT NULL,
    created_time    timestamptz NOT NULL,
    updated_time    timestamptz NOT NULL,
    PRIMARY KEY (organization_id, id)
);

-- The outbox: one row per event that at least one active webhook asked
-- for, written in the transaction of the change, with the customer's
-- representation at the revision the change produced and what its links
-- are made of (SPEC §16: bodies as of the change, not of the delivery).
CREATE TABLE customer_events (
    organization_id       uuid        NOT NULL,
    id                    uuid        NOT NULL,
    type                  text        NOT NULL,
    customer_id           text        NOT NULL,
    revision              bigint      NOT NULL,
    occurred_time         timestamptz NOT NULL,
    customer              json        NOT NULL,
    has_lead_source       boolean     NOT NULL,
    website_id            text,
    payment_instrument_id text,
    -- customer-merged: the duplicate's last representation.
    duplicate             json,
    PRIMARY KEY (organization_id, id)
);

-- One row per (event, webhook): what is sent, how often it was tried and
-- what came back. A pending delivery is due at next_attempt_time; a worker
-- claims it by locking its row (FOR UPDATE SKIP LOCKED) in a transaction
-- that lasts the attempt and records its outcome, so no two workers
-- attempt it at once and a worker that dies mid-attempt leaves it due.
CREATE TABLE webhook_deliveries (
    organization_id      uuid        NOT NULL,
    id                   uuid        NOT NULL,
    webhook_id           uuid        NOT NULL,
    event_id             uuid        NOT NULL,
    event_type           text        NOT NULL,
    customer_id          text        NOT NULL,
    status               text        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts             integer     NOT NULL DEFAULT 0,
    next_attempt_time    timestamptz,
    last_attempt_time    timestamptz,
    last_response_status integer,
    last_error           text,
    created_time         timestamptz NOT NULL,
    -- No foreign keys to webhooks and customer_events: every customer
    -- write of an organization would take a KEY SHARE lock on the same
    -- webhook row, and those pile up as multixacts under concurrent
    -- writes. Deleting a webhook deletes its deliveries and their events
    -- itself; a delivery queued for a webhook deleted in the same instant
    -- is never claimed (claims join active webhooks) and pruning takes it.
    PRIMARY KEY (organization_id, id)
);
-- What is due: small (pending rows only), read by every worker's poll.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (organization_id, next_attempt_time)
    WHERE status = 'pending';
-- A webhook's delivery log, newest first.
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (organization_id, webhook_id, created_time, id);
-- Retention and the deletion of events no delivery needs any more.
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (organization_id, event_id);
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (organization_id, last_attempt_time)
    WHERE status <> 'pending';

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE customer_events;
DROP TABLE webhooks;
DROP TABLE customer_timeline_messages;
