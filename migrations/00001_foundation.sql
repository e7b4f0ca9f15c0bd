-- +goose Up
-- Organizations are the tenants. Every other table leads its primary key with
-- organization_id so the schema can be distributed by organization (Citus).
CREATE TABLE organizations (
    id           uuid        PRIMARY KEY,
    name         text        NOT NULL CHECK (name <> ''),
    created_time timestamptz NOT NULL DEFAULT now()
);

-- Secret API keys. Only the SHA-256 of the secret is stored. The lookup by
-- hash is the one query that does not know the organization yet; in a
-- distributed deployment this table is a reference table.
CREATE TABLE api_keys (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL,
    secret_hash     bytea       NOT NULL,
    permissions     text[]      NOT NULL,
    created_time    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    CONSTRAINT api_keys_secret_hash_key UNIQUE (secret_hash)
);

CREATE TABLE customers (
    organization_id            uuid        NOT NULL REFERENCES organizations (id),
    id                         text        NOT NULL CHECK (char_length(id) BETWEEN 1 AND 50),
    website_id                 text,
    payment_instrument_method  text,
    payment_instrument_id      text,
    custom_fields              jsonb       NOT NULL DEFAULT '{}',
    primary_address            jsonb,
    -- email, first_name and last_name are derived from primary_address by the
    -- service and stored so that they can be filtered, sorted and indexed.
    email                      text,
    first_name                 text,
    last_name                  text,
    locale                     text,
    is_edd_required            boolean     NOT NULL DEFAULT false,
    created_time               timestamptz NOT NULL,
    updated_time               timestamptz NOT NULL,
    revision                   bigint      NOT NULL DEFAULT 0,
    average_value_currency     text        NOT NULL DEFAULT 'USD',
    average_value_amount       numeric(19,4) NOT NULL DEFAULT 0,
    average_value_amount_usd   numeric(19,4) NOT NULL DEFAULT 0,
    lifetime_revenue_currency  text        NOT NULL DEFAULT 'USD',
    lifetime_revenue_amount    numeric(19,4) NOT NULL DEFAULT 0,
    lifetime_revenue_amount_usd numeric(19,4) NOT NULL DEFAULT 0,
    payment_count              bigint      NOT NULL DEFAULT 0,
    invoice_count              bigint      NOT NULL DEFAULT 0,
    last_payment_time          timestamptz,
    tags                       text[]      NOT NULL DEFAULT '{}',
    PRIMARY KEY (organization_id, id)
);

-- Ids of customers merged away, so that they answer 404 naming the target and
-- are never created again by a retried PUT.
CREATE TABLE customer_merges (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    source_id       text        NOT NULL,
    target_id       text        NOT NULL,
    merged_time     timestamptz NOT NULL,
    -- The duplicate's last representation, for timelines and webhooks.
    source_snapshot jsonb       NOT NULL,
    PRIMARY KEY (organization_id, source_id)
);

-- +goose Down
DROP TABLE customer_merges;
DROP TABLE customers;
DROP TABLE api_keys;
DROP TABLE organizations;
