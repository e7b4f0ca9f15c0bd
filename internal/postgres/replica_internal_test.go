package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/pgtest"
)

func TestParseLSN(t *testing.T) {
	for s, want := range map[string]uint64{"0/0": 0, "0/16B3748": 0x16B3748, "16/B374D848": 0x16_B374D848, "FFFFFFFF/FFFFFFFF": 1<<64 - 1} {
		if got, err := parseLSN(s); err != nil || got != want {
			t.Errorf("parseLSN(%q) = %x, %v; want %x", s, got, err, want)
		}
	}
	for _, s := range []string{"", "16", "16/", "/1", "x/1", "1/100000000", "1/2/3"} {
		if _, err := parseLSN(s); err == nil {
			t.Errorf("parseLSN(%q) succeeded", s)
		}
	}
}

// discardPage is a PageWriter that keeps nothing.
type discardPage struct{ n int }

func (p *discardPage) Begin(int64) error                { return nil }
func (p *discardPage) Customer(v *customers.View) error { p.n++; return nil }

// BenchmarkReplicaReads compares, one call at a time, a page of 20
// customers and a single customer read on the primary with the same read
// on the replica behind the fence, the fence alone and its statement on
// the primary, over 2 000 customers:
//
//	go test -run '^$' -bench ReplicaReads -benchtime 2000x ./internal/postgres/
func BenchmarkReplicaReads(b *testing.B) {
	ctx := context.Background()
	r := pgtest.NewReplicated(b)
	primaryDB, err := Open(ctx, r.PrimaryURL, Settings{MaxConns: 4})
	if err != nil {
		b.Fatal(err)
	}
	defer primaryDB.Close()
	replicaDB, err := OpenReplica(r.ReplicaURL, Settings{MaxConns: 4})
	if err != nil {
		b.Fatal(err)
	}
	defer replicaDB.Close()
	primary := New(primaryDB)
	var fallbacks int
	replica := New(primaryDB, WithReplica(replicaDB, time.Second), WithReadMetrics(ReadMetrics{Fallback: func(string) { fallbacks++ }}))
	org, err := access.NewService(primary).CreateOrganization(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	svc := customers.NewService(primary)
	for i := range 2000 {
		site := fmt.Sprintf("site-%d", i%10)
		if _, _, err := svc.Put(ctx, org.ID, fmt.Sprintf("c-%04d", i), customers.Input{WebsiteID: &site}, customers.Precondition{}, customers.ViewOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	r.CatchUp(b)
	list := func(s *Store) func() error {
		return func() error {
			return s.ListViews(ctx, org.ID, customers.ListQuery{Limit: 20, Filter: "websiteId:site-3"}, customers.ViewOptions{}, &discardPage{})
		}
	}
	get := func(s *Store) func() error {
		return func() error {
			return s.read(ctx, nil, func(ctx context.Context, q querier) error {
				_, err := getView(ctx, q, sqlGetView, customers.ViewOptions{}, org.ID, "c-0042")
				return err
			})
		}
	}
	fence := func() error {
		lsn, err := replica.walPosition(ctx)
		if err != nil {
			return err
		}
		return replica.replica.await(ctx, lsn)
	}
	for _, bc := range []struct {
		name string
		fn   func() error
	}{
		{"list/primary", list(primary)},
		{"list/replica", list(replica)},
		{"get/primary", get(primary)},
		{"get/replica", get(replica)},
		{"fence", fence},
		{"fence/primary-part", func() error { _, err := replica.walPosition(ctx); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if err := bc.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	if fallbacks > 0 {
		b.Errorf("%d reads fell back to the primary", fallbacks)
	}
}
