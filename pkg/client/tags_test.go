package client_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/billing/customers-api/pkg/client"
)

// tagNames are the names of tags, in order.
func tagNames(tags []client.Tag) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.Name
	}
	return out
}

func TestTagCRUD(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		// A name that needs escaping: a space, "+" (not a space in a
		// path) and "@".
		const name = "VIP +gold@2024"
		tag, resp, err := c.CreateTag(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		self := base + "/tags/" + url.PathEscape(name)
		if resp.StatusCode != http.StatusCreated || !resp.Created || resp.Location != self {
			t.Errorf("create: status %d, created %v, Location %q, want %q", resp.StatusCode, resp.Created, resp.Location, self)
		}
		if tag.Name != name || tag.Type != "customer" || len(tag.ID) == 0 || tag.CreatedTime.IsZero() || !tag.UpdatedTime.Equal(tag.CreatedTime) {
			t.Errorf("created tag %+v", tag)
		}
		if tag.Link("self") != self {
			t.Errorf("self link %q, want %q", tag.Link("self"), self)
		}

		got, _, err := c.GetTag(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tag) {
			t.Errorf("GET differs from POST:\n%+v\n%+v", got, tag)
		}

		// The same name again is a conflict; names compare case-sensitively.
		_, _, err = c.CreateTag(ctx, name)
		mustErr(t, err, http.StatusConflict)
		if !client.IsConflict(err) {
			t.Errorf("IsConflict(%v) is false", err)
		}
		if _, _, err := c.CreateTag(ctx, "vip +gold@2024"); err != nil {
			t.Errorf("a name differing in case: %v", err)
		}
		// An invalid name is a 422 at name.
		_, _, err = c.CreateTag(ctx, "no/slash")
		if e := mustErr(t, err, http.StatusUnprocessableEntity); len(e.InvalidFields) == 0 || e.InvalidFields[0].Field != "name" {
			t.Errorf("invalid name: %+v", e.InvalidFields)
		}
		// Dots alone are valid names, and must survive the path.
		if _, _, err := c.CreateTag(ctx, ".."); err != nil {
			t.Fatal(err)
		}
		if got, _, err := c.GetTag(ctx, ".."); err != nil || got.Name != ".." {
			t.Errorf("GetTag(\"..\") = %+v, %v", got, err)
		}

		list, resp, err := c.ListTags(ctx, client.Sort("name"), client.Limit(2))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"..", "VIP +gold@2024"}; !reflect.DeepEqual(tagNames(list.Tags), want) {
			t.Errorf("page 1 %v, want %v", tagNames(list.Tags), want)
		}
		if list.Total != 3 || list.Limit != 2 || list.Offset != 0 || !list.HasNext() || resp.StatusCode != http.StatusOK {
			t.Errorf("page 1: total %d, limit %d, offset %d, links %+v", list.Total, list.Limit, list.Offset, list.Links)
		}
		next, _, err := c.ListTagsAt(ctx, list.Links.Next)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"vip +gold@2024"}; !reflect.DeepEqual(tagNames(next.Tags), want) || next.Offset != 2 || next.HasNext() {
			t.Errorf("page 2 %v (offset %d, links %+v), want %v", tagNames(next.Tags), next.Offset, next.Links, want)
		}
		found, _, err := c.ListTags(ctx, client.Search("GOLD"), client.Filter("name:VIP +gold@2024"))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{name}; !reflect.DeepEqual(tagNames(found.Tags), want) || found.Total != 1 {
			t.Errorf("filtered %v (total %d), want %v", tagNames(found.Tags), found.Total, want)
		}
		_, _, err = c.ListTags(ctx, client.Filter("nosuchfield:1"))
		mustErr(t, err, http.StatusBadRequest)
		empty, _, err := c.ListTags(ctx, client.Offset(10))
		if err != nil || empty.Tags == nil || len(empty.Tags) != 0 || empty.Total != 3 {
			t.Errorf("past the end: %+v, %v", empty, err)
		}

		resp, err = c.DeleteTag(ctx, name)
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("delete: %v, %+v", err, resp)
		}
		_, _, err = c.GetTag(ctx, name)
		mustErr(t, err, http.StatusNotFound)
		_, err = c.DeleteTag(ctx, name)
		if !client.IsNotFound(err) {
			t.Errorf("deleting again: %v, want 404", err)
		}
	})
}

