package dashboard_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/apitest"
	"github.com/billing/customers-api/internal/dashboard/browsertest"
)

// amelie is apitest.FullCustomer (the adapters' customer, most fields
// filled, the primary email not the first of its list, so that a page
// that shows the first one shows) with one phone number and one tax
// number: the primary ones.
func amelie() map[string]any {
	c := apitest.FullCustomer()
	address := c["primaryAddress"].(map[string]any)
	address["phoneNumbers"] = address["phoneNumbers"].([]any)[1:]
	c["taxNumbers"] = c["taxNumbers"].([]any)[1:]
	return c
}

// fmtAny formats a JSON value as the page would show it.
func fmtAny(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

// mustStatus fails the test unless r has status want.
func mustStatus(t testing.TB, what string, r browsertest.Reply, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: %d %s, want %d", what, r.Status, r, want)
	}
}

// seedAmelie creates Amélie with a tag, a lead source and a comment.
func seedAmelie(s *browsertest.Server) {
	s.T.Helper()
	s.PutCustomer("amelie", amelie())
	mustStatus(s.T, "tag amelie", s.REST(http.MethodPost, "/tags/vip/customers/amelie", nil), http.StatusNoContent)
	mustStatus(s.T, "amelie's lead source", s.REST(http.MethodPut, "/customers/amelie/lead-source",
		map[string]any{"source": "newsletter", "medium": "email", "campaign": "spring"}), http.StatusCreated)
	mustStatus(s.T, "comment on amelie", s.REST(http.MethodPost, "/customers/amelie/timeline",
		map[string]any{"type": "customer-comment-created", "message": "Wants invoices in French."}), http.StatusCreated)
}

// invalidMessage is the API's own 422 message for field when body is
// PUT as a new customer (which the 422 does not create).
func invalidMessage(s *browsertest.Server, field string, body map[string]any) string {
	s.T.Helper()
	r := s.REST(http.MethodPut, "/customers/probe-422", body)
	var problem struct {
		InvalidFields []struct{ Field, Message string } `json:"invalidFields"`
	}
	if err := json.Unmarshal(r.Body, &problem); r.Status != http.StatusUnprocessableEntity || err != nil {
		s.T.Fatalf("PUT an invalid customer: %d %s (%v), want 422", r.Status, r, err)
	}
	for _, f := range problem.InvalidFields {
		if f.Field == field {
			return f.Message
		}
	}
	s.T.Fatalf("PUT an invalid customer: no invalidFields entry for %s in %s", field, r)
	return ""
}

