package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/billing/customers-api/pkg/client"
)

// fullInput sets every writable field of a customer.
func fullInput() client.CustomerInput {
	return client.CustomerInput{
		WebsiteID:                client.String("web_main"),
		DefaultPaymentInstrument: &client.PaymentInstrument{Method: "payment-card", PaymentInstrumentID: client.String("pi_123")},
		CustomFields:             map[string]any{"tier": "gold", "score": 4.5, "interests": []string{"golf", "sailing"}},
		PrimaryAddress: &client.ContactObject{
			FirstName: client.String("Ada"), LastName: client.String("Lovelace"), Organization: client.String("Analytical Engines"),
			City: client.String("London"), Country: client.String("GB"), PostalCode: client.String("NW1 6XE"), Dob: client.String("1815-12-10"),
			PhoneNumbers: []client.ContactPhoneNumber{{Label: "home", Value: "+44 20 7946 0000", Primary: true}},
			Emails: []client.ContactEmail{
				{Label: "home", Value: "ada@home.example"},
				{Label: "work", Value: "ada@example.com", Primary: true},
			},
		},
		Locale:        client.String("en-GB"),
		IsEddRequired: true,
		LeadSource:    &client.LeadSourceData{Medium: client.String("cpc"), Source: client.String("google")},
	}
}

// checkFull asserts that c holds what fullInput wrote, with links under base.
func checkFull(t *testing.T, c *client.Customer, base string) {
	t.Helper()
	if str(c.Email) != "ada@example.com" || str(c.FirstName) != "Ada" || str(c.LastName) != "Lovelace" {
		t.Errorf("derived fields: email %s, firstName %s, lastName %s", str(c.Email), str(c.FirstName), str(c.LastName))
	}
	if str(c.WebsiteID) != "web_main" || str(c.Locale) != "en-GB" || !c.IsEddRequired {
		t.Errorf("websiteId %s, locale %s, isEddRequired %v", str(c.WebsiteID), str(c.Locale), c.IsEddRequired)
	}
	if pi := c.DefaultPaymentInstrument; pi == nil || pi.Method != "payment-card" || str(pi.PaymentInstrumentID) != "pi_123" {
		t.Errorf("defaultPaymentInstrument %+v", pi)
	}
	wantCF := map[string]any{"tier": "gold", "score": json.Number("4.5"), "interests": []any{"golf", "sailing"}}
	if !reflect.DeepEqual(c.CustomFields, wantCF) {
		t.Errorf("customFields %#v, want %#v", c.CustomFields, wantCF)
	}
	a := c.PrimaryAddress
	if a == nil {
		t.Fatal("primaryAddress is nil")
	}
	if str(a.City) != "London" || str(a.Country) != "GB" || str(a.PostalCode) != "NW1 6XE" || str(a.Dob) != "1815-12-10" ||
		str(a.Organization) != "Analytical Engines" || a.Address != nil || a.JobTitle != nil {
		t.Errorf("primaryAddress %+v", a)
	}
	if len(a.Emails) != 2 || a.Emails[1] != (client.ContactEmail{Label: "work", Value: "ada@example.com", Primary: true}) {
		t.Errorf("emails %+v", a.Emails)
	}
	if len(a.PhoneNumbers) != 1 || a.PhoneNumbers[0].Value != "+44 20 7946 0000" || !a.PhoneNumbers[0].Primary {
		t.Errorf("phoneNumbers %+v", a.PhoneNumbers)
	}
	if len(a.Hash) != 40 {
		t.Errorf("hash %q is not 40 hex characters", a.Hash)
	}
	if c.CreatedTime.IsZero() || !c.UpdatedTime.Equal(c.CreatedTime) || c.CreatedTime.Location().String() != "UTC" {
		t.Errorf("createdTime %v, updatedTime %v", c.CreatedTime, c.UpdatedTime)
	}
	zero := client.Money{Currency: "USD", Amount: "0", AmountUSD: "0"}
	if c.AverageValue != zero || c.LifetimeRevenue != zero || c.PaymentCount != 0 || c.InvoiceCount != 0 || c.LastPaymentTime != nil {
		t.Errorf("payment figures: %+v %+v %d %d %v", c.AverageValue, c.LifetimeRevenue, c.PaymentCount, c.InvoiceCount, c.LastPaymentTime)
	}
	if c.Tags == nil || len(c.Tags) != 0 || c.HasFulfilledKyc {
		t.Errorf("tags %v, hasFulfilledKyc %v", c.Tags, c.HasFulfilledKyc)
	}
	self := base + "/customers/" + c.ID
	for rel, want := range map[string]string{
		"self": self, "leadSource": self + "/lead-source",
		"website": base + "/websites/web_main", "defaultPaymentInstrument": base + "/payment-instruments/pi_123",
	} {
		if got := c.Link(rel); got != want {
			t.Errorf("link %s = %q, want %q", rel, got, want)
		}
	}
	if c.Embedded != nil {
		t.Errorf("_embedded %+v without expand", c.Embedded)
	}
}

