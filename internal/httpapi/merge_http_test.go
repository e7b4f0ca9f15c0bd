package httpapi_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/access"

	"github.com/billing/customers-api/internal/testsync"
)

// Merging duplicates over HTTP: DELETE /customers/{id}?targetCustomerId=T
// (SPEC §4, §10 "Merge").

func mergePath(prefix, id, target string) string {
	return prefix + "/customers/" + id + "?targetCustomerId=" + target
}

// detail is the detail of a problem response.
func detail(t *testing.T, r *response) string {
	t.Helper()
	d, _ := r.JSON()["detail"].(string)
	return d
}

func TestHTTPMerge(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for i, layout := range []string{"", "/organizations/" + a.orgID} {
		t.Run("layout "+layout, func(t *testing.T) {
			a := a.forTest(t)
			dup, tgt := fmt.Sprint("dup-", i), fmt.Sprint("tgt-", i)
			wantStatus(t, a.do(req{Method: http.MethodPut, Path: layout + "/customers/" + dup, Body: map[string]any{
				"websiteId":      "web-dup",
				"customFields":   map[string]any{"tier": "silver", "only-dup": 1},
				"primaryAddress": map[string]any{"firstName": "Dup", "emails": []any{map[string]any{"label": "w", "value": "dup@x.example"}}},
				"isEddRequired":  true,
				"leadSource":     map[string]any{"source": "dup-source"},
			}}), http.StatusCreated)
			wantStatus(t, a.do(req{Method: http.MethodPut, Path: layout + "/customers/" + tgt, Body: map[string]any{
				"customFields": map[string]any{"tier": "gold"},
				"locale":       "de",
			}}), http.StatusCreated)

			r := a.do(req{Method: http.MethodDelete, Path: mergePath(layout, dup, tgt), Headers: map[string]string{"If-Match": `"0"`}})
			wantStatus(t, r, http.StatusNoContent)
			if len(r.Body) != 0 {
				t.Errorf("204 with a body: %s", r.Body)
			}

			g := a.do(req{Method: http.MethodGet, Path: layout + "/customers/" + tgt})
			wantStatus(t, g, http.StatusOK)
			c := g.JSON()
			if g.Header.Get("ETag") != `"1"` || c["revision"] != 1.0 {
				t.Errorf("target after the merge: ETag %q revision %v, want 1", g.Header.Get("ETag"), c["revision"])
			}
			for field, want := range map[string]any{
				"websiteId":     "web-dup",
				"locale":        "de",
				"isEddRequired": true,
				"customFields":  map[string]any{"tier": "gold", "only-dup": 1.0},
				"email":         "dup@x.example",
				"firstName":     "Dup",
			} {
				if !reflect.DeepEqual(c[field], want) {
					t.Errorf("merged %s = %#v, want %#v", field, c[field], want)
				}
			}
			base := a.srv.URL + layout + "/customers/" + tgt
			if l := links(t, c); l["leadSource"] != base+"/lead-source" {
				t.Errorf("target _links %v lack the moved lead source", l)
			}
			ls := a.do(req{Method: http.MethodGet, Path: lsPath(layout, tgt)})
			wantStatus(t, ls, http.StatusOK)
			if body := ls.JSON(); body["source"] != "dup-source" || ls.Header.Get("ETag") != `"1"` {
				t.Errorf("moved lead source: %s ETag %q", ls.Body, ls.Header.Get("ETag"))
			}

			// The duplicate is gone for good, and every answer says where it went.
			for _, q := range []struct {
				req
				want int
			}{
				{req{Method: http.MethodGet, Path: layout + "/customers/" + dup}, http.StatusNotFound},
				{req{Method: http.MethodPut, Path: layout + "/customers/" + dup, Body: map[string]any{}}, http.StatusConflict},
				// A conditional import retry still learns where it went.
				{req{Method: http.MethodPut, Path: layout + "/customers/" + dup, Body: map[string]any{}, Headers: map[string]string{"If-None-Match": "*"}}, http.StatusConflict},
				{req{Method: http.MethodPut, Path: layout + "/customers/" + dup, Body: map[string]any{}, Headers: map[string]string{"If-Match": `"0"`}}, http.StatusConflict},
				{req{Method: http.MethodDelete, Path: mergePath(layout, dup, tgt)}, http.StatusNotFound},
				{req{Method: http.MethodGet, Path: lsPath(layout, dup)}, http.StatusNotFound},
				{req{Method: http.MethodPut, Path: lsPath(layout, dup), Body: map[string]any{}}, http.StatusNotFound},
				{req{Method: http.MethodDelete, Path: lsPath(layout, dup)}, http.StatusNotFound},
			} {
				r := a.do(q.req)
				if r.Status != q.want {
					t.Errorf("%s %s: %d, want %d: %s", q.Method, q.Path, r.Status, q.want, r.Body)
					continue
				}
				if d := detail(t, r); !strings.Contains(d, `"`+tgt+`"`) {
					t.Errorf("%s %s: detail %q does not name the target %s", q.Method, q.Path, d, tgt)
				}
			}
			// The refused writes changed nothing.
			if c := a.get(tgt, http.StatusOK); c["revision"] != 1.0 {
				t.Errorf("target revision %v, want 1", c["revision"])
			}
		})
	}
}

