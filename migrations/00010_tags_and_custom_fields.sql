-- +goose Up
-- SPEC §11: more of Rebilly's customer. Every new key leads with
-- organization_id, so the tables can be distributed by organization.

-- New customer fields. Constant defaults: adding them rewrites nothing.
ALTER TABLE customers
    ADD COLUMN tax_numbers                    jsonb  NOT NULL DEFAULT '[]',
    ADD COLUMN notification_emails            text[] NOT NULL DEFAULT '{}',
    ADD COLUMN preferred_payout_instrument_id text;

-- The lower-cased values of the tax numbers, for the taxNumbers.value
-- filter (and its index, migration 00011).
-- +goose StatementBegin
CREATE FUNCTION customer_tax_values(tax_numbers jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY(
    SELECT lower(e.value ->> 'value')
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(tax_numbers) = 'array' THEN tax_numbers ELSE '[]' END)
        WITH ORDINALITY AS e(value, n)
    ORDER BY e.n);
-- +goose StatementEnd

-- Tags are rows of their organization; names are unique per organization
-- and compared case-sensitively. Nothing renames a tag, so updated_time
-- stays its created_time until a rename exists.
CREATE TABLE tags (
    organization_id uuid        NOT NULL REFERENCES organizations (id),
    id              uuid        NOT NULL,
    name            text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    created_time    timestamptz NOT NULL,
    updated_time    timestamptz NOT NULL,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, name)
);
CREATE INDEX tags_created_time_idx ON tags (organization_id, created_time, id);