func TestCreateAndGetCustomer(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		created, resp, err := c.CreateCustomer(ctx, fullInput(), client.WithRequestID("import-0001"))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusCreated || !resp.Created {
			t.Errorf("status %d, created %v", resp.StatusCode, resp.Created)
		}
		if len(created.ID) != 36 || created.Revision != 0 {
			t.Errorf("id %q, revision %d: want a server-made UUID at revision 0", created.ID, created.Revision)
		}
		if resp.Location != base+"/customers/"+created.ID {
			t.Errorf("Location %q, want under %s", resp.Location, base)
		}
		if resp.ETag != `"0"` || resp.ETag != client.ETag(0) {
			t.Errorf("ETag %q", resp.ETag)
		}
		if resp.RequestID != "import-0001" {
			t.Errorf("request id %q, want the one sent", resp.RequestID)
		}
		checkFull(t, created, base)

		got, resp, err := c.GetCustomer(ctx, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || resp.Created || resp.Location != "" || resp.ETag != `"0"` {
			t.Errorf("get: status %d, created %v, Location %q, ETag %q", resp.StatusCode, resp.Created, resp.Location, resp.ETag)
		}
		if resp.RequestID == "" || resp.RequestID == "import-0001" {
			t.Errorf("get: request id %q, want a generated one", resp.RequestID)
		}
		checkFull(t, got, base)
		if !reflect.DeepEqual(got, created) {
			t.Errorf("GET differs from POST:\n%+v\n%+v", got, created)
		}
	})
}

