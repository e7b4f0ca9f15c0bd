package postgres_test

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

	"github.com/billing/customers-api/internal/testsync"
)

func (f *fixture) put(t *testing.T, id string, in customers.Input) *customers.Customer {
	t.Helper()
	c, _, err := f.svc.Put(context.Background(), f.org, id, in, customers.Precondition{})
	if err != nil {
		t.Fatalf("put %s: %v", id, err)
	}
	return c
}

// setPayments sets the read-only figures that payments would maintain.
func (f *fixture) setPayments(t *testing.T, id string, count int, usd string, last string, tags ...string) {
	t.Helper()
	_, err := f.db.Exec(`UPDATE customers SET payment_count = $3, invoice_count = $3,
		lifetime_revenue_amount = $4::numeric, lifetime_revenue_amount_usd = $4::numeric,
		average_value_amount = $4::numeric, average_value_amount_usd = $4::numeric,
		last_payment_time = $5, tags = $6
		WHERE organization_id = $1 AND id = $2`, f.org, id, count, usd, last, "{"+strings.Join(tags, ",")+"}")
	if err != nil {
		t.Fatal(err)
	}
}

func TestMergeRules(t *testing.T) {
	t.Parallel()
	clock := &steppingClock{}
	f := newFixture(t, customers.WithClock(clock.now))
	ctx := context.Background()

	f.put(t, "target", customers.Input{
		Locale:       ptr("en-GB"),
		CustomFields: map[string]any{"tier": "gold", "only-target": true},
		LeadSource:   &customers.LeadSourceData{Campaign: ptr("target-campaign")},
	})
	dup := fullInput()
	dup.Locale = ptr("fr-FR")
	dup.CustomFields = map[string]any{"tier": "silver", "only-dup": json.Number("7")}
	dup.LeadSource = &customers.LeadSourceData{Campaign: ptr("dup-campaign")}
	// The duplicate's lead source is the older one: it was written first.
	f.put(t, "dup", dup)
	_, err := f.db.Exec(`UPDATE lead_sources SET created_time = created_time - interval '1 day' WHERE customer_id = 'dup'`)
	if err != nil {
		t.Fatal(err)
	}
	f.setPayments(t, "target", 2, "10.5", "2026-01-01T00:00:00Z", "vip", "b2b")
	f.setPayments(t, "dup", 3, "0.25", "2026-03-01T00:00:00Z", "b2b", "churn-risk")
	before, err := f.svc.Get(ctx, f.org, "target")
	if err != nil {
		t.Fatal(err)
	}

	merged, err := f.svc.Merge(ctx, f.org, "dup", "target", customers.Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Get(ctx, f.org, "target")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, merged) {
		t.Fatalf("merge returned %+v but stored %+v", merged, got)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"revision +1", got.Revision == before.Revision+1},
		{"updatedTime moved", got.UpdatedTime.After(before.UpdatedTime)},
		{"target's locale kept", *got.Locale == "en-GB"},
		{"empty websiteId taken", got.WebsiteID != nil && *got.WebsiteID == "web-1"},
		{"empty primaryAddress taken whole", reflect.DeepEqual(got.PrimaryAddress.Emails, dup.PrimaryAddress.Emails) && *got.PrimaryAddress.City == "London"},
		{"empty payment instrument taken", got.DefaultPaymentInstrument != nil && *got.DefaultPaymentInstrument.PaymentInstrumentID == "pi-1"},
		{"isEddRequired ORed", got.IsEddRequired},
		{"customFields united, target wins", reflect.DeepEqual(got.CustomFields, map[string]any{"tier": "gold", "only-target": true, "only-dup": json.Number("7")})},
		{"tags united", reflect.DeepEqual(got.Tags, []string{"vip", "b2b", "churn-risk"})},
		{"payment counts summed", got.PaymentCount == 5 && got.InvoiceCount == 5},
		{"money summed", got.LifetimeRevenue.Amount == 107500 && got.LifetimeRevenue.AmountUSD == 107500 && got.AverageValue.Amount == 107500},
		{"last payment the later", got.LastPaymentTime.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))},
		{"has lead source", got.HasLeadSource},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: merged customer %+v", c.name, got)
		}
	}
	ls, err := f.svc.GetLeadSource(ctx, f.org, "target")
	if err != nil {
		t.Fatal(err)
	}
	if *ls.Campaign != "target-campaign" || *ls.Original.Campaign != "dup-campaign" {
		t.Errorf("lead source after merge: current %q (want the target's), original %q (want the older, the duplicate's)", *ls.Campaign, *ls.Original.Campaign)
	}
	if ls.Revision != got.Revision {
		t.Errorf("lead source revision %d, customer %d", ls.Revision, got.Revision)
	}

	// The duplicate is gone, remembered, and cannot come back.
	if _, err := f.svc.Get(ctx, f.org, "dup"); !customers.IsNotFound(err) || !strings.Contains(err.Error(), `merged into customer "target"`) {
		t.Errorf("GET of the merged id: %v", err)
	}
	for _, pre := range []customers.Precondition{{}, {IfMatch: []string{"0"}}, {IfMatch: []string{"*"}}, {IfNoneMatch: []string{"*"}}} {
		// Conditions or not, a retried import learns where the id went.
		if _, _, err := f.svc.Put(ctx, f.org, "dup", customers.Input{}, pre); customers.ErrorKind(err) != customers.KindConflict || !strings.Contains(err.Error(), `"target"`) {
			t.Errorf("PUT of the merged id with %+v: %v", pre, err)
		}
	}
	if _, err := f.svc.Merge(ctx, f.org, "dup", "target", customers.Precondition{}); !customers.IsNotFound(err) {
		t.Errorf("merging the merged id again: %v", err)
	}
	if _, _, err := f.svc.PutLeadSource(ctx, f.org, "dup", customers.LeadSourceData{}, customers.Precondition{}); !customers.IsNotFound(err) {
		t.Errorf("writing the merged id's lead source: %v", err)
	}
	var snapshot struct {
		Target string          `db:"target_id"`
		Doc    json.RawMessage `db:"source_snapshot"`
	}
	if err := f.db.Get(&snapshot, `SELECT target_id, source_snapshot FROM customer_merges WHERE organization_id = $1 AND source_id = 'dup'`, f.org); err != nil {
		t.Fatal(err)
	}
	if snapshot.Target != "target" || !strings.Contains(string(snapshot.Doc), `"dup-campaign"`) || !strings.Contains(string(snapshot.Doc), `"ada@home.example"`) {
		t.Errorf("merge record: target %q, snapshot %s", snapshot.Target, snapshot.Doc)
	}
}