func TestCreateTagIdempotent(t *testing.T) {
	a := newAPI(t)
	c := a.client()
	ctx := context.Background()
	key := client.WithHeader("Idempotency-Key", "create-tag-1")
	first, _, err := c.CreateTag(ctx, "retry me", key)
	if err != nil {
		t.Fatal(err)
	}
	// A retry gets the first answer again instead of a 409.
	again, resp, err := c.CreateTag(ctx, "retry me", key)
	if err != nil {
		t.Fatalf("retry with the same Idempotency-Key: %v", err)
	}
	if !resp.Created || again.ID != first.ID || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: created %v, id %q (first %q), Idempotent-Replayed %q", resp.Created, again.ID, first.ID, resp.Header.Get("Idempotent-Replayed"))
	}
	_, _, err = c.CreateTag(ctx, "retry me")
	mustErr(t, err, http.StatusConflict)
}

func TestTagAndUntagCustomer(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		cus, _, err := c.PutCustomer(ctx, "cus_tagged", client.CustomerInput{})
		if err != nil {
			t.Fatal(err)
		}
		if cus.Tags == nil || len(cus.Tags) != 0 || cus.Revision != 0 {
			t.Fatalf("new customer: tags %v, revision %d", cus.Tags, cus.Revision)
		}

		// Tagging creates the tag when it does not exist.
		resp, err := c.TagCustomer(ctx, "zeta tag", "cus_tagged")
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("tag: %v, %+v", err, resp)
		}
		zeta, _, err := c.GetTag(ctx, "zeta tag")
		if err != nil {
			t.Fatalf("the tag was not created: %v", err)
		}
		if _, err := c.TagCustomer(ctx, "alpha+1", "cus_tagged"); err != nil {
			t.Fatal(err)
		}
		got, resp, err := c.GetCustomer(ctx, "cus_tagged")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"alpha+1", "zeta tag"}; !reflect.DeepEqual(tagNames(got.Tags), want) {
			t.Errorf("tags %v, want %v (sorted by name)", tagNames(got.Tags), want)
		}
		if got.Revision != 2 || resp.ETag != client.ETag(2) || got.UpdatedTime.Before(cus.UpdatedTime) {
			t.Errorf("after two taggings: revision %d, ETag %q, updatedTime %v (was %v)", got.Revision, resp.ETag, got.UpdatedTime, cus.UpdatedTime)
		}
		tz := got.Tags[1]
		if tz.ID != zeta.ID || tz.Type != "customer" || !tz.CreatedTime.Equal(zeta.CreatedTime) || len(tz.Links) != 0 {
			t.Errorf("customer's tag %+v, want %+v without links", tz, zeta)
		}

		// Tagging again changes nothing.
		if _, err := c.TagCustomer(ctx, "zeta tag", "cus_tagged"); err != nil {
			t.Fatal(err)
		}
		if again, _, err := c.GetCustomer(ctx, "cus_tagged"); err != nil || again.Revision != 2 {
			t.Errorf("re-tagging: revision %d, %v; want 2", again.Revision, err)
		}

		// A PUT does not touch the tags.
		put, _, err := c.PutCustomer(ctx, "cus_tagged", client.CustomerInput{Locale: client.String("en-US")})
		if err != nil {
			t.Fatal(err)
		}
		if len(put.Tags) != 2 || put.Revision != 3 {
			t.Errorf("after PUT: tags %v, revision %d", tagNames(put.Tags), put.Revision)
		}

		resp, err = c.UntagCustomer(ctx, "zeta tag", "cus_tagged")
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("untag: %v, %+v", err, resp)
		}
		got, _, err = c.GetCustomer(ctx, "cus_tagged")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"alpha+1"}; !reflect.DeepEqual(tagNames(got.Tags), want) || got.Revision != 4 {
			t.Errorf("after untag: tags %v, revision %d; want %v, 4", tagNames(got.Tags), got.Revision, want)
		}
		// Untagging a customer that lacks the tag changes nothing.
		if _, err := c.UntagCustomer(ctx, "zeta tag", "cus_tagged"); err != nil {
			t.Fatal(err)
		}
		if again, _, _ := c.GetCustomer(ctx, "cus_tagged"); again.Revision != 4 {
			t.Errorf("untag of an untagged customer bumped the revision to %d", again.Revision)
		}

		// Deleting a tag removes it from its customers, bumping them.
		if _, err := c.DeleteTag(ctx, "alpha+1"); err != nil {
			t.Fatal(err)
		}
		got, _, err = c.GetCustomer(ctx, "cus_tagged")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Tags) != 0 || got.Revision != 5 {
			t.Errorf("after the tag's deletion: tags %v, revision %d; want none, 5", tagNames(got.Tags), got.Revision)
		}

		// Errors: a missing customer, a missing tag when untagging.
		_, err = c.TagCustomer(ctx, "zeta tag", "cus_nobody")
		mustErr(t, err, http.StatusNotFound)
		_, err = c.UntagCustomer(ctx, "no such tag", "cus_tagged")
		mustErr(t, err, http.StatusNotFound)
		if _, err := c.TagCustomer(ctx, "", "cus_tagged"); err == nil || client.StatusCode(err) != 0 {
			t.Errorf("empty tag name: %v, want a client-side error", err)
		}
		if _, err := c.UntagCustomer(ctx, "zeta tag", ""); err == nil || client.StatusCode(err) != 0 {
			t.Errorf("empty customer id: %v, want a client-side error", err)
		}
	})
}