func TestPutCustomerCreatesThenReplaces(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		first, resp, err := c.PutCustomer(ctx, "cus_1", fullInput())
		if err != nil {
			t.Fatal(err)
		}
		if !resp.Created || resp.StatusCode != http.StatusCreated || resp.Location != base+"/customers/cus_1" || first.ID != "cus_1" {
			t.Fatalf("first PUT: status %d, created %v, Location %q, id %q", resp.StatusCode, resp.Created, resp.Location, first.ID)
		}
		checkFull(t, first, base)

		// A PUT replaces every writable field: what is left out is reset.
		second, resp, err := c.PutCustomer(ctx, "cus_1", client.CustomerInput{Locale: client.String("fr-FR")})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Created || resp.StatusCode != http.StatusOK || resp.Location != "" {
			t.Errorf("second PUT: status %d, created %v, Location %q", resp.StatusCode, resp.Created, resp.Location)
		}
		if second.Revision != 1 || resp.ETag != client.ETag(1) {
			t.Errorf("revision %d, ETag %q, want 1", second.Revision, resp.ETag)
		}
		if str(second.Locale) != "fr-FR" || second.WebsiteID != nil || second.PrimaryAddress != nil || second.Email != nil ||
			len(second.CustomFields) != 0 || second.CustomFields == nil || second.IsEddRequired || second.DefaultPaymentInstrument != nil {
			t.Errorf("replaced customer %+v", second)
		}
		// The inline lead source was left alone by a PUT without one.
		if second.Link("leadSource") == "" {
			t.Error("the lead source link is gone after a PUT without leadSource")
		}

		// The same PUT again changes nothing.
		third, resp, err := c.PutCustomer(ctx, "cus_1", client.CustomerInput{Locale: client.String("fr-FR")})
		if err != nil {
			t.Fatal(err)
		}
		if third.Revision != 1 || !third.UpdatedTime.Equal(second.UpdatedTime) || resp.ETag != client.ETag(1) || resp.Created {
			t.Errorf("unchanged PUT: revision %d, updatedTime %v (was %v), ETag %q", third.Revision, third.UpdatedTime, second.UpdatedTime, resp.ETag)
		}

		// Read, modify, write back with Input: the other fields survive.
		in := fullInput()
		in.LeadSource = nil
		if _, _, err := c.PutCustomer(ctx, "cus_1", in); err != nil {
			t.Fatal(err)
		}
		cur, _, err := c.GetCustomer(ctx, "cus_1")
		if err != nil {
			t.Fatal(err)
		}
		edit := cur.Input()
		edit.Locale = client.String("de-DE")
		edit.CustomFields["added"] = "by the edit"
		if _, ok := cur.CustomFields["added"]; ok {
			t.Error("editing Input().CustomFields changed the customer it came from")
		}
		after, _, err := c.PutCustomer(ctx, "cus_1", edit)
		if err != nil {
			t.Fatal(err)
		}
		if str(after.Locale) != "de-DE" || after.Revision != cur.Revision+1 || str(after.WebsiteID) != "web_main" ||
			str(after.Email) != "ada@example.com" || after.PrimaryAddress.Hash != cur.PrimaryAddress.Hash || after.CustomFields["added"] != "by the edit" || after.CustomFields["tier"] != "gold" {
			t.Errorf("read-modify-write lost data:\nbefore %+v\nafter  %+v", cur, after)
		}
	})
}

// Ids may hold characters that paths escape, and "." or ".." (see also
// TestBaseURLWithPathPrefix, where a gateway normalizes paths); the client
// must reach exactly that customer.
func TestCustomerIdsNeedingEscapes(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		for _, id := range []string{"a@b~c.d-e_f", "..", ".", "CaseSensitive", "casesensitive"} {
			put, resp, err := c.PutCustomer(ctx, id, client.CustomerInput{Locale: client.String("en-US")})
			if err != nil {
				t.Fatalf("PUT %q: %v", id, err)
			}
			if put.ID != id || !resp.Created {
				t.Errorf("PUT %q created id %q (created %v)", id, put.ID, resp.Created)
			}
			got, _, err := c.GetCustomer(ctx, id)
			if err != nil {
				t.Fatalf("GET %q: %v", id, err)
			}
			if got.ID != id {
				t.Errorf("GET %q answered id %q", id, got.ID)
			}
		}
		// A path id breaking the id rule (\w is ASCII) is 422 naming the
		// field id on PUT, and 404 on GET.
		for _, id := range []string{"has space", "Ümlaut", "a/b", "x?y"} {
			_, _, err := c.PutCustomer(ctx, id, client.CustomerInput{})
			e := mustErr(t, err, http.StatusUnprocessableEntity)
			if _, ok := e.Field("id"); !ok {
				t.Errorf("PUT %q: invalidFields %+v do not name id", id, e.InvalidFields)
			}
			_, _, err = c.GetCustomer(ctx, id)
			mustErr(t, err, http.StatusNotFound)
		}
		// An empty id is refused before any request: it would name the
		// collection.
		before := a.requests.Load()
		if _, _, err := c.GetCustomer(ctx, ""); err == nil {
			t.Error("GetCustomer with an empty id succeeded")
		}
		if _, err := c.MergeCustomer(ctx, "", "x"); err == nil {
			t.Error("MergeCustomer with an empty id succeeded")
		}
		if _, _, err := c.ListCustomersAt(ctx, ""); err == nil {
			t.Error("ListCustomersAt with an empty link succeeded")
		}
		if n := a.requests.Load() - before; n != 0 {
			t.Errorf("%d requests sent for empty ids and links", n)
		}
	})
}

