-- +goose Up
-- A customer's lead source. The row lives and dies with its customer (and a
-- merge moves it); original holds the values of the first write.
CREATE TABLE lead_sources (
    organization_id uuid        NOT NULL,
    customer_id     text        NOT NULL,
    medium          text,
    source          text,
    campaign        text,
    term            text,
    content         text,
    affiliate       text,
    sub_affiliate   text,
    sales_agent     text,
    click_id        text,
    path            text,
    referrer        text,
    original        jsonb       NOT NULL,
    created_time    timestamptz NOT NULL,
    updated_time    timestamptz NOT NULL,
    PRIMARY KEY (organization_id, customer_id),
    FOREIGN KEY (organization_id, customer_id) REFERENCES customers (organization_id, id) ON DELETE CASCADE
);

-- Repointing earlier merges at a new survivor looks merges up by target.
CREATE INDEX customer_merges_target_idx ON customer_merges (organization_id, target_id);

-- +goose Down
DROP INDEX customer_merges_target_idx;
DROP TABLE lead_sources;
