package main

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
)

// TestSeedGeneratorIsDeterministic: the same seed gives the same customers,
// another seed others, and no two ids of one seed collide.
func TestSeedGeneratorIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b, other := newSeedGenerator(7), newSeedGenerator(7), newSeedGenerator(8)
	ids := map[string]bool{}
	var differ int
	for i := range 2000 {
		x, y, z := a.customer(i), b.customer(i), other.customer(i)
		if !reflect.DeepEqual(x, y) {
			t.Fatalf("customer %d differs between two generators of one seed:\n%+v\n%+v", i, x.Customer, y.Customer)
		}
		if x.Customer.ID == z.Customer.ID {
			t.Fatalf("customer %d has id %s under both seeds", i, x.Customer.ID)
		}
		if !reflect.DeepEqual(x.Customer.PrimaryAddress, z.Customer.PrimaryAddress) {
			differ++
		}
		if ids[x.Customer.ID] {
			t.Fatalf("id %s generated twice", x.Customer.ID)
		}
		ids[x.Customer.ID] = true
	}
	if differ < 1900 {
		t.Errorf("only %d of 2000 addresses differ between seeds 7 and 8", differ)
	}
}

// TestSeedCommand runs `seed` and checks that what it loaded is what the
// service itself would have stored: every customer passes validation, and
// PUTting it back unchanged changes nothing (same hash, same revision).
func TestSeedCommand(t *testing.T) {
	t.Parallel()
	db, url := pgtest.NewDBURL(t)
	c := newCLI(t, url)
	org, _, err := c.run("orgs", "create", "Seeded")
	if err != nil {
		t.Fatal(err)
	}
	org = strings.TrimSpace(org)

	out, _, err := c.run("seed", "--org", org, "--rows", "250", "--seed", "3")
	if err != nil || out != "250\n" {
		t.Fatalf("seed: stdout %q, %v; want the number loaded", out, err)
	}
	store := postgres.New(db)
	svc := customers.NewService(store)
	ctx := context.Background()
	page := &seededPage{t: t}
	if err := svc.List(ctx, org, customers.ListQuery{Limit: customers.MaxLimit}, customers.ViewOptions{}, page); err != nil || page.total != 250 || len(page.customers) != 250 {
		t.Fatalf("list after seed: total %d with %d customers, %v; want 250 customers", page.total, len(page.customers), err)
	}
	var withAddress, withLeadSource, withTags int
	for _, cu := range page.customers {
		if !customers.ValidID(cu.ID) {
			t.Errorf("invalid id %q", cu.ID)
		}
		if cu.PrimaryAddress != nil {
			withAddress++
		}
		if cu.hasLeadSource {
			withLeadSource++
		}
		if len(cu.Tags) > 0 {
			withTags++
		}
		in := customers.Input{
			WebsiteID: cu.WebsiteID, DefaultPaymentInstrument: cu.DefaultPaymentInstrument,
			CustomFields: cu.CustomFields, PrimaryAddress: cu.PrimaryAddress, Locale: cu.Locale,
			IsEddRequired: &cu.IsEddRequired,
		}
		if cu.PrimaryAddress != nil {
			addr := *cu.PrimaryAddress
			addr.Hash = "" // the service derives it
			in.PrimaryAddress = &addr
		}
		v, created, err := svc.Put(ctx, org, cu.ID, in, customers.Precondition{}, customers.ViewOptions{})
		if err != nil {
			t.Fatalf("customer %s as seeded is refused by the service: %v\n%+v", cu.ID, err, cu)
		}
		got := decodeSeeded(t, v)
		if created || got.Revision != cu.Revision || got.UpdatedTime != cu.UpdatedTime {
			t.Errorf("customer %s: putting it back unchanged gave created=%v revision %d→%d updated %v→%v",
				cu.ID, created, cu.Revision, got.Revision, cu.UpdatedTime, got.UpdatedTime)
		}
		if cu.PrimaryAddress != nil && got.PrimaryAddress.Hash != cu.PrimaryAddress.Hash {
			t.Errorf("customer %s: seeded hash %s, the service derives %s", cu.ID, cu.PrimaryAddress.Hash, got.PrimaryAddress.Hash)
		}
	}
	// Varied, not uniform.
	if withAddress < 200 || withAddress == 250 || withLeadSource < 40 || withLeadSource > 120 || withTags < 50 {
		t.Errorf("of 250: %d with an address, %d with a lead source, %d with tags", withAddress, withLeadSource, withTags)
	}

	// The same seed again: the first id collides and nothing is loaded.
	if out, _, err := c.run("seed", "--org", org, "--rows", "250", "--seed", "3"); err == nil || out != "" {
		t.Errorf("second seed with the same seed: stdout %q, %v; want an error", out, err)
	}
	for _, args := range [][]string{
		{"seed"},
		{"seed", "--rows", "10"},
		{"seed", "--org", org, "--rows", "-1"},
		{"seed", "--org", "0b6a4631-02bf-4fc7-863d-0103fd1301fb", "--rows", "10"}, // no such organization
		{"seed", "--org", org, "--rows", "10", "extra"},
	} {
		if out, _, err := c.run(args...); err == nil || out != "" {
			t.Errorf("%q: stdout %q, %v; want an error", args, out, err)
		}
	}
	after := &seededPage{t: t}
	if err := svc.List(ctx, org, customers.ListQuery{}, customers.ViewOptions{}, after); err != nil || after.total != 250 {
		t.Errorf("total after refused seeds: %d, %v; want 250", after.total, err)
	}
}

// seeded is what TestSeedCommand reads of a customer's View: its writable
// fields, what must not move when they are put back, and its tags.
type seeded struct {
	ID                       string                       `json:"id"`
	WebsiteID                *string                      `json:"websiteId"`
	DefaultPaymentInstrument *customers.PaymentInstrument `json:"defaultPaymentInstrument"`
	CustomFields             map[string]any               `json:"customFields"`
	PrimaryAddress           *customers.Contact           `json:"primaryAddress"`
	Locale                   *string                      `json:"locale"`
	IsEddRequired            bool                         `json:"isEddRequired"`
	Revision                 int64                        `json:"revision"`
	UpdatedTime              string                       `json:"updatedTime"`
	Tags                     []json.RawMessage            `json:"tags"`

	hasLeadSource bool
}

func decodeSeeded(t *testing.T, v *customers.View) seeded {
	t.Helper()
	var c seeded
	dec := json.NewDecoder(bytes.NewReader(v.JSON))
	dec.UseNumber() // custom field numbers go back as they came
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("decode %s: %v", v.JSON, err)
	}
	c.hasLeadSource = v.HasLeadSource
	return c
}

// seededPage collects a List's customers.
type seededPage struct {
	t         *testing.T
	total     int64
	customers []seeded
}

func (p *seededPage) Begin(total int64) error { p.total = total; return nil }

func (p *seededPage) Customer(v *customers.View) error {
	p.customers = append(p.customers, decodeSeeded(p.t, v))
	return nil
}
