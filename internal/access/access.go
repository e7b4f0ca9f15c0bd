// Package access is the tenancy and authentication domain: organizations,
// secret API keys and the permissions they carry. It generates secrets,
// stores only their hashes and authenticates a presented secret in constant
// time. Like package customers it knows nothing of HTTP or SQL.
package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Operation ids, as in Rebilly's API; a key's permissions list them.
const (
	GetCustomerCollection    = "GetCustomerCollection"
	PostCustomer             = "PostCustomer"
	GetCustomer              = "GetCustomer"
	PutCustomer              = "PutCustomer"
	DeleteCustomer           = "DeleteCustomer"
	GetCustomerLeadSource    = "GetCustomerLeadSource"
	PutCustomerLeadSource    = "PutCustomerLeadSource"
	DeleteCustomerLeadSource = "DeleteCustomerLeadSource"
	// AllOperations is the wildcard permission.
	AllOperations = "*"
)

// Operations lists every operation id a permission may name.
var Operations = []string{
	GetCustomerCollection, PostCustomer, GetCustomer, PutCustomer, DeleteCustomer,
	GetCustomerLeadSource, PutCustomerLeadSource, DeleteCustomerLeadSource,
}

// Organization is a tenant.
type Organization struct {
	ID          string
	Name        string
	CreatedTime time.Time
}

// Key is a stored API key: never the secret, only its SHA-256.
type Key struct {
	ID             string
	OrganizationID string
	SecretHash     []byte
	Permissions    []string
	CreatedTime    time.Time
}

// Principal is who a request acts as after authentication.
type Principal struct {
	OrganizationID string
	KeyID          string
	Permissions    []string
}

// Can reports whether the principal may perform operation op.
func (p *Principal) Can(op string) bool {
	return slices.Contains(p.Permissions, AllOperations) || slices.Contains(p.Permissions, op)
}

// Store persists organizations and keys.
type Store interface {
	CreateOrganization(ctx context.Context, o *Organization) error
	// OrganizationExists reports whether an organization with id exists.
	OrganizationExists(ctx context.Context, id string) (bool, error)
	CreateKey(ctx context.Context, k *Key) error
	// KeyBySecretHash returns the key with that hash, or nil when none has it.
	KeyBySecretHash(ctx context.Context, hash []byte) (*Key, error)
}

// ErrUnauthenticated means the presented secret is missing or unknown.
var ErrUnauthenticated = errors.New("missing or unknown API key")

// ErrInvalid wraps every rejection of bad input to this package's methods.
var ErrInvalid = errors.New("invalid")

// Service creates organizations and keys and authenticates secrets.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns a Service over store.
func NewService(store Store) *Service { return &Service{store: store, now: time.Now} }

// CreateOrganization stores a new organization named name and returns it.
// An empty name wraps ErrInvalid.
func (s *Service) CreateOrganization(ctx context.Context, name string) (*Organization, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, fmt.Errorf("%w: organization name is empty", ErrInvalid)
	}
	o := &Organization{ID: uuid.NewString(), Name: name, CreatedTime: s.now().UTC().Truncate(time.Second)}
	if err := s.store.CreateOrganization(ctx, o); err != nil {
		return nil, fmt.Errorf("create organization: %w", err)
	}
	return o, nil
}

// CreateKey creates a key for organization orgID with the given permissions
// ("*" or operation ids; none means "*") and returns it with its secret, which
// exists nowhere else afterwards. An unknown organization or permission wraps
// ErrInvalid.
func (s *Service) CreateKey(ctx context.Context, orgID string, permissions []string) (*Key, string, error) {
	if _, err := uuid.Parse(orgID); err != nil {
		return nil, "", fmt.Errorf("%w: organization id %q is not a UUID", ErrInvalid, orgID)
	}
	if len(permissions) == 0 {
		permissions = []string{AllOperations}
	}
	for _, p := range permissions {
		if p != AllOperations && !slices.Contains(Operations, p) {
			return nil, "", fmt.Errorf("%w: unknown permission %q (known: *, %s)", ErrInvalid, p, strings.Join(Operations, ", "))
		}
	}
	ok, err := s.store.OrganizationExists(ctx, orgID)
	if err != nil {
		return nil, "", fmt.Errorf("create key: %w", err)
	}
	if !ok {
		return nil, "", fmt.Errorf("%w: organization %s does not exist", ErrInvalid, orgID)
	}
	secret, err := NewSecret()
	if err != nil {
		return nil, "", err
	}
	k := &Key{
		ID: uuid.NewString(), OrganizationID: orgID, SecretHash: HashSecret(secret),
		Permissions: slices.Compact(slices.Sorted(slices.Values(permissions))),
		CreatedTime: s.now().UTC().Truncate(time.Second),
	}
	if err := s.store.CreateKey(ctx, k); err != nil {
		return nil, "", fmt.Errorf("create key: %w", err)
	}
	return k, secret, nil
}

// Authenticate returns the principal of secret, or ErrUnauthenticated.
func (s *Service) Authenticate(ctx context.Context, secret string) (*Principal, error) {
	if !strings.HasPrefix(secret, SecretPrefix) || len(secret) > 200 {
		return nil, ErrUnauthenticated
	}
	hash := HashSecret(secret)
	k, err := s.store.KeyBySecretHash(ctx, hash)
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	// The lookup is by hash, so a timing difference reveals nothing of the
	// secret; the constant-time comparison guards the final decision anyway.
	if k == nil || subtle.ConstantTimeCompare(k.SecretHash, hash) != 1 {
		return nil, ErrUnauthenticated
	}
	return &Principal{OrganizationID: k.OrganizationID, KeyID: k.ID, Permissions: k.Permissions}, nil
}

// SecretPrefix starts every secret key.
const SecretPrefix = "sk_live_"

const (
	secretLength = 40 // base62 characters after the prefix: about 238 bits
	base62       = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// NewSecret returns a new random secret: SecretPrefix and 40 base62 characters.
func NewSecret() (string, error) {
	b := make([]byte, secretLength)
	max := big.NewInt(int64(len(base62)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("generate secret: %w", err)
		}
		b[i] = base62[n.Int64()]
	}
	return SecretPrefix + string(b), nil
}

// HashSecret is the SHA-256 of a secret, the only form in which it is stored.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
