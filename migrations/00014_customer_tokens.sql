-- +goose Up
-- Customer tokens (SPEC §15, §16): a bearer credential for one customer,
-- read by the Cleeng adapter. Only the SHA-256 of the token is kept. The
-- token carries its organization's id (see customers.NewToken), so a
-- lookup by token is a lookup within one organization, as every other.
CREATE TABLE customer_tokens (
    organization_id uuid        NOT NULL,
    id              uuid        NOT NULL,
    customer_id     text        NOT NULL,
    token_hash      bytea       NOT NULL,
    created_time    timestamptz NOT NULL,
    expired_time    timestamptz NOT NULL,
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, customer_id) REFERENCES customers (organization_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX customer_tokens_hash ON customer_tokens (organization_id, token_hash);
CREATE INDEX customer_tokens_customer ON customer_tokens (organization_id, customer_id, created_time);

-- +goose Down
DROP TABLE customer_tokens;
