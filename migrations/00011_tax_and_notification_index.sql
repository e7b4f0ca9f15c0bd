-- +goose NO TRANSACTION
-- +goose Up
-- "Some entry equals" filters on taxNumbers.value and notificationEmails
-- (SPEC §11), and the fiscal-number lookups that come after them, read
-- this index. Built concurrently, so that writers never wait.
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_tax_notification_idx ON customers
    USING gin (organization_id, customer_tax_values(tax_numbers), lower_all(notification_emails));

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS customers_tax_notification_idx;
