package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// timeline reads customer id's whole timeline, newest first.
func (a *testAPI) timeline(id string, query string) ([]map[string]any, *response) {
	a.t.Helper()
	r := a.do(req{Method: http.MethodGet, Path: "/customers/" + id + "/timeline?limit=1000&" + query})
	wantStatus(a.t, r, http.StatusOK)
	return decodeList(a.t, r), r
}

func decodeList(t *testing.T, r *response) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("not a JSON list: %v\n%s", err, r.Body)
	}
	return out
}

func messageTypes(msgs []map[string]any) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m["type"].(string))
	}
	return out
}

func changes(m map[string]any) map[string]any {
	return m["extraData"].(map[string]any)["changes"].(map[string]any)
}

func TestHTTPTimelineRecordsEveryChangeOnce(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	r := a.do(req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{
		"primaryAddress": map[string]any{"firstName": "Ada", "emails": []any{map[string]any{"label": "main", "value": "ada@example.com", "primary": true}}},
		"leadSource":     map[string]any{"source": "ads"},
	}, Headers: map[string]string{"X-Request-Id": "req-create-1"}})
	wantStatus(t, r, http.StatusCreated)
	id := r.JSON()["id"].(string)

	// A create writes customer-created only (the inline lead source adds none).
	msgs, _ := a.timeline(id, "")
	if got := messageTypes(msgs); !slices.Equal(got, []string{"customer-created"}) {
		t.Fatalf("after create: %v", got)
	}
	m := msgs[0]
	extra := m["extraData"].(map[string]any)
	if m["triggeredBy"] != "direct-api" || extra["revision"] != float64(0) || extra["requestId"] != "req-create-1" ||
		extra["apiKeyId"] == nil || strings.Contains(string(r.Body), a.key) {
		t.Errorf("created message = %v", m)
	}

	changed := map[string]any{
		"primaryAddress":           map[string]any{"firstName": "Ada", "lastName": "Lovelace", "emails": []any{map[string]any{"label": "main", "value": "ada@example.com", "primary": true}}},
		"customFields":             map[string]any{"tier": "gold"},
		"defaultPaymentInstrument": map[string]any{"method": "ach"},
		"taxNumbers":               []any{map[string]any{"type": "eu-vat", "value": "DE123"}},
		"locale":                   "en-GB",
		"isEddRequired":            true,
	}
	// One PUT changing four aspects: one message each, the plain fields
	// together in customer-updated; derived fields never appear.
	a.put(id, changed)
	msgs, _ = a.timeline(id, "sort=type")
	want := []string{"custom-fields-changed", "customer-created", "customer-updated", "default-payment-instrument-changed", "primary-address-changed", "tax-numbers-changed"}
	if got := messageTypes(msgs); !slices.Equal(got, want) {
		t.Fatalf("after the PUT: %v, want %v", got, want)
	}
	byType := map[string]map[string]any{}
	for _, m := range msgs {
		byType[m["type"].(string)] = m
	}
	upd := changes(byType["customer-updated"])
	if len(upd) != 2 || upd["locale"].(map[string]any)["new"] != "en-GB" || upd["locale"].(map[string]any)["old"] != nil ||
		upd["isEddRequired"].(map[string]any)["old"] != false {
		t.Errorf("customer-updated changes = %v", upd)
	}
	addr := changes(byType["primary-address-changed"])
	if len(addr) != 1 || addr["primaryAddress"].(map[string]any)["new"].(map[string]any)["lastName"] != "Lovelace" {
		t.Errorf("primary-address-changed changes = %v", addr)
	}
	if _, ok := addr["primaryAddress"].(map[string]any)["new"].(map[string]any)["hash"]; ok {
		t.Error("changes show the derived hash")
	}
	if cf := changes(byType["custom-fields-changed"])["customFields"].(map[string]any); cf["new"].(map[string]any)["tier"] != "gold" {
		t.Errorf("custom-fields-changed = %v", cf)
	}
	// Messages of one change share its time and revision.
	if byType["customer-updated"]["occurredTime"] != byType["tax-numbers-changed"]["occurredTime"] ||
		byType["customer-updated"]["extraData"].(map[string]any)["revision"] != float64(1) {
		t.Errorf("one change's messages differ: %v / %v", byType["customer-updated"], byType["tax-numbers-changed"])
	}

	// A PUT that changes nothing writes nothing.
	before := len(msgs)
	a.put(id, changed)
	if msgs, _ = a.timeline(id, ""); len(msgs) != before {
		t.Errorf("a no-op PUT wrote %d messages", len(msgs)-before)
	}

	// Lead source, tags, merge.
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/" + id + "/lead-source", Body: map[string]any{"source": "mail"}}), http.StatusOK)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("vip", "/customers/"+id)}), http.StatusNoContent)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: tagPath("vip", "/customers/"+id)}), http.StatusNoContent)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("vip", "/customers/"+id)}), http.StatusNoContent) // again, for the tag's deletion
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: tagPath("vip")}), http.StatusNoContent)
	dup := a.create(map[string]any{"locale": "fr-FR"})["id"].(string)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/customers/" + dup + "/timeline", Body: map[string]any{"type": "customer-comment-created", "message": "on the duplicate"}}), http.StatusCreated)
	dupMsgs, _ := a.timeline(dup, "")
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: "/customers/" + dup + "?targetCustomerId=" + id}), http.StatusNoContent)

	all, _ := a.timeline(id, "")
	msgs = nil
	moved := 0
	for _, m := range all {
		if slices.ContainsFunc(dupMsgs, func(d map[string]any) bool { return d["id"] == m["id"] }) {
			moved++
			continue
		}
		msgs = append(msgs, m)
	}
	// The duplicate's messages moved to the target; its own id has no timeline.
	if moved != 2 || len(dupMsgs) != 2 {
		t.Errorf("%d of the duplicate's %d messages moved", moved, len(dupMsgs))
	}
	got := messageTypes(msgs)
	wantNewest := []string{"customer-merged", "customer-untagged", "customer-tagged", "customer-untagged", "customer-tagged", "lead-source-changed"}
	if !slices.Equal(got[:len(wantNewest)], wantNewest) {
		t.Errorf("newest messages %v, want %v", got[:len(wantNewest)], wantNewest)
	}
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/customers/" + dup + "/timeline"}), http.StatusNotFound)
	ls := changes(msgs[len(wantNewest)-1])["leadSource"].(map[string]any)
	if ls["old"].(map[string]any)["source"] != "ads" || ls["new"].(map[string]any)["source"] != "mail" {
		t.Errorf("lead-source-changed changes = %v", ls)
	}
	merged := msgs[0]
	if !strings.Contains(merged["message"].(string), dup) || changes(merged)["locale"] != nil {
		// The target's locale was set: the merge did not change it.
		t.Errorf("customer-merged = %v", merged)
	}
	c := a.get(id, http.StatusOK)
	if merged["extraData"].(map[string]any)["revision"] != c["revision"] {
		t.Errorf("customer-merged revision %v, customer at %v", merged["extraData"], c["revision"])
	}
}

