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
	"maps"
	"math/big"
	"slices"
	"strings"
	"sync"
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
	GetTagCollection         = "GetTagCollection"
	PostTag                  = "PostTag"
	GetTag                   = "GetTag"
	DeleteTag                = "DeleteTag"
	PatchTag                 = "PatchTag"
	PostTagCustomer          = "PostTagCustomer"
	DeleteTagCustomer        = "DeleteTagCustomer"
	GetCustomFieldCollection = "GetCustomFieldCollection"
	GetCustomField           = "GetCustomField"
	PutCustomField           = "PutCustomField"
	DeleteCustomField        = "DeleteCustomField"

	GetCustomerTimelineCollection = "GetCustomerTimelineCollection"
	GetCustomerTimeline           = "GetCustomerTimeline"
	PostCustomerTimeline          = "PostCustomerTimeline"
	DeleteCustomerTimeline        = "DeleteCustomerTimeline"
	GetWebhookCollection          = "GetWebhookCollection"
	PostWebhook                   = "PostWebhook"
	GetWebhook                    = "GetWebhook"
	PutWebhook                    = "PutWebhook"
	DeleteWebhook                 = "DeleteWebhook"
	PostCustomerToken             = "PostCustomerToken"
	GetCustomerTokenCollection    = "GetCustomerTokenCollection"
	DeleteCustomerToken           = "DeleteCustomerToken"
	// AllOperations is the wildcard permission.
	AllOperations = "*"
)

// Operations lists every operation id a permission may name.
var Operations = []string{
	GetCustomerCollection, PostCustomer, GetCustomer, PutCustomer, DeleteCustomer,
	GetCustomerLeadSource, PutCustomerLeadSource, DeleteCustomerLeadSource,
	GetTagCollection, PostTag, GetTag, PatchTag, DeleteTag, PostTagCustomer, DeleteTagCustomer,
	GetCustomFieldCollection, GetCustomField, PutCustomField, DeleteCustomField,
	GetCustomerTimelineCollection, GetCustomerTimeline, PostCustomerTimeline, DeleteCustomerTimeline,
	GetWebhookCollection, PostWebhook, GetWebhook, PutWebhook, DeleteWebhook,
	PostCustomerToken, GetCustomerTokenCollection, DeleteCustomerToken,
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
	Name           string
	SecretHash     []byte
	Permissions    []string
	// RateLimit is the key's own limit in requests a second; 0 means the
	// service's default.
	RateLimit    int
	CreatedTime  time.Time
	LastUsedTime *time.Time // to the minute; nil: never used
	RevokedTime  *time.Time // nil: valid
}

// Principal is who a request acts as after authentication.
type Principal struct {
	OrganizationID string
	KeyID          string
	Permissions    []string
	// RateLimit is the key's own limit in requests a second, or 0.
	RateLimit int
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
	// KeyBySecretHash returns the unrevoked key with that hash, or nil when
	// none has it, and notes that it was used at now (to the minute).
	KeyBySecretHash(ctx context.Context, hash []byte, now time.Time) (*Key, error)
	// Keys lists the keys of organization orgID, revoked ones included,
	// oldest first.
	Keys(ctx context.Context, orgID string) ([]Key, error)
	// RevokeKey revokes key id at now and reports whether an unrevoked key
	// had that id.
	RevokeKey(ctx context.Context, id string, now time.Time) (bool, error)
}

// ErrUnauthenticated means the presented secret is missing or unknown.
var ErrUnauthenticated = errors.New("missing or unknown API key")

// ErrUnavailable wraps a store's failure to answer at all (its database is
// down or too busy): a client may retry later.
var ErrUnavailable = errors.New("store unavailable")

// ErrInvalid wraps every rejection of bad input to this package's methods.
var ErrInvalid = errors.New("invalid")

// Service creates organizations and keys and authenticates secrets. It is
// safe for concurrent use.
type Service struct {
	store Store
	now   func() time.Time
	cache *principalCache // nil: every Authenticate asks the store
}

// Option configures a Service.
type Option func(*Service)

// WithCache makes Authenticate remember each authenticated key for ttl, so
// that a request costs no statement for its key while the key is warm.
// The price is that a key revoked or changed in the store keeps working on
// this node for up to ttl. Unknown keys are never remembered, so a new key
// works at once. ttl <= 0 turns the cache off.
func WithCache(ttl time.Duration) Option {
	return func(s *Service) {
		if ttl > 0 {
			s.cache = &principalCache{ttl: ttl, m: make(map[[sha256.Size]byte]cachedPrincipal)}
		}
	}
}

// WithClock replaces the wall clock (tests use a stepping one).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

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