func TestMergeCustomer(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		target, _, err := c.PutCustomer(ctx, "target", client.CustomerInput{CustomFields: map[string]any{"tier": "gold"}})
		if err != nil {
			t.Fatal(err)
		}
		dup := fullInput()
		dup.CustomFields = map[string]any{"tier": "silver", "source": "import"}
		if _, _, err := c.PutCustomer(ctx, "dup", dup); err != nil {
			t.Fatal(err)
		}

		resp, err := c.MergeCustomer(ctx, "dup", "target", client.WithRequestID("merge-1"))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusNoContent || resp.RequestID != "merge-1" {
			t.Errorf("merge: status %d, request id %q", resp.StatusCode, resp.RequestID)
		}
		merged, resp, err := c.GetCustomer(ctx, "target")
		if err != nil {
			t.Fatal(err)
		}
		if merged.Revision != target.Revision+1 || resp.ETag != client.ETag(target.Revision+1) {
			t.Errorf("target revision %d (ETag %q), want %d", merged.Revision, resp.ETag, target.Revision+1)
		}
		wantCF := map[string]any{"tier": "gold", "source": "import"}
		if str(merged.WebsiteID) != "web_main" || str(merged.Email) != "ada@example.com" || !reflect.DeepEqual(merged.CustomFields, wantCF) {
			t.Errorf("merged target: websiteId %s, email %s, customFields %v", str(merged.WebsiteID), str(merged.Email), merged.CustomFields)
		}
		if merged.Link("leadSource") == "" {
			t.Error("the duplicate's lead source did not move to the target")
		}

		// The duplicate is gone: 404 on GET naming the target, 409 on PUT.
		_, _, err = c.GetCustomer(ctx, "dup")
		if e := mustErr(t, err, http.StatusNotFound); !strings.Contains(e.Detail, `"target"`) || !client.IsNotFound(err) {
			t.Errorf("GET merged-away id: %v", err)
		}
		_, _, err = c.PutCustomer(ctx, "dup", client.CustomerInput{})
		if e := mustErr(t, err, http.StatusConflict); !strings.Contains(e.Detail, `"target"`) || !client.IsConflict(err) || e.Type != "/problems/conflict" {
			t.Errorf("PUT merged-away id: %v (type %q)", err, e.Type)
		}

		// Errors of the merge itself.
		_, err = c.MergeCustomer(ctx, "target", "target")
		mustErr(t, err, http.StatusConflict)
		_, err = c.MergeCustomer(ctx, "target", "nobody")
		if e := mustErr(t, err, http.StatusNotFound); !strings.Contains(e.Detail, `Target customer "nobody"`) {
			t.Errorf("missing target: detail %q", e.Detail)
		}
		_, err = c.MergeCustomer(ctx, "dup", "target")
		mustErr(t, err, http.StatusNotFound)
		_, err = c.MergeCustomer(ctx, "target", "")
		e := mustErr(t, err, http.StatusUnprocessableEntity)
		if msg, ok := e.Field("targetCustomerId"); !ok || msg == "" || !client.IsValidation(err) {
			t.Errorf("empty target: invalidFields %+v", e.InvalidFields)
		}
	})
}

