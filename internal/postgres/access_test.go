package postgres_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
)

func TestKeysAuthenticateByHashOnly(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	svc := access.NewService(postgres.New(db))
	ctx := context.Background()
	org, err := svc.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	key, secret, err := svc.CreateKey(ctx, org.ID, []string{access.GetCustomer, access.PutCustomer})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^sk_live_[0-9A-Za-z]{32,}$`).MatchString(secret) {
		t.Fatalf("secret %q does not look like sk_live_ + 32+ base62 characters", secret)
	}
	// What is stored is the SHA-256 of the secret, and nothing holds the secret itself.
	var hashed, clear int
	if err := db.Get(&hashed, `SELECT count(*) FROM api_keys WHERE secret_hash = sha256(convert_to($1, 'UTF8'))`, secret); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&clear, `SELECT count(*) FROM api_keys WHERE position(convert_to($1, 'UTF8') IN secret_hash) > 0 OR id::text = $1`, secret); err != nil {
		t.Fatal(err)
	}
	if hashed != 1 || clear != 0 {
		t.Fatalf("stored keys: %d hashed as SHA-256, %d holding the secret in clear", hashed, clear)
	}
	p, err := svc.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if p.OrganizationID != org.ID || p.KeyID != key.ID || !p.Can(access.GetCustomer) || p.Can(access.PostCustomer) {
		t.Fatalf("principal %+v", p)
	}
	// The last character changed to another (it is "Z" one time in 62).
	last := "Z"
	if strings.HasSuffix(secret, "Z") {
		last = "Y"
	}
	for _, wrong := range []string{"", secret + "x", secret[:len(secret)-1], secret[:len(secret)-1] + last, "Bearer " + secret} {
		if _, err := svc.Authenticate(ctx, wrong); !errors.Is(err, access.ErrUnauthenticated) {
			t.Errorf("Authenticate(%q) = %v, want ErrUnauthenticated", wrong, err)
		}
	}
}

func TestCreateKeyRejectsBadInput(t *testing.T) {
	t.Parallel()
	svc := access.NewService(postgres.New(pgtest.NewDB(t)))
	ctx := context.Background()
	org, err := svc.CreateOrganization(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		org   string
		perms []string
	}{
		"unknown permission":   {org.ID, []string{"DropEverything"}},
		"org not a uuid":       {"acme", nil},
		"unknown organization": {"7d7e2a53-9d0e-4c53-9f38-8a0f1b3c1f00", nil},
	} {
		if _, _, err := svc.CreateKey(ctx, tc.org, tc.perms); !errors.Is(err, access.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := svc.CreateOrganization(ctx, "  "); !errors.Is(err, access.ErrInvalid) {
		t.Errorf("empty organization name: %v", err)
	}
	k, _, err := svc.CreateKey(ctx, org.ID, nil)
	if err != nil || !slices.Equal(k.Permissions, []string{"*"}) {
		t.Fatalf("default permissions: %v %v", k, err)
	}
}