// TestBrowserCustomerPage: every field shown, then the edit form: a 422
// puts the server's message at its input, a 412 (the customer changed
// through the API behind the page's back) says "changed by someone else"
// and reloads, and the save after that goes through.
func TestBrowserCustomerPage(t *testing.T) {
	s := browsertest.NewServer(t)
	seedAmelie(s)
	seedPeople(s, 3)
	tab := browsertest.Open(t, s)
	signIn(tab, s.Key)

	// From the list to the customer.
	tab.Type("#search", "poulain")
	waitSummary(tab, "1–1 of 1")
	tab.Click(tid("customer-row") + `[data-id="amelie"] ` + tid("customer-link"))
	waitPage(tab, "customer")
	if p := tab.Location().Path; p != "/dashboard/customers/amelie" {
		t.Errorf("the customer link goes to %s", p)
	}
	tab.WaitText(tid("customer-title"), "Amélie Poulain")
	for sel, want := range map[string]string{
		tid("detail-email"):          "amelie@example.com",
		tid("detail-organization"):   "Les Deux Moulins",
		tid("detail-address"):        "15 Rue Lepic",
		tid("detail-country"):        "FR",
		tid("detail-phoneNumbers"):   "+33 6 00 00 00 02",
		tid("detail-locale"):         "fr-FR",
		tid("detail-websiteId"):      "web-77",
		tid("detail-taxNumbers"):     "FR12345678901",
		tid("detail-createdTime"):    "2025-03-03 09:00:",
		tid("detail-revision"):       fmtAny(s.GetCustomer("amelie")["revision"]),
		tid("lead-source-source"):    "newsletter",
		tid("lead-source-medium"):    "email",
		tid("custom-field-currency"): "EUR",
	} {
		if got := tab.Text(sel); !strings.Contains(got, want) {
			t.Errorf("%s shows %q, want %q in it", sel, got, want)
		}
	}
	if got := tab.Text(tid("detail-email")); strings.Contains(got, "amelie.home@") && !strings.Contains(got, "amelie@example.com") {
		t.Errorf("the email shown is the first of the list, not the primary: %q", got)
	}
	tab.WaitVisible(tid("tag") + `[data-tag="vip"]`)
	tab.WaitText(tid("timeline"), "Wants invoices in French.")
	tab.Axe("a customer page")
	tab.Screenshot("customer", tid("detail-organizationId")) // a new organization, a new id, every run

	// 422: the server's message at the input.
	before := s.GetCustomer("amelie")
	want := invalidMessage(s, "primaryAddress.emails[0].value", browsertest.Person("A", "B", "not-an-email", "FR"))
	tab.Click(tid("edit-customer"))
	tab.WaitVisible(tid("customer-form"))
	email := field("primaryAddress.emails[1].value")
	if got := tab.Value(email); got != "amelie@example.com" {
		t.Fatalf("the form's second email is %q, want amelie@example.com", got)
	}
	tab.Type(email, "not-an-email")
	tab.Click(tid("save-customer"))
	tab.WaitText(errorFor("primaryAddress.emails[1].value"), want)
	tab.WaitAttr(email, "aria-invalid", "true")
	tab.WaitText(tid("form-errors"), want)
	tab.Axe("the customer form with a 422")
	if after := s.GetCustomer("amelie"); after["revision"] != before["revision"] {
		t.Errorf("a 422 changed the customer: revision %v → %v", before["revision"], after["revision"])
	}

	// 412: someone else changes the customer; the save is refused.
	tab.Type(email, "amelie.poulain@example.com")
	other := amelie()
	other["locale"] = "de-DE"
	s.PutCustomer("amelie", other)
	tab.Click(tid("save-customer"))
	tab.WaitText(tid("conflict"), "changed by someone else")
	if got := s.GetCustomer("amelie"); got["email"] != "amelie@example.com" || got["locale"] != "de-DE" {
		t.Errorf("after the 412: email %v locale %v, want amelie@example.com and de-DE (the save must not go through)", got["email"], got["locale"])
	}
	tab.Click(tid("reload-customer"))
	tab.WaitFor("the reloaded form to show the other's locale", `document.querySelector('[data-field="locale"]')?.value === 'de-DE'`)
	if got := tab.Value(email); got != "amelie@example.com" {
		t.Errorf("the reloaded form's email is %q, want the stored amelie@example.com", got)
	}
	if tab.IsVisible(tid("conflict")) {
		t.Errorf("the conflict is still shown after the reload")
	}

	// The save after the reload goes through, keeping the other's change.
	tab.Type(email, "amelie.poulain@example.com")
	tab.Click(tid("save-customer"))
	tab.WaitText(tid("status"), "Saved")
	tab.WaitText(tid("detail-email"), "amelie.poulain@example.com")
	got := s.GetCustomer("amelie")
	if got["email"] != "amelie.poulain@example.com" || got["locale"] != "de-DE" {
		t.Errorf("after the save: email %v locale %v, want amelie.poulain@example.com and de-DE", got["email"], got["locale"])
	}
	if tags, _ := json.Marshal(got["tags"]); !strings.Contains(string(tags), "vip") {
		t.Errorf("the save lost the customer's tags: %s", tags)
	}
}

