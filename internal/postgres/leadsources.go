package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/billing/customers-api/internal/customers"
)

// leadSourceRow is the row shape of the lead_sources table.
type leadSourceRow struct {
	OrganizationID string    `db:"organization_id"`
	CustomerID     string    `db:"customer_id"`
	Medium         *string   `db:"medium"`
	Source         *string   `db:"source"`
	Campaign       *string   `db:"campaign"`
	Term           *string   `db:"term"`
	Content        *string   `db:"content"`
	Affiliate      *string   `db:"affiliate"`
	SubAffiliate   *string   `db:"sub_affiliate"`
	SalesAgent     *string   `db:"sales_agent"`
	ClickID        *string   `db:"click_id"`
	Path           *string   `db:"path"`
	Referrer       *string   `db:"referrer"`
	Original       []byte    `db:"original"`
	CreatedTime    time.Time `db:"created_time"`
	UpdatedTime    time.Time `db:"updated_time"`
}

// leadSourceDoc is the JSON of lead_sources.original, keyed by API names.
type leadSourceDoc struct {
	Medium       *string `json:"medium"`
	Source       *string `json:"source"`
	Campaign     *string `json:"campaign"`
	Term         *string `json:"term"`
	Content      *string `json:"content"`
	Affiliate    *string `json:"affiliate"`
	SubAffiliate *string `json:"subAffiliate"`
	SalesAgent   *string `json:"salesAgent"`
	ClickID      *string `json:"clickId"`
	Path         *string `json:"path"`
	Referrer     *string `json:"referrer"`
}

func toLeadSourceRow(orgID string, ls *customers.LeadSource) (*leadSourceRow, error) {
	orig, err := json.Marshal(leadSourceDoc(ls.Original))
	if err != nil {
		return nil, fmt.Errorf("encode original lead source: %w", err)
	}
	d := ls.LeadSourceData
	return &leadSourceRow{
		OrganizationID: orgID, CustomerID: ls.CustomerID, Medium: d.Medium, Source: d.Source,
		Campaign: d.Campaign, Term: d.Term, Content: d.Content, Affiliate: d.Affiliate,
		SubAffiliate: d.SubAffiliate, SalesAgent: d.SalesAgent, ClickID: d.ClickID, Path: d.Path,
		Referrer: d.Referrer, Original: orig, CreatedTime: ls.CreatedTime, UpdatedTime: ls.UpdatedTime,
	}, nil
}

func (r *leadSourceRow) toLeadSource() (*customers.LeadSource, error) {
	var orig leadSourceDoc
	if err := json.Unmarshal(r.Original, &orig); err != nil {
		return nil, fmt.Errorf("decode original lead source of %q: %w", r.CustomerID, err)
	}
	return &customers.LeadSource{
		CustomerID: r.CustomerID,
		LeadSourceData: customers.LeadSourceData{
			Medium: r.Medium, Source: r.Source, Campaign: r.Campaign, Term: r.Term, Content: r.Content,
			Affiliate: r.Affiliate, SubAffiliate: r.SubAffiliate, SalesAgent: r.SalesAgent,
			ClickID: r.ClickID, Path: r.Path, Referrer: r.Referrer,
		},
		Original:    customers.LeadSourceData(orig),
		CreatedTime: r.CreatedTime.UTC(), UpdatedTime: r.UpdatedTime.UTC(),
	}, nil
}

const leadSourceColumns = `
l.organization_id, l.customer_id, l.medium, l.source, l.campaign, l.term, l.content,
l.affiliate, l.sub_affiliate, l.sales_agent, l.click_id, l.path, l.referrer,
l.original, l.created_time, l.updated_time`

const sqlGetLeadSource = `SELECT ` + leadSourceColumns + `
FROM lead_sources l WHERE l.organization_id = $1 AND l.customer_id = $2`

func (t *customerTx) GetLeadSource(ctx context.Context, id string) (*customers.LeadSource, error) {
	var r leadSourceRow
	err := t.tx.GetContext(ctx, &r, sqlGetLeadSource, t.orgID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("select lead source: %w", err)
	}
	return r.toLeadSource()
}

const sqlPutLeadSource = `
INSERT INTO lead_sources (
	organization_id, customer_id, medium, source, campaign, term, content, affiliate,
	sub_affiliate, sales_agent, click_id, path, referrer, original, created_time, updated_time
) VALUES (
	:organization_id, :customer_id, :medium, :source, :campaign, :term, :content, :affiliate,
	:sub_affiliate, :sales_agent, :click_id, :path, :referrer, :original, :created_time, :updated_time
) ON CONFLICT (organization_id, customer_id) DO UPDATE SET
	medium = EXCLUDED.medium, source = EXCLUDED.source, campaign = EXCLUDED.campaign,
	term = EXCLUDED.term, content = EXCLUDED.content, affiliate = EXCLUDED.affiliate,
	sub_affiliate = EXCLUDED.sub_affiliate, sales_agent = EXCLUDED.sales_agent,
	click_id = EXCLUDED.click_id, path = EXCLUDED.path, referrer = EXCLUDED.referrer,
	original = EXCLUDED.original, created_time = EXCLUDED.created_time,
	updated_time = EXCLUDED.updated_time`

func (t *customerTx) PutLeadSource(ctx context.Context, ls *customers.LeadSource) error {
	r, err := toLeadSourceRow(t.orgID, ls)
	if err != nil {
		return err
	}
	if _, err := t.tx.NamedExecContext(ctx, sqlPutLeadSource, r); err != nil {
		return fmt.Errorf("upsert lead source: %w", err)
	}
	return nil
}

const sqlDeleteLeadSource = `DELETE FROM lead_sources WHERE organization_id = $1 AND customer_id = $2`

func (t *customerTx) DeleteLeadSource(ctx context.Context, id string) (bool, error) {
	res, err := t.tx.ExecContext(ctx, sqlDeleteLeadSource, t.orgID, id)
	if err != nil {
		return false, fmt.Errorf("delete lead source: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("delete lead source: %w", err)
	}
	return n > 0, nil
}