func TestHTTPMergeErrors(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	orgB, keyB := a.newOrgKey()
	for _, id := range []string{"me-x", "me-y"} {
		wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/" + id, Body: map[string]any{"websiteId": id}}), http.StatusCreated)
	}
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/me-b", Key: keyB, Body: map[string]any{}}), http.StatusCreated)
	for _, tc := range []struct {
		name, path string
		headers    map[string]string
		key        string
		want       int
		typ        string
		mentions   string
		invalid    string // why the request breaks openapi.yaml, if it does
	}{
		{"no targetCustomerId", "/customers/me-x", nil, "", http.StatusUnprocessableEntity, "/problems/validation-error", "targetCustomerId", "the required query parameter is missing"},
		{"empty targetCustomerId", "/customers/me-x?targetCustomerId=", nil, "", http.StatusUnprocessableEntity, "/problems/validation-error", "targetCustomerId", "the query parameter is empty"},
		{"into itself", mergePath("", "me-x", "me-x"), nil, "", http.StatusConflict, "/problems/conflict", "itself", ""},
		{"missing target", mergePath("", "me-x", "me-nobody"), nil, "", http.StatusNotFound, "/problems/not-found", `"me-nobody"`, ""},
		{"missing duplicate", mergePath("", "me-nobody", "me-y"), nil, "", http.StatusNotFound, "/problems/not-found", `"me-nobody"`, ""},
		{"both missing names the path customer", mergePath("", "me-ghost1", "me-ghost2"), nil, "", http.StatusNotFound, "/problems/not-found", `"me-ghost1"`, ""},
		{"both missing, target id invalid", mergePath("", "me-ghost1", "bad%20id"), nil, "", http.StatusNotFound, "/problems/not-found", `"me-ghost1"`, "the target id breaks the id rule"},
		{"invalid path id", mergePath("", "bad%20id", "me-y"), nil, "", http.StatusNotFound, "/problems/not-found", "", "the path id breaks the id rule"},
		{"stale If-Match on the duplicate", mergePath("", "me-x", "me-y"), map[string]string{"If-Match": `"3"`}, "", http.StatusPreconditionFailed, "/problems/precondition-failed", "", ""},
		{"If-Match of the target's revision is not the duplicate's", mergePath("", "me-x", "me-y"), map[string]string{"If-Match": `"1"`}, "", http.StatusPreconditionFailed, "/problems/precondition-failed", "", ""},
		{"another organization's target", mergePath("", "me-x", "me-b"), nil, "", http.StatusNotFound, "/problems/not-found", `"me-b"`, ""},
		{"another organization's duplicate", mergePath("", "me-x", "me-b"), nil, keyB, http.StatusNotFound, "/problems/not-found", `"me-x"`, ""},
		{"another organization's path", mergePath("/organizations/"+orgB, "me-x", "me-y"), nil, "", http.StatusForbidden, "/problems/forbidden", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := a.forTest(t)
			r := a.do(req{Method: http.MethodDelete, Path: tc.path, Headers: tc.headers, Key: tc.key, InvalidRequest: tc.invalid})
			wantStatus(t, r, tc.want)
			p := r.JSON()
			if p["type"] != tc.typ {
				t.Errorf("type %v, want %s", p["type"], tc.typ)
			}
			if d := detail(t, r); !strings.Contains(d, tc.mentions) {
				t.Errorf("detail %q does not mention %s", d, tc.mentions)
			}
			if tc.want == http.StatusUnprocessableEntity {
				if _, ok := problemFields(t, r)["targetCustomerId"]; !ok {
					t.Errorf("invalidFields lack targetCustomerId: %s", r.Body)
				}
			}
		})
	}
	// No failed merge changed anything.
	for _, id := range []string{"me-x", "me-y"} {
		if c := a.get(id, http.StatusOK); c["revision"] != 0.0 || c["websiteId"] != id {
			t.Errorf("%s after failed merges: %v", id, c)
		}
	}
	if r := a.do(req{Method: http.MethodGet, Path: "/customers/me-b", Key: keyB}); r.Status != http.StatusOK || r.JSON()["revision"] != 0.0 {
		t.Errorf("org B's customer after failed merges: %d %s", r.Status, r.Body)
	}
}

