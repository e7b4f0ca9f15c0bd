-- +goose Up
-- A customer's API representation (SPEC §3, without _links and _embedded)
-- is rendered when the customer is written, not on every read: reads were
-- spending most of their database time in json_build_object (issue 9;
-- docs/PERFORMANCE.md has the numbers). customer_representation is the one
-- definition of that representation; a row trigger keeps
-- customer_representations in step with every write of customers (the
-- service's, the seeder's COPY, a hand-run UPDATE), as generated columns
-- would, in a narrow table of its own so that scans of customers stay as
-- fast. A representation change is a new migration that replaces the
-- function and rewrites the table.
-- +goose StatementBegin
CREATE FUNCTION customer_representation(c customers) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN json_build_object(
    'id', c.id,
    'email', c.email,
    'firstName', c.first_name,
    'lastName', c.last_name,
    'websiteId', c.website_id,
    'defaultPaymentInstrument', CASE WHEN c.payment_instrument_method IS NOT NULL THEN
        json_build_object('method', c.payment_instrument_method, 'paymentInstrumentId', c.payment_instrument_id) END,
    'customFields', c.custom_fields,
    'primaryAddress', c.primary_address,
    'locale', c.locale,
    'isEddRequired', c.is_edd_required,
    'createdTime', to_char(c.created_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'updatedTime', to_char(c.updated_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'revision', c.revision,
    'averageValue', json_build_object('currency', c.average_value_currency,
        'amount', trim_scale(c.average_value_amount), 'amountUsd', trim_scale(c.average_value_amount_usd)),
    'lifetimeRevenue', json_build_object('currency', c.lifetime_revenue_currency,
        'amount', trim_scale(c.lifetime_revenue_amount), 'amountUsd', trim_scale(c.lifetime_revenue_amount_usd)),
    'paymentCount', c.payment_count,
    'invoiceCount', c.invoice_count,
    'lastPaymentTime', to_char(c.last_payment_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'tags', c.tag_objects,
    'hasFulfilledKyc', false,
    'taxNumbers', c.tax_numbers,
    'notificationEmails', c.notification_emails,
    'preferredPayoutInstrumentId', c.preferred_payout_instrument_id,
    'organizationId', c.organization_id);
-- +goose StatementEnd

-- What a read by id needs, without touching customers: the link fields
-- (revision for the ETag, websiteId and the payment instrument for
-- _links) and the body.
CREATE TABLE customer_representations (
    organization_id       uuid   NOT NULL,
    customer_id           text   NOT NULL,
    revision              bigint NOT NULL,
    website_id            text,
    payment_instrument_id text,
    body                  json   NOT NULL,
    PRIMARY KEY (organization_id, customer_id),
    FOREIGN KEY (organization_id, customer_id) REFERENCES customers (organization_id, id) ON DELETE CASCADE
);

-- +goose StatementBegin
CREATE FUNCTION render_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_representations (organization_id, customer_id, revision, website_id, payment_instrument_id, body)
    VALUES (NEW.organization_id, NEW.id, NEW.revision, NEW.website_id, NEW.payment_instrument_id, customer_representation(NEW))
    ON CONFLICT (organization_id, customer_id) DO UPDATE SET
        revision = EXCLUDED.revision, website_id = EXCLUDED.website_id,
        payment_instrument_id = EXCLUDED.payment_instrument_id, body = EXCLUDED.body;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER customers_render AFTER INSERT OR UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION render_customer();

INSERT INTO customer_representations (organization_id, customer_id, revision, website_id, payment_instrument_id, body)
SELECT c.organization_id, c.id, c.revision, c.website_id, c.payment_instrument_id, customer_representation(c)
FROM customers c;

-- +goose Down
DROP TRIGGER customers_render ON customers;
DROP FUNCTION render_customer();
DROP TABLE customer_representations;
DROP FUNCTION customer_representation(customers);
