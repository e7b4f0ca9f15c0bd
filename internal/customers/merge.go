package customers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Merge merges the duplicate customer id into customer targetID and deletes
// the duplicate, in one transaction that locks both rows in id order (so two
// merges never deadlock):
//
//   - top-level fields that are null or empty on the target are taken from
//     the duplicate (primaryAddress whole); isEddRequired is true if either was;
//   - customFields are united, the target winning on equal keys; tags are
//     united; counters and money are summed; lastPaymentTime is the later;
//     taxNumbers and notificationEmails are the duplicate's when the
//     target has none;
//   - the duplicate's lead source moves to the target when it has none;
//     when both have one, the target keeps its values and takes the
//     original (and createdTime) of whichever was created first;
//   - the target's revision goes up by one, and the duplicate's id is
//     remembered as merged into the target.
//
// pre is checked against the duplicate. A missing targetID is KindInvalid;
// targetID == id is KindConflict, and so is a union of customFields over
// MaxCustomFieldsBytes (nothing changes then); a missing duplicate or target is
// KindNotFound naming which (the duplicate when both are missing).
func (s *Service) Merge(ctx context.Context, orgID, id, targetID string, pre Precondition) error {
	if targetID == "" {
		return &Error{Kind: KindInvalid, Message: "The targetCustomerId query parameter is required.",
			Fields: []FieldError{{Field: "targetCustomerId", Message: "is required: the id of the customer to merge into"}}}
	}
	if targetID == id {
		return conflict("A customer cannot be merged into itself.")
	}
	err := s.store.InTx(ctx, orgID, func(tx Tx) error {
		// Held shared like any customer write: the target's typed values
		// are refreshed under the definitions it was merged with.
		defs, err := tx.FieldDefinitions(ctx)
		if err != nil {
			return err
		}
		dup, tgt, err := s.lockPair(ctx, tx, id, targetID)
		if err != nil {
			return err
		}
		if err := pre.check(true, dup.Revision); err != nil {
			return err
		}
		target := mergeFields(tgt, dup, s.clock())
		// The union must itself be a valid customer: a merged customer that
		// a client could not PUT back unchanged would be a trap.
		if n, err := serializedSize(target.CustomFields); err != nil || n > MaxCustomFieldsBytes {
			return conflict("Merging would give customer %q customFields of more than %d bytes of JSON; remove some from either customer first.", targetID, MaxCustomFieldsBytes)
		}
		if err := s.mergeLeadSources(ctx, tx, target, dup); err != nil {
			return err
		}
		if err := tx.MoveTags(ctx, dup.ID, target.ID); err != nil {
			return err
		}
		if err := tx.UpdateCustomer(ctx, target); err != nil {
			return err
		}
		if err := syncFieldValues(ctx, tx, defs, target.ID); err != nil {
			return err
		}
		// Recorded while both customers exist: the event carries the
		// duplicate's last representation beside the target's new one.
		rec := s.recorder(ctx, target.UpdatedTime)
		rec.merged(dup.ID, tgt, target)
		if err := rec.write(ctx, tx); err != nil {
			return err
		}
		if err := tx.RecordMerge(ctx, dup.ID, target.ID, target.UpdatedTime); err != nil {
			return err
		}
		return tx.DeleteCustomer(ctx, dup.ID)
	})
	if err != nil {
		return fmt.Errorf("merge customer: %w", err)
	}
	return nil
}

