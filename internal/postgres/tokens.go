package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/pkg/filter"
)

// sqlGetCustomer reads the stored row of a customer, unlocked.
var sqlGetCustomer = `SELECT c.` + strings.Join(customerColumns, ", c.") + `
FROM customers c WHERE c.organization_id = $1 AND c.id = $2`

// GetCustomer returns customer id of orgID as stored, or nil.
func (s *Store) GetCustomer(ctx context.Context, orgID, id string) (c *customers.Customer, err error) {
	err = s.doQuick(ctx, func(ctx context.Context, q querier) error {
		var r customerRow
		err := q.queryRow(ctx, sqlGetCustomer, orgID, id).Scan(r.fields()...)
		if errors.Is(err, sql.ErrNoRows) {
			c = nil
			return nil
		}
		if err != nil {
			return fmt.Errorf("select customer: %w", err)
		}
		c, err = r.toCustomer()
		return err
	})
	return c, customersErr(err)
}

const (
	sqlInsertToken = `INSERT INTO customer_tokens (organization_id, id, customer_id, token_hash, created_time, expired_time)
VALUES ($1, $2, $3, $4, $5, $6)`
	sqlCountLiveTokens = `SELECT count(*) FROM customer_tokens WHERE organization_id = $1 AND customer_id = $2 AND expired_time > $3`
	sqlDeleteToken     = `DELETE FROM customer_tokens WHERE organization_id = $1 AND customer_id = $2 AND id = $3`
	sqlTokenCustomer   = `SELECT customer_id FROM customer_tokens WHERE organization_id = $1 AND token_hash = $2 AND expired_time > $3`
	sqlMoveTokens      = `UPDATE customer_tokens SET customer_id = $3 WHERE organization_id = $1 AND customer_id = $2`
	tokenColumns       = `k.id, k.customer_id, k.created_time, k.expired_time`
)

func (t *customerTx) CountLiveTokens(ctx context.Context, id string, now time.Time) (int, error) {
	var n int
	if err := t.q.queryRow(ctx, sqlCountLiveTokens, t.orgID, id, now).Scan(&n); err != nil {
		return 0, fmt.Errorf("count customer tokens: %w", err)
	}
	return n, nil
}

func (t *customerTx) InsertToken(ctx context.Context, k *customers.Token, hash []byte) error {
	if _, err := t.q.exec(ctx, sqlInsertToken, t.orgID, k.ID, k.CustomerID, hash, k.CreatedTime, k.ExpiredTime); err != nil {
		return fmt.Errorf("insert customer token: %w", err)
	}
	return nil
}

func (t *customerTx) DeleteToken(ctx context.Context, id, tokenID string) (bool, error) {
	n, err := t.q.exec(ctx, sqlDeleteToken, t.orgID, id, tokenID)
	if err != nil {
		return false, fmt.Errorf("delete customer token: %w", err)
	}
	return n == 1, nil
}

// TokenCustomer returns the customer of the live token with hash, or "".
func (s *Store) TokenCustomer(ctx context.Context, orgID string, hash []byte, now time.Time) (id string, err error) {
	err = s.doQuick(ctx, func(ctx context.Context, q querier) error {
		err := q.queryRow(ctx, sqlTokenCustomer, orgID, hash, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			id = ""
			return nil
		}
		return err
	})
	return id, customersErr(err)
}

var tokenCollection = collection{what: "customer tokens", from: "customer_tokens k", columns: tokenColumns, schema: mustSchema(filter.Schema{
	Fields: []filter.Field{
		{Name: "createdTime", Expr: "k.created_time", Type: filter.DateTime, Sortable: true, NotNull: true},
		{Name: "expiredTime", Expr: "k.expired_time", Type: filter.DateTime, Sortable: true, NotNull: true},
	},
	TieBreak:    "k.id",
	DefaultSort: []string{"-createdTime"},
})}

// ListTokens returns a page of customer id's tokens, the exact total, and
// whether the customer exists.
func (s *Store) ListTokens(ctx context.Context, orgID, id string, lq customers.ListQuery) (total int64, list []customers.Token, exists bool, err error) {
	total, list, exists, err = listOfCustomer(ctx, s, tokenCollection, "k", orgID, id, "", lq,
		func(k *customers.Token) []any { return []any{&k.ID, &k.CustomerID, &k.CreatedTime, &k.ExpiredTime} })
	for i := range list {
		list[i].CreatedTime, list[i].ExpiredTime = list[i].CreatedTime.UTC(), list[i].ExpiredTime.UTC()
	}
	return total, list, exists, err
}
