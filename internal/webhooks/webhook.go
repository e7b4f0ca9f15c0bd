// Package webhooks is the organization's webhook subscriptions (SPEC §13)
// and their delivery: the worker claims due deliveries from the outbox
// that customer changes fill in their own transactions, signs each as the
// Standard Webhooks specification says, sends it with net/http and backs
// off on failure. It knows nothing of SQL or of the HTTP API's routes: it
// reads and writes through its Store, and renders bodies with the function
// it is given.
package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/billing/customers-api/internal/customers"
	"github.com/google/uuid"
)

// Webhook statuses.
const (
	StatusActive   = "active"
	StatusInactive = "inactive"
)

// Limits of a webhook (SPEC §13, §16).
const (
	MaxActive            = 25
	MaxURLLength         = 2083
	MaxDescriptionLength = 1000
	MaxHeaders           = 20
	MaxHeaderNameLength  = 100
	MaxHeaderValueLength = 1000
)

// Webhook is a subscription of an organization to customer events.
type Webhook struct {
	ID           string
	URL          string
	Description  *string
	EventsFilter []string // empty: every event type
	Status       string
	Headers      map[string]string
	// Secret signs the deliveries. The service returns it only in the
	// answers that issue it (create, rotate-secret).
	Secret      string
	CreatedTime time.Time
	UpdatedTime time.Time
}

// Input is a webhook as a client writes it (POST and PUT). Nil means not
// sent: status defaults to active, the rest to empty.
type Input struct {
	URL          *string           `json:"url"`
	Description  *string           `json:"description"`
	EventsFilter []string          `json:"eventsFilter"`
	Status       *string           `json:"status"`
	Headers      map[string]string `json:"headers"`
}

// Store is the persistence of webhooks and their deliveries. Every method
// is scoped to one organization but the worker's, whose statements each
// touch one organization's rows too.
type Store interface {
	// InTx runs fn in one transaction of organization orgID.
	InWebhookTx(ctx context.Context, orgID string, fn func(Tx) error) error
	GetWebhook(ctx context.Context, orgID, id string) (*Webhook, error)
	ListWebhooks(ctx context.Context, orgID string, q customers.ListQuery) (int64, []Webhook, error)
	ListDeliveries(ctx context.Context, orgID, webhookID string, q customers.ListQuery) (int64, []Delivery, error)
	// RetryDelivery makes delivery id of webhook webhookID pending and due
	// now, and reports whether it exists.
	RetryDelivery(ctx context.Context, orgID, webhookID, id string) (bool, error)

	// DueOrganizations lists up to limit organizations that have
	// deliveries due now.
	DueOrganizations(ctx context.Context, limit int) ([]string, error)
	// Deliver claims up to limit of orgID's due deliveries to active
	// webhooks in one transaction, locking them (SKIP LOCKED: a delivery
	// another transaction holds is passed over, never waited for, so no
	// two workers attempt it at once), hands them to attempt, records the
	// outcome attempt returns for each (one more attempt counted) and
	// commits. A process that dies meanwhile leaves them as they were, due,
	// for any worker. It returns how many it claimed.
	Deliver(ctx context.Context, orgID string, limit int, attempt func(context.Context, []Claimed) []Outcome) (int, error)
	// Prune deletes orgID's deliveries that ended before cutoff, and the
	// events no delivery needs any more; it returns how many deliveries.
	Prune(ctx context.Context, orgID string, cutoff time.Time, limit int) (int, error)
	// Organizations lists every organization (pruning visits each).
	Organizations(ctx context.Context) ([]string, error)
	// Backlog counts the pending deliveries of every organization, and
	// when the oldest was created.
	Backlog(ctx context.Context) (pending int64, oldest *time.Time, err error)
}

// Tx is the work done in one transaction of one organization.
type Tx interface {
	// CountActive locks the organization's webhooks against concurrent
	// changes until the transaction ends and counts the active ones.
	CountActive(ctx context.Context) (int, error)
	// Get returns webhook id, or nil.
	Get(ctx context.Context, id string) (*Webhook, error)
	Insert(ctx context.Context, w *Webhook) error
	// Update writes every field of w over webhook w.ID (its secret too).
	Update(ctx context.Context, w *Webhook) error
	// Delete deletes webhook id and its deliveries, and reports whether it existed.
	Delete(ctx context.Context, id string) (bool, error)
}

