-- +goose NO TRANSACTION
-- +goose Up
-- Built concurrently, outside a transaction, so that writers are not
-- blocked while a large table is indexed. IF NOT EXISTS lets a run that
-- was interrupted be repeated (an interrupted concurrent build leaves an
-- invalid index behind: drop it by hand, then migrate again).

-- The country filter with the default sort: the count reads this index
-- alone and the page reads it in order.
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_address_country_idx
    ON customers (organization_id, address_country, created_time, id);
-- Lead-source filters that start from the lead source.
CREATE INDEX CONCURRENTLY IF NOT EXISTS lead_sources_campaign_idx
    ON lead_sources (organization_id, lower(data->>'campaign'));
CREATE INDEX CONCURRENTLY IF NOT EXISTS lead_sources_source_idx
    ON lead_sources (organization_id, lower(data->>'source'));

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS lead_sources_source_idx;
DROP INDEX CONCURRENTLY IF EXISTS lead_sources_campaign_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_address_country_idx;