func TestTagCustomersInBulk(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		ids := []string{"cus_b1", "cus_b2", "cus_b3"}
		for _, id := range ids {
			if _, _, err := c.PutCustomer(ctx, id, client.CustomerInput{}); err != nil {
				t.Fatal(err)
			}
		}
		revisions := func() []int64 {
			t.Helper()
			out := make([]int64, len(ids))
			for i, id := range ids {
				cu, _, err := c.GetCustomer(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				out[i] = cu.Revision
			}
			return out
		}

		// One already has the tag: it does not change.
		if _, err := c.TagCustomer(ctx, "bulk", "cus_b1"); err != nil {
			t.Fatal(err)
		}
		resp, err := c.TagCustomers(ctx, "bulk", ids, client.WithRequestID("bulk-tag"))
		if err != nil || resp.StatusCode != http.StatusNoContent || resp.RequestID != "bulk-tag" {
			t.Fatalf("bulk tag: %v, %+v", err, resp)
		}
		if got, want := revisions(), []int64{1, 1, 1}; !reflect.DeepEqual(got, want) {
			t.Errorf("revisions %v, want %v", got, want)
		}
		for _, id := range ids {
			if cu, _, _ := c.GetCustomer(ctx, id); !reflect.DeepEqual(tagNames(cu.Tags), []string{"bulk"}) {
				t.Errorf("%s: tags %v", id, tagNames(cu.Tags))
			}
		}

		// Missing ids: 422 naming each by position, and nothing changes.
		_, err = c.UntagCustomers(ctx, "bulk", []string{"cus_b1", "cus_gone", "cus_b2", "cus_gone2"})
		e := mustErr(t, err, http.StatusUnprocessableEntity)
		if _, ok := e.Field("customerIds[1]"); !ok {
			t.Errorf("invalid fields %+v lack customerIds[1]", e.InvalidFields)
		}
		if _, ok := e.Field("customerIds[3]"); !ok {
			t.Errorf("invalid fields %+v lack customerIds[3]", e.InvalidFields)
		}
		if _, ok := e.Field("customerIds[0]"); ok {
			t.Errorf("invalid fields %+v name an existing customer", e.InvalidFields)
		}
		_, err = c.TagCustomers(ctx, "other", []string{"cus_gone"})
		if e := mustErr(t, err, http.StatusUnprocessableEntity); len(e.InvalidFields) != 1 || e.InvalidFields[0].Field != "customerIds[0]" {
			t.Errorf("invalid fields %+v", e.InvalidFields)
		}
		if got, want := revisions(), []int64{1, 1, 1}; !reflect.DeepEqual(got, want) {
			t.Errorf("a failed bulk call changed revisions: %v, want %v", got, want)
		}
		if _, _, err := c.GetTag(ctx, "other"); !client.IsNotFound(err) {
			t.Errorf("a failed bulk tagging left its tag behind: %v", err)
		}
		// No ids at all is a 422 too.
		_, err = c.TagCustomers(ctx, "bulk", nil)
		if e := mustErr(t, err, http.StatusUnprocessableEntity); len(e.InvalidFields) == 0 || e.InvalidFields[0].Field != "customerIds" {
			t.Errorf("empty list: %+v", e.InvalidFields)
		}

		resp, err = c.UntagCustomers(ctx, "bulk", ids[:2])
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("bulk untag: %v, %+v", err, resp)
		}
		if got, want := revisions(), []int64{2, 2, 1}; !reflect.DeepEqual(got, want) {
			t.Errorf("revisions %v, want %v", got, want)
		}
		_, err = c.UntagCustomers(ctx, "never made", ids)
		mustErr(t, err, http.StatusNotFound)
	})
}

