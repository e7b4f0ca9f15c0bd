package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/pkg/filter"
	"github.com/lib/pq"
)

const tagColumns = `t.id, t.name, t.created_time, t.updated_time`

const (
	sqlGetTag     = `SELECT ` + tagColumns + ` FROM tags t WHERE t.organization_id = $1 AND t.name = $2`
	sqlLockTagKey = sqlGetTag + ` FOR KEY SHARE`
	sqlLockTag    = sqlGetTag + ` FOR UPDATE`
	sqlInsertTag  = `INSERT INTO tags (organization_id, id, name, created_time, updated_time)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organization_id, name) DO NOTHING`
	sqlDeleteTag      = `DELETE FROM tags WHERE organization_id = $1 AND id = $2`
	sqlTaggedCustomer = `SELECT customer_id FROM customer_tags WHERE organization_id = $1 AND tag_id = $2`
	// Rows are locked in the order they are sorted in, byte order of id:
	// the order merges lock their two customers in.
	sqlLockCustomers = `SELECT id FROM customers WHERE organization_id = $1 AND id = ANY($2)
ORDER BY id COLLATE "C" FOR UPDATE`
	// The links change first, returning the customers whose link changed;
	// sqlRefreshTagged then rewrites their read models from the links and
	// gives them one more revision (a statement of its own: it must see
	// the links the first one changed).
	sqlAddTag = `INSERT INTO customer_tags (organization_id, customer_id, tag_id)
SELECT $1, id, $3 FROM unnest($2::text[]) AS id
ON CONFLICT DO NOTHING RETURNING customer_id`
	sqlRemoveTag = `DELETE FROM customer_tags WHERE organization_id = $1 AND customer_id = ANY($2) AND tag_id = $3
RETURNING customer_id`
	sqlRefreshTagged = `UPDATE customers c SET tags = m.names, tag_objects = m.objects,
	revision = c.revision + 1, updated_time = $3
FROM (` + tagReadModels + `unnest($2::text[])` + tagReadModelsTail + `) m
WHERE c.organization_id = $1 AND c.id = m.id`
	// sqlRefreshTags rewrites one customer's read models, its revision
	// left to the caller (a merge writes the survivor's next).
	sqlRefreshTags = `UPDATE customers c SET tags = m.names, tag_objects = m.objects
FROM (` + tagReadModels + `unnest(ARRAY[$2::text])` + tagReadModelsTail + `) m
WHERE c.organization_id = $1 AND c.id = m.id`
	sqlRenameTag = `UPDATE tags SET name = $3, updated_time = $4 WHERE organization_id = $1 AND id = $2`
	sqlMoveTags  = `INSERT INTO customer_tags (organization_id, customer_id, tag_id)
SELECT organization_id, $3, tag_id FROM customer_tags WHERE organization_id = $1 AND customer_id = $2
ON CONFLICT DO NOTHING`
)

// tagReadModels … tagReadModelsTail computes, for each customer id of the
// set between them, the two read models of its tags: the sorted names
// and the tag objects, exactly as migration 00010's customer_tag_names
// and customer_tag_objects do (the tests compare them), but as a join in
// the statement rather than functions called with the customer's
// columns, which Citus refuses in an UPDATE of a distributed table
// (docs/CITUS.md).
const (
	tagReadModels = `SELECT x.id,
	COALESCE(array_agg(t.name COLLATE "C" ORDER BY t.name COLLATE "C") FILTER (WHERE t.id IS NOT NULL), '{}') AS names,
	COALESCE(jsonb_agg(jsonb_build_object('id', t.id, 'name', t.name, 'type', 'customer',
		'createdTime', to_char(t.created_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
		'updatedTime', to_char(t.updated_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
		ORDER BY t.name COLLATE "C") FILTER (WHERE t.id IS NOT NULL), '[]') AS objects
FROM `
	tagReadModelsTail = ` AS x(id)
LEFT JOIN customer_tags ct ON ct.organization_id = $1 AND ct.customer_id = x.id
LEFT JOIN tags t ON t.organization_id = $1 AND t.id = ct.tag_id
GROUP BY x.id`
)

func scanTag(sc interface{ Scan(...any) error }) (*customers.Tag, error) {
	var t customers.Tag
	if err := sc.Scan(&t.ID, &t.Name, &t.CreatedTime, &t.UpdatedTime); err != nil {
		return nil, err
	}
	t.CreatedTime, t.UpdatedTime = t.CreatedTime.UTC(), t.UpdatedTime.UTC()
	return &t, nil
}