func TestMergeMovesLeadSourceAndRepointsEarlierMerges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, "a", customers.Input{LeadSource: &customers.LeadSourceData{Source: ptr("ads")}})
	f.put(t, "b", customers.Input{})
	f.put(t, "c", customers.Input{})
	if _, err := f.svc.Merge(ctx, f.org, "a", "b", customers.Precondition{}); err != nil {
		t.Fatal(err)
	}
	ls, err := f.svc.GetLeadSource(ctx, f.org, "b")
	if err != nil || *ls.Source != "ads" || *ls.Original.Source != "ads" {
		t.Fatalf("lead source not moved to a target without one: %+v %v", ls, err)
	}
	if _, err := f.svc.Merge(ctx, f.org, "b", "c", customers.Precondition{}); err != nil {
		t.Fatal(err)
	}
	// a was merged into b, which is now merged into c: a leads to c.
	if _, err := f.svc.Get(ctx, f.org, "a"); err == nil || !strings.Contains(err.Error(), `merged into customer "c"`) {
		t.Fatalf("GET a after a→b→c: %v", err)
	}
}

func TestMergeErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, "x", customers.Input{})
	f.put(t, "y", customers.Input{})
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
		{"stale If-Match on the duplicate", "x", "y", customers.Precondition{IfMatch: []string{"9"}}, customers.KindPreconditionFailed, "revision"},
	}
	for _, tt := range tests {
		_, err := f.svc.Merge(ctx, f.org, tt.id, tt.target, tt.pre)
		if customers.ErrorKind(err) != tt.kind || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("%s: err = %v, want kind %v mentioning %s", tt.name, err, tt.kind, tt.mention)
		}
	}
	for _, id := range []string{"x", "y"} {
		if c, err := f.svc.Get(ctx, f.org, id); err != nil || c.Revision != 0 {
			t.Errorf("a failed merge changed %s: %+v %v", id, c, err)
		}
	}
}

