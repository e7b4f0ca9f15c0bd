package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/billing/customers-api/internal/access"
	"github.com/lib/pq"
)

var _ access.Store = (*Store)(nil)

const sqlInsertOrganization = `
INSERT INTO organizations (id, name, created_time) VALUES ($1, $2, $3)`

// CreateOrganization inserts o.
func (s *Store) CreateOrganization(ctx context.Context, o *access.Organization) error {
	return accessErr(s.do(ctx, func(ctx context.Context, q querier) error {
		if _, err := q.exec(ctx, sqlInsertOrganization, o.ID, o.Name, o.CreatedTime); err != nil {
			return fmt.Errorf("insert organization: %w", err)
		}
		return nil
	}))
}

const sqlOrganizationExists = `SELECT EXISTS (SELECT 1 FROM organizations WHERE id = $1)`

// OrganizationExists reports whether organization id exists.
func (s *Store) OrganizationExists(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := s.doQuick(ctx, func(ctx context.Context, q querier) error {
		if err := q.queryRow(ctx, sqlOrganizationExists, id).Scan(&ok); err != nil {
			return fmt.Errorf("organization exists: %w", err)
		}
		return nil
	})
	return ok, accessErr(err)
}

const sqlInsertKey = `
INSERT INTO api_keys (organization_id, id, name, secret_hash, permissions, rate_limit, created_time)
VALUES ($1, $2, $3, $4, $5, $6, $7)`

// CreateKey inserts k.
func (s *Store) CreateKey(ctx context.Context, k *access.Key) error {
	var rateLimit *int
	if k.RateLimit > 0 {
		rateLimit = &k.RateLimit
	}
	return accessErr(s.do(ctx, func(ctx context.Context, q querier) error {
		_, err := q.exec(ctx, sqlInsertKey, k.OrganizationID, k.ID, k.Name, k.SecretHash, pq.StringArray(k.Permissions), rateLimit, k.CreatedTime)
		if err != nil {
			return fmt.Errorf("insert api key: %w", err)
		}
		return nil
	}))
}

const keyColumns = `organization_id, id, name, secret_hash, permissions, COALESCE(rate_limit, 0), created_time, last_used_time, revoked_time`

// The one lookup that cannot filter by organization: the key is how the
// organization is found (api_keys_secret_hash_key makes it an index
// lookup). It notes the use at most once a minute, in the same statement.
const sqlKeyBySecretHash = `
WITH k AS (
	SELECT ` + keyColumns + ` FROM api_keys WHERE secret_hash = $1 AND revoked_time IS NULL
), used AS (
	UPDATE api_keys a SET last_used_time = $2 FROM k
	WHERE a.organization_id = k.organization_id AND a.id = k.id
	  AND (a.last_used_time IS NULL OR a.last_used_time < $2::timestamptz - interval '1 minute')
)
SELECT * FROM k`

// KeyBySecretHash returns the unrevoked key with the given secret hash, or
// nil.
func (s *Store) KeyBySecretHash(ctx context.Context, hash []byte, now time.Time) (*access.Key, error) {
	var k *access.Key
	err := s.doQuick(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.query(ctx, sqlKeyBySecretHash, hash, now.Truncate(time.Minute))
		if err != nil {
			return fmt.Errorf("key by secret hash: %w", err)
		}
		keys, err := scanKeys(rows)
		if len(keys) > 0 {
			k = &keys[0]
		}
		return err
	})
	return k, accessErr(err)
}

const sqlKeys = `SELECT ` + keyColumns + ` FROM api_keys WHERE organization_id = $1 ORDER BY created_time, id`

// Keys lists the keys of organization orgID, oldest first.
func (s *Store) Keys(ctx context.Context, orgID string) ([]access.Key, error) {
	var keys []access.Key
	err := s.do(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.query(ctx, sqlKeys, orgID)
		if err != nil {
			return fmt.Errorf("list keys: %w", err)
		}
		keys, err = scanKeys(rows)
		return err
	})
	return keys, accessErr(err)
}

func scanKeys(rows *sql.Rows) ([]access.Key, error) {
	defer rows.Close()
	var out []access.Key
	for rows.Next() {
		var k access.Key
		var perms pq.StringArray
		if err := rows.Scan(&k.OrganizationID, &k.ID, &k.Name, &k.SecretHash, &perms, &k.RateLimit,
			&k.CreatedTime, &k.LastUsedTime, &k.RevokedTime); err != nil {
			return nil, fmt.Errorf("scan key: %w", err)
		}
		k.Permissions = perms
		out = append(out, k)
	}
	return out, rowsErr(rows, "read keys")
}

// The key id alone names a key: ids are UUIDs, unique across
// organizations, and only the operator's command line revokes.
const sqlRevokeKey = `UPDATE api_keys SET revoked_time = $2 WHERE id = $1 AND revoked_time IS NULL`

// RevokeKey revokes key id and reports whether an unrevoked key had it.
func (s *Store) RevokeKey(ctx context.Context, id string, now time.Time) (bool, error) {
	var n int64
	err := s.do(ctx, func(ctx context.Context, q querier) (err error) {
		n, err = q.exec(ctx, sqlRevokeKey, id, now)
		if err != nil {
			return fmt.Errorf("revoke key: %w", err)
		}
		return nil
	})
	return n > 0, accessErr(err)
}
