package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/billing/customers-api/internal/idempotency"
)

var _ idempotency.Store = (*Store)(nil)

// The key is held for the transaction by an advisory lock on its hash, so
// that a retry arriving while the first request runs is told so at once
// instead of waiting behind it.
const sqlLockIdempotencyKey = `SELECT pg_try_advisory_xact_lock(hashtextextended($1::text || '/' || $2::text, 0))`

const sqlGetIdempotencyKey = `
SELECT fingerprint, status, content_type, COALESCE(location, ''), COALESCE(etag, ''), body
FROM idempotency_keys WHERE organization_id = $1 AND key = $2 AND expires_time > $3`

// An expired row not yet deleted is replaced.
const sqlPutIdempotencyKey = `
INSERT INTO idempotency_keys (organization_id, key, fingerprint, status, content_type, location, etag, body, created_time, expires_time)
VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), NULLIF($7, ''), $8, $9, $10)
ON CONFLICT (organization_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status,
	content_type = EXCLUDED.content_type, location = EXCLUDED.location, etag = EXCLUDED.etag,
	body = EXCLUDED.body, created_time = EXCLUDED.created_time, expires_time = EXCLUDED.expires_time`

// Do implements idempotency.Store. fn runs with a context whose store
// calls all join the transaction that holds the key (see do and inTx).
func (s *Store) Do(ctx context.Context, r idempotency.Request, expires time.Time, fn func(ctx context.Context) (*idempotency.Answer, error)) (*idempotency.Answer, bool, error) {
	var ans *idempotency.Answer
	var replayed bool
	now := expires.Add(-idempotency.TTL)
	err := s.do(ctx, func(ctx context.Context, _ querier) error {
		if ambientFrom(ctx) != nil {
			return errors.New("idempotent call inside another")
		}
		var err error
		for attempt := 0; attempt < maxTxAttempts; attempt++ {
			ans, replayed, err = s.tryIdempotent(ctx, r, now, expires, fn)
			if code := sqlState(err); code != codeSerializationFailure && code != codeDeadlockDetected {
				break
			}
		}
		return err
	})
	return ans, replayed, err
}

func (s *Store) tryIdempotent(ctx context.Context, r idempotency.Request, now, expires time.Time, fn func(ctx context.Context) (*idempotency.Answer, error)) (ans *idempotency.Answer, replayed bool, err error) {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
	}()
	q := &txQuerier{tx: tx, stmts: s.db.stmts, db: s.db.db}
	var locked bool
	if err := q.queryRow(ctx, sqlLockIdempotencyKey, r.OrganizationID, r.Key).Scan(&locked); err != nil {
		return nil, false, fmt.Errorf("lock idempotency key: %w", err)
	}
	if !locked {
		return nil, false, idempotency.ErrInProgress
	}
	var stored idempotency.Answer
	var fingerprint []byte
	err = q.queryRow(ctx, sqlGetIdempotencyKey, r.OrganizationID, r.Key, now).
		Scan(&fingerprint, &stored.Status, &stored.ContentType, &stored.Location, &stored.ETag, &stored.Body)
	switch {
	case err == nil:
		if !bytes.Equal(fingerprint, r.Fingerprint()) {
			return nil, false, idempotency.ErrReused
		}
		return &stored, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, false, fmt.Errorf("read idempotency key: %w", err)
	}
	ans, err = fn(context.WithValue(ctx, ambientKey{}, q))
	if err != nil {
		return nil, false, err
	}
	if !idempotency.Storable(ans.Status) {
		return ans, false, nil // rolled back: nothing it did is kept
	}
	body := ans.Body
	if ans.StoredBody != nil {
		body = ans.StoredBody
	}
	if _, err := q.exec(ctx, sqlPutIdempotencyKey, r.OrganizationID, r.Key, r.Fingerprint(), ans.Status,
		ans.ContentType, ans.Location, ans.ETag, body, now, expires); err != nil {
		return nil, false, fmt.Errorf("store idempotent answer: %w", err)
	}
	if err := q.commit(ctx); err != nil {
		return nil, false, err
	}
	committed = true
	s.committed(q)
	return ans, false, nil
}

const sqlDeleteExpiredIdempotencyKeys = `
DELETE FROM idempotency_keys WHERE (organization_id, key) IN (
	SELECT organization_id, key FROM idempotency_keys WHERE expires_time <= $1 LIMIT $2)`

// DeleteExpired implements idempotency.Store.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	var n int64
	err := s.do(ctx, func(ctx context.Context, q querier) (err error) {
		n, err = q.exec(ctx, sqlDeleteExpiredIdempotencyKeys, now, limit)
		return err
	})
	return int(n), err
}
