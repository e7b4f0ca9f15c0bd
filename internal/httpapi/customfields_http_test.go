package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/testsync"
)

func (a *testAPI) define(name string, def map[string]any, want int) map[string]any {
	a.t.Helper()
	r := a.do(req{Method: http.MethodPut, Path: "/custom-fields/customers/" + name, Body: def})
	if r.Status != want {
		a.t.Fatalf("PUT definition %s: %d, want %d: %s", name, r.Status, want, r.Body)
	}
	if r.Status >= 300 {
		return nil
	}
	return r.JSON()
}

func TestHTTPCustomFieldDefinitions(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	// Free-form until the first definition.
	a.put("legacy", map[string]any{"customFields": map[string]any{"anything": "goes", "score": "high"}})

	d := a.define("score", map[string]any{"type": "integer", "description": "Loyalty score"}, http.StatusCreated)
	if d["name"] != "score" || d["type"] != "integer" || d["description"] != "Loyalty score" {
		t.Errorf("created %v", d)
	}
	// The same again is a 200 that changes nothing.
	again := a.define("score", map[string]any{"type": "integer", "description": "Loyalty score"}, http.StatusOK)
	if again["updatedTime"] != d["updatedTime"] {
		t.Errorf("an unchanged PUT moved updatedTime: %v → %v", d["updatedTime"], again["updatedTime"])
	}
	a.define("tier", map[string]any{"type": "string", "additionalSchema": map[string]any{"allowedValues": []string{"gold", "silver"}}}, http.StatusCreated)
	a.define("born", map[string]any{"type": "date"}, http.StatusCreated)
	a.define("seen", map[string]any{"type": "datetime"}, http.StatusCreated)
	a.define("balance", map[string]any{"type": "monetary"}, http.StatusCreated)
	a.define("labels", map[string]any{"type": "array", "additionalSchema": map[string]any{"allowedValues": []string{"a", "b"}}}, http.StatusCreated)
	a.define("active", map[string]any{"type": "boolean"}, http.StatusCreated)
	a.define("ratio", map[string]any{"type": "number"}, http.StatusCreated)

	// Stored customers are not rewritten: legacy still reads as it was.
	if c := a.get("legacy", http.StatusOK); c["customFields"].(map[string]any)["anything"] != "goes" {
		t.Errorf("legacy changed: %v", c["customFields"])
	}

	list := a.do(req{Method: http.MethodGet, Path: "/custom-fields/customers?limit=3&offset=1"})
	wantStatus(t, list, http.StatusOK)
	if list.Header.Get("Pagination-Total") != "8" {
		t.Errorf("total %s", list.Header.Get("Pagination-Total"))
	}
	var defs []map[string]any
	if err := json.Unmarshal(list.Body, &defs); err != nil || len(defs) != 3 || defs[0]["name"] != "balance" { // by name: active, balance, ...
		t.Errorf("page %s (%v)", list.Body, err)
	}

	// Valid values of every type.
	good := map[string]any{
		"score": 7, "tier": "gold", "born": "1990-02-28", "seen": "2024-05-01T10:00:00+02:00",
		"balance": map[string]any{"currency": "EUR", "amount": 25.30}, "labels": []string{"a", "b"},
		"active": true, "ratio": 0.5,
	}
	c := a.put("typed", map[string]any{"customFields": good})
	if cf := c["customFields"].(map[string]any); cf["balance"].(map[string]any)["currency"] != "EUR" {
		t.Errorf("monetary value stored as %v", cf["balance"])
	}
	// Each wrong value is 422 at its key; nothing is written.
	for key, bad := range map[string]any{
		"score": 1.5, "tier": "bronze", "born": "1990-02-30", "seen": "yesterday",
		"balance": map[string]any{"currency": "eur", "amount": 1}, "labels": []string{"c"},
		"active": "yes", "ratio": "half", "undefinedKey": 1,
	} {
		body := map[string]any{}
		for k, v := range good {
			body[k] = v
		}
		body[key] = bad
		r := a.do(req{Method: http.MethodPut, Path: "/customers/typed", Body: map[string]any{"customFields": body}, InvalidRequest: "a value its definition refuses"})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if _, ok := problemFields(t, r)["customFields."+key]; !ok {
			t.Errorf("%s=%v: invalidFields lacks customFields.%s: %s", key, bad, key, r.Body)
		}
	}
	if c := a.get("typed", http.StatusOK); c["revision"] != float64(0) {
		t.Errorf("refused writes changed the customer: revision %v", c["revision"])
	}
	score2 := int64(1) << 31
	r := a.do(req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{"customFields": map[string]any{"score": score2}}, InvalidRequest: "out of range"})
	wantStatus(t, r, http.StatusUnprocessableEntity)

	// Bad definitions.
	for name, def := range map[string]map[string]any{
		"t1":      {"type": "float"},
		"t2":      {"type": "integer", "additionalSchema": map[string]any{"allowedValues": []string{"1"}}},
		"t3":      {"type": "string", "additionalSchema": map[string]any{"maxLength": 4001}},
		"t4":      {"type": "string", "description": strings.Repeat("d", 256)},
		"bad.key": {"type": "string"},
	} {
		r := a.do(req{Method: http.MethodPut, Path: "/custom-fields/customers/" + name, Body: def, InvalidRequest: "a bad definition"})
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("definition %s %v: %d %s", name, def, r.Status, r.Body)
		}
	}
	r = a.do(req{Method: http.MethodPut, Path: "/custom-fields/customers/x", Body: map[string]any{"type": "string", "name": "y"}, InvalidRequest: "name differs"})
	wantStatus(t, r, http.StatusUnprocessableEntity)

	// Schema in use: a type change with stored values, a narrowing a stored
	// value would not fit, a delete with values: 409, nothing changes.
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/custom-fields/customers/score", Body: map[string]any{"type": "string"}}), http.StatusConflict)
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/custom-fields/customers/tier", Body: map[string]any{"type": "string", "additionalSchema": map[string]any{"allowedValues": []string{"silver"}}}}), http.StatusConflict)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: "/custom-fields/customers/tier"}), http.StatusConflict)
	if d := a.do(req{Method: http.MethodGet, Path: "/custom-fields/customers/score"}).JSON(); d["type"] != "integer" {
		t.Errorf("a refused change changed the definition: %v", d)
	}
	// A widening is fine; so is a type change and a delete without values.
	a.define("tier", map[string]any{"type": "string", "additionalSchema": map[string]any{"allowedValues": []string{"gold", "silver", "bronze"}}}, http.StatusOK)
	a.define("spare", map[string]any{"type": "string"}, http.StatusCreated)
	a.define("spare", map[string]any{"type": "integer"}, http.StatusOK)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: "/custom-fields/customers/spare"}), http.StatusNoContent)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/custom-fields/customers/spare"}), http.StatusNotFound)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: "/custom-fields/customers/spare"}), http.StatusNotFound)

	// Another organization sees none of it, and keeps free-form fields.
	otherOrg, otherKey := a.newOrgKey()
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/custom-fields/customers/score", Key: otherKey}), http.StatusNotFound)
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/organizations/" + otherOrg + "/customers/free", Key: otherKey, Body: map[string]any{"customFields": map[string]any{"score": "text"}}}), http.StatusCreated)
}