// TestBrowserTagsAndComments: a tag added and removed, a comment added to
// the timeline and deleted, each checked through the API.
func TestBrowserTagsAndComments(t *testing.T) {
	s := browsertest.NewServer(t)
	people := seedPeople(s, 2)
	id := people[0].id
	tab := browsertest.Open(t, s)
	signIn(tab, s.Key)
	tab.Go("/dashboard/customers/" + id)
	waitPage(tab, "customer")
	tab.WaitText(tid("customer-title"), people[0].first+" "+people[0].last)

	tab.Type("#add-tag", "gold")
	tab.Click(tid("add-tag-submit"))
	tagged := tid("tag") + `[data-tag="gold"]`
	tab.WaitVisible(tagged)
	if got := apiIDs(s, "filter=tags:gold"); len(got) != 1 || got[0] != id {
		t.Errorf("customers tagged gold: %v, want [%s]", got, id)
	}
	if got := tab.Value("#add-tag"); got != "" {
		t.Errorf("the tag input still holds %q after adding", got)
	}
	if label := browsertest.Eval[string](tab, `document.querySelector('`+tid("tag")+`[data-tag="gold"] `+tid("remove-tag")+`').getAttribute('aria-label')`); label != "Remove tag gold" {
		t.Errorf("the remove button's label is %q, want %q", label, "Remove tag gold")
	}
	tab.Click(tagged + " " + tid("remove-tag"))
	tab.WaitGone(tagged)
	if got := apiIDs(s, "filter=tags:gold"); len(got) != 0 {
		t.Errorf("customers tagged gold after the removal: %v, want none", got)
	}

	const comment = "Called about the March invoice."
	tab.Type("#comment", comment)
	tab.Click(tid("add-comment"))
	msg := tid("timeline-message") + `[data-type="customer-comment-created"]`
	tab.WaitText(msg, comment)
	if by := tab.Text(msg + " " + tid("timeline-triggered-by")); !strings.Contains(by, "app") {
		t.Errorf("the comment's triggered-by shows %q, want app", by)
	}
	timeline := func() []map[string]any {
		r := s.REST(http.MethodGet, "/customers/"+id+"/timeline?filter=type:customer-comment-created", nil)
		var msgs []map[string]any
		if err := json.Unmarshal(r.Body, &msgs); r.Status != http.StatusOK || err != nil {
			t.Fatalf("GET the timeline: %d %s (%v)", r.Status, r, err)
		}
		return msgs
	}
	msgs := timeline()
	if len(msgs) != 1 || msgs[0]["message"] != comment || msgs[0]["triggeredBy"] != "app" {
		t.Fatalf("the API's comments: %v, want one %q triggered by app", msgs, comment)
	}
	if got := browsertest.Eval[string](tab, `document.querySelector('`+msg+`').dataset.id`); got != msgs[0]["id"] {
		t.Errorf("the comment's data-id %q, want the API's %v", got, msgs[0]["id"])
	}
	tab.Axe("a customer page with a new comment")
	tab.Click(msg + " " + tid("delete-message"))
	tab.WaitGone(msg)
	if msgs := timeline(); len(msgs) != 0 {
		t.Errorf("the API's comments after the delete: %v, want none", msgs)
	}
}

// TestBrowserMerge: from the duplicate's page, search the target, preview
// what survives (SPEC §4), confirm; the duplicate's URL then shows the
// target.
func TestBrowserMerge(t *testing.T) {
	s := browsertest.NewServer(t)
	seedPeople(s, 4)
	target := browsertest.Person("Ada", "Lovelace", "ada@example.com", "GB")
	target["locale"] = "en-GB"
	target["customFields"] = map[string]any{"tier": "gold"}
	s.PutCustomer("ada-1", target)
	mustStatus(t, "tag ada-1", s.REST(http.MethodPost, "/tags/vip/customers/ada-1", nil), http.StatusNoContent)
	dup := browsertest.Person("Ada", "King", "ada.king@example.com", "GB")
	dup["websiteId"] = "shop-eu"
	dup["customFields"] = map[string]any{"tier": "silver", "source-system": "legacy"}
	s.PutCustomer("ada-dup", dup)
	mustStatus(t, "tag ada-dup", s.REST(http.MethodPost, "/tags/newsletter/customers/ada-dup", nil), http.StatusNoContent)

	tab := browsertest.Open(t, s)
	signIn(tab, s.Key)
	tab.Go("/dashboard/customers/ada-dup")
	waitPage(tab, "customer")
	tab.Click(tid("merge-link"))
	waitPage(tab, "merge")
	tab.WaitText(tid("merge-duplicate"), "ada-dup")

	tab.Type("#merge-search", "ada")
	candidate := tid("merge-candidate") + `[data-id="ada-1"]`
	tab.WaitVisible(candidate)
	if tab.Exists(tid("merge-candidate") + `[data-id="ada-dup"]`) {
		t.Errorf("the duplicate is offered as its own merge target")
	}
	tab.Click(candidate)
	waitQuery(tab, "target", "ada-1")
	tab.WaitVisible(tid("merge-preview"))
	waitPage(tab, "merge")
	row := func(field, cell string) string {
		return tab.Text(tid("merge-row") + `[data-field="` + field + `"] ` + tid(cell))
	}
	for _, c := range []struct{ field, result, rule string }{
		{"websiteId", "shop-eu", "from duplicate"},
		{"locale", "en-GB", "target kept"},
		{"customFields.tier", "gold", "target kept"},
		{"customFields.source-system", "legacy", "from duplicate"},
		{"tags", "newsletter", "united"},
	} {
		if got := row(c.field, "merge-result"); !strings.Contains(got, c.result) {
			t.Errorf("preview %s: result %q, want %q in it", c.field, got, c.result)
		}
		if got := row(c.field, "merge-rule"); !strings.Contains(got, c.rule) {
			t.Errorf("preview %s: rule %q, want %q", c.field, got, c.rule)
		}
	}
	if got := row("tags", "merge-result"); !strings.Contains(got, "vip") {
		t.Errorf("preview tags: result %q, want vip and newsletter", got)
	}
	tab.Axe("the merge preview")
	tab.Screenshot("merge-preview")

	tab.Click(tid("merge-confirm"))
	waitPage(tab, "customer")
	if p := tab.Location().Path; p != "/dashboard/customers/ada-1" {
		t.Errorf("after the merge the page is %s, want the target's", p)
	}
	tab.WaitText(tid("status"), "merged into")
	mustStatus(t, "GET the merged-away customer", s.REST(http.MethodGet, "/customers/ada-dup", nil), http.StatusNotFound)
	got := s.GetCustomer("ada-1")
	if got["websiteId"] != "shop-eu" {
		t.Errorf("the target after the merge: websiteId %v, want shop-eu", got["websiteId"])
	}
	tab.WaitText(tid("detail-websiteId"), "shop-eu")

	// The merged-away URL now shows the target, saying so.
	tab.Go("/dashboard/customers/ada-dup")
	waitPage(tab, "customer")
	tab.WaitFor("the merged-away URL to become the target's", `location.pathname === '/dashboard/customers/ada-1'`)
	tab.WaitText(tid("merged-notice"), "ada-dup")
	tab.WaitText(tid("customer-title"), "Ada Lovelace")
}

