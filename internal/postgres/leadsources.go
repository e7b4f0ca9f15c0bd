package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/billing/customers-api/internal/customers"
)

// A lead source's values and its original are stored as the JSON of
// customers.LeadSourceData (the API's), so a field of it needs no column.

// leadSourceJSON renders the lead source l as the API represents it (SPEC
// §6), without _links: its values, its times and its original.
var leadSourceJSON = `(l.data || jsonb_build_object(
	'createdTime', ` + apiTime("l.created_time") + `,
	'updatedTime', ` + apiTime("l.updated_time") + `,
	'original', l.original))`

const sqlGetLeadSource = `
SELECT data, original, created_time, updated_time
FROM lead_sources WHERE organization_id = $1 AND customer_id = $2`

func (t *customerTx) GetLeadSource(ctx context.Context, id string) (*customers.LeadSource, error) {
	var data, orig []byte
	ls := &customers.LeadSource{CustomerID: id}
	err := t.q.queryRow(ctx, sqlGetLeadSource, t.orgID, id).Scan(&data, &orig, &ls.CreatedTime, &ls.UpdatedTime)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("select lead source: %w", err)
	}
	if err := json.Unmarshal(data, &ls.LeadSourceData); err != nil {
		return nil, fmt.Errorf("decode lead source of %q: %w", id, err)
	}
	if err := json.Unmarshal(orig, &ls.Original); err != nil {
		return nil, fmt.Errorf("decode original lead source of %q: %w", id, err)
	}
	ls.CreatedTime, ls.UpdatedTime = ls.CreatedTime.UTC(), ls.UpdatedTime.UTC()
	return ls, nil
}

func (t *customerTx) LeadSourceView(ctx context.Context, id string) (*customers.LeadSourceView, error) {
	v, _, err := getLeadSourceView(ctx, t.q, t.orgID, id)
	return v, err
}

// leadSourceColumns are the columns a lead source is written with, in the
// order of leadSourceArgs; sqlPutLeadSource and the seeder's COPY share them.
const leadSourceColumns = `organization_id, customer_id, data, original, created_time, updated_time`

const sqlPutLeadSource = `
INSERT INTO lead_sources (` + leadSourceColumns + `) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (organization_id, customer_id) DO UPDATE SET
	data = EXCLUDED.data, original = EXCLUDED.original,
	created_time = EXCLUDED.created_time, updated_time = EXCLUDED.updated_time`

// leadSourceArgs are the values of leadSourceColumns for ls of orgID. The
// JSON goes as strings (COPY's text format would write []byte as bytea).
func leadSourceArgs(orgID string, ls *customers.LeadSource) ([]any, error) {
	data, err := json.Marshal(ls.LeadSourceData)
	if err != nil {
		return nil, fmt.Errorf("encode lead source: %w", err)
	}
	orig, err := json.Marshal(ls.Original)
	if err != nil {
		return nil, fmt.Errorf("encode original lead source: %w", err)
	}
	return []any{orgID, ls.CustomerID, string(data), string(orig), ls.CreatedTime, ls.UpdatedTime}, nil
}

func (t *customerTx) PutLeadSource(ctx context.Context, ls *customers.LeadSource) error {
	args, err := leadSourceArgs(t.orgID, ls)
	if err != nil {
		return err
	}
	if _, err := t.q.exec(ctx, sqlPutLeadSource, args...); err != nil {
		return fmt.Errorf("upsert lead source: %w", err)
	}
	return nil
}

const sqlDeleteLeadSource = `DELETE FROM lead_sources WHERE organization_id = $1 AND customer_id = $2`

func (t *customerTx) DeleteLeadSource(ctx context.Context, id string) (bool, error) {
	n, err := t.q.exec(ctx, sqlDeleteLeadSource, t.orgID, id)
	if err != nil {
		return false, fmt.Errorf("delete lead source: %w", err)
	}
	return n > 0, nil
}