// Ten rounds of A→B racing B→A: exactly one wins each round, the other gets
// not-found, nothing fails otherwise and exactly one customer is left.
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
			_, err := f.svc.Merge(ctx, f.org, pair[0], pair[1], customers.Precondition{})
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
		var left int
		if err := f.db.Get(&left, `SELECT count(*) FROM customers WHERE organization_id = $1 AND id IN ($2, $3)`, f.org, a, b); err != nil {
			t.Fatal(err)
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
			if _, err := f.svc.Merge(ctx, f.org, "dupe", "survivor", customers.Precondition{}); err != nil {
				t.Errorf("merge: %v", err)
			}
			return
		}
		in := customers.Input{CustomFields: map[string]any{"writer": json.Number(fmt.Sprint(i))}}
		if _, _, err := f.svc.Put(ctx, f.org, "survivor", in, customers.Precondition{}); err != nil {
			t.Errorf("put %d: %v", i, err)
		}
	})
	got, err := f.svc.Get(ctx, f.org, "survivor")
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != writers+1 {
		t.Fatalf("final revision %d, want %d (every PUT and the merge)", got.Revision, writers+1)
	}
	if _, err := f.svc.Get(ctx, f.org, "dupe"); !customers.IsNotFound(err) {
		t.Fatalf("duplicate still there: %v", err)
	}
}

