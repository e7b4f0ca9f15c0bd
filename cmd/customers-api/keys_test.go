package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
)

// TestKeysListAndRevoke: keys create takes a name and a rate limit, keys
// list shows them and never a secret, and keys revoke ends a key: at once
// for a node without a cache, after the cache's lifetime for one with.
func TestKeysListAndRevoke(t *testing.T) {
	t.Parallel()
	db, url := pgtest.NewDBURL(t)
	c := newCLI(t, url)
	ctx := context.Background()
	org, _, err := c.run("orgs", "create", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	org = strings.TrimSpace(org)
	secret, audit, err := c.run("keys", "create", "--org", org, "--name", "billing sync", "--rate-limit", "25", "--permissions", "GetCustomer")
	if err != nil || !secretLine.MatchString(secret) {
		t.Fatalf("keys create: stdout %q, err %v", secret, err)
	}
	secret = strings.TrimSpace(secret)
	if !strings.Contains(audit, `name "billing sync"`) || !strings.Contains(audit, "GetCustomer") || strings.Contains(audit, secret) {
		t.Fatalf("the audit line on stderr: %q", audit)
	}
	if _, _, err := c.run("keys", "create", "--org", org, "--rate-limit", "-1"); err == nil {
		t.Fatal("a negative rate limit was accepted")
	}

	store := postgres.New(db)
	now := time.Now()
	cached := access.NewService(store, access.WithCache(time.Minute), access.WithClock(func() time.Time { return now }))
	p, err := cached.Authenticate(ctx, secret)
	if err != nil || p.RateLimit != 25 {
		t.Fatalf("authenticate: %+v, %v", p, err)
	}

	list, _, err := c.run("keys", "list", "--org", org)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("keys list:\n%s", list)
	}
	for _, want := range []string{"billing sync", "GetCustomer", "25/s", p.KeyID} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("keys list does not show %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, secret) || strings.Contains(list, "sk_live_") {
		t.Fatal("keys list shows a secret")
	}
	// Used just now: the last-used column is a time, not "-".
	if fields := strings.Fields(lines[1]); fields[len(fields)-2] == "-" {
		t.Errorf("last used not recorded:\n%s", list)
	}

	if _, _, err := c.run("keys", "revoke", p.KeyID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.run("keys", "revoke", p.KeyID); err == nil {
		t.Fatal("revoking a revoked key succeeded")
	}
	if _, err := access.NewService(store).Authenticate(ctx, secret); !errors.Is(err, access.ErrUnauthenticated) {
		t.Fatalf("a revoked key authenticates: %v", err)
	}
	// A node that cached the key keeps it for the cache's lifetime (the
	// README says so), and no longer.
	if _, err := cached.Authenticate(ctx, secret); err != nil {
		t.Fatalf("the cached key was dropped before its time: %v", err)
	}
	now = now.Add(61 * time.Second)
	if _, err := cached.Authenticate(ctx, secret); !errors.Is(err, access.ErrUnauthenticated) {
		t.Fatalf("after the cache's lifetime the revoked key still authenticates: %v", err)
	}
	list, _, err = c.run("keys", "list", "--org", org)
	if err != nil {
		t.Fatal(err)
	}
	row := strings.Fields(strings.Split(strings.TrimSpace(list), "\n")[1])
	if _, err := time.Parse(time.RFC3339, row[len(row)-1]); err != nil {
		t.Fatalf("keys list after the revocation: no revocation time in the last column:\n%s", list)
	}
}