// TestBrowserReadOnlyKey: a key that may only read browses everything; its
// first write answers 403, and the dashboard then says why and disables
// every write control for the rest of the tab's session.
func TestBrowserReadOnlyKey(t *testing.T) {
	s := browsertest.NewServer(t)
	people := seedPeople(s, 3)
	tab := browsertest.Open(t, s)
	signIn(tab, s.ReadOnlyKey())
	waitSummary(tab, "1–3 of 3")

	tab.Go("/dashboard/customers/" + people[0].id)
	waitPage(tab, "customer")
	tab.Type("#add-tag", "gold")
	tab.Click(tid("add-tag-submit"))
	tab.WaitVisible(tid("readonly-notice"))
	if got := tab.Text(tid("readonly-notice")); !strings.Contains(strings.ToLower(got), "read") {
		t.Errorf("the read-only notice says %q; it should say the key is read-only", got)
	}
	tab.WaitFor("body[data-readonly=true]", `document.body.dataset.readonly === 'true'`)
	writable := `[...document.querySelectorAll('.write')].filter(e => !(e.disabled || e.getAttribute('aria-disabled') === 'true' || e.closest('[hidden]') || e.getClientRects().length === 0)).map(e => e.outerHTML.slice(0, 120))`
	if n := browsertest.Eval[int](tab, `document.querySelectorAll('.write').length`); n == 0 {
		t.Errorf("the customer page marks no control .write")
	}
	if open := browsertest.Eval[[]string](tab, writable); len(open) != 0 {
		t.Errorf("write controls still usable with a read-only key: %q", open)
	}
	if got := apiIDs(s, "filter=tags:gold"); len(got) != 0 {
		t.Errorf("a read-only key tagged %v", got)
	}
	if session, _, _ := tab.Storage(); session["customers-api.readOnly"] != "true" {
		t.Errorf("sessionStorage %v lacks customers-api.readOnly=true", session)
	}
	tab.Axe("a customer page with a read-only key")

	// The list too, after a reload: no create link, the notice stays.
	tab.Go("/dashboard/customers")
	waitList(tab)
	tab.WaitVisible(tid("readonly-notice"))
	if tab.IsVisible(tid("new-customer")) {
		t.Errorf("the new-customer link is shown with a read-only key")
	}
	if tab.IsVisible(tid("nav-new-customer")) && !browsertest.Eval[bool](tab, `(e => e.closest('[hidden]') !== null || e.getAttribute('aria-disabled') === 'true')(document.querySelector('`+tid("nav-new-customer")+`'))`) {
		t.Errorf("the navigation's new-customer link is usable with a read-only key")
	}
}

