package postgres_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/customers"
)

// RecordMerge keeps the duplicate as the database held it (its row and its
// lead source) under the target's id, and points ids merged into the
// duplicate earlier at the new target. The merge rules themselves are
// tested in package customers.
func TestRecordMergeKeepsTheDuplicateAndRepointsEarlierMerges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	dup := fullInput()
	dup.LeadSource = &customers.LeadSourceData{Campaign: ptr("dup-campaign")}
	for id, in := range map[string]customers.Input{"earlier": {}, "dup": dup, "target": {}} {
		if _, _, err := f.svc.Put(ctx, f.org, id, in, customers.Precondition{}, customers.ViewOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.Merge(ctx, f.org, "earlier", "dup", customers.Precondition{}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	err := f.store.InTx(ctx, f.org, func(tx customers.Tx) error {
		if err := tx.RecordMerge(ctx, "dup", "target", at); err != nil {
			return err
		}
		return tx.DeleteCustomer(ctx, "dup")
	})
	if err != nil {
		t.Fatal(err)
	}

	var rec struct {
		Target string          `db:"target_id"`
		At     time.Time       `db:"merged_time"`
		Doc    json.RawMessage `db:"source_snapshot"`
	}
	if err := f.db.Get(&rec, `SELECT target_id, merged_time, source_snapshot FROM customer_merges WHERE organization_id = $1 AND source_id = 'dup'`, f.org); err != nil {
		t.Fatal(err)
	}
	if rec.Target != "target" || !rec.At.Equal(at) {
		t.Errorf("merge record: target %q at %v, want %q at %v", rec.Target, rec.At, "target", at)
	}
	for _, want := range []string{`"dup-campaign"`, `"ada@home.example"`, `"web-1"`} {
		if !strings.Contains(string(rec.Doc), want) {
			t.Errorf("the snapshot lacks %s: %s", want, rec.Doc)
		}
	}
	for _, id := range []string{"dup", "earlier"} {
		if into, err := f.store.MergedInto(ctx, f.org, id); into != "target" || err != nil {
			t.Errorf("MergedInto(%s) = %q, %v; want target", id, into, err)
		}
	}
	if into, err := f.store.MergedInto(ctx, f.org, "target"); into != "" || err != nil {
		t.Errorf("MergedInto(target) = %q, %v; want none", into, err)
	}
	// DeleteCustomer took the lead source with it.
	var leads int
	if err := f.db.Get(&leads, `SELECT count(*) FROM lead_sources WHERE organization_id = $1 AND customer_id = 'dup'`, f.org); err != nil || leads != 0 {
		t.Errorf("%d lead sources of the deleted duplicate (%v)", leads, err)
	}
}
