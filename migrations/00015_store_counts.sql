-- +goose Up
-- The per-organization customer counters (customer_counts, migration
-- 00003) are kept by the store from now on, not by statement-level
-- triggers with transition tables: Citus does not run those on a
-- distributed table (a statement trigger would fire once per shard, and
-- nothing shows that transition tables work there), and the schema is to
-- be distributable by organization (SPEC §9, migration 00016).
--
-- The store adds to a random counter slot (0-7, so that concurrent writers
-- rarely wait on the same row) in the very statement that inserts or
-- deletes a customer: a data-modifying CTE beside the INSERT (create, PUT
-- of a new id) and the DELETE (merge), and one statement after the COPY of
-- a seed, in its transaction. The total stays exact with no extra round
-- trip (internal/postgres: sqlInsertCustomer, sqlDeleteCustomer,
-- sqlCountSeeded).
--
-- The count is the store's: a customer inserted or deleted by a hand-run
-- statement (psql, a bulk load that bypasses the service) is no longer
-- counted. After such a load, or after a rolling upgrade across this
-- migration (a node still running the previous binary creates customers
-- without counting them until it is replaced), correct the counters with
--     customers-api recount --all          (or --org ORG_ID)
-- which adds, per organization, the difference between its rows and its
-- counters, read in one snapshot: safe while the service writes. The SQL
-- it runs, for one organization $1, is internal/postgres's sqlRecount.
DROP TRIGGER customers_count_deletes ON customers;
DROP TRIGGER customers_count_inserts ON customers;
DROP FUNCTION count_deleted_customers();
DROP FUNCTION count_inserted_customers();

-- +goose Down
-- For the previous binary, which does not count: with the triggers back, a
-- binary that counts in the store would count every write twice.
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