func TestHTTPTypedCustomFieldFiltersAndSorts(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.define("points", map[string]any{"type": "integer"}, http.StatusCreated)
	a.define("joined", map[string]any{"type": "datetime"}, http.StatusCreated)
	a.define("owed", map[string]any{"type": "monetary"}, http.StatusCreated)
	a.define("vip", map[string]any{"type": "boolean"}, http.StatusCreated)
	for id, cf := range map[string]map[string]any{
		"p9":    {"points": 9, "joined": "2024-01-01T23:30:00-02:00", "owed": map[string]any{"currency": "USD", "amount": 100}, "vip": true},
		"p10":   {"points": 10, "joined": "2024-01-02T00:30:00Z", "owed": map[string]any{"currency": "EUR", "amount": 9.5}, "vip": false},
		"p100":  {"points": 100, "joined": "2023-12-31T00:00:00Z", "owed": map[string]any{"currency": "USD", "amount": 20}},
		"none":  {},
		"p-big": {"points": 1000000},
	} {
		a.put(id, map[string]any{"customFields": cf})
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		// Numbers compare numerically: 9 < 10 < 100 (as text "10" < "9").
		{"filter=" + url.QueryEscape("customFields.points:10..100") + "&sort=customFields.points", []string{"p10", "p100"}},
		{"filter=" + url.QueryEscape("customFields.points:..9"), []string{"p9"}},
		{"filter=" + url.QueryEscape("customFields.points:10"), []string{"p10"}},
		{"filter=" + url.QueryEscape("customFields.points:10.0"), []string{"p10"}},
		{"filter=" + url.QueryEscape("customFields.points:!10") + "&sort=customFields.points", []string{"p9", "p100", "p-big", "none"}},
		{"filter=" + url.QueryEscape("customFields.points:null"), []string{"none"}},
		{"sort=customFields.points", []string{"p9", "p10", "p100", "p-big", "none"}},
		{"sort=-customFields.points", []string{"p-big", "p100", "p10", "p9", "none"}},
		// Instants, whatever the offset: p9 joined at 2024-01-02T01:30Z.
		{"sort=customFields.joined", []string{"p100", "p10", "p9", "none", "p-big"}},
		{"filter=" + url.QueryEscape("customFields.joined:2024-01-02") + "&sort=customFields.joined", []string{"p10", "p9"}},
		{"filter=" + url.QueryEscape("customFields.joined:2024-01-02T01:00:00Z.."), []string{"p9"}},
		// Monetary by amount.
		{"filter=" + url.QueryEscape("customFields.owed:10..50"), []string{"p100"}},
		{"sort=-customFields.owed", []string{"p9", "p100", "p10", "p-big", "none"}}, // ties by id, descending too
		{"filter=" + url.QueryEscape("customFields.vip:true"), []string{"p9"}},
	} {
		l := getList(t, a, "/customers", tc.query)
		r, got := l.r, l.ids()
		want := tc.want
		if !containsSort(tc.query) { // the default order: by creation, which the map above shuffles
			slices.Sort(got)
			want = slices.Sorted(slices.Values(want))
		}
		if !slices.Equal(got, want) {
			t.Errorf("GET /customers?%s: %v, want %v", tc.query, got, tc.want)
		}
		if total := r.Header.Get("Pagination-Total"); total != fmt.Sprint(len(tc.want)) {
			t.Errorf("GET /customers?%s: total %s, want %d", tc.query, total, len(tc.want))
		}
	}
	r := a.do(req{Method: http.MethodGet, Path: "/customers?filter=" + url.QueryEscape("customFields.points:ten"), InvalidRequest: "not a number"})
	wantStatus(t, r, http.StatusBadRequest)
}

