package customers_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/testsync"
)

// The total of an unfiltered list is exact (SPEC §5) after concurrent
// creates, upserts of shared ids (only the first creates) and merges (the
// duplicate is gone), and another organization's writes do not count. A
// filter that matches everything counts the same.
func TestUnfilteredTotalStaysExact(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	other := f.newOrg(t)

	const writers, each = 8, 15
	testsync.Race(writers, func(w int) {
		for i := range each {
			if _, err := f.svc.Create(ctx, f.org, customers.Input{}, customers.ViewOptions{}); err != nil {
				t.Error(err)
			}
			// Several writers upsert the same ids: only the first counts.
			id := fmt.Sprintf("shared-%d", i)
			if _, _, err := f.svc.Put(ctx, f.org, id, customers.Input{Locale: ptr(fmt.Sprintf("en-%d", w))}, customers.Precondition{}, customers.ViewOptions{}); err != nil {
				t.Error(err)
			}
			if _, _, err := f.svc.Put(ctx, other, id, customers.Input{}, customers.Precondition{}, customers.ViewOptions{}); err != nil {
				t.Error(err)
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	for i := range 5 { // merges delete the duplicate
		if err := f.svc.Merge(ctx, f.org, fmt.Sprintf("shared-%d", i), fmt.Sprintf("shared-%d", i+5), customers.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}

	want := writers*each + each - 5
	if p := f.list(t, f.org, customers.ListQuery{Limit: 0}); p.total != int64(want) || len(p.customers) != 0 {
		t.Errorf("unfiltered total = %d with %d customers on a page of 0, want %d and none", p.total, len(p.customers), want)
	}
	if p := f.list(t, other, customers.ListQuery{}); p.total != each {
		t.Errorf("the other organization's total = %d, want %d", p.total, each)
	}
	p := f.list(t, f.org, customers.ListQuery{Filter: "revision:0..", Limit: customers.MaxLimit})
	if p.total != int64(want) || len(p.customers) != want {
		t.Errorf("filtered total = %d with %d customers, want %d", p.total, len(p.customers), want)
	}
}

// Limit and offset out of range, a malformed filter and an unknown sort
// field are bad queries naming the parameter, and
// nothing is written to the page.
func TestListRefusesMalformedQueries(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name  string
		q     customers.ListQuery
		param string
	}{
		{"negative limit", customers.ListQuery{Limit: -1}, "limit"},
		{"limit over the maximum", customers.ListQuery{Limit: customers.MaxLimit + 1}, "limit"},
		{"negative offset", customers.ListQuery{Limit: 10, Offset: -1}, "offset"},
		{"malformed filter", customers.ListQuery{Limit: 10, Filter: "firstName"}, "filter"},
		{"unknown sort field", customers.ListQuery{Limit: 10, Sort: []string{"shoeSize"}}, "sort"},
	} {
		p := &page{t: t}
		err := f.svc.List(context.Background(), f.org, tc.q, customers.ViewOptions{}, p)
		var de *customers.Error
		if !errors.As(err, &de) || de.Kind != customers.KindBadQuery || de.Param != tc.param {
			t.Errorf("%s: %v, want a bad query naming %s", tc.name, err, tc.param)
		}
		if p.began != 0 || len(p.customers) != 0 {
			t.Errorf("%s: the page was begun %d times with %d customers", tc.name, p.began, len(p.customers))
		}
	}
}