// TestBrowserSettings: the custom-field definitions and webhooks pages,
// each checked by axe empty and after creating one (a webhook's secret is
// shown once).
func TestBrowserSettings(t *testing.T) {
	s := browsertest.NewServer(t)
	tab := browsertest.Open(t, s)
	signIn(tab, s.Key)

	tab.Click(tid("nav-custom-fields"))
	waitPage(tab, "custom-fields")
	tab.WaitVisible(tid("custom-fields-empty"))
	tab.Axe("the custom-fields page, empty")
	tab.Type("#cf-name", "loyaltyPoints")
	tab.Select("#cf-type", "integer")
	tab.Type("#cf-description", "Points from the loyalty programme")
	tab.Click(tid("save-custom-field"))
	tab.WaitVisible(tid("custom-field-row") + `[data-name="loyaltyPoints"]`)
	r := s.REST(http.MethodGet, "/custom-fields/customers/loyaltyPoints", nil)
	if r.Status != http.StatusOK || !strings.Contains(r.String(), `"integer"`) {
		t.Errorf("GET the new definition: %d %s, want an integer field", r.Status, r)
	}
	tab.Axe("the custom-fields page")

	tab.Click(tid("nav-webhooks"))
	waitPage(tab, "webhooks")
	tab.WaitVisible(tid("webhooks-empty"))
	tab.Axe("the webhooks page, empty")
	tab.Type("#wh-url", "https://hooks.example.com/customers")
	tab.Type("#wh-description", "CRM sync")
	tab.Click(tid("create-webhook"))
	tab.WaitVisible(tid("webhook-secret"))
	secret := strings.TrimSpace(tab.Text(tid("webhook-secret-value")))
	if len(secret) < 16 {
		t.Errorf("the webhook's secret shown is %q", secret)
	}
	row := tid("webhook-row")
	tab.WaitVisible(row)
	tab.Axe("the webhooks page with a new webhook's secret")
	tab.Click(tid("dismiss-secret"))
	tab.WaitGone(tid("webhook-secret"))
	if strings.Contains(browsertest.Eval[string](tab, `document.body.innerText`), secret) {
		t.Errorf("the secret is still on the page after it was dismissed")
	}
	tab.WaitText(row+" "+tid("webhook-status"), "active")
	tab.Click(row + " " + tid("toggle-webhook"))
	tab.WaitText(row+" "+tid("webhook-status"), "inactive")
	id := browsertest.Eval[string](tab, `document.querySelector('`+row+`').dataset.id`)
	r = s.REST(http.MethodGet, "/webhooks/"+id, nil)
	if r.Status != http.StatusOK || !strings.Contains(r.String(), `"inactive"`) {
		t.Errorf("GET the webhook after deactivating it: %d %s", r.Status, r)
	}

	// Its own page, with the (empty) delivery log.
	tab.Click(row + " " + tid("webhook-link"))
	waitPage(tab, "webhook")
	if p := tab.Location().Path; p != "/dashboard/settings/webhooks/"+id {
		t.Errorf("the webhook's link goes to %s", p)
	}
	tab.WaitText(tid("webhook-details"), "https://hooks.example.com/customers")
	tab.WaitVisible(tid("deliveries-empty"))
	tab.Axe("a webhook's page")
}

// TestBrowserCreateCustomer: the new-customer form creates a customer with
// the id given, and a second create with that id is refused at the form.
func TestBrowserCreateCustomer(t *testing.T) {
	s := browsertest.NewServer(t)
	tab := browsertest.Open(t, s)
	signIn(tab, s.Key)
	tab.Click(tid("nav-new-customer"))
	waitPage(tab, "new-customer")
	tab.Axe("the new-customer page")
	tab.Type(field("id"), "grace-1")
	tab.Type(field("primaryAddress.firstName"), "Grace")
	tab.Type(field("primaryAddress.lastName"), "Hopper")
	if !tab.Exists(field("primaryAddress.emails[0].value")) {
		tab.Click(tid("add-email"))
	}
	tab.Type(field("primaryAddress.emails[0].value"), "grace@example.com")
	tab.Type(field("primaryAddress.country"), "US")
	tab.Click(tid("save-customer"))
	waitPage(tab, "customer")
	if p := tab.Location().Path; p != "/dashboard/customers/grace-1" {
		t.Errorf("after the create the page is %s, want /dashboard/customers/grace-1", p)
	}
	tab.WaitText(tid("status"), "Customer created")
	tab.WaitText(tid("customer-title"), "Grace Hopper")
	got := s.GetCustomer("grace-1")
	if got["email"] != "grace@example.com" || got["firstName"] != "Grace" {
		t.Errorf("the created customer: %v", got)
	}

	// The same id again: the create must not replace her.
	tab.Click(tid("nav-new-customer"))
	waitPage(tab, "new-customer")
	tab.Type(field("id"), "grace-1")
	tab.Type(field("primaryAddress.firstName"), "Impostor")
	tab.Click(tid("save-customer"))
	tab.WaitText(errorFor("id"), "exists")
	tab.WaitAttr(field("id"), "aria-invalid", "true")
	if got := s.GetCustomer("grace-1"); got["firstName"] != "Grace" {
		t.Errorf("a create with an existing id replaced the customer: %v", got)
	}
}
