package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/access"
)

// 5. Authentication and permissions.

func TestHTTPUnauthenticated(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	id := a.create(map[string]any{})["id"].(string)
	org := "/organizations/" + a.orgID
	keys := []struct {
		name  string
		key   string
		noKey bool
	}{
		{"no key", "", true},
		{"unknown key", "sk_live_" + strings.Repeat("A", 40), false},
		{"not a key", "garbage", false},
		{"valid key with a suffix", a.key + "x", false},
		{"valid key as Bearer", "Bearer " + a.key, false},
	}
	requests := []req{
		{Method: http.MethodGet, Path: "/customers/" + id},
		{Method: http.MethodGet, Path: "/customers/nobody"},
		{Method: http.MethodPost, Path: "/customers", Body: map[string]any{}},
		{Method: http.MethodPut, Path: "/customers/unauth-new", Body: map[string]any{}},
		{Method: http.MethodPut, Path: "/customers/" + id, Body: map[string]any{"websiteId": "x"}},
		{Method: http.MethodPost, Path: "/customers", Body: `not json`, InvalidRequest: "not JSON"}, // 401 before 400
		{Method: http.MethodGet, Path: "/nope", InvalidRequest: "an unknown path"},                  // 401 before 404
		{Method: http.MethodPatch, Path: "/customers/" + id, InvalidRequest: "an unserved method"},  // 401 before 405
		{Method: http.MethodGet, Path: org + "/customers/" + id},
		{Method: http.MethodGet, Path: "/organizations/someone-else/customers/" + id}, // 401 before 403
	}
	for _, k := range keys {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			a := a.forTest(t)
			for _, q := range requests {
				q.Key, q.NoKey = k.key, k.noKey
				r := a.do(q)
				if r.Status != http.StatusUnauthorized {
					t.Errorf("%s %s: status %d, want 401: %s", q.Method, q.Path, r.Status, r.Body)
				}
				if strings.Contains(string(r.Body), id) && !strings.Contains(q.Path, id) {
					t.Errorf("%s %s: 401 body mentions a customer: %s", q.Method, q.Path, r.Body)
				}
			}
		})
	}
	// Nothing was written by the refused writes.
	if c := a.get(id, http.StatusOK); c["revision"] != 0.0 || c["websiteId"] != nil {
		t.Errorf("customer changed by unauthenticated PUTs: %v", c)
	}
	a.get("unauth-new", http.StatusNotFound)
}

func TestHTTPPermissions(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/perm-1", Body: map[string]any{"websiteId": "before"}}), http.StatusCreated)
	readOnly := a.newKey(a.orgID, access.GetCustomer)
	writeOnly := a.newKey(a.orgID, access.PutCustomer)
	postOnly := a.newKey(a.orgID, access.PostCustomer)
	org := "/organizations/" + a.orgID
	for _, tc := range []struct {
		name string
		q    req
		want int
	}{
		{"read-only key GETs", req{Method: http.MethodGet, Path: "/customers/perm-1", Key: readOnly}, http.StatusOK},
		{"read-only key GETs under the organization", req{Method: http.MethodGet, Path: org + "/customers/perm-1", Key: readOnly}, http.StatusOK},
		{"the organization's UUID in upper case is the same organization", req{Method: http.MethodGet, Path: "/organizations/" + strings.ToUpper(a.orgID) + "/customers/perm-1", Key: readOnly}, http.StatusOK},
		{"read-only key POSTs", req{Method: http.MethodPost, Path: "/customers", Key: readOnly, Body: map[string]any{}}, http.StatusForbidden},
		{"read-only key PUTs an existing id", req{Method: http.MethodPut, Path: "/customers/perm-1", Key: readOnly, Body: map[string]any{"websiteId": "after"}}, http.StatusForbidden},
		{"read-only key PUTs a new id", req{Method: http.MethodPut, Path: "/customers/perm-new", Key: readOnly, Body: map[string]any{}}, http.StatusForbidden},
		{"read-only key PUTs under the organization", req{Method: http.MethodPut, Path: org + "/customers/perm-new", Key: readOnly, Body: map[string]any{}}, http.StatusForbidden},
		{"read-only key PUTs an invalid body", req{Method: http.MethodPut, Path: "/customers/perm-new", Key: readOnly, Body: `{`, InvalidRequest: "not JSON"}, http.StatusForbidden},
		{"write-only key GETs", req{Method: http.MethodGet, Path: "/customers/perm-1", Key: writeOnly}, http.StatusForbidden},
		{"write-only key POSTs", req{Method: http.MethodPost, Path: "/customers", Key: writeOnly, Body: map[string]any{}}, http.StatusForbidden},
		{"post-only key PUTs", req{Method: http.MethodPut, Path: "/customers/perm-new", Key: postOnly, Body: map[string]any{}}, http.StatusForbidden},
		{"post-only key GETs a missing id", req{Method: http.MethodGet, Path: "/customers/perm-new", Key: postOnly}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := a.forTest(t)
			r := a.do(tc.q)
			wantStatus(t, r, tc.want)
			if tc.want == http.StatusForbidden && strings.Contains(string(r.Body), "before") {
				t.Errorf("403 leaks the customer: %s", r.Body)
			}
		})
	}
	// The refused writes changed nothing.
	if c := a.get("perm-1", http.StatusOK); c["revision"] != 0.0 || c["websiteId"] != "before" {
		t.Errorf("customer after refused writes: revision %v websiteId %v", c["revision"], c["websiteId"])
	}
	a.get("perm-new", http.StatusNotFound)
	// The write-only key may write.
	r := a.do(req{Method: http.MethodPut, Path: "/customers/perm-1", Key: writeOnly, Body: map[string]any{"websiteId": "after"}})
	wantStatus(t, r, http.StatusOK)
	if r.JSON()["revision"] != 1.0 {
		t.Errorf("write-only PUT: %s", r.Body)
	}
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/customers", Key: postOnly, Body: map[string]any{}}), http.StatusCreated)
}
