-- +goose NO TRANSACTION
-- +goose Up
-- Indexes that no common query needs. Every customer write maintains every
-- index (a write changes revision and updated_time, both indexed, so no
-- update is ever HOT), and the planner weighs every index for every
-- collection query it plans. These served only sorts and filters that
-- dashboards and integrations rarely ask for: payment figures that stay
-- zero until payments exist, a boolean, the payment method, the locale,
-- the revision, and the contact's text fields other than the country and
-- the hash. Such a sort or filter is still answered, by a scan of the
-- organization's customers (docs/PERFORMANCE.md has the numbers);
-- primaryAddress.firstName and .lastName are read from the first_name and
-- last_name columns, which hold the same values and keep their indexes.
-- Dropped concurrently, so that writers never wait.
DROP INDEX CONCURRENTLY IF EXISTS customers_is_edd_required_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_payment_method_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_locale_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_payment_count_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_invoice_count_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_average_value_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_revision_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_address_first_name_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_address_last_name_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_address_organization_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_address_job_title_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_address_address_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_address_address2_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_address_region_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_address_postal_code_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_address_dob_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_address_city_idx;
DROP INDEX CONCURRENTLY IF EXISTS customers_website_id_desc_idx;

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_website_id_desc_idx ON customers (organization_id, website_id DESC NULLS LAST, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_address_city_idx ON customers (organization_id, lower(primary_address->>'city'), id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_address_dob_idx ON customers (organization_id, lower(primary_address->>'dob'), id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_address_postal_code_idx ON customers (organization_id, lower(primary_address->>'postalCode'), id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_address_region_idx ON customers (organization_id, lower(primary_address->>'region'), id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_address_address2_idx ON customers (organization_id, lower(primary_address->>'address2'), id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_address_address_idx ON customers (organization_id, lower(primary_address->>'address'), id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_address_job_title_idx ON customers (organization_id, lower(primary_address->>'jobTitle'), id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_address_organization_idx ON customers (organization_id, lower(primary_address->>'organization'), id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_address_last_name_idx ON customers (organization_id, lower(primary_address->>'lastName'), id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_address_first_name_idx ON customers (organization_id, lower(primary_address->>'firstName'), id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_revision_idx ON customers (organization_id, revision, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_average_value_idx ON customers (organization_id, average_value_amount, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_invoice_count_idx ON customers (organization_id, invoice_count, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_payment_count_idx ON customers (organization_id, payment_count, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_locale_idx ON customers (organization_id, lower(locale), id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_payment_method_idx ON customers (organization_id, payment_instrument_method, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_is_edd_required_idx ON customers (organization_id, is_edd_required, id);