// lockPair locks the duplicate and the target in id order and returns them,
// or the not-found error of the duplicate (checked first) or the target.
func (s *Service) lockPair(ctx context.Context, tx Tx, id, targetID string) (dup, tgt *Customer, err error) {
	if !ValidID(id) {
		return nil, nil, notFound("Customer %q was not found.", id)
	}
	locked := map[string]*Customer{}
	for _, lockID := range slices.Sorted(slices.Values([]string{id, targetID})) {
		// An id breaking the rule cannot exist; not asking keeps it out of SQL.
		if !ValidID(lockID) {
			continue
		}
		if locked[lockID], err = tx.LockCustomer(ctx, lockID); err != nil {
			return nil, nil, err
		}
	}
	// The duplicate is checked first: when both are missing, the 404 names
	// the path customer, whatever the target id looks like.
	if locked[id] == nil {
		_, err := s.lockExisting(ctx, tx, id) // the not-found error, naming a merge target
		return nil, nil, err
	}
	if !ValidID(targetID) {
		return nil, nil, notFound("Target customer %q was not found.", targetID)
	}
	if locked[targetID] == nil {
		if into, err := tx.MergedInto(ctx, targetID); err != nil {
			return nil, nil, err
		} else if into != "" {
			return nil, nil, notFound("Target customer %q was merged into customer %q.", targetID, into)
		}
		return nil, nil, notFound("Target customer %q was not found.", targetID)
	}
	return locked[id], locked[targetID], nil
}

// mergeFields returns the target with the duplicate's values merged in and
// one more revision, changed at now.
func mergeFields(tgt, dup *Customer, now time.Time) *Customer {
	m := *tgt
	if m.WebsiteID == nil {
		m.WebsiteID = dup.WebsiteID
	}
	if m.DefaultPaymentInstrument == nil {
		m.DefaultPaymentInstrument = dup.DefaultPaymentInstrument
	}
	if m.PrimaryAddress == nil {
		m.PrimaryAddress = dup.PrimaryAddress
	}
	if m.Locale == nil {
		m.Locale = dup.Locale
	}
	if len(m.TaxNumbers) == 0 {
		m.TaxNumbers = dup.TaxNumbers
	}
	if len(m.NotificationEmails) == 0 {
		m.NotificationEmails = dup.NotificationEmails
	}
	if m.PreferredPayoutInstrumentID == nil {
		m.PreferredPayoutInstrumentID = dup.PreferredPayoutInstrumentID
	}
	m.IsEddRequired = tgt.IsEddRequired || dup.IsEddRequired
	m.CustomFields = make(map[string]any, len(tgt.CustomFields)+len(dup.CustomFields))
	maps.Copy(m.CustomFields, dup.CustomFields)
	maps.Copy(m.CustomFields, tgt.CustomFields) // the target wins on equal keys
	m.Tags = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(tgt.Tags), dup.Tags...))))
	m.PaymentCount += dup.PaymentCount
	m.InvoiceCount += dup.InvoiceCount
	m.AverageValue = addMoney(tgt.AverageValue, dup.AverageValue)
	m.LifetimeRevenue = addMoney(tgt.LifetimeRevenue, dup.LifetimeRevenue)
	if dup.LastPaymentTime != nil && (m.LastPaymentTime == nil || dup.LastPaymentTime.After(*m.LastPaymentTime)) {
		m.LastPaymentTime = dup.LastPaymentTime
	}
	touch(&m, now)
	return &m
}

// addMoney sums two amounts. The USD values always add up; amounts in
// different currencies cannot, so then the target's amount stands (a
// customer with no payments yet, currency USD and zero, takes the other's).
func addMoney(t, d Money) Money {
	out := Money{Currency: t.Currency, Amount: t.Amount, AmountUSD: t.AmountUSD + d.AmountUSD}
	switch {
	case t.Currency == d.Currency:
		out.Amount += d.Amount
	case t.Amount == 0:
		out.Currency, out.Amount = d.Currency, d.Amount
	}
	return out
}

// mergeLeadSources moves or folds the duplicate's lead source into the
// target's, before the duplicate (and its lead source) is deleted.
func (s *Service) mergeLeadSources(ctx context.Context, tx Tx, target, dup *Customer) error {
	dls, err := tx.GetLeadSource(ctx, dup.ID)
	if err != nil || dls == nil {
		return err
	}
	tls, err := tx.GetLeadSource(ctx, target.ID)
	if err != nil {
		return err
	}
	if tls == nil {
		moved := *dls
		moved.CustomerID = target.ID
		return tx.PutLeadSource(ctx, &moved)
	}
	if dls.CreatedTime.Before(tls.CreatedTime) {
		tls.Original, tls.CreatedTime = dls.Original, dls.CreatedTime
		return tx.PutLeadSource(ctx, tls)
	}
	return nil
}