// Service holds the rules of webhook subscriptions.
type Service struct {
	store Store
	now   func() time.Time
	wake  func()
}

// NewService returns a Service over store; wake (may be nil) is called
// after a delivery is scheduled again, to wake this process's workers.
func NewService(store Store, wake func()) *Service {
	return &Service{store: store, now: time.Now, wake: wake}
}

func invalid(fields ...customers.FieldError) error {
	return &customers.Error{Kind: customers.KindInvalid, Message: "The webhook is invalid.", Fields: fields}
}

func notFound(id string) error {
	return &customers.Error{Kind: customers.KindNotFound, Message: fmt.Sprintf("Webhook %q was not found.", id)}
}

// NewSecret returns a signing secret: "whsec_" and the standard base64 of
// 32 random bytes.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// forbiddenHeader reports whether a client may not set header name:
// the ones the delivery itself sets.
func forbiddenHeader(name string) bool {
	n := strings.ToLower(name)
	return n == "content-type" || n == "user-agent" || strings.HasPrefix(n, "webhook-") ||
		n == "content-length" || n == "host" || n == "transfer-encoding" || n == "connection"
}

// validToken reports whether s is an HTTP header name (RFC 9110 token).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c >= 0x7f || c <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}

// validate checks in and returns the webhook it describes (without id,
// secret and times).
func (in Input) validate() (*Webhook, error) {
	var fields []customers.FieldError
	bad := func(field, msg string) { fields = append(fields, customers.FieldError{Field: field, Message: msg}) }
	w := &Webhook{Status: StatusActive, Headers: map[string]string{}, EventsFilter: []string{}}
	switch {
	case in.URL == nil || *in.URL == "":
		bad("url", "is required: an absolute http or https URL")
	case utf8.RuneCountInString(*in.URL) > MaxURLLength:
		bad("url", fmt.Sprintf("must be at most %d characters", MaxURLLength))
	default:
		u, err := url.Parse(*in.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
			bad("url", "must be an absolute http or https URL with a host")
		}
		w.URL = *in.URL
	}
	if in.Description != nil {
		if utf8.RuneCountInString(*in.Description) > MaxDescriptionLength {
			bad("description", fmt.Sprintf("must be at most %d characters", MaxDescriptionLength))
		}
		w.Description = in.Description
	}
	for i, t := range in.EventsFilter {
		if !slices.Contains(customers.EventTypes, t) {
			bad(fmt.Sprintf("eventsFilter[%d]", i), "must be one of "+strings.Join(customers.EventTypes, ", "))
			continue
		}
		if !slices.Contains(w.EventsFilter, t) {
			w.EventsFilter = append(w.EventsFilter, t)
		}
	}
	if in.Status != nil {
		if *in.Status != StatusActive && *in.Status != StatusInactive {
			bad("status", "must be active or inactive")
		}
		w.Status = *in.Status
	}
	if len(in.Headers) > MaxHeaders {
		bad("headers", fmt.Sprintf("may hold at most %d headers", MaxHeaders))
	}
	for _, name := range slices.Sorted(maps.Keys(in.Headers)) {
		value := in.Headers[name]
		field := "headers." + name
		_, taken := w.Headers[http.CanonicalHeaderKey(name)]
		switch {
		case taken:
			bad(field, "names the same header as another entry (header names are case-insensitive)")
		case !validToken(name) || len(name) > MaxHeaderNameLength:
			bad(field, fmt.Sprintf("must be a header name (a token of at most %d characters)", MaxHeaderNameLength))
		case forbiddenHeader(name):
			bad(field, "is set by the delivery itself: Content-Type, User-Agent, webhook-*, Host, Content-Length, Transfer-Encoding and Connection cannot be set")
		case utf8.RuneCountInString(value) > MaxHeaderValueLength || strings.ContainsAny(value, "\r\n\x00"):
			bad(field, fmt.Sprintf("must be at most %d characters, without line breaks", MaxHeaderValueLength))
		default:
			w.Headers[http.CanonicalHeaderKey(name)] = value
		}
	}
	if len(fields) > 0 {
		return nil, invalid(fields...)
	}
	return w, nil
}

