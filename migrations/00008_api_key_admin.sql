-- +goose Up
-- What `keys list` shows and `keys revoke` sets: a name given at creation,
-- an optional rate limit of the key's own (requests a second), when it was
-- last used (kept to the minute: the authentication cache spares most
-- lookups), and when it was revoked. A revoked key authenticates no more.
ALTER TABLE api_keys
    ADD COLUMN name           text        NOT NULL DEFAULT '',
    ADD COLUMN rate_limit     integer     CHECK (rate_limit > 0),
    ADD COLUMN last_used_time timestamptz,
    ADD COLUMN revoked_time   timestamptz;

-- +goose Down
ALTER TABLE api_keys DROP COLUMN revoked_time, DROP COLUMN last_used_time,
    DROP COLUMN rate_limit, DROP COLUMN name;
