package customers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/billing/customers-api/pkg/filter"
	"github.com/google/uuid"
)

// Customer tokens (SPEC §15, §16) are bearer credentials for one
// customer, which the Cleeng adapter accepts in place of an API key.

// Token lifetimes.
const (
	DefaultTokenLifetime = 24 * time.Hour
	MaxTokenLifetime     = 30 * 24 * time.Hour
	// MaxTokensPerCustomer bounds the live tokens of one customer.
	MaxTokensPerCustomer = 100
)

// Token is a customer token without its secret, which exists only in the
// answer that issued it.
type Token struct {
	ID          string
	CustomerID  string
	CreatedTime time.Time
	ExpiredTime time.Time
}

// TokenInput is what a client asks of a new token.
type TokenInput struct {
	// ExpiresIn is the token's lifetime in seconds (nil: a day).
	ExpiresIn *int64 `json:"expiresIn"`
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// encode62 writes b as exactly width base-62 digits.
func encode62(b []byte, width int) string {
	n := new(big.Int).SetBytes(b)
	out := make([]byte, width)
	base, mod := big.NewInt(62), new(big.Int)
	for i := width - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = base62[mod.Int64()]
	}
	return string(out)
}

func decode62(s string) ([]byte, bool) {
	n, base := new(big.Int), big.NewInt(62)
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(base62, s[i])
		if d < 0 {
			return nil, false
		}
		n.Mul(n, base).Add(n, big.NewInt(int64(d)))
	}
	return n.Bytes(), true
}

// Token layout: "ct_", the organization's UUID in 22 base-62 digits (so
// that a token is looked up within its organization, as every customer
// read is), and 32 random bytes in 43 digits.
const (
	tokenPrefix    = "ct_"
	tokenOrgWidth  = 22
	tokenRandWidth = 43
	tokenLength    = len(tokenPrefix) + tokenOrgWidth + tokenRandWidth
)

