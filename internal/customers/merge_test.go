package customers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/testsync"
)

// setPayments sets the read-only figures that payments would maintain (this
// service takes no payments yet, so only SQL can): the payment and invoice
// counts, both money amounts (in USD), the last payment time and the tags.
func (f *fixture) setPayments(t *testing.T, id string, count int, usd string, last string, tags ...string) {
	t.Helper()
	_, err := f.db.Exec(`UPDATE customers SET payment_count = $3, invoice_count = $3,
		lifetime_revenue_amount = $4::numeric, lifetime_revenue_amount_usd = $4::numeric,
		average_value_amount = $4::numeric, average_value_amount_usd = $4::numeric,
		last_payment_time = $5
		WHERE organization_id = $1 AND id = $2`, f.org, id, count, usd, last)
	if err != nil {
		t.Fatal(err)
	}
	pgtest.SetTags(t, f.db, f.org, id, tags...)
}

// TestMergeRules merges a duplicate full of data into a sparse target and
// checks each rule of SPEC §4 on the survivor, then that the duplicate is
// gone for good.
func TestMergeRules(t *testing.T) {
	t.Parallel()
	clock := &steppingClock{}
	f := newFixture(t, customers.WithClock(clock.now))
	ctx := context.Background()

	// The duplicate is written first, so its lead source is the older one.
	dup := fullInput()
	dup.Locale = ptr("fr-FR")
	dup.CustomFields = map[string]any{"tier": "silver", "only-dup": json.Number("7")}
	dup.LeadSource = &customers.LeadSourceData{Campaign: ptr("dup-campaign")}
	f.put(t, "dup", dup)
	f.put(t, "target", customers.Input{
		Locale:       ptr("en-GB"),
		CustomFields: map[string]any{"tier": "gold", "only-target": true},
		LeadSource:   &customers.LeadSourceData{Campaign: ptr("target-campaign")},
	})
	f.setPayments(t, "target", 2, "10.5", "2026-01-01T00:00:00Z", "vip", "b2b")
	f.setPayments(t, "dup", 3, "0.25", "2026-03-01T00:00:00Z", "b2b", "churn-risk")
	before := f.get(t, "target")

	if err := f.svc.Merge(ctx, f.org, "dup", "target", customers.Precondition{}); err != nil {
		t.Fatal(err)
	}

	got := f.get(t, "target")
	rules := []struct {
		rule string
		ok   bool
	}{
		{"revision +1", got.Revision == before.Revision+1},
		{"updatedTime moved", got.UpdatedTime.After(before.UpdatedTime)},
		{"the target's locale kept", got.Locale != nil && *got.Locale == "en-GB"},
		{"empty websiteId taken", got.WebsiteID != nil && *got.WebsiteID == "web-1"},
		{"empty primaryAddress taken whole", got.PrimaryAddress != nil && reflect.DeepEqual(got.PrimaryAddress.Emails, dup.PrimaryAddress.Emails) &&
			got.PrimaryAddress.City != nil && *got.PrimaryAddress.City == "London"},
		{"email derived from the taken address", got.Email != nil && *got.Email == "ada@home.example"},
		{"empty payment instrument taken", got.DefaultPaymentInstrument != nil && *got.DefaultPaymentInstrument.PaymentInstrumentID == "pi-1"},
		{"isEddRequired ORed", got.IsEddRequired},
		{"customFields united, the target winning", reflect.DeepEqual(got.CustomFields, map[string]any{"tier": "gold", "only-target": true, "only-dup": json.Number("7")})},
		{"tags united, sorted by name", reflect.DeepEqual(got.tagNames(), []string{"b2b", "churn-risk", "vip"})},
		{"payment counts summed", got.PaymentCount == 5 && got.InvoiceCount == 5},
		{"money summed", got.LifetimeRevenue == money{"USD", "10.75", "10.75"} && got.AverageValue == money{"USD", "10.75", "10.75"}},
		{"last payment the later", got.LastPaymentTime != nil && got.LastPaymentTime.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))},
		{"has a lead source", got.HasLeadSource},
	}
	for _, r := range rules {
		if !r.ok {
			t.Errorf("%s: merged customer %+v", r.rule, got)
		}
	}

	// Both had a lead source: the target keeps its values, and takes the
	// original of the older one, the duplicate's.
	ls := f.leadSource(t, "target")
	if *ls.Campaign != "target-campaign" || *ls.Original.Campaign != "dup-campaign" {
		t.Errorf("lead source after merge: current %q (want the target's), original %q (want the older, the duplicate's)", *ls.Campaign, *ls.Original.Campaign)
	}
	if ls.Revision != got.Revision {
		t.Errorf("lead source revision %d, customer %d", ls.Revision, got.Revision)
	}

	// The duplicate is gone, remembered, and cannot come back.
	if _, err := f.svc.Get(ctx, f.org, "dup", customers.ViewOptions{}); !customers.IsNotFound(err) || !strings.Contains(err.Error(), `merged into customer "target"`) {
		t.Errorf("GET of the merged id: %v", err)
	}
	if _, err := f.svc.GetLeadSource(ctx, f.org, "dup"); !customers.IsNotFound(err) || !strings.Contains(err.Error(), `merged into customer "target"`) {
		t.Errorf("GET of the merged id's lead source: %v", err)
	}
	for _, pre := range []customers.Precondition{{}, {IfMatch: []string{"0"}}, {IfMatch: []string{"*"}}, {IfNoneMatch: []string{"*"}}} {
		// Conditions or not, a retried import learns where the id went.
		if _, _, err := f.svc.Put(ctx, f.org, "dup", customers.Input{}, pre, customers.ViewOptions{}); customers.ErrorKind(err) != customers.KindConflict || !strings.Contains(err.Error(), `"target"`) {
			t.Errorf("PUT of the merged id with %+v: %v", pre, err)
		}
	}
	if err := f.svc.Merge(ctx, f.org, "dup", "target", customers.Precondition{}); !customers.IsNotFound(err) {
		t.Errorf("merging the merged id again: %v", err)
	}
	if _, _, err := f.svc.PutLeadSource(ctx, f.org, "dup", customers.LeadSourceData{}, customers.Precondition{}); !customers.IsNotFound(err) {
		t.Errorf("writing the merged id's lead source: %v", err)
	}
	if err := f.svc.DeleteLeadSource(ctx, f.org, "dup", customers.Precondition{}); !customers.IsNotFound(err) {
		t.Errorf("deleting the merged id's lead source: %v", err)
	}
}

