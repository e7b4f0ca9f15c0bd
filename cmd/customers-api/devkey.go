package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/config"
)

// devKeyFile keeps the development key's secret under DATA_DIR so that every
// start of the local setup prints the same key. Only the local setup (no
// DATABASE_URL) has one.
const devKeyFile = "dev-api-key"

// printDevKey prints the development organization's API key, creating the
// organization and key on the first start (or when the file's key no longer
// authenticates, e.g. after .data/postgres was deleted).
func printDevKey(ctx context.Context, cfg config.Config, svc *access.Service, stdout io.Writer) error {
	path := filepath.Join(cfg.DataDir, devKeyFile)
	secret, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read development key: %w", err)
	}
	key := strings.TrimSpace(string(secret))
	p, err := svc.Authenticate(ctx, key)
	if errors.Is(err, access.ErrUnauthenticated) {
		org, err := svc.CreateOrganization(ctx, "Development")
		if err != nil {
			return err
		}
		if _, key, err = svc.CreateKey(ctx, org.ID, nil); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
			return fmt.Errorf("write development key: %w", err)
		}
		p = &access.Principal{OrganizationID: org.ID}
	} else if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Development organization: %s\nDevelopment API key (REB-APIKEY): %s\n", p.OrganizationID, key)
	return nil
}
