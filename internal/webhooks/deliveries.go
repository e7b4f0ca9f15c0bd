package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/billing/customers-api/internal/customers"
	"github.com/google/uuid"
)

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Delivery is one event's delivery to one webhook, and how it went.
type Delivery struct {
	ID                 string
	WebhookID          string
	EventType          string
	CustomerID         string
	Status             string
	Attempts           int
	LastAttemptTime    *time.Time
	NextAttemptTime    *time.Time // nil once delivered or failed
	LastResponseStatus *int
	LastError          *string
	CreatedTime        time.Time
}

// Event is an outbox event as the worker sends it: the customer as the
// change left it, and what its links are made of.
type Event struct {
	ID                  string
	Type                string
	CustomerID          string
	Revision            int64
	OccurredTime        time.Time
	Customer            json.RawMessage // the representation without _links
	HasLeadSource       bool
	WebsiteID           *string
	PaymentInstrumentID *string
	// Duplicate is the merged-away customer's last representation
	// (customer-merged only).
	Duplicate json.RawMessage
}

// Claimed is a delivery claimed by a worker for one attempt.
type Claimed struct {
	OrganizationID string
	DeliveryID     string
	Attempt        int // this attempt's number, from 1
	WebhookID      string
	URL            string
	Headers        map[string]string
	Secret         string
	Event          Event
}

// Outcome is what an attempt came to.
type Outcome struct {
	Status string // pending (to be retried), delivered or failed
	// RetryIn is how long from now the next attempt is due, when pending.
	RetryIn        time.Duration
	ResponseStatus *int    // the receiver's status, when it answered
	Error          *string // why it failed, when it did
}

// ListDeliveries returns the page of webhook id's deliveries q asks for
// (filter on status, eventType and customerId; newest first) and the
// exact total.
func (s *Service) ListDeliveries(ctx context.Context, orgID, id string, q customers.ListQuery) (int64, []Delivery, error) {
	if _, err := s.Get(ctx, orgID, id); err != nil {
		return 0, nil, err
	}
	if err := customers.CheckPage(q); err != nil {
		return 0, nil, err
	}
	total, list, err := s.store.ListDeliveries(ctx, orgID, id, q)
	if err != nil {
		return 0, nil, fmt.Errorf("list deliveries: %w", err)
	}
	return total, list, nil
}

// Retry schedules delivery deliveryID of webhook id again, due now,
// whatever its status: one more attempt (and, while the retry schedule
// has waits left for its attempt count, the retries after it).
func (s *Service) Retry(ctx context.Context, orgID, id, deliveryID string) error {
	if _, err := s.Get(ctx, orgID, id); err != nil {
		return err
	}
	if uuid.Validate(deliveryID) != nil {
		return deliveryNotFound(deliveryID)
	}
	found, err := s.store.RetryDelivery(ctx, orgID, id, deliveryID)
	if err != nil {
		return fmt.Errorf("retry delivery: %w", err)
	}
	if !found {
		return deliveryNotFound(deliveryID)
	}
	if s.wake != nil {
		s.wake()
	}
	return nil
}

func deliveryNotFound(id string) error {
	return &customers.Error{Kind: customers.KindNotFound, Message: fmt.Sprintf("Delivery %q was not found.", id)}
}