func TestLeadSource(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		if _, _, err := c.PutCustomer(ctx, "cus_ls", client.CustomerInput{}); err != nil {
			t.Fatal(err)
		}
		_, _, err := c.GetLeadSource(ctx, "cus_ls")
		if e := mustErr(t, err, http.StatusNotFound); !strings.Contains(e.Detail, "has no lead source") {
			t.Errorf("no lead source: detail %q", e.Detail)
		}

		in := client.LeadSourceData{Medium: client.String("cpc"), Source: client.String("google"), Campaign: client.String("spring"),
			Referrer: client.String("https://www.google.com/"), Term: client.String("")}
		ls, resp, err := c.PutLeadSource(ctx, "cus_ls", in, client.WithRequestID("ls-1"))
		if err != nil {
			t.Fatal(err)
		}
		self := base + "/customers/cus_ls"
		if !resp.Created || resp.StatusCode != http.StatusCreated || resp.Location != self+"/lead-source" || resp.RequestID != "ls-1" {
			t.Errorf("first write: status %d, created %v, Location %q, request id %q", resp.StatusCode, resp.Created, resp.Location, resp.RequestID)
		}
		if resp.ETag != client.ETag(1) {
			t.Errorf("ETag %q, want the customer's bumped revision 1", resp.ETag)
		}
		if !reflect.DeepEqual(ls.LeadSourceData, in) || !reflect.DeepEqual(ls.Original, in) {
			t.Errorf("lead source %+v, original %+v, want %+v", ls.LeadSourceData, ls.Original, in)
		}
		if ls.Link("self") != self+"/lead-source" || ls.Link("customer") != self || ls.CreatedTime.IsZero() {
			t.Errorf("links %+v, createdTime %v", ls.Links, ls.CreatedTime)
		}

		next := client.LeadSourceData{Medium: client.String("email"), ClickID: client.String("abc")}
		ls2, resp, err := c.PutLeadSource(ctx, "cus_ls", next)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Created || resp.StatusCode != http.StatusOK || resp.ETag != client.ETag(2) {
			t.Errorf("second write: status %d, created %v, ETag %q", resp.StatusCode, resp.Created, resp.ETag)
		}
		if !reflect.DeepEqual(ls2.LeadSourceData, next) || !reflect.DeepEqual(ls2.Original, in) {
			t.Errorf("after replace: values %+v, original %+v", ls2.LeadSourceData, ls2.Original)
		}

		got, resp, err := c.GetLeadSource(ctx, "cus_ls")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, ls2) || resp.ETag != client.ETag(2) {
			t.Errorf("GET %+v (ETag %q), want %+v", got, resp.ETag, ls2)
		}
		cust, _, err := c.GetCustomer(ctx, "cus_ls")
		if err != nil {
			t.Fatal(err)
		}
		if cust.Revision != 2 || cust.Link("leadSource") != self+"/lead-source" {
			t.Errorf("customer revision %d, leadSource link %q", cust.Revision, cust.Link("leadSource"))
		}

		resp, err = c.DeleteLeadSource(ctx, "cus_ls")
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("delete: status %d", resp.StatusCode)
		}
		_, _, err = c.GetLeadSource(ctx, "cus_ls")
		mustErr(t, err, http.StatusNotFound)
		_, err = c.DeleteLeadSource(ctx, "cus_ls")
		mustErr(t, err, http.StatusNotFound)
		cust, _, err = c.GetCustomer(ctx, "cus_ls")
		if err != nil {
			t.Fatal(err)
		}
		if cust.Revision != 3 || cust.Link("leadSource") != "" {
			t.Errorf("after delete: revision %d, leadSource link %q", cust.Revision, cust.Link("leadSource"))
		}

		// Never created for a missing customer.
		_, _, err = c.PutLeadSource(ctx, "nobody", in)
		mustErr(t, err, http.StatusNotFound)
		_, _, err = c.GetCustomer(ctx, "nobody")
		mustErr(t, err, http.StatusNotFound)
	})
}