-- Which customer has which tag: the truth. customers.tags (the sorted names,
-- for the filter) and customers.tag_objects (for the representation) are
-- read models of it; the store rewrites both from it in the transaction
-- that changes it, under the customer's row lock.
CREATE TABLE customer_tags (
    organization_id uuid NOT NULL,
    customer_id     text NOT NULL,
    tag_id          uuid NOT NULL,
    PRIMARY KEY (organization_id, customer_id, tag_id),
    FOREIGN KEY (organization_id, customer_id) REFERENCES customers (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, tag_id) REFERENCES tags (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX customer_tags_tag_idx ON customer_tags (organization_id, tag_id, customer_id);

-- The customer's tags as its representation lists them (whole tag objects,
-- sorted by name), kept on the row next to the sorted names by every
-- statement that changes the links, so that reads render them for free.
ALTER TABLE customers ADD COLUMN tag_objects jsonb NOT NULL DEFAULT '[]';

-- The two read models of customer's tags, computed from the links: what
-- the store writes into customers.tags and customers.tag_objects after it
-- changes customer_tags.
-- +goose StatementBegin
CREATE FUNCTION customer_tag_names(org uuid, customer text) RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
RETURN ARRAY(
    SELECT t.name COLLATE "C" FROM customer_tags ct
    JOIN tags t ON t.organization_id = ct.organization_id AND t.id = ct.tag_id
    WHERE ct.organization_id = org AND ct.customer_id = customer
    ORDER BY 1);
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION customer_tag_objects(org uuid, customer text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN COALESCE((
    SELECT jsonb_agg(jsonb_build_object('id', t.id, 'name', t.name, 'type', 'customer',
        'createdTime', to_char(t.created_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'updatedTime', to_char(t.updated_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
        ORDER BY t.name COLLATE "C")
    FROM customer_tags ct
    JOIN tags t ON t.organization_id = ct.organization_id AND t.id = ct.tag_id
    WHERE ct.organization_id = org AND ct.customer_id = customer), '[]');
-- +goose StatementEnd

-- Tags that stored customers already carry become rows.
INSERT INTO tags (organization_id, id, name, created_time, updated_time)
SELECT organization_id, gen_random_uuid(), name, now(), now()
FROM (SELECT DISTINCT organization_id, unnest(tags) AS name FROM customers) t
WHERE char_length(name) BETWEEN 1 AND 100;
INSERT INTO customer_tags (organization_id, customer_id, tag_id)
SELECT DISTINCT c.organization_id, c.id, t.id
FROM customers c CROSS JOIN LATERAL unnest(c.tags) AS n(name)
JOIN tags t ON t.organization_id = c.organization_id AND t.name = n.name;
UPDATE customers c SET tags = customer_tag_names(c.organization_id, c.id),
    tag_objects = customer_tag_objects(c.organization_id, c.id)
WHERE cardinality(c.tags) > 0;

-- Typed custom-field definitions (SPEC §11). additional_schema holds
-- allowedValues and maxLength as the API shows them.
CREATE TABLE custom_field_definitions (
    organization_id   uuid        NOT NULL REFERENCES organizations (id),
    name              text        NOT NULL,
    type              text        NOT NULL CHECK (type IN ('string', 'integer', 'number', 'boolean', 'date', 'datetime', 'array', 'monetary')),
    description       text,
    additional_schema jsonb       NOT NULL DEFAULT '{}',
    created_time      timestamptz NOT NULL,
    updated_time      timestamptz NOT NULL,
    PRIMARY KEY (organization_id, name)
);

-- The sortable value of a custom field under its definition's type: a
-- number for integer, number and monetary (its amount), an instant for
-- date (midnight UTC) and datetime; NULL when the stored value does not
-- fit (customers stored before a definition keep what they had).
-- IMMUTABLE holds: the text parsed always carries its offset, or is a
-- bare date read as UTC, so no session setting changes the result.
-- +goose StatementBegin
CREATE FUNCTION custom_field_number(value jsonb, type text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN type IN ('integer', 'number') AND jsonb_typeof(value) = 'number' THEN value::numeric
    WHEN type = 'monetary' AND jsonb_typeof(value -> 'amount') = 'number' THEN (value -> 'amount')::numeric
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION custom_field_instant(value jsonb, type text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF jsonb_typeof(value) <> 'string' THEN
        RETURN NULL;
    ELSIF type = 'date' AND value #>> '{}' ~ '^\d{4}-\d{2}-\d{2}$' THEN
        RETURN ((value #>> '{}') || 'T00:00:00Z')::timestamptz;
    ELSIF type = 'datetime' AND value #>> '{}' ~ '^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$' THEN
        RETURN (value #>> '{}')::timestamptz;
    END IF;
    RETURN NULL;
EXCEPTION WHEN others THEN
    RETURN NULL; -- 2024-02-30 has the form of a date and is none
END;
$$;
-- +goose StatementEnd

-- The typed values of the defined number, monetary, date and datetime
-- fields, one row per customer and field, kept by the store in the
-- customer's transaction: what makes a typed range filter on a defined
-- field an index scan instead of a pass over every customer's JSON.
CREATE TABLE customer_field_values (
    organization_id uuid NOT NULL,
    name            text NOT NULL,
    customer_id     text NOT NULL,
    number          numeric,
    instant         timestamptz,
    PRIMARY KEY (organization_id, customer_id, name),
    FOREIGN KEY (organization_id, customer_id) REFERENCES customers (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, name) REFERENCES custom_field_definitions (organization_id, name) ON DELETE CASCADE
);
CREATE INDEX customer_field_values_number_idx ON customer_field_values (organization_id, name, number) WHERE number IS NOT NULL;
CREATE INDEX customer_field_values_instant_idx ON customer_field_values (organization_id, name, instant) WHERE instant IS NOT NULL;

-- +goose Down
DROP TABLE customer_field_values;
DROP FUNCTION custom_field_instant(jsonb, text);
DROP FUNCTION custom_field_number(jsonb, text);
DROP TABLE custom_field_definitions;
DROP FUNCTION customer_tag_objects(uuid, text);
DROP FUNCTION customer_tag_names(uuid, text);
DROP TABLE customer_tags;
DROP TABLE tags;
DROP FUNCTION customer_tax_values(jsonb);
ALTER TABLE customers
    DROP COLUMN tag_objects,
    DROP COLUMN preferred_payout_instrument_id,
    DROP COLUMN notification_emails,
    DROP COLUMN tax_numbers;