func containsSort(q string) bool {
	v, _ := url.ParseQuery(q)
	return v.Has("sort")
}

// TestHTTPDefinitionChangeRacingWrites: a definition change and customer
// writes it would make invalid, on one node or spread over two, never
// both succeed.
func TestHTTPDefinitionChangeRacingWrites(t *testing.T) {
	t.Parallel()
	onNodes(t, func(t *testing.T, nodes cluster) {
		for round := range 6 {
			field := fmt.Sprintf("f%d", round)
			// On two nodes, the field is defined on one node and changed
			// on the other, while the writes go to both.
			nodes.node(round).define(field, map[string]any{"type": "string"}, http.StatusCreated)
			const writers = 8
			statuses := make([]int, writers+1)
			testsync.Race(writers+1, func(i int) {
				if i == writers {
					statuses[i] = nodes.node(round + 1).do(req{Method: http.MethodPut, Path: "/custom-fields/customers/" + field, Body: map[string]any{"type": "integer"}}).Status
					return
				}
				// A string value: fine under the old type, not the new one.
				statuses[i] = nodes.node(i).do(req{Method: http.MethodPut, Path: fmt.Sprintf("/customers/r%d-%d", round, i), Body: map[string]any{"customFields": map[string]any{field: "text"}}}).Status
			})
			change := statuses[writers]
			written := 0
			for _, s := range statuses[:writers] {
				switch s {
				case http.StatusCreated:
					written++
				case http.StatusUnprocessableEntity:
				default:
					t.Errorf("round %d: a write answered %d", round, s)
				}
			}
			switch change {
			case http.StatusOK:
				if written > 0 {
					t.Errorf("round %d: the type change and %d writes of strings both succeeded", round, written)
				}
			case http.StatusConflict:
				if written == 0 {
					t.Errorf("round %d: the type change was refused with no value stored", round)
				}
			default:
				t.Errorf("round %d: the definition change answered %d", round, change)
			}
		}
	})
}