func TestLeadSourceLifecycle(t *testing.T) {
	t.Parallel()
	clock := &steppingClock{}
	f := newFixture(t, customers.WithClock(clock.now))
	ctx := context.Background()
	if _, _, err := f.svc.PutLeadSource(ctx, f.org, "ghost", customers.LeadSourceData{}, customers.Precondition{}); !customers.IsNotFound(err) {
		t.Fatalf("lead source for a missing customer: %v", err)
	}
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM lead_sources`); err != nil || n != 0 {
		t.Fatalf("lead sources after writing to a missing customer: %d %v", n, err)
	}
	c := f.put(t, "c", customers.Input{})
	if _, err := f.svc.GetLeadSource(ctx, f.org, "c"); !customers.IsNotFound(err) {
		t.Fatalf("GET of an absent lead source: %v", err)
	}
	first, created, err := f.svc.PutLeadSource(ctx, f.org, "c", customers.LeadSourceData{Campaign: ptr("spring"), Referrer: ptr("https://example.com/a?b=c")}, customers.Precondition{})
	if err != nil || !created || first.Revision != c.Revision+1 || *first.Original.Campaign != "spring" {
		t.Fatalf("first write: created=%v %+v %v", created, first, err)
	}
	second, created, err := f.svc.PutLeadSource(ctx, f.org, "c", customers.LeadSourceData{Campaign: ptr("summer")}, customers.Precondition{IfMatch: []string{customers.ETag(first.Revision)}})
	if err != nil || created || *second.Campaign != "summer" || *second.Original.Campaign != "spring" || second.Original.Referrer == nil || second.Revision != first.Revision+1 {
		t.Fatalf("second write: created=%v %+v %v", created, second, err)
	}
	same, _, err := f.svc.PutLeadSource(ctx, f.org, "c", customers.LeadSourceData{Campaign: ptr("summer")}, customers.Precondition{})
	if err != nil || same.Revision != second.Revision {
		t.Fatalf("unchanged write moved the revision: %+v %v", same, err)
	}
	if _, _, err := f.svc.PutLeadSource(ctx, f.org, "c", customers.LeadSourceData{Campaign: ptr("x")}, customers.Precondition{IfMatch: []string{"0"}}); customers.ErrorKind(err) != customers.KindPreconditionFailed {
		t.Fatalf("stale If-Match: %v", err)
	}
	cust, err := f.svc.Get(ctx, f.org, "c")
	if err != nil || !cust.HasLeadSource || cust.Revision != second.Revision || !cust.UpdatedTime.Equal(second.UpdatedTime) {
		t.Fatalf("customer after lead source writes: %+v %v", cust, err)
	}
	if err := f.svc.DeleteLeadSource(ctx, f.org, "c", customers.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteLeadSource(ctx, f.org, "c", customers.Precondition{}); !customers.IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
	again, created, err := f.svc.PutLeadSource(ctx, f.org, "c", customers.LeadSourceData{Campaign: ptr("autumn")}, customers.Precondition{})
	if err != nil || !created || *again.Original.Campaign != "autumn" {
		t.Fatalf("write after delete must start a new original: %+v %v", again, err)
	}
	if _, _, err := f.svc.PutLeadSource(ctx, f.org, "c", customers.LeadSourceData{Referrer: ptr("not a uri")}, customers.Precondition{}); customers.ErrorKind(err) != customers.KindInvalid {
		t.Fatalf("bad referrer: %v", err)
	}
}

func TestInlineLeadSourceOnCustomerWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	created, err := f.svc.Create(ctx, f.org, customers.Input{LeadSource: &customers.LeadSourceData{Medium: ptr("email")}})
	if err != nil || created.Revision != 0 || !created.HasLeadSource {
		t.Fatalf("create with lead source: %+v %v", created, err)
	}
	// Leaving leadSource out of a PUT leaves it alone.
	c, _, err := f.svc.Put(ctx, f.org, created.ID, customers.Input{}, customers.Precondition{})
	if err != nil || c.Revision != 0 || !c.HasLeadSource {
		t.Fatalf("put without lead source: %+v %v", c, err)
	}
	// Changing both the customer and its lead source in one PUT is one revision.
	c, _, err = f.svc.Put(ctx, f.org, created.ID, customers.Input{Locale: ptr("de"), LeadSource: &customers.LeadSourceData{Medium: ptr("social")}}, customers.Precondition{})
	if err != nil || c.Revision != 1 {
		t.Fatalf("put changing customer and lead source: %+v %v", c, err)
	}
	// Changing only the lead source is a change too.
	c, _, err = f.svc.Put(ctx, f.org, created.ID, customers.Input{Locale: ptr("de"), LeadSource: &customers.LeadSourceData{Medium: ptr("tv")}}, customers.Precondition{})
	if err != nil || c.Revision != 2 {
		t.Fatalf("put changing only the lead source: %+v %v", c, err)
	}
	ls, err := f.svc.GetLeadSource(ctx, f.org, created.ID)
	if err != nil || *ls.Medium != "tv" || *ls.Original.Medium != "email" {
		t.Fatalf("lead source: %+v %v", ls, err)
	}
	// An invalid inline lead source fails the whole write.
	_, _, err = f.svc.Put(ctx, f.org, "new-one", customers.Input{LeadSource: &customers.LeadSourceData{Campaign: ptr(strings.Repeat("x", 513))}}, customers.Precondition{})
	var de *customers.Error
	if !errorsAs(err, &de) || de.Fields[0].Field != "leadSource.campaign" {
		t.Fatalf("invalid inline lead source: %v", err)
	}
	if _, err := f.svc.Get(ctx, f.org, "new-one"); !customers.IsNotFound(err) {
		t.Fatalf("invalid inline lead source still created the customer: %v", err)
	}
}

// Racing first writes of a lead source: original is set exactly once.
func TestRacingFirstLeadSourceWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, "c", customers.Input{})
	const n = 10
	var createdCount atomic.Int32
	var creator atomic.Value
	testsync.Race(n, func(i int) {
		campaign := fmt.Sprint("c", i)
		_, created, err := f.svc.PutLeadSource(ctx, f.org, "c", customers.LeadSourceData{Campaign: &campaign}, customers.Precondition{})
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
		if created {
			createdCount.Add(1)
			creator.Store(campaign)
		}
	})
	if createdCount.Load() != 1 {
		t.Fatalf("%d writes created the lead source, want 1", createdCount.Load())
	}
	ls, err := f.svc.GetLeadSource(ctx, f.org, "c")
	if err != nil {
		t.Fatal(err)
	}
	// The original is the values of the write that created it, and every
	// write (each with values of its own) was one revision.
	if ls.Original.Campaign == nil || *ls.Original.Campaign != creator.Load() {
		t.Fatalf("original %+v, want the creator's campaign %v", ls.Original, creator.Load())
	}
	if ls.Revision != n {
		t.Fatalf("revision %d after %d changing writes, want %d", ls.Revision, n, n)
	}
}

func errorsAs(err error, target **customers.Error) bool { return errors.As(err, target) }

// TestGetLeadSourceDoesNotWaitForWriters: reading a lead source takes no row
// lock, so it answers (with the committed revision) while another
// transaction holds the customer locked for a write. The deadline only
// matters if the read blocks, which is the failure.
func TestGetLeadSourceDoesNotWaitForWriters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, "busy-ls", customers.Input{LeadSource: &customers.LeadSourceData{Source: ptr("ads")}})
	writer, err := f.db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback()
	if _, err := writer.Exec(`UPDATE customers SET revision = revision + 1 WHERE organization_id = $1 AND id = 'busy-ls'`, f.org); err != nil {
		t.Fatal(err)
	}
	readCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ls, err := f.svc.GetLeadSource(readCtx, f.org, "busy-ls")
	if err != nil {
		t.Fatalf("read while a writer holds the customer: %v", err)
	}
	if *ls.Source != "ads" || ls.Revision != 0 {
		t.Errorf("lead source %+v, want the committed state (revision 0)", ls)
	}
}

func TestMergeRefusesCustomFieldsOverTheLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	big := func(prefix string) map[string]any { // about 9 KiB each, 16 KiB together
		m := map[string]any{}
		for i := range 9 {
			m[fmt.Sprintf("%s%d", prefix, i)] = strings.Repeat("x", 1000)
		}
		return m
	}
	dup := f.put(t, "dup", customers.Input{CustomFields: big("a")})
	tgt := f.put(t, "tgt", customers.Input{CustomFields: big("b")})

	_, err := f.svc.Merge(ctx, f.org, "dup", "tgt", customers.Precondition{})
	var de *customers.Error
	if !errorsAs(err, &de) || de.Kind != customers.KindConflict || !strings.Contains(de.Message, "16384 bytes") {
		t.Fatalf("merge over the customFields limit: %v, want a conflict naming the limit", err)
	}
	for _, want := range []*customers.Customer{dup, tgt} {
		got, err := f.svc.Get(ctx, f.org, want.ID)
		if err != nil {
			t.Fatalf("%s after the refused merge: %v", want.ID, err)
		}
		if got.Revision != want.Revision || len(got.CustomFields) != len(want.CustomFields) {
			t.Errorf("%s changed: revision %d → %d, %d → %d custom fields", want.ID, want.Revision, got.Revision, len(want.CustomFields), len(got.CustomFields))
		}
	}
}