func TestHTTPMergePermissions(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for _, id := range []string{"mp-x", "mp-y"} {
		wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/" + id, Body: map[string]any{}}), http.StatusCreated)
	}
	for _, perms := range [][]string{
		{access.GetCustomer},
		{access.PutCustomer, access.PostCustomer},
		{access.DeleteCustomerLeadSource},
	} {
		key := a.newKey(a.orgID, perms...)
		r := a.do(req{Method: http.MethodDelete, Path: mergePath("", "mp-x", "mp-y"), Key: key})
		if r.Status != http.StatusForbidden {
			t.Errorf("merge with a key of %v: %d, want 403", perms, r.Status)
		}
	}
	a.get("mp-x", http.StatusOK)
	// DeleteCustomer is the permission a merge needs (SPEC §10).
	key := a.newKey(a.orgID, access.DeleteCustomer)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: mergePath("", "mp-x", "mp-y"), Key: key}), http.StatusNoContent)
	a.get("mp-x", http.StatusNotFound)
}

// TestHTTPCrossingMerges: ten rounds of A→B racing B→A, on one node or
// each on its own node, never deadlock into a 5xx; each round exactly one
// answers 204, the other 404, and one customer is left.
func TestHTTPCrossingMerges(t *testing.T) {
	t.Parallel()
	onNodes(t, func(t *testing.T, nodes cluster) {
		for round := range 10 {
			x, y := fmt.Sprint("cross-a", round), fmt.Sprint("cross-b", round)
			for i, id := range []string{x, y} {
				wantStatus(t, nodes.node(i).do(req{Method: http.MethodPut, Path: "/customers/" + id, Body: map[string]any{"websiteId": id}}), http.StatusCreated)
			}
			var statuses [2]int
			pairs := [2][2]string{{x, y}, {y, x}}
			testsync.Race(len(pairs), func(i int) {
				// On two nodes, A→B goes to one and B→A to the other.
				statuses[i] = nodes.node(i + round).do(req{Method: http.MethodDelete, Path: mergePath("", pairs[i][0], pairs[i][1])}).Status
			})
			if !reflect.DeepEqual(statuses, [2]int{204, 404}) && !reflect.DeepEqual(statuses, [2]int{404, 204}) {
				t.Fatalf("round %d: statuses %v, want one 204 and one 404", round, statuses)
			}
			survivor, gone := y, x
			if statuses[1] == http.StatusNoContent {
				survivor, gone = x, y
			}
			for _, a := range nodes {
				if c := a.get(survivor, http.StatusOK); c["revision"] != 1.0 {
					t.Errorf("round %d: survivor %s at revision %v, want 1", round, survivor, c["revision"])
				}
				a.get(gone, http.StatusNotFound)
			}
		}
	})
}

// TestHTTPMergeRacingPuts: a merge racing twenty PUTs that each change the
// target, on one node or spread over two, loses no update: the final
// revision counts all of them.
func TestHTTPMergeRacingPuts(t *testing.T) {
	t.Parallel()
	onNodes(t, func(t *testing.T, nodes cluster) {
		a := nodes[0]
		wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/race-target", Body: map[string]any{}}), http.StatusCreated)
		wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/race-dup", Body: map[string]any{"websiteId": "from-dup"}}), http.StatusCreated)
		const writers = 20
		statuses := make([]int, writers+1)
		testsync.Race(writers+1, func(i int) {
			// The merge (i = writers, even) and half the PUTs on one node,
			// the other half on the other.
			if i == writers {
				statuses[i] = nodes.node(i).do(req{Method: http.MethodDelete, Path: mergePath("", "race-dup", "race-target")}).Status
				return
			}
			statuses[i] = nodes.node(i).do(req{Method: http.MethodPut, Path: "/customers/race-target", Body: map[string]any{"customFields": map[string]any{"writer": i}}}).Status
		})
		for i, s := range statuses {
			want := http.StatusOK
			if i == writers {
				want = http.StatusNoContent
			}
			if s != want {
				t.Errorf("request %d: status %d, want %d", i, s, want)
			}
		}
		for _, a := range nodes {
			if c := a.get("race-target", http.StatusOK); c["revision"] != float64(writers+1) {
				t.Errorf("final revision %v, want %d (every PUT and the merge)", c["revision"], writers+1)
			}
			a.get("race-dup", http.StatusNotFound)
		}
	})
}
