-- +goose Up
-- The functions behind the generated columns of customers (migration
-- 00003) and the tax and notification index (00011), in PL/pgSQL, with
-- the same results.
--
-- As SQL functions they could not be inlined (each body is a sub-select,
-- ARRAY(SELECT ...)), so PostgreSQL ran them through its SQL-function
-- executor, which parses and plans the body again in every statement that
-- calls them: every INSERT and UPDATE of a customer planned five of them
-- (seven with the index expressions), about a tenth of the database's CPU
-- under a PUT load (perf, docs/PERFORMANCE.md "Issue 13: paying for the
-- outbox"). A PL/pgSQL function is compiled once per session, and these
-- bodies are loops over simple expressions, which it evaluates without
-- the executor. Same arguments, same results (TestDerivationsAgreeWithSQL
-- compares them with the SQL versions below), so the stored columns and
-- index entries stay valid: nothing is recomputed, and the indexes that
-- name the functions keep matching the filters that call them.
--
-- On Citus (migration 00016) the functions are distributed functions:
-- CREATE OR REPLACE is propagated to every node.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION customer_contact_values(contact jsonb, list text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    entries jsonb := contact -> list;
    vals    text[] := '{}';
BEGIN
    IF jsonb_typeof(entries) = 'array' THEN
        FOR i IN 0 .. jsonb_array_length(entries) - 1 LOOP
            vals := vals || lower(entries -> i ->> 'value');
        END LOOP;
    END IF;
    RETURN vals;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION customer_tax_values(tax_numbers jsonb) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    vals text[] := '{}';
BEGIN
    IF jsonb_typeof(tax_numbers) = 'array' THEN
        FOR i IN 0 .. jsonb_array_length(tax_numbers) - 1 LOOP
            vals := vals || lower(tax_numbers -> i ->> 'value');
        END LOOP;
    END IF;
    RETURN vals;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION lower_all(items text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    vals text[] := '{}';
    item text;
BEGIN
    IF items IS NOT NULL THEN
        FOREACH item IN ARRAY items LOOP
            vals := vals || lower(item);
        END LOOP;
    END IF;
    RETURN vals;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
-- A SQL function without a sub-select, which PostgreSQL inlined, but
-- then planned its body in each statement: PL/pgSQL too, so that a
-- generated column's expression is a plain call.
CREATE OR REPLACE FUNCTION customer_search_text(id text, first_name text, last_name text, contact jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN lower(concat_ws(' ', id,
        array_to_string(customer_contact_values(contact, 'emails'), ' '),
        first_name, last_name, contact ->> 'organization',
        array_to_string(customer_contact_values(contact, 'phoneNumbers'), ' ')));
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION customer_contact_values(contact jsonb, list text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY(
    SELECT lower(e.value ->> 'value')
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(contact -> list) = 'array' THEN contact -> list ELSE '[]' END)
        WITH ORDINALITY AS e(value, n)
    ORDER BY e.n);
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION customer_tax_values(tax_numbers jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY(
    SELECT lower(e.value ->> 'value')
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(tax_numbers) = 'array' THEN tax_numbers ELSE '[]' END)
        WITH ORDINALITY AS e(value, n)
    ORDER BY e.n);
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION lower_all(items text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY(SELECT lower(t.item) FROM unnest(items) WITH ORDINALITY AS t(item, n) ORDER BY t.n);
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION customer_search_text(id text, first_name text, last_name text, contact jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lower(concat_ws(' ', id,
    array_to_string(customer_contact_values(contact, 'emails'), ' '),
    first_name, last_name, contact ->> 'organization',
    array_to_string(customer_contact_values(contact, 'phoneNumbers'), ' ')));
-- +goose StatementEnd