func getTag(ctx context.Context, q querier, query, orgID, name string) (*customers.Tag, error) {
	t, err := scanTag(q.queryRow(ctx, query, orgID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("select tag: %w", err)
	}
	return t, nil
}

// GetTag returns tag name of orgID, or nil.
func (s *Store) GetTag(ctx context.Context, orgID, name string) (t *customers.Tag, err error) {
	err = s.doQuick(ctx, func(ctx context.Context, q querier) error {
		t, err = getTag(ctx, q, sqlGetTag, orgID, name)
		return err
	})
	return t, customersErr(err)
}

// tagSchema is what GET /tags may filter and sort on.
var tagSchema = mustSchema(filter.Schema{
	Fields: []filter.Field{
		{Name: "id", Expr: "t.id::text", Type: filter.String, CaseSensitive: true, Sortable: true, NotNull: true},
		{Name: "name", Expr: "t.name", Type: filter.String, CaseSensitive: true, Sortable: true, NotNull: true},
		{Name: "createdTime", Expr: "t.created_time", Type: filter.DateTime, Sortable: true, NotNull: true},
		{Name: "updatedTime", Expr: "t.updated_time", Type: filter.DateTime, Sortable: true, NotNull: true},
	},
	TieBreak:    "t.id",
	DefaultSort: []string{"name"},
})

// ListTags returns a page of orgID's tags and the exact total, from one
// statement.
func (s *Store) ListTags(ctx context.Context, orgID string, lq customers.ListQuery) (int64, []customers.Tag, error) {
	c := collection{what: "tags", from: "tags t", columns: tagColumns, schema: tagSchema}
	total, tags, err := listPage(ctx, s, c, "t.organization_id = $1", []any{orgID}, "lower(t.name) LIKE lower(", lq,
		func(t *customers.Tag) []any { return []any{&t.ID, &t.Name, &t.CreatedTime, &t.UpdatedTime} })
	for i := range tags {
		tags[i].CreatedTime, tags[i].UpdatedTime = tags[i].CreatedTime.UTC(), tags[i].UpdatedTime.UTC()
	}
	return total, tags, err
}

func (t *customerTx) LockTag(ctx context.Context, name string, exclusive bool) (*customers.Tag, error) {
	query := sqlLockTagKey
	if exclusive {
		query = sqlLockTag
	}
	return getTag(ctx, t.q, query, t.orgID, name)
}

func (t *customerTx) InsertTag(ctx context.Context, tag *customers.Tag) (bool, error) {
	n, err := t.q.exec(ctx, sqlInsertTag, t.orgID, tag.ID, tag.Name, tag.CreatedTime, tag.UpdatedTime)
	if err != nil {
		return false, fmt.Errorf("insert tag: %w", err)
	}
	return n == 1, nil
}

func (t *customerTx) DeleteTag(ctx context.Context, id string) error {
	if _, err := t.q.exec(ctx, sqlDeleteTag, t.orgID, id); err != nil {
		return fmt.Errorf("delete tag: %w", err)
	}
	return nil
}

func (t *customerTx) TaggedCustomers(ctx context.Context, tagID string) ([]string, error) {
	return t.ids(ctx, "tagged customers", sqlTaggedCustomer, t.orgID, tagID)
}

func (t *customerTx) LockCustomers(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return t.ids(ctx, "lock customers", sqlLockCustomers, t.orgID, pq.StringArray(ids))
}

// ids runs a query of one text column and returns its values.
func (t *customerTx) ids(ctx context.Context, what, query string, args ...any) ([]string, error) {
	rows, err := t.q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, id)
	}
	return out, rowsErr(rows, what)
}

func (t *customerTx) SetTag(ctx context.Context, tag *customers.Tag, ids []string, add bool, now time.Time) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	query := sqlRemoveTag
	if add {
		query = sqlAddTag
	}
	changed, err := t.ids(ctx, "change tag links", query, t.orgID, pq.StringArray(ids), tag.ID)
	if err != nil || len(changed) == 0 {
		return nil, err
	}
	slices.Sort(changed)
	if _, err := t.q.exec(ctx, sqlRefreshTagged, t.orgID, pq.StringArray(changed), now); err != nil {
		return nil, fmt.Errorf("refresh tagged customers: %w", err)
	}
	return changed, nil
}

func (t *customerTx) RenameTag(ctx context.Context, tag *customers.Tag, ids []string) error {
	if _, err := t.q.exec(ctx, sqlRenameTag, t.orgID, tag.ID, tag.Name, tag.UpdatedTime); err != nil {
		return fmt.Errorf("rename tag: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := t.q.exec(ctx, sqlRefreshTagged, t.orgID, pq.StringArray(ids), tag.UpdatedTime); err != nil {
		return fmt.Errorf("refresh renamed tag's customers: %w", err)
	}
	return nil
}

func (t *customerTx) MoveTags(ctx context.Context, from, to string) error {
	if _, err := t.q.exec(ctx, sqlMoveTags, t.orgID, from, to); err != nil {
		return fmt.Errorf("move tags: %w", err)
	}
	if _, err := t.q.exec(ctx, sqlRefreshTags, t.orgID, to); err != nil {
		return fmt.Errorf("refresh merged tags: %w", err)
	}
	return nil
}
