-- +goose Up
-- Stored answers of requests sent with an Idempotency-Key (SPEC §14), kept
-- for a day per organization and key. An answer is written in the same
-- transaction as the writes it reports. The service deletes expired rows
-- itself; until then they are ignored.
CREATE TABLE idempotency_keys (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    key             text        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    fingerprint     bytea       NOT NULL,
    status          smallint    NOT NULL,
    content_type    text        NOT NULL,
    location        text,
    etag            text,
    body            bytea       NOT NULL,
    created_time    timestamptz NOT NULL,
    expires_time    timestamptz NOT NULL,
    PRIMARY KEY (organization_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_time);

-- +goose Down
DROP TABLE idempotency_keys;
