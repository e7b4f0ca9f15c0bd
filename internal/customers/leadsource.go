package customers

import (
	"context"
	"fmt"
	"reflect"
	"time"
)

// LeadSourceData is where a customer came from: the values a client writes.
// Each is nil when unknown.
type LeadSourceData struct {
	Medium       *string `json:"medium" validate:"omitnil,max=512"`
	Source       *string `json:"source" validate:"omitnil,max=512"`
	Campaign     *string `json:"campaign" validate:"omitnil,max=512"`
	Term         *string `json:"term" validate:"omitnil,max=512"`
	Content      *string `json:"content" validate:"omitnil,max=512"`
	Affiliate    *string `json:"affiliate" validate:"omitnil,max=512"`
	SubAffiliate *string `json:"subAffiliate" validate:"omitnil,max=512"`
	SalesAgent   *string `json:"salesAgent" validate:"omitnil,max=512"`
	ClickID      *string `json:"clickId" validate:"omitnil,max=512"`
	Path         *string `json:"path" validate:"omitnil,max=512"`
	Referrer     *string `json:"referrer" validate:"omitnil,max=2083,uri"`
}

// LeadSource is a customer's lead source: its current values, and Original,
// the values of the first write, which later writes never change.
type LeadSource struct {
	CustomerID string
	LeadSourceData
	Original    LeadSourceData
	CreatedTime time.Time
	UpdatedTime time.Time
}

// GetLeadSource returns the lead source of customer id, rendered. A missing
// customer or a customer without a lead source is a KindNotFound error
// (naming the merge target when id was merged away).
//
// It reads without locking: one statement returns the lead source with its
// customer's revision from a single snapshot, so a read neither waits for
// writers of the customer nor makes them wait, and writes nothing.
func (s *Service) GetLeadSource(ctx context.Context, orgID, id string) (*LeadSourceView, error) {
	if !ValidID(id) {
		return nil, notFound("Customer %q was not found.", id)
	}
	ls, exists, err := s.store.GetLeadSourceView(ctx, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("get lead source: %w", err)
	}
	switch {
	case ls != nil:
		return ls, nil
	case !exists:
		return nil, s.missing(ctx, orgID, id)
	}
	return nil, notFound("Customer %q has no lead source.", id)
}

// PutLeadSource sets the lead source of customer id and returns it
// rendered: the first write creates it (created is true) and copies the
// values into Original; later writes replace the current values only. A
// write that changes anything bumps the customer's revision and
// updatedTime. A missing customer is KindNotFound and nothing is written.
func (s *Service) PutLeadSource(ctx context.Context, orgID, id string, data LeadSourceData, pre Precondition) (v *LeadSourceView, created bool, err error) {
	if err := validateLeadSource("", data); err != nil {
		return nil, false, err
	}
	err = s.store.InTx(ctx, orgID, func(tx Tx) error {
		c, err := s.lockExisting(ctx, tx, id)
		if err != nil {
			return err
		}
		cur, err := tx.GetLeadSource(ctx, id)
		if err != nil {
			return err
		}
		// The lead source is the resource: "*" asks whether it exists, and
		// its entity tag is the customer's revision.
		if err := pre.check(cur != nil, c.Revision); err != nil {
			return err
		}
		now := s.clock()
		var old *LeadSourceData
		if cur != nil {
			before := cur.LeadSourceData
			old = &before
		}
		var changed bool
		if _, created, changed, err = writeLeadSource(ctx, tx, c, cur, data, now); err != nil {
			return err
		}
		if changed {
			touch(c, now)
			if err := tx.UpdateCustomer(ctx, c); err != nil {
				return err
			}
			rec := s.recorder(ctx, now)
			rec.leadSourceChanged(id, old, &data)
			rec.event(EventLeadSourceChanged, id, "")
			if err := rec.write(ctx, tx); err != nil {
				return err
			}
		}
		v, err = tx.LeadSourceView(ctx, id)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("put lead source: %w", err)
	}
	return v, created, nil
}

// DeleteLeadSource removes the lead source of customer id, Original
// included, and bumps the customer's revision. A missing customer or lead
// source is KindNotFound.
func (s *Service) DeleteLeadSource(ctx context.Context, orgID, id string, pre Precondition) error {
	err := s.store.InTx(ctx, orgID, func(tx Tx) error {
		c, err := s.lockExisting(ctx, tx, id)
		if err != nil {
			return err
		}
		cur, err := tx.GetLeadSource(ctx, id)
		if err != nil {
			return err
		}
		if cur == nil {
			return notFound("Customer %q has no lead source.", id)
		}
		if _, err := tx.DeleteLeadSource(ctx, id); err != nil {
			return err
		}
		// Checked after the delete, which the rollback undoes on failure:
		// a missing lead source is 404 whatever the conditions said.
		if err := pre.check(true, c.Revision); err != nil {
			return err
		}
		now := s.clock()
		touch(c, now)
		if err := tx.UpdateCustomer(ctx, c); err != nil {
			return err
		}
		rec := s.recorder(ctx, now)
		rec.leadSourceChanged(id, &cur.LeadSourceData, nil)
		rec.event(EventLeadSourceChanged, id, "")
		return rec.write(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("delete lead source: %w", err)
	}
	return nil
}

// lockExisting locks customer id inside tx, or returns the not-found error
// (naming the merge target when id was merged away).
func (s *Service) lockExisting(ctx context.Context, tx Tx, id string) (*Customer, error) {
	if !ValidID(id) {
		return nil, notFound("Customer %q was not found.", id)
	}
	c, err := tx.LockCustomer(ctx, id)
	if err != nil || c != nil {
		return c, err
	}
	return nil, missingIn(ctx, tx, id)
}

// missingIn is the not-found error of customer id, which tx did not find,
// naming the customer it was merged into, if any.
func missingIn(ctx context.Context, tx Tx, id string) error {
	if !ValidID(id) {
		return notFound("Customer %q was not found.", id)
	}
	target, err := tx.MergedInto(ctx, id)
	if err != nil {
		return err
	}
	if target != "" {
		return mergedAway(id, target)
	}
	return notFound("Customer %q was not found.", id)
}

// writeLeadSource creates or replaces (cur, read under c's lock) the lead
// source of the locked customer c and reports whether anything changed. It
// does not write c: the caller bumps c's revision once for the whole request.
func writeLeadSource(ctx context.Context, tx Tx, c *Customer, cur *LeadSource, data LeadSourceData, now time.Time) (ls *LeadSource, created, changed bool, err error) {
	switch {
	case cur == nil:
		ls = &LeadSource{CustomerID: c.ID, LeadSourceData: data, Original: data, CreatedTime: now, UpdatedTime: now}
		created = true
	case reflect.DeepEqual(cur.LeadSourceData, data):
		return cur, false, false, nil
	default:
		ls = cur
		ls.LeadSourceData, ls.UpdatedTime = data, now
	}
	if err := tx.PutLeadSource(ctx, ls); err != nil {
		return nil, false, false, err
	}
	return ls, created, true, nil
}

func validateLeadSource(prefix string, data LeadSourceData) error {
	if fields := structErrors(data, prefix); len(fields) > 0 {
		return invalid(fields...)
	}
	return nil
}
