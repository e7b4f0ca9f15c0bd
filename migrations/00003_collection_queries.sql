-- +goose Up
-- Collection queries: lower-cased copies of multi-valued fields for indexed
-- "some entry equals" filters, a search text for q, exact totals from
-- per-organization counters, and an index for every sortable field and the
-- common filters. Every index leads with organization_id.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- Derived columns for collection queries, computed by the database itself so
-- no writer (the store, the seeder, a hand-run UPDATE) can get them wrong:
-- lower-cased copies of the multi-valued fields, for indexed "some entry
-- equals" filters, and the text that q searches. The functions are IMMUTABLE
-- (as generated columns require) because they only read their arguments.
-- +goose StatementBegin
CREATE FUNCTION customer_contact_values(contact jsonb, list text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY(
    SELECT lower(e.value ->> 'value')
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(contact -> list) = 'array' THEN contact -> list ELSE '[]' END)
        WITH ORDINALITY AS e(value, n)
    ORDER BY e.n);
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION lower_all(items text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY(SELECT lower(t.item) FROM unnest(items) WITH ORDINALITY AS t(item, n) ORDER BY t.n);
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION customer_search_text(id text, first_name text, last_name text, contact jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lower(concat_ws(' ', id,
    array_to_string(customer_contact_values(contact, 'emails'), ' '),
    first_name, last_name, contact ->> 'organization',
    array_to_string(customer_contact_values(contact, 'phoneNumbers'), ' ')));
-- +goose StatementEnd

ALTER TABLE customers
    ADD COLUMN email_values text[] NOT NULL
        GENERATED ALWAYS AS (customer_contact_values(primary_address, 'emails')) STORED,
    ADD COLUMN phone_values text[] NOT NULL
        GENERATED ALWAYS AS (customer_contact_values(primary_address, 'phoneNumbers')) STORED,
    ADD COLUMN tag_values text[] NOT NULL GENERATED ALWAYS AS (lower_all(tags)) STORED,
    ADD COLUMN search_text text NOT NULL
        GENERATED ALWAYS AS (customer_search_text(id, first_name, last_name, primary_address)) STORED;

-- The unfiltered total is the sum of a few counter rows per organization,
-- kept by the database itself: statement-level triggers add each
-- statement's inserted and deleted rows (INSERT, COPY, DELETE alike, from
-- the service, the seeder or a hand-run statement) to a random slot, so
-- concurrent writers rarely wait on the same row and no writer can forget.
CREATE TABLE customer_counts (
    organization_id uuid     NOT NULL REFERENCES organizations (id),
    slot            smallint NOT NULL,
    n               bigint   NOT NULL,
    PRIMARY KEY (organization_id, slot)
);
INSERT INTO customer_counts (organization_id, slot, n)
SELECT organization_id, 0, count(*) FROM customers GROUP BY organization_id;

-- +goose StatementBegin
CREATE FUNCTION count_inserted_customers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_counts (organization_id, slot, n)
    SELECT organization_id, floor(random() * 8)::smallint, count(*) FROM inserted GROUP BY organization_id
    ON CONFLICT (organization_id, slot) DO UPDATE SET n = customer_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION count_deleted_customers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_counts (organization_id, slot, n)
    SELECT organization_id, floor(random() * 8)::smallint, -count(*) FROM deleted GROUP BY organization_id
    ON CONFLICT (organization_id, slot) DO UPDATE SET n = customer_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER customers_count_inserts AFTER INSERT ON customers
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION count_inserted_customers();
CREATE TRIGGER customers_count_deletes AFTER DELETE ON customers
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION count_deleted_customers();

CREATE INDEX customers_created_time_idx ON customers (organization_id, created_time, id);
CREATE INDEX customers_updated_time_idx ON customers (organization_id, updated_time, id);
CREATE INDEX customers_revision_idx ON customers (organization_id, revision, id);
CREATE INDEX customers_email_idx ON customers (organization_id, lower(email), id);
CREATE INDEX customers_first_name_idx ON customers (organization_id, lower(first_name), id);
CREATE INDEX customers_last_name_idx ON customers (organization_id, lower(last_name), id);
CREATE INDEX customers_website_id_idx ON customers (organization_id, website_id, id);
CREATE INDEX customers_locale_idx ON customers (organization_id, lower(locale), id);
CREATE INDEX customers_payment_count_idx ON customers (organization_id, payment_count, id);
CREATE INDEX customers_invoice_count_idx ON customers (organization_id, invoice_count, id);
CREATE INDEX customers_last_payment_time_idx ON customers (organization_id, last_payment_time, id);
CREATE INDEX customers_lifetime_revenue_idx ON customers (organization_id, lifetime_revenue_amount, id);
CREATE INDEX customers_average_value_idx ON customers (organization_id, average_value_amount, id);
CREATE INDEX customers_country_idx ON customers (organization_id, lower(primary_address->>'country'), id);
CREATE INDEX customers_arrays_idx ON customers USING gin (organization_id, email_values, phone_values, tag_values);
CREATE INDEX customers_search_idx ON customers USING gin (organization_id, search_text gin_trgm_ops);
CREATE INDEX lead_sources_campaign_idx ON lead_sources (organization_id, lower(campaign));
CREATE INDEX lead_sources_source_idx ON lead_sources (organization_id, lower(source));

-- +goose Down
DROP TRIGGER customers_count_deletes ON customers;
DROP TRIGGER customers_count_inserts ON customers;
DROP FUNCTION count_deleted_customers();
DROP FUNCTION count_inserted_customers();
DROP TABLE customer_counts;
DROP INDEX customers_created_time_idx, customers_updated_time_idx, customers_revision_idx,
    customers_email_idx, customers_first_name_idx, customers_last_name_idx, customers_website_id_idx,
    customers_locale_idx, customers_payment_count_idx, customers_invoice_count_idx,
    customers_last_payment_time_idx, customers_lifetime_revenue_idx, customers_average_value_idx,
    customers_country_idx, customers_arrays_idx, customers_search_idx,
    lead_sources_campaign_idx, lead_sources_source_idx;
ALTER TABLE customers DROP COLUMN email_values, DROP COLUMN phone_values,
    DROP COLUMN tag_values, DROP COLUMN search_text;
DROP FUNCTION customer_search_text(text, text, text, jsonb);
DROP FUNCTION lower_all(text[]);
DROP FUNCTION customer_contact_values(jsonb, text);
