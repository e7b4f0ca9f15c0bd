package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/billing/customers-api/internal/access"
	"github.com/lib/pq"
)

var _ access.Store = (*Store)(nil)

const sqlInsertOrganization = `
INSERT INTO organizations (id, name, created_time) VALUES ($1, $2, $3)`

// CreateOrganization inserts o.
func (s *Store) CreateOrganization(ctx context.Context, o *access.Organization) error {
	if _, err := s.db.ExecContext(ctx, sqlInsertOrganization, o.ID, o.Name, o.CreatedTime); err != nil {
		return fmt.Errorf("insert organization: %w", err)
	}
	return nil
}

const sqlOrganizationExists = `SELECT EXISTS (SELECT 1 FROM organizations WHERE id = $1)`

// OrganizationExists reports whether organization id exists.
func (s *Store) OrganizationExists(ctx context.Context, id string) (bool, error) {
	var ok bool
	if err := s.db.GetContext(ctx, &ok, sqlOrganizationExists, id); err != nil {
		return false, fmt.Errorf("organization exists: %w", err)
	}
	return ok, nil
}

const sqlInsertKey = `
INSERT INTO api_keys (organization_id, id, secret_hash, permissions, created_time)
VALUES ($1, $2, $3, $4, $5)`

// CreateKey inserts k.
func (s *Store) CreateKey(ctx context.Context, k *access.Key) error {
	_, err := s.db.ExecContext(ctx, sqlInsertKey, k.OrganizationID, k.ID, k.SecretHash, pq.StringArray(k.Permissions), k.CreatedTime)
	if err != nil {
		return fmt.Errorf("insert api key: %w", err)
	}
	return nil
}

// The one lookup that cannot filter by organization: the key is how the
// organization is found. api_keys_secret_hash_key makes it an index lookup.
const sqlKeyBySecretHash = `
SELECT organization_id, id, secret_hash, permissions, created_time
FROM api_keys WHERE secret_hash = $1`

// KeyBySecretHash returns the key with the given secret hash, or nil.
func (s *Store) KeyBySecretHash(ctx context.Context, hash []byte) (*access.Key, error) {
	var k access.Key
	var perms pq.StringArray
	err := s.db.QueryRowContext(ctx, sqlKeyBySecretHash, hash).
		Scan(&k.OrganizationID, &k.ID, &k.SecretHash, &perms, &k.CreatedTime)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("key by secret hash: %w", err)
	}
	k.Permissions = perms
	return &k, nil
}
