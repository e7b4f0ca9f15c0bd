-- +goose Up
-- Distribution by organization (Citus), when the citus extension is
-- installed in this database; on plain PostgreSQL this migration does
-- nothing. docs/CITUS.md has the operator's side; the block below is also
-- what `customers-api distribute` runs (migrations.Distribute reads it from
-- this file), for a database that got citus after it was migrated. It is
-- idempotent: it distributes only the tables not distributed yet.
--
-- Reference tables (one copy on every node): organizations and api_keys.
-- api_keys is read on every request by the hash of the key's secret,
-- before any organization is known, and holds UNIQUE (secret_hash): a
-- unique key without the distribution column, which a distributed table
-- cannot hold. As a reference table it keeps the key and the lookup stays
-- a local index probe on whichever node runs it; the table is small (a
-- few keys per organization) and written rarely (keys created and revoked
-- by the operator; last_used_time at most once a minute per key). The
-- alternative, the organization carried in the secret (as customer
-- tokens carry it: ct_ + the organization in base62 + random), would
-- have made the key lookup a distributed one, but SPEC §2's keys are
-- sk_live_ + random base62 and the keys already issued carry no
-- organization: every client would have to be given a new key.
-- Customer tokens need nothing of this kind: the token names its
-- organization (internal/customers/tokens.go), the lookup filters by it
-- and the unique index is (organization_id, token_hash).
--
-- Distributed tables, hash-distributed by organization_id and co-located
-- with customers, so that every statement of one organization runs on one
-- node, joins and foreign keys included. What a distributed table needs,
-- and this schema has (TestSchemaIsDistributable checks it on the migrated
-- catalog):
--   primary keys and unique keys that include organization_id:
--     customers (organization_id, id)
--     customer_counts (organization_id, slot)
--     customer_merges (organization_id, source_id)
--     lead_sources (organization_id, customer_id)
--     customer_representations (organization_id, customer_id)
--     customer_tokens (organization_id, id); unique index customer_tokens_hash (organization_id, token_hash)
--     tags (organization_id, id); unique (organization_id, name)
--     customer_tags (organization_id, customer_id, tag_id)
--     custom_field_definitions (organization_id, name)
--     customer_field_values (organization_id, customer_id, name)
--     customer_timeline_messages (organization_id, id)
--     webhooks (organization_id, id)
--     customer_events (organization_id, id)
--     webhook_deliveries (organization_id, id)
--     idempotency_keys (organization_id, key)
--   foreign keys between distributed tables that include organization_id
--   (organization_id to organization_id):
--     lead_sources, customer_representations, customer_tokens,
--     customer_tags, customer_field_values (organization_id, customer_id)
--       -> customers (organization_id, id)
--     customer_tags (organization_id, tag_id) -> tags (organization_id, id)
--     customer_field_values (organization_id, name)
--       -> custom_field_definitions (organization_id, name)
--   and foreign keys to a reference table, which need no more:
--     (organization_id) -> organizations (id) from api_keys, customers,
--     customer_counts, customer_merges, idempotency_keys, tags,
--     custom_field_definitions, webhooks.
--   no statement-level trigger and no trigger with transition tables
--   (migration 00015 dropped the counters' triggers). One row-level
--   trigger remains: customers_render (migration 00012), which writes the
--   customer's row of customer_representations, a co-located table, on
--   the same shard group. Citus refuses to distribute a table with
--   triggers, and to create or drop one on a distributed table, unless
--   citus.enable_unsafe_triggers is on: the block turns it on for itself
--   and, with ALTER DATABASE, for later sessions (a later migration that
--   changes a trigger of customers, or this one's Down of 00015).
--
-- Order: reference tables, then customers, then every other table, each
-- after the tables its foreign keys refer to. The foreign keys that
-- involve a table not yet distributed are dropped first and created again
-- last, as they were (pg_get_constraintdef): Citus cannot distribute a
-- table that a not yet distributed table refers to, and turning the
-- organizations table into a reference table would otherwise turn every
-- local table that refers to it into a "Citus local table" first. The
-- whole block runs in sequential mode (citus.multi_shard_modify_mode),
-- which foreign keys to reference tables and the propagation of functions
-- within one transaction need.
--
-- The functions of the schema (generated columns, the representation
-- trigger and what it calls, the tag read models) are propagated to the
-- workers with create_distributed_function: Citus propagates those a table
-- depends on, but not a function that a trigger's PL/pgSQL body calls, nor
-- one created while the tables it reads were still local.
--
-- Nothing here creates a function: on Citus, CREATE FUNCTION after a
-- distributed table changed in the same transaction can fail. Migrations
-- 00001-00015 run on plain tables (nothing is distributed before this
-- one), so on a fresh database with citus they apply as on PostgreSQL.
-- A later migration that changes a distributed table and creates a
-- function should begin with SET LOCAL citus.multi_shard_modify_mode TO
-- 'sequential' (a harmless placeholder setting without citus), and one
-- that adds a tenant table adds it to distributed_tables below and
-- distributes it itself in the same way, when citus is present.
-- +goose StatementBegin
DO $$
DECLARE
    reference_tables   text[] := ARRAY['organizations', 'api_keys'];
    distributed_tables text[] := ARRAY[
        'customers',
        'customer_counts', 'customer_merges', 'lead_sources', 'customer_representations',
        'customer_tokens', 'tags', 'customer_tags', 'custom_field_definitions',
        'customer_field_values', 'customer_timeline_messages', 'webhooks',
        'customer_events', 'webhook_deliveries', 'webhook_queue', 'idempotency_keys'];
    pending regclass[];
    t text;
    fk record;
    fks text[][] := '{}';
    f regprocedure;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    EXECUTE format('ALTER DATABASE %I SET citus.enable_unsafe_triggers = on', current_database());

    -- The listed tables that exist and are not distributed yet (a table
    -- of a later migration does not exist when this migration runs).
    SELECT coalesce(array_agg(to_regclass(n)), '{}') INTO pending
    FROM unnest(reference_tables || distributed_tables) AS n
    WHERE to_regclass(n) IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = to_regclass(n));
    IF cardinality(pending) = 0 THEN
        RETURN;
    END IF;

    FOR fk IN
        SELECT c.conrelid::regclass AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def
        FROM pg_constraint c
        WHERE c.contype = 'f' AND (c.conrelid = ANY (pending) OR c.confrelid = ANY (pending))
        ORDER BY c.conrelid::regclass::text, c.conname
    LOOP
        fks := fks || ARRAY[[fk.tbl::text, fk.conname::text, fk.def]];
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
    END LOOP;

    FOREACH t IN ARRAY reference_tables LOOP
        IF to_regclass(t) = ANY (pending) THEN
            PERFORM create_reference_table(t::regclass);
        END IF;
    END LOOP;
    FOREACH t IN ARRAY distributed_tables LOOP
        IF to_regclass(t) = ANY (pending) THEN
            PERFORM create_distributed_table(t::regclass, 'organization_id',
                colocate_with => CASE WHEN t = 'customers' THEN 'none' ELSE 'customers' END);
        END IF;
    END LOOP;

    FOR i IN 1 .. coalesce(array_length(fks, 1), 0) LOOP
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', fks[i][1], fks[i][2], fks[i][3]);
    END LOOP;

    -- The schema's own functions (not an extension's), on every node.
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_proc p
        WHERE p.pronamespace = current_schema()::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
        ORDER BY p.oid
    LOOP
        PERFORM create_distributed_function(f);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- Nothing: the tables stay as they are. Undistributing is the operator's
-- (undistribute_table, docs/CITUS.md), never a side effect of a rollback.