func TestCustomerNewFields(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		in := client.CustomerInput{
			TaxNumbers: []client.TaxNumber{
				{Type: "eu-vat", Value: "DE123456789", IsDefault: true},
				{Type: "other", Value: "TX-1"},
			},
			NotificationEmails:          []string{"billing@example.com", "ops@example.com"},
			PreferredPayoutInstrumentID: client.String("pi_payout"),
		}
		created, _, err := c.CreateCustomer(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(created.TaxNumbers, in.TaxNumbers) {
			t.Errorf("taxNumbers %+v, want %+v (isValid null)", created.TaxNumbers, in.TaxNumbers)
		}
		if !reflect.DeepEqual(created.NotificationEmails, in.NotificationEmails) || str(created.PreferredPayoutInstrumentID) != "pi_payout" {
			t.Errorf("notificationEmails %v, preferredPayoutInstrumentId %s", created.NotificationEmails, str(created.PreferredPayoutInstrumentID))
		}
		if created.OrganizationID != a.orgID {
			t.Errorf("organizationId %q, want %q", created.OrganizationID, a.orgID)
		}

		// Input carries the new fields over: writing it back changes nothing.
		back, _, err := c.PutCustomer(ctx, created.ID, created.Input())
		if err != nil {
			t.Fatal(err)
		}
		if back.Revision != created.Revision || !reflect.DeepEqual(back.TaxNumbers, created.TaxNumbers) ||
			!reflect.DeepEqual(back.NotificationEmails, created.NotificationEmails) || str(back.PreferredPayoutInstrumentID) != "pi_payout" {
			t.Errorf("read-modify-write lost data:\nbefore %+v\nafter  %+v", created, back)
		}

		// Left out, they take their defaults.
		bare, _, err := c.PutCustomer(ctx, created.ID, client.CustomerInput{})
		if err != nil {
			t.Fatal(err)
		}
		if bare.TaxNumbers == nil || len(bare.TaxNumbers) != 0 || bare.NotificationEmails == nil || len(bare.NotificationEmails) != 0 ||
			bare.PreferredPayoutInstrumentID != nil {
			t.Errorf("defaults: taxNumbers %v, notificationEmails %v, preferredPayoutInstrumentId %s", bare.TaxNumbers, bare.NotificationEmails, str(bare.PreferredPayoutInstrumentID))
		}

		// Validation names the fields.
		_, _, err = c.CreateCustomer(ctx, client.CustomerInput{
			TaxNumbers: []client.TaxNumber{
				{Type: "eu-vat", Value: "A", IsDefault: true}, {Type: "other", Value: "B", IsDefault: true},
			},
			NotificationEmails: []string{"ok@example.com", "not an email"},
		})
		e := mustErr(t, err, http.StatusUnprocessableEntity)
		for _, f := range []string{"taxNumbers", "notificationEmails[1]"} {
			if _, ok := e.Field(f); !ok {
				t.Errorf("invalid fields %+v lack %s", e.InvalidFields, f)
			}
		}

		// Filterable by tax number value, case-insensitively.
		if _, _, err := c.PutCustomer(ctx, "cus_vat", client.CustomerInput{TaxNumbers: []client.TaxNumber{{Type: "eu-vat", Value: "FR999"}}}); err != nil {
			t.Fatal(err)
		}
		list, _, err := c.ListCustomers(ctx, client.Filter("taxNumbers.value:fr999"))
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Customers) != 1 || list.Customers[0].ID != "cus_vat" {
			t.Errorf("filter on taxNumbers.value: %d customers", len(list.Customers))
		}
	})
}