func TestHTTPTimelineCommentsCustomEventsAndQueries(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	id := a.create(map[string]any{})["id"].(string)
	base := "/customers/" + id + "/timeline"

	r := a.do(req{Method: http.MethodPost, Path: base, Body: map[string]any{"type": "customer-comment-created", "message": "Called <them> & left a note"}})
	wantStatus(t, r, http.StatusCreated)
	comment := r.JSON()
	loc := r.Header.Get("Location")
	if !strings.HasSuffix(loc, base+"/"+comment["id"].(string)) || comment["message"] != "Called <them> & left a note" {
		t.Errorf("comment %v at %q", comment, loc)
	}
	r = a.do(req{Method: http.MethodPost, Path: base, Body: map[string]any{"type": "custom-event", "customEventType": "churn-risk",
		"message": "Scored high", "customData": map[string]any{"score": 0.93, "model": "v2"}}})
	wantStatus(t, r, http.StatusCreated)
	event := r.JSON()
	if event["customEventType"] != "churn-risk" || event["customData"].(map[string]any)["model"] != "v2" {
		t.Errorf("custom event = %v", event)
	}
	got := a.do(req{Method: http.MethodGet, Path: base + "/" + event["id"].(string)})
	wantStatus(t, got, http.StatusOK)
	if got.JSON()["id"] != event["id"] {
		t.Errorf("GET message = %s", got.Body)
	}

	// Bad input: 422, nothing written.
	for _, body := range []map[string]any{
		{"type": "customer-created", "message": "forged"},
		{"type": "customer-comment-created"},
		{"type": "customer-comment-created", "message": ""},
		{"type": "custom-event", "message": "no type"},
		{"type": "custom-event", "customEventType": strings.Repeat("x", 256), "message": "long"},
		{"type": "custom-event", "customEventType": "big", "message": "m", "customData": map[string]any{"x": strings.Repeat("y", 17000)}},
		{"type": "customer-comment-created", "message": "m", "customData": map[string]any{"a": 1}},
	} {
		wantStatus(t, a.do(req{Method: http.MethodPost, Path: base, Body: body, InvalidRequest: "breaks a rule of the message"}), http.StatusUnprocessableEntity)
	}

	// Queries: filter on type, sort, pagination headers.
	msgs, r := a.timeline(id, "filter="+url.QueryEscape("type:custom-event,customer-comment-created")+"&sort=occurredTime")
	if len(msgs) != 2 || r.Header.Get("Pagination-Total") != "2" {
		t.Errorf("filtered: %v (total %s)", messageTypes(msgs), r.Header.Get("Pagination-Total"))
	}
	if found, r := a.timeline(id, "q=THEM"); len(found) != 1 || found[0]["id"] != comment["id"] || r.Header.Get("Pagination-Total") != "1" {
		t.Errorf("q=THEM found %v", messageTypes(found))
	}
	page := a.do(req{Method: http.MethodGet, Path: base + "?limit=1&offset=1"})
	wantStatus(t, page, http.StatusOK)
	if page.Header.Get("Pagination-Total") != "3" || page.Header.Get("Pagination-Limit") != "1" || !strings.Contains(page.Header.Get("Link"), `rel="first"`) {
		t.Errorf("page headers %v", page.Header)
	}
	// The default order is newest first, the id breaking ties.
	all, _ := a.timeline(id, "")
	if all[len(all)-1]["type"] != "customer-created" {
		t.Errorf("oldest last: %v", messageTypes(all))
	}
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: base + "?filter=" + url.QueryEscape("message:x")}), http.StatusBadRequest)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: base + "?sort=revision"}), http.StatusBadRequest)

	// DELETE: a client's message 204; the system's 409; gone is 404.
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: base + "/" + comment["id"].(string)}), http.StatusNoContent)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: base + "/" + comment["id"].(string)}), http.StatusNotFound)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: base + "/" + comment["id"].(string)}), http.StatusNotFound)
	var created string
	for _, m := range all {
		if m["type"] == "customer-created" {
			created = m["id"].(string)
		}
	}
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: base + "/" + created}), http.StatusConflict)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: base + "/not-a-uuid"}), http.StatusNotFound)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/customers/nobody/timeline"}), http.StatusNotFound)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/customers/nobody/timeline", Body: map[string]any{"type": "customer-comment-created", "message": "x"}}), http.StatusNotFound)

	// Another organization sees none of it; permissions are per operation.
	_, otherKey := a.newOrgKey()
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: base, Key: otherKey}), http.StatusNotFound)
	readOnly := a.newKey(a.orgID, "GetCustomerTimelineCollection")
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: base, Key: readOnly}), http.StatusOK)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: base, Key: readOnly, Body: map[string]any{"type": "customer-comment-created", "message": "x"}}), http.StatusForbidden)
}