// KeyOption sets more of a new key.
type KeyOption func(*Key)

// WithName names a key (for keys list and audits).
func WithName(name string) KeyOption { return func(k *Key) { k.Name = strings.TrimSpace(name) } }

// WithRateLimit gives a key its own rate limit, in requests a second.
func WithRateLimit(perSecond int) KeyOption { return func(k *Key) { k.RateLimit = perSecond } }

// MaxKeyNameLength bounds a key's name.
const MaxKeyNameLength = 100

// CreateKey creates a key for organization orgID with the given permissions
// ("*" or operation ids; none means "*") and returns it with its secret, which
// exists nowhere else afterwards. An unknown organization or permission, a
// negative rate limit or a name over MaxKeyNameLength wraps ErrInvalid.
func (s *Service) CreateKey(ctx context.Context, orgID string, permissions []string, opts ...KeyOption) (*Key, string, error) {
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
	for _, o := range opts {
		o(k)
	}
	if k.RateLimit < 0 {
		return nil, "", fmt.Errorf("%w: rate limit %d: want a positive number of requests a second", ErrInvalid, k.RateLimit)
	}
	if len([]rune(k.Name)) > MaxKeyNameLength {
		return nil, "", fmt.Errorf("%w: key name longer than %d characters", ErrInvalid, MaxKeyNameLength)
	}
	if err := s.store.CreateKey(ctx, k); err != nil {
		return nil, "", fmt.Errorf("create key: %w", err)
	}
	return k, secret, nil
}

// Authenticate returns the principal of secret, or ErrUnauthenticated. The
// principal may be shared with other callers: do not modify it.
func (s *Service) Authenticate(ctx context.Context, secret string) (*Principal, error) {
	if !strings.HasPrefix(secret, SecretPrefix) || len(secret) > 200 {
		return nil, ErrUnauthenticated
	}
	hash := HashSecret(secret)
	if p, ok := s.cache.get(hash, s.now()); ok {
		return p, nil
	}
	k, err := s.store.KeyBySecretHash(ctx, hash, s.now().UTC())
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	// The lookup is by hash, so a timing difference reveals nothing of the
	// secret; the constant-time comparison guards the final decision anyway.
	if k == nil || subtle.ConstantTimeCompare(k.SecretHash, hash) != 1 {
		return nil, ErrUnauthenticated
	}
	p := &Principal{OrganizationID: k.OrganizationID, KeyID: k.ID, Permissions: k.Permissions, RateLimit: k.RateLimit}
	s.cache.put(hash, p, s.now())
	return p, nil
}

// Keys lists the keys of organization orgID, without their secrets (only
// hashes are stored). An organization id that is not a UUID wraps
// ErrInvalid.
func (s *Service) Keys(ctx context.Context, orgID string) ([]Key, error) {
	if _, err := uuid.Parse(orgID); err != nil {
		return nil, fmt.Errorf("%w: organization id %q is not a UUID", ErrInvalid, orgID)
	}
	keys, err := s.store.Keys(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return keys, nil
}

// RevokeKey revokes key id: it authenticates no more, on a node that
// cached it within the cache's lifetime (WithCache), elsewhere at once.
// An unknown or already revoked key wraps ErrInvalid.
func (s *Service) RevokeKey(ctx context.Context, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return fmt.Errorf("%w: key id %q is not a UUID", ErrInvalid, id)
	}
	ok, err := s.store.RevokeKey(ctx, id, s.now().UTC().Truncate(time.Second))
	if err != nil {
		return fmt.Errorf("revoke key: %w", err)
	}
	if !ok {
		return fmt.Errorf("%w: no valid key has id %s", ErrInvalid, id)
	}
	return nil
}

// maxCachedKeys bounds the principal cache; when it is full, expired
// entries go, and if none has expired, everything does.
const maxCachedKeys = 10000

// principalCache remembers authenticated principals by secret hash.
type principalCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[[sha256.Size]byte]cachedPrincipal
}

type cachedPrincipal struct {
	p       *Principal
	expires time.Time
}

// get returns the principal of hash while it is fresh; a nil cache has none.
func (c *principalCache) get(hash []byte, now time.Time) (*Principal, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[[sha256.Size]byte(hash)]
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	return e.p, true
}

func (c *principalCache) put(hash []byte, p *Principal, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedKeys {
		maps.DeleteFunc(c.m, func(_ [sha256.Size]byte, e cachedPrincipal) bool { return !now.Before(e.expires) })
		if len(c.m) >= maxCachedKeys {
			clear(c.m)
		}
	}
	c.m[[sha256.Size]byte(hash)] = cachedPrincipal{p: p, expires: now.Add(c.ttl)}
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
