-- +goose Up
-- The deliveries that are due, apart from the delivery log. Until now a
-- pending delivery was found through a partial index of the log
-- (webhook_deliveries_due, status = 'pending'), so recording an attempt's
-- outcome changed indexed columns (status, next_attempt_time,
-- last_attempt_time): every outcome was a non-HOT update that added a new
-- entry to each of the log's five indexes, and each write with one
-- webhook paid for nine index entries in all. Now the queue holds one
-- small row per pending delivery, keyed by when it is due, and the log's
-- indexes name no column an attempt changes, so that the outcome is a
-- heap-only (HOT) update: no index entry at all. (fillfactor leaves room
-- on each page for the new row versions.)
--
-- A queue row (due_time, delivery_id) stands for its delivery while the
-- delivery is pending and its next_attempt_time is due_time. A row that
-- no longer does (the delivery was retried by hand meanwhile, which
-- queues it afresh) is dropped by the worker that claims it, unattempted.
CREATE TABLE webhook_queue (
    organization_id uuid        NOT NULL,
    due_time        timestamptz NOT NULL,
    delivery_id     uuid        NOT NULL,
    webhook_id      uuid        NOT NULL,
    -- The delivery's, for the oldest-pending gauge.
    created_time    timestamptz NOT NULL,
    PRIMARY KEY (organization_id, due_time, delivery_id)
);
INSERT INTO webhook_queue (organization_id, due_time, delivery_id, webhook_id, created_time)
SELECT organization_id, next_attempt_time, id, webhook_id, created_time
FROM webhook_deliveries WHERE status = 'pending';

-- The queue replaces the due index; retention reads the log index
-- (created_time bounds last_attempt_time from below).
DROP INDEX webhook_deliveries_due;
DROP INDEX webhook_deliveries_done;
ALTER TABLE webhook_deliveries SET (fillfactor = 70);

-- +goose StatementBegin
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_table('webhook_queue', 'organization_id', colocate_with => 'customers');
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE webhook_deliveries RESET (fillfactor);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (organization_id, next_attempt_time)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (organization_id, last_attempt_time)
    WHERE status <> 'pending';
DROP TABLE webhook_queue;