func TestConditionalRequests(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		_, resp, err := c.PutCustomer(ctx, "cus_etag", client.CustomerInput{Locale: client.String("en-US")})
		if err != nil {
			t.Fatal(err)
		}
		etag := resp.ETag

		// GET: a matching If-None-Match is 304, ErrNotModified.
		got, resp, err := c.GetCustomer(ctx, "cus_etag", client.IfNoneMatch(etag))
		if !client.IsNotModified(err) || got != nil {
			t.Fatalf("conditional GET: customer %v, error %v; want ErrNotModified", got, err)
		}
		if resp.StatusCode != http.StatusNotModified || resp.ETag != etag || client.StatusCode(err) != 0 {
			t.Errorf("304: status %d, ETag %q", resp.StatusCode, resp.ETag)
		}
		if got, _, err := c.GetCustomer(ctx, "cus_etag", client.IfNoneMatch(client.ETag(7), client.ETag(8))); err != nil || got == nil {
			t.Errorf("GET with stale tags: %v", err)
		}

		// PUT: If-Match must be current.
		_, _, err = c.PutCustomer(ctx, "cus_etag", client.CustomerInput{Locale: client.String("fr-FR")}, client.IfMatch(client.ETag(5)))
		if e := mustErr(t, err, http.StatusPreconditionFailed); e.Type != "/problems/precondition-failed" || !client.IsPreconditionFailed(err) {
			t.Errorf("stale If-Match: %v", err)
		}
		updated, resp, err := c.PutCustomer(ctx, "cus_etag", client.CustomerInput{Locale: client.String("fr-FR")}, client.IfMatch(etag))
		if err != nil {
			t.Fatal(err)
		}
		if updated.Revision != 1 || resp.ETag != client.ETag(1) {
			t.Errorf("conditional PUT: revision %d, ETag %q", updated.Revision, resp.ETag)
		}
		// The old tag no longer matches: the customer changed.
		if _, _, err := c.GetCustomer(ctx, "cus_etag", client.IfNoneMatch(etag)); err != nil {
			t.Errorf("GET with the old tag: %v", err)
		}

		// If-None-Match: * makes PUT create-only; If-Match on a missing id is 412.
		if _, resp, err := c.PutCustomer(ctx, "cus_new", client.CustomerInput{}, client.IfNoneMatch("*")); err != nil || !resp.Created {
			t.Fatalf("create-only PUT of a new id: %v", err)
		}
		_, _, err = c.PutCustomer(ctx, "cus_new", client.CustomerInput{}, client.IfNoneMatch("*"))
		mustErr(t, err, http.StatusPreconditionFailed)
		_, _, err = c.PutCustomer(ctx, "cus_missing", client.CustomerInput{}, client.IfMatch("*"))
		mustErr(t, err, http.StatusPreconditionFailed)
		if _, _, err := c.GetCustomer(ctx, "cus_missing"); !client.IsNotFound(err) {
			t.Errorf("a failed conditional PUT created the customer: %v", err)
		}

		// Lead sources: the entity tag is the customer's revision.
		_, resp, err = c.PutLeadSource(ctx, "cus_etag", client.LeadSourceData{Medium: client.String("cpc")})
		if err != nil {
			t.Fatal(err)
		}
		if resp.ETag != client.ETag(2) {
			t.Errorf("lead source ETag %q, want %q", resp.ETag, client.ETag(2))
		}
		_, _, err = c.PutLeadSource(ctx, "cus_etag", client.LeadSourceData{Medium: client.String("email")}, client.IfMatch(etag))
		mustErr(t, err, http.StatusPreconditionFailed)
		ls, resp, err := c.PutLeadSource(ctx, "cus_etag", client.LeadSourceData{Medium: client.String("email")}, client.IfMatch(client.ETag(2)))
		if err != nil {
			t.Fatal(err)
		}
		lsTag := resp.ETag
		if lsTag != client.ETag(3) || str(ls.Medium) != "email" {
			t.Errorf("conditional lead-source PUT: ETag %q, medium %s", lsTag, str(ls.Medium))
		}
		ls, resp, err = c.GetLeadSource(ctx, "cus_etag", client.IfNoneMatch(lsTag))
		if !client.IsNotModified(err) || ls != nil || resp.StatusCode != http.StatusNotModified || resp.ETag != lsTag {
			t.Errorf("conditional lead-source GET: %v, %v", ls, err)
		}
		_, err = c.DeleteLeadSource(ctx, "cus_etag", client.IfMatch(etag))
		mustErr(t, err, http.StatusPreconditionFailed)
		if _, err := c.DeleteLeadSource(ctx, "cus_etag", client.IfMatch(lsTag)); err != nil {
			t.Fatal(err)
		}

		// Merge: conditions compare with the duplicate.
		if _, _, err := c.PutCustomer(ctx, "cus_dup", client.CustomerInput{}); err != nil {
			t.Fatal(err)
		}
		_, err = c.MergeCustomer(ctx, "cus_dup", "cus_etag", client.IfMatch(client.ETag(9)))
		mustErr(t, err, http.StatusPreconditionFailed)
		if _, err := c.MergeCustomer(ctx, "cus_dup", "cus_etag", client.IfMatch(client.ETag(0))); err != nil {
			t.Fatal(err)
		}
	})
}
