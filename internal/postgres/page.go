package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/pkg/filter"
)

// collection is one of the small collections beside the customers (tags,
// timeline messages, webhooks, deliveries): a table, the rows of one
// owner, and what the query language may touch.
type collection struct {
	what    string // for errors: "tags"
	from    string // "tags t"
	columns string // the selected columns, in scan order
	schema  *filter.Schema
}

// listPage runs a collection query: the rows of c that where (with args,
// $1 first) and lq's filter select, in lq's order, lq's page of them,
// each scanned into the fields of a T; and the exact total, from the same
// statement (a window over the whole match, before LIMIT). qWhere, when
// not "", is the start of lq.Q's condition, closed by its parameter:
// "lower(t.name) LIKE lower(".
func listPage[T any](ctx context.Context, s *Store, c collection, where string, args []any, qWhere string, lq customers.ListQuery, fields func(*T) []any) (total int64, out []T, err error) {
	if lq.Q != "" && qWhere == "" {
		return 0, nil, customers.BadQuery("q", 0, "this collection has no text to search; use filter")
	}
	if lq.Q != "" {
		args = append(args, filter.ContainsPattern(lq.Q))
		where += " AND " + qWhere + "$" + strconv.Itoa(len(args)) + "::text)"
	}
	comp, err := c.schema.Compile(filter.Request{Filter: lq.Filter, Sort: lq.Sort}, len(args)+1)
	if err != nil {
		var fe *filter.Error
		if errors.As(err, &fe) {
			return 0, nil, customers.BadQuery(fe.Param, fe.Offset, fe.Message)
		}
		return 0, nil, err
	}
	if comp.Where != "" {
		where += " AND " + comp.Where
	}
	args = append(args, comp.WhereArgs...)
	countArgs := args
	args = append(args, comp.OrderArgs...)
	n := len(args)
	query := `SELECT count(*) OVER (), ` + c.columns + ` FROM ` + c.from + ` WHERE ` + where +
		` ORDER BY ` + comp.OrderBy + ` LIMIT $` + strconv.Itoa(n+1) + ` OFFSET $` + strconv.Itoa(n+2)
	err = s.read(ctx, nil, func(ctx context.Context, q querier) error {
		total, out = 0, nil
		rows, err := q.queryUnprepared(ctx, query, append(args, lq.Limit, lq.Offset)...)
		if err != nil {
			return fmt.Errorf("list %s: %w", c.what, err)
		}
		defer rows.Close()
		for rows.Next() {
			var v T
			if err := rows.Scan(append([]any{&total}, fields(&v)...)...); err != nil {
				return fmt.Errorf("scan %s: %w", c.what, err)
			}
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list %s: %w", c.what, err)
		}
		if len(out) == 0 && (lq.Offset > 0 || lq.Limit == 0) {
			// A page past the end returns no row: counted alone.
			return q.queryRow(ctx, `SELECT count(*) FROM `+c.from+` WHERE `+where, countArgs...).Scan(&total)
		}
		return nil
	})
	return total, out, customersErr(err)
}

// listOfCustomer is listPage over a collection that belongs to customer
// id (its timeline, its tokens), whose alias is alias; it also says
// whether the customer exists: a collection with rows has one, and an
// empty one asks.
func listOfCustomer[T any](ctx context.Context, s *Store, c collection, alias, orgID, id, qWhere string, lq customers.ListQuery, fields func(*T) []any) (total int64, out []T, exists bool, err error) {
	where := alias + ".organization_id = $1 AND " + alias + ".customer_id = $2"
	total, out, err = listPage(ctx, s, c, where, []any{orgID, id}, qWhere, lq, fields)
	if err != nil || total > 0 {
		return total, out, err == nil, err
	}
	exists, err = s.customerExists(ctx, orgID, id)
	return total, out, exists, err
}

const sqlCustomerExists = `SELECT EXISTS (SELECT 1 FROM customers WHERE organization_id = $1 AND id = $2)`

// customerExists reports whether customer id of orgID exists.
func (s *Store) customerExists(ctx context.Context, orgID, id string) (exists bool, err error) {
	err = s.doQuick(ctx, func(ctx context.Context, q querier) error {
		return q.queryRow(ctx, sqlCustomerExists, orgID, id).Scan(&exists)
	})
	return exists, customersErr(err)
}