// A target without a lead source takes the duplicate's whole; and an id
// merged into a customer that is merged in turn leads to the last one.
func TestMergeMovesLeadSourceAndRepointsEarlierMerges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, "a", customers.Input{LeadSource: &customers.LeadSourceData{Source: ptr("ads")}})
	f.put(t, "b", customers.Input{})
	f.put(t, "c", customers.Input{})
	if err := f.svc.Merge(ctx, f.org, "a", "b", customers.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if ls := f.leadSource(t, "b"); *ls.Source != "ads" || *ls.Original.Source != "ads" {
		t.Fatalf("lead source not moved to a target without one: %+v", ls)
	}
	if err := f.svc.Merge(ctx, f.org, "b", "c", customers.Precondition{}); err != nil {
		t.Fatal(err)
	}
	// a was merged into b, which is now merged into c: a leads to c.
	if _, err := f.svc.Get(ctx, f.org, "a", customers.ViewOptions{}); !customers.IsNotFound(err) || !strings.Contains(err.Error(), `merged into customer "c"`) {
		t.Fatalf("GET a after a→b→c: %v", err)
	}
	if _, _, err := f.svc.Put(ctx, f.org, "a", customers.Input{}, customers.Precondition{}, customers.ViewOptions{}); customers.ErrorKind(err) != customers.KindConflict || !strings.Contains(err.Error(), `"c"`) {
		t.Fatalf("PUT a after a→b→c: %v", err)
	}
}

// Each refused merge has its kind and says why; none changes either
// customer.
func TestMergeErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, "x", customers.Input{})
	f.put(t, "y", customers.Input{})
	f.put(t, "gone", customers.Input{})
	if err := f.svc.Merge(ctx, f.org, "gone", "y", customers.Precondition{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id, target string
		pre              customers.Precondition
		kind             customers.Kind
		mention          string
	}{
		{"no target", "x", "", customers.Precondition{}, customers.KindInvalid, "targetCustomerId"},
		{"into itself", "x", "x", customers.Precondition{}, customers.KindConflict, "itself"},
		{"missing duplicate", "nope", "y", customers.Precondition{}, customers.KindNotFound, `"nope"`},
		{"missing target", "x", "nope", customers.Precondition{}, customers.KindNotFound, `Target customer "nope"`},
		{"both missing names the path customer", "nope1", "nope2", customers.Precondition{}, customers.KindNotFound, `"nope1"`},
		{"both missing, target id invalid, names the path customer", "nope1", "bad id", customers.Precondition{}, customers.KindNotFound, `"nope1"`},
		{"invalid target id", "x", "bad id", customers.Precondition{}, customers.KindNotFound, `Target customer "bad id"`},
		{"target merged away names where it went", "x", "gone", customers.Precondition{}, customers.KindNotFound, `merged into customer "y"`},
		{"stale If-Match on the duplicate", "x", "y", customers.Precondition{IfMatch: []string{"9"}}, customers.KindPreconditionFailed, "revision"},
	}
	for _, tt := range tests {
		err := f.svc.Merge(ctx, f.org, tt.id, tt.target, tt.pre)
		if customers.ErrorKind(err) != tt.kind || !strings.Contains(fmt.Sprint(err), tt.mention) {
			t.Errorf("%s: err = %v, want kind %v mentioning %s", tt.name, err, tt.kind, tt.mention)
		}
	}
	for id, rev := range map[string]int64{"x": 0, "y": 1} {
		if c := f.get(t, id); c.Revision != rev {
			t.Errorf("a failed merge changed %s: revision %d, want %d", id, c.Revision, rev)
		}
	}
}