func tooManyActive() error {
	return invalid(customers.FieldError{Field: "status",
		Message: fmt.Sprintf("an organization may have at most %d active webhooks; deactivate or delete one first", MaxActive)})
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Second) }

// Create creates a webhook and returns it with its secret, the only time
// the secret is shown.
func (s *Service) Create(ctx context.Context, orgID string, in Input) (*Webhook, error) {
	w, err := in.validate()
	if err != nil {
		return nil, err
	}
	w.ID, w.Secret = uuid.NewString(), NewSecret()
	w.CreatedTime = s.clock()
	w.UpdatedTime = w.CreatedTime
	err = s.store.InWebhookTx(ctx, orgID, func(tx Tx) error {
		if w.Status == StatusActive {
			n, err := tx.CountActive(ctx)
			if err != nil {
				return err
			}
			if n >= MaxActive {
				return tooManyActive()
			}
		}
		return tx.Insert(ctx, w)
	})
	if err != nil {
		return nil, fmt.Errorf("create webhook: %w", err)
	}
	return w, nil
}

// Get returns webhook id, without its secret.
func (s *Service) Get(ctx context.Context, orgID, id string) (*Webhook, error) {
	if uuid.Validate(id) != nil {
		return nil, notFound(id)
	}
	w, err := s.store.GetWebhook(ctx, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("get webhook: %w", err)
	}
	if w == nil {
		return nil, notFound(id)
	}
	w.Secret = ""
	return w, nil
}

// List returns the page of webhooks q asks for and the exact total.
func (s *Service) List(ctx context.Context, orgID string, q customers.ListQuery) (int64, []Webhook, error) {
	if err := customers.CheckPage(q); err != nil {
		return 0, nil, err
	}
	total, list, err := s.store.ListWebhooks(ctx, orgID, q)
	if err != nil {
		return 0, nil, fmt.Errorf("list webhooks: %w", err)
	}
	for i := range list {
		list[i].Secret = ""
	}
	return total, list, nil
}

// Update replaces every writable field of webhook id. Activating one
// beyond MaxActive is invalid. The secret does not change.
func (s *Service) Update(ctx context.Context, orgID, id string, in Input) (*Webhook, error) {
	if uuid.Validate(id) != nil {
		return nil, notFound(id)
	}
	next, err := in.validate()
	if err != nil {
		return nil, err
	}
	err = s.store.InWebhookTx(ctx, orgID, func(tx Tx) error {
		n, err := tx.CountActive(ctx)
		if err != nil {
			return err
		}
		cur, err := tx.Get(ctx, id)
		if err != nil {
			return err
		}
		if cur == nil {
			return notFound(id)
		}
		if next.Status == StatusActive && cur.Status != StatusActive && n >= MaxActive {
			return tooManyActive()
		}
		next.ID, next.Secret, next.CreatedTime, next.UpdatedTime = cur.ID, cur.Secret, cur.CreatedTime, s.clock()
		return tx.Update(ctx, next)
	})
	if err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	next.Secret = ""
	return next, nil
}

// Delete deletes webhook id and its deliveries, pending ones included.
func (s *Service) Delete(ctx context.Context, orgID, id string) error {
	if uuid.Validate(id) != nil {
		return notFound(id)
	}
	err := s.store.InWebhookTx(ctx, orgID, func(tx Tx) error {
		found, err := tx.Delete(ctx, id)
		if err == nil && !found {
			err = notFound(id)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	return nil
}

// RotateSecret gives webhook id a new secret, which signs every delivery
// attempted from now on, and returns the webhook with it.
func (s *Service) RotateSecret(ctx context.Context, orgID, id string) (*Webhook, error) {
	if uuid.Validate(id) != nil {
		return nil, notFound(id)
	}
	var out *Webhook
	err := s.store.InWebhookTx(ctx, orgID, func(tx Tx) error {
		w, err := tx.Get(ctx, id)
		if err != nil {
			return err
		}
		if w == nil {
			return notFound(id)
		}
		w.Secret, w.UpdatedTime = NewSecret(), s.clock()
		out = w
		return tx.Update(ctx, w)
	})
	if err != nil {
		return nil, fmt.Errorf("rotate webhook secret: %w", err)
	}
	return out, nil
}
