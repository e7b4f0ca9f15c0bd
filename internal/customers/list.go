package customers

import (
	"context"
	"fmt"
)

// ListQuery asks for one page of an organization's customers.
type ListQuery struct {
	// Filter is an expression of the collection query language; "" for none.
	Filter string
	// Q is a case-insensitive partial match over ids, emails, names,
	// organization and phone numbers; "" for none. It is ANDed with Filter.
	Q string
	// Sort holds each sort parameter as sent (comma lists); nil sorts by
	// -createdTime. The id always breaks ties.
	Sort []string
	// Limit is the page size (0 gives an empty page with the total);
	// Offset how many matching customers to skip.
	Limit, Offset int
}

// Page is one page of customers and the exact number that match in all.
type Page struct {
	Customers []*Customer
	Total     int64
}

// MaxLimit is the largest page a list may ask for.
const MaxLimit = 1000

// List returns a page of customers of organization orgID. Limit and Offset
// outside their ranges are KindInvalid; an invalid Filter or Sort is the
// store's query error (a *filter.Error in its chain), passed through as is.
func (s *Service) List(ctx context.Context, orgID string, q ListQuery) (*Page, error) {
	if q.Limit < 0 || q.Limit > MaxLimit {
		return nil, invalid(FieldError{Field: "limit", Message: fmt.Sprintf("must be from 0 to %d", MaxLimit)})
	}
	if q.Offset < 0 {
		return nil, invalid(FieldError{Field: "offset", Message: "must be at least 0"})
	}
	p, err := s.store.ListCustomers(ctx, orgID, q)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	return p, nil
}

// LeadSources returns the lead sources of the given customers by customer id,
// in one read; customers without one are absent from the map.
func (s *Service) LeadSources(ctx context.Context, orgID string, ids []string) (map[string]*LeadSource, error) {
	m, err := s.store.LeadSources(ctx, orgID, ids)
	if err != nil {
		return nil, fmt.Errorf("lead sources: %w", err)
	}
	return m, nil
}
