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

// MaxLimit is the largest page a list may ask for.
const MaxLimit = 1000

// List writes to w the page of organization orgID's customers that q asks
// for, rendered with what opt asks for, after the exact total. Limit and
// Offset outside their ranges, and a malformed Filter or Sort, are
// KindBadQuery errors returned before w is called.
func (s *Service) List(ctx context.Context, orgID string, q ListQuery, opt ViewOptions, w PageWriter) error {
	if err := CheckPage(q); err != nil {
		return err
	}
	if err := s.store.ListViews(ctx, orgID, q, opt, w); err != nil {
		return fmt.Errorf("list customers: %w", err)
	}
	return nil
}

// CheckPage checks the limit and offset of a collection query.
func CheckPage(q ListQuery) error {
	if q.Limit < 0 || q.Limit > MaxLimit {
		return BadQuery("limit", 0, fmt.Sprintf("must be from 0 to %d", MaxLimit))
	}
	if q.Offset < 0 {
		return BadQuery("offset", 0, "must be at least 0")
	}
	return nil
}