func TestHTTPCustomFieldPermissions(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	reader := a.newKey(a.orgID, access.GetCustomFieldCollection, access.GetCustomField)
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/custom-fields/customers/x", Key: reader, Body: map[string]any{"type": "string"}}), http.StatusForbidden)
	a.define("x", map[string]any{"type": "string"}, http.StatusCreated)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/custom-fields/customers/x", Key: reader}), http.StatusOK)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/custom-fields/customers", Key: reader}), http.StatusOK)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: "/custom-fields/customers/x", Key: reader}), http.StatusForbidden)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: "/custom-fields/customers/x", Key: a.newKey(a.orgID, access.DeleteCustomField)}), http.StatusNoContent)
}

func TestHTTPNewCustomerFields(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	body := map[string]any{
		"taxNumbers": []map[string]any{
			{"type": "eu-vat", "value": "DE123456789", "isDefault": true, "isValid": true},
			{"type": "other", "value": "Tax-2"},
		},
		"notificationEmails":          []string{"billing@example.com", "Ops@Example.com"},
		"preferredPayoutInstrumentId": "po-1",
		"organizationId":              "ignored",
	}
	c := a.put("ada", body)
	tax := c["taxNumbers"].([]any)
	if len(tax) != 2 || tax[0].(map[string]any)["isValid"] != nil || tax[1].(map[string]any)["isDefault"] != false {
		t.Errorf("taxNumbers %v (isValid is always null)", tax)
	}
	if c["organizationId"] != a.orgID || c["preferredPayoutInstrumentId"] != "po-1" || len(c["notificationEmails"].([]any)) != 2 {
		t.Errorf("customer %v", c)
	}
	// The same PUT again changes nothing.
	if again := a.put("ada", body); again["revision"] != float64(0) {
		t.Errorf("an unchanged PUT moved the revision to %v", again["revision"])
	}
	for _, tc := range []struct{ filter, want string }{
		{"taxNumbers.value:de123456789", "1"},
		{"taxNumbers.value:tax-2", "1"},
		{"taxNumbers.value:nope", "0"},
		{"notificationEmails:ops@example.com", "1"},
		{"preferredPayoutInstrumentId:po-1", "1"},
	} {
		r := a.do(req{Method: http.MethodGet, Path: "/customers?filter=" + url.QueryEscape(tc.filter)})
		if r.Header.Get("Pagination-Total") != tc.want {
			t.Errorf("filter %s: total %s, want %s", tc.filter, r.Header.Get("Pagination-Total"), tc.want)
		}
	}
	// Bad values, reported at their paths.
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"taxNumbers": []map[string]any{{"type": "eu-vat", "value": "A", "isDefault": true}, {"type": "other", "value": "B", "isDefault": true}}}, "taxNumbers"},
		{map[string]any{"taxNumbers": []map[string]any{{"type": "eu-vat", "value": "A"}, {"type": "vat", "value": "B"}}}, "taxNumbers[1].type"},
		{map[string]any{"taxNumbers": []map[string]any{{"type": "eu-vat", "value": ""}}}, "taxNumbers[0].value"},
		{map[string]any{"taxNumbers": make([]map[string]any, 11)}, "taxNumbers"},
		{map[string]any{"notificationEmails": []string{"ok@example.com", "not-an-email"}}, "notificationEmails[1]"},
		{map[string]any{"notificationEmails": make([]string, 11)}, "notificationEmails"},
		{map[string]any{"preferredPayoutInstrumentId": ""}, "preferredPayoutInstrumentId"},
	} {
		r := a.do(req{Method: http.MethodPut, Path: "/customers/bad", Body: tc.body, InvalidRequest: "bad new fields"})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if _, ok := problemFields(t, r)[tc.field]; !ok {
			t.Errorf("%v: invalidFields lacks %s: %s", tc.body, tc.field, r.Body)
		}
	}
	a.get("bad", http.StatusNotFound)

	// Merge: the duplicate's lists fill the target's empty ones.
	a.put("target", map[string]any{"notificationEmails": []string{"keep@example.com"}})
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: mergePath("", "ada", "target")}), http.StatusNoContent)
	m := a.get("target", http.StatusOK)
	if len(m["taxNumbers"].([]any)) != 2 || len(m["notificationEmails"].([]any)) != 1 || m["preferredPayoutInstrumentId"] != "po-1" {
		t.Errorf("merged %v", m)
	}
}
