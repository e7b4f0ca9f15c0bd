-- +goose Up
-- An index for every remaining sortable customer field, so that a sorted
-- first page reads the index in order instead of sorting the organization's
-- rows. Strings are sorted (and compared) case-insensitively, hence lower().
-- Each index costs every write that changes its column; docs/PERFORMANCE.md
-- has the PUT numbers with all of them in place.
CREATE INDEX customers_is_edd_required_idx ON customers (organization_id, is_edd_required, id);
CREATE INDEX customers_payment_method_idx ON customers (organization_id, payment_instrument_method, id);
CREATE INDEX customers_address_first_name_idx ON customers (organization_id, lower(primary_address->>'firstName'), id);
CREATE INDEX customers_address_last_name_idx ON customers (organization_id, lower(primary_address->>'lastName'), id);
CREATE INDEX customers_address_organization_idx ON customers (organization_id, lower(primary_address->>'organization'), id);
CREATE INDEX customers_address_job_title_idx ON customers (organization_id, lower(primary_address->>'jobTitle'), id);
CREATE INDEX customers_address_address_idx ON customers (organization_id, lower(primary_address->>'address'), id);
CREATE INDEX customers_address_address2_idx ON customers (organization_id, lower(primary_address->>'address2'), id);
CREATE INDEX customers_address_city_idx ON customers (organization_id, lower(primary_address->>'city'), id);
CREATE INDEX customers_address_region_idx ON customers (organization_id, lower(primary_address->>'region'), id);
CREATE INDEX customers_address_postal_code_idx ON customers (organization_id, lower(primary_address->>'postalCode'), id);
CREATE INDEX customers_address_dob_idx ON customers (organization_id, lower(primary_address->>'dob'), id);
CREATE INDEX customers_address_hash_idx ON customers (organization_id, lower(primary_address->>'hash'), id);

-- Nulls sort last in both directions, so a descending sort on a nullable
-- column cannot read the ascending index backwards (that gives nulls
-- first). The commonly sorted nullable fields get a descending index too;
-- a descending sort on the others sorts the matching rows.
CREATE INDEX customers_email_desc_idx ON customers (organization_id, lower(email) DESC NULLS LAST, id DESC);
CREATE INDEX customers_first_name_desc_idx ON customers (organization_id, lower(first_name) DESC NULLS LAST, id DESC);
CREATE INDEX customers_last_name_desc_idx ON customers (organization_id, lower(last_name) DESC NULLS LAST, id DESC);
CREATE INDEX customers_website_id_desc_idx ON customers (organization_id, website_id DESC NULLS LAST, id DESC);
CREATE INDEX customers_last_payment_time_desc_idx ON customers (organization_id, last_payment_time DESC NULLS LAST, id DESC);

-- Lead-source fields are filtered through the join on the lead source's
-- primary key; these serve filters that start from the lead source.
CREATE INDEX lead_sources_medium_idx ON lead_sources (organization_id, lower(medium));
CREATE INDEX lead_sources_term_idx ON lead_sources (organization_id, lower(term));
CREATE INDEX lead_sources_content_idx ON lead_sources (organization_id, lower(content));
CREATE INDEX lead_sources_affiliate_idx ON lead_sources (organization_id, lower(affiliate));
CREATE INDEX lead_sources_sub_affiliate_idx ON lead_sources (organization_id, lower(sub_affiliate));
CREATE INDEX lead_sources_sales_agent_idx ON lead_sources (organization_id, lower(sales_agent));
CREATE INDEX lead_sources_click_id_idx ON lead_sources (organization_id, lower(click_id));
CREATE INDEX lead_sources_path_idx ON lead_sources (organization_id, lower(path));
CREATE INDEX lead_sources_referrer_idx ON lead_sources (organization_id, lower(referrer));

-- +goose Down
DROP INDEX customers_email_desc_idx, customers_first_name_desc_idx, customers_last_name_desc_idx,
    customers_website_id_desc_idx, customers_last_payment_time_desc_idx;
DROP INDEX customers_is_edd_required_idx, customers_payment_method_idx,
    customers_address_first_name_idx, customers_address_last_name_idx,
    customers_address_organization_idx, customers_address_job_title_idx,
    customers_address_address_idx, customers_address_address2_idx, customers_address_city_idx,
    customers_address_region_idx, customers_address_postal_code_idx, customers_address_dob_idx,
    customers_address_hash_idx, lead_sources_medium_idx, lead_sources_term_idx,
    lead_sources_content_idx, lead_sources_affiliate_idx, lead_sources_sub_affiliate_idx,
    lead_sources_sales_agent_idx, lead_sources_click_id_idx, lead_sources_path_idx,
    lead_sources_referrer_idx;