func newToken(orgID string) (string, error) {
	org, err := uuid.Parse(orgID)
	if err != nil {
		return "", fmt.Errorf("organization id %q: %w", orgID, err)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // never fails (crypto/rand)
	return tokenPrefix + encode62(org[:], tokenOrgWidth) + encode62(secret, tokenRandWidth), nil
}

// hashToken is what the store keeps of a token.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// tokenOrganization returns the organization a well-formed token names.
func tokenOrganization(token string) (string, bool) {
	if len(token) != tokenLength || !strings.HasPrefix(token, tokenPrefix) {
		return "", false
	}
	b, ok := decode62(token[len(tokenPrefix) : len(tokenPrefix)+tokenOrgWidth])
	if !ok || len(b) > 16 {
		return "", false
	}
	var id uuid.UUID
	copy(id[16-len(b):], b)
	if _, ok := decode62(token[len(tokenPrefix)+tokenOrgWidth:]); !ok {
		return "", false
	}
	return id.String(), true
}

func tokenNotFound(id string) error { return notFound("Customer token %q was not found.", id) }

// CreateToken issues a token for customer id and returns it with its
// secret, shown this once.
func (s *Service) CreateToken(ctx context.Context, orgID, id string, in TokenInput) (*Token, string, error) {
	life := DefaultTokenLifetime
	if in.ExpiresIn != nil {
		if *in.ExpiresIn < 1 || *in.ExpiresIn > int64(MaxTokenLifetime/time.Second) {
			return nil, "", invalid(FieldError{Field: "expiresIn", Message: fmt.Sprintf("must be from 1 to %d seconds (30 days)", int64(MaxTokenLifetime/time.Second))})
		}
		life = time.Duration(*in.ExpiresIn) * time.Second
	}
	secret, err := newToken(orgID)
	if err != nil {
		return nil, "", err
	}
	now := s.clock()
	t := &Token{ID: s.newID(), CustomerID: id, CreatedTime: now, ExpiredTime: now.Add(life)}
	err = s.store.InTx(ctx, orgID, func(tx Tx) error {
		if _, err := s.lockExisting(ctx, tx, id); err != nil {
			return err
		}
		n, err := tx.CountLiveTokens(ctx, id, now)
		if err != nil {
			return err
		}
		if n >= MaxTokensPerCustomer {
			return conflict("Customer %q has %d live tokens, the most there may be; delete some first.", id, MaxTokensPerCustomer)
		}
		return tx.InsertToken(ctx, t, hashToken(secret))
	})
	if err != nil {
		return nil, "", fmt.Errorf("create customer token: %w", err)
	}
	return t, secret, nil
}

// ListTokens returns the page of customer id's tokens q asks for (newest
// first; filter and sort on createdTime and expiredTime), expired ones
// included, without their secrets.
func (s *Service) ListTokens(ctx context.Context, orgID, id string, q ListQuery) (int64, []Token, error) {
	if err := CheckPage(q); err != nil {
		return 0, nil, err
	}
	if !ValidID(id) {
		return 0, nil, notFound("Customer %q was not found.", id)
	}
	total, list, exists, err := s.store.ListTokens(ctx, orgID, id, q)
	if err != nil {
		return 0, nil, fmt.Errorf("list customer tokens: %w", err)
	}
	if !exists {
		return 0, nil, s.missing(ctx, orgID, id)
	}
	return total, list, nil
}

// DeleteToken revokes token tokenID of customer id.
func (s *Service) DeleteToken(ctx context.Context, orgID, id, tokenID string) error {
	err := s.store.InTx(ctx, orgID, func(tx Tx) error {
		if _, err := s.lockExisting(ctx, tx, id); err != nil {
			return err
		}
		if uuid.Validate(tokenID) != nil {
			return tokenNotFound(tokenID)
		}
		found, err := tx.DeleteToken(ctx, id, tokenID)
		if err == nil && !found {
			err = tokenNotFound(tokenID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete customer token: %w", err)
	}
	return nil
}

// ErrBadToken is the error of a token that is malformed, unknown,
// expired or revoked: all the same to its holder.
var ErrBadToken = &Error{Kind: KindNotFound, Message: "The customer token is not valid."}

// CustomerByToken returns the customer a live token grants, and its
// organization; any other token is ErrBadToken.
func (s *Service) CustomerByToken(ctx context.Context, token string) (orgID string, c *Customer, err error) {
	orgID, ok := tokenOrganization(token)
	if !ok {
		return "", nil, ErrBadToken
	}
	id, err := s.store.TokenCustomer(ctx, orgID, hashToken(token), s.now())
	if err != nil {
		return "", nil, fmt.Errorf("look up customer token: %w", err)
	}
	if id == "" {
		return "", nil, ErrBadToken
	}
	c, err = s.Customer(ctx, orgID, id)
	if IsNotFound(err) {
		return "", nil, ErrBadToken
	}
	return orgID, c, err
}

// Customer returns customer id as the business rules see it (the
// adapters map it to their platforms' shapes). A missing one is
// KindNotFound, naming the merge target when it was merged away.
func (s *Service) Customer(ctx context.Context, orgID, id string) (*Customer, error) {
	if !ValidID(id) {
		return nil, notFound("Customer %q was not found.", id)
	}
	c, err := s.store.GetCustomer(ctx, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("get customer: %w", err)
	}
	if c == nil {
		return nil, s.missing(ctx, orgID, id)
	}
	return c, nil
}

// Lookup finds a customer by what another platform knows of it (the
// Worldline adapter): the country and every key given.
type Lookup struct {
	Country   string
	TaxNumber *string // the value of any of its tax numbers
	Email     *string // any email of its primary address
	Phone     *string // any phone number of its primary address
	ID        *string
}

// FindCustomers returns up to limit customers that match every part of l,
// through the collection query's indexed filters.
func (s *Service) FindCustomers(ctx context.Context, orgID string, l Lookup, limit int) ([]*Customer, error) {
	clauses := []string{"primaryAddress.country:" + filter.Quote(l.Country)}
	for _, k := range []struct {
		field string
		value *string
	}{{"taxNumbers.value", l.TaxNumber}, {"primaryAddress.emails", l.Email}, {"primaryAddress.phoneNumbers", l.Phone}, {"id", l.ID}} {
		if k.value != nil {
			clauses = append(clauses, k.field+":"+filter.Quote(*k.value))
		}
	}
	ids := &idCollector{}
	q := ListQuery{Filter: strings.Join(clauses, ";"), Sort: []string{"createdTime"}, Limit: limit}
	if err := s.store.ListViews(ctx, orgID, q, ViewOptions{}, ids); err != nil {
		return nil, fmt.Errorf("find customers: %w", err)
	}
	out := make([]*Customer, 0, len(ids.ids))
	for _, id := range ids.ids {
		c, err := s.store.GetCustomer(ctx, orgID, id)
		if err != nil {
			return nil, fmt.Errorf("find customers: %w", err)
		}
		if c != nil { // nil: merged away between the two reads
			out = append(out, c)
		}
	}
	return out, nil
}

// idCollector is a PageWriter that keeps the ids of a page.
type idCollector struct{ ids []string }

func (c *idCollector) Begin(int64) error { return nil }

func (c *idCollector) Customer(v *View) error {
	c.ids = append(c.ids, v.ID)
	return nil
}