// Ten rounds of A→B racing B→A: exactly one wins each round, the other gets
// not-found, nothing fails otherwise and exactly one customer is left. Rows
// locked in a fixed order mean no deadlock to resolve.
func TestCrossingMergesNeverDeadlock(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for round := 0; round < 10; round++ {
		a, b := fmt.Sprintf("a%d", round), fmt.Sprintf("b%d", round)
		f.put(t, a, customers.Input{})
		f.put(t, b, customers.Input{})
		var wins, notFound atomic.Int32
		pairs := [2][2]string{{a, b}, {b, a}}
		testsync.Race(len(pairs), func(i int) {
			pair := pairs[i]
			err := f.svc.Merge(ctx, f.org, pair[0], pair[1], customers.Precondition{})
			switch {
			case err == nil:
				wins.Add(1)
			case customers.IsNotFound(err):
				notFound.Add(1)
			default:
				t.Errorf("round %d: merge %s→%s: %v", round, pair[0], pair[1], err)
			}
		})
		if wins.Load() != 1 || notFound.Load() != 1 {
			t.Fatalf("round %d: %d merges won and %d got not-found, want 1 and 1", round, wins.Load(), notFound.Load())
		}
		left := 0
		for _, id := range []string{a, b} {
			_, err := f.svc.Get(ctx, f.org, id, customers.ViewOptions{})
			switch {
			case err == nil:
				left++
			case !customers.IsNotFound(err):
				t.Fatalf("round %d: get %s: %v", round, id, err)
			}
		}
		if left != 1 {
			t.Fatalf("round %d: %d customers left, want 1", round, left)
		}
	}
}

// A merge racing twenty PUTs that each change the target: no update is lost
// and the final revision counts every change (20 PUTs + 1 merge).
func TestMergeRacingPutsOnTarget(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, "survivor", customers.Input{})
	f.put(t, "dupe", customers.Input{CustomFields: map[string]any{"from-dupe": "yes"}})
	const writers = 20
	// Calls 0 … writers-1 are the PUTs, the last one the merge.
	testsync.Race(writers+1, func(i int) {
		if i == writers {
			if err := f.svc.Merge(ctx, f.org, "dupe", "survivor", customers.Precondition{}); err != nil {
				t.Errorf("merge: %v", err)
			}
			return
		}
		in := customers.Input{CustomFields: map[string]any{"writer": json.Number(fmt.Sprint(i))}}
		if _, _, err := f.svc.Put(ctx, f.org, "survivor", in, customers.Precondition{}, customers.ViewOptions{}); err != nil {
			t.Errorf("put %d: %v", i, err)
		}
	})
	if got := f.get(t, "survivor"); got.Revision != writers+1 {
		t.Fatalf("final revision %d, want %d (every PUT and the merge)", got.Revision, writers+1)
	}
	if _, err := f.svc.Get(ctx, f.org, "dupe", customers.ViewOptions{}); !customers.IsNotFound(err) {
		t.Fatalf("duplicate still there: %v", err)
	}
}

// A merge whose union of customFields would break the 16 KiB limit is
// refused as a conflict, and changes neither customer: a client could not
// PUT the result back.
func TestMergeRefusesCustomFieldsOverTheLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	big := func(prefix string) map[string]any { // about 9 KiB each, 18 KiB together
		m := map[string]any{}
		for i := range 9 {
			m[fmt.Sprintf("%s%d", prefix, i)] = strings.Repeat("x", 1000)
		}
		return m
	}
	dup := f.put(t, "dup", customers.Input{CustomFields: big("a")})
	tgt := f.put(t, "tgt", customers.Input{CustomFields: big("b")})

	err := f.svc.Merge(ctx, f.org, "dup", "tgt", customers.Precondition{})
	var de *customers.Error
	if !errors.As(err, &de) || de.Kind != customers.KindConflict || !strings.Contains(de.Message, "16384 bytes") {
		t.Fatalf("merge over the customFields limit: %v, want a conflict naming the limit", err)
	}
	for _, want := range []customer{dup, tgt} {
		if got := f.get(t, want.ID); got.Revision != want.Revision || !reflect.DeepEqual(got.CustomFields, want.CustomFields) {
			t.Errorf("%s changed: revision %d → %d, %d → %d custom fields", want.ID, want.Revision, got.Revision, len(want.CustomFields), len(got.CustomFields))
		}
	}
}
