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

// tagNames lists the names of a customer's tags, in order, checking that
// each is a whole tag object.
func tagNames(t *testing.T, c map[string]any) []string {
	t.Helper()
	list, ok := c["tags"].([]any)
	if !ok {
		t.Fatalf("tags is %T, not a list", c["tags"])
	}
	names := []string{}
	for _, raw := range list {
		tag := raw.(map[string]any)
		if id, _ := tag["id"].(string); tag["type"] != "customer" || len(id) != 36 || tag["createdTime"] == nil || tag["updatedTime"] == nil {
			t.Errorf("tag %v is not a whole tag object", tag)
		}
		names = append(names, tag["name"].(string))
	}
	return names
}

// checkTagReadModels asserts that every customer's sorted names and tag
// objects are what its links to tags say, whatever the tests did.
func (a *testAPI) checkTagReadModels() {
	a.t.Helper()
	var stale []string
	if err := a.db.Select(&stale, `SELECT id FROM customers
		WHERE tags <> customer_tag_names(organization_id, id) OR tag_objects <> customer_tag_objects(organization_id, id)`); err != nil {
		a.t.Fatal(err)
	}
	if len(stale) > 0 {
		a.t.Errorf("customers whose tags disagree with their links: %v", stale)
	}
}

func tagPath(tag string, rest ...string) string {
	return "/tags/" + url.PathEscape(tag) + strings.Join(rest, "")
}

func (a *testAPI) put(id string, body map[string]any) map[string]any {
	a.t.Helper()
	r := a.do(req{Method: http.MethodPut, Path: "/customers/" + id, Body: body})
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		a.t.Fatalf("PUT %s: %d %s", id, r.Status, r.Body)
	}
	return r.JSON()
}

func TestHTTPTagLifecycle(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.put("ada", map[string]any{})
	a.put("bob", map[string]any{})

	// POST /tags: 201 with Location; the same name again is 409; names
	// are case-sensitive.
	r := a.do(req{Method: http.MethodPost, Path: "/tags", Body: map[string]any{"name": "VIP list+1"}})
	wantStatus(t, r, http.StatusCreated)
	tag := r.JSON()
	if tag["name"] != "VIP list+1" || tag["type"] != "customer" || !strings.HasSuffix(r.Header.Get("Location"), "/tags/VIP%20list+1") {
		t.Errorf("created %v, Location %q", tag, r.Header.Get("Location"))
	}
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/tags", Body: map[string]any{"name": "VIP list+1"}}), http.StatusConflict)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/tags", Body: map[string]any{"name": "vip list+1"}}), http.StatusCreated)
	got := a.do(req{Method: http.MethodGet, Path: tagPath("VIP list+1")})
	wantStatus(t, got, http.StatusOK)
	if got.JSON()["id"] != tag["id"] {
		t.Errorf("GET tag %s, created %v", got.Body, tag)
	}

	// Tagging: 204; the customer lists the tag and has one more revision;
	// tagging again changes nothing.
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("VIP list+1", "/customers/ada")}), http.StatusNoContent)
	c := a.get("ada", http.StatusOK)
	if names := tagNames(t, c); !slices.Equal(names, []string{"VIP list+1"}) || c["revision"] != float64(1) {
		t.Errorf("after tagging: tags %v, revision %v", names, c["revision"])
	}
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("VIP list+1", "/customers/ada")}), http.StatusNoContent)
	if c := a.get("ada", http.StatusOK); c["revision"] != float64(1) {
		t.Errorf("a repeated tagging changed the revision to %v", c["revision"])
	}
	// A tag that does not exist yet is created by tagging.
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("alpha", "/customers/ada")}), http.StatusNoContent)
	c = a.get("ada", http.StatusOK)
	if names := tagNames(t, c); !slices.Equal(names, []string{"VIP list+1", "alpha"}) || c["revision"] != float64(2) {
		t.Errorf("tags sorted by name (byte order): %v, revision %v", names, c["revision"])
	}
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: tagPath("alpha")}), http.StatusOK)

	// The tags: filter finds it; a PUT keeps the tags (read-only).
	list := a.do(req{Method: http.MethodGet, Path: "/customers?filter=" + url.QueryEscape("tags:alpha")})
	if list.Header.Get("Pagination-Total") != "1" {
		t.Errorf("tags:alpha total %s: %s", list.Header.Get("Pagination-Total"), list.Body)
	}
	c = a.put("ada", map[string]any{"locale": "en", "tags": []any{}})
	if names := tagNames(t, c); len(names) != 2 {
		t.Errorf("a PUT changed the tags: %v", names)
	}

	// Untagging: 204 and one revision; untagging again changes nothing.
	rev := c["revision"].(float64)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: tagPath("alpha", "/customers/ada")}), http.StatusNoContent)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: tagPath("alpha", "/customers/ada")}), http.StatusNoContent)
	c = a.get("ada", http.StatusOK)
	if names := tagNames(t, c); !slices.Equal(names, []string{"VIP list+1"}) || c["revision"] != rev+1 {
		t.Errorf("after untagging: %v, revision %v (was %v)", names, c["revision"], rev)
	}

	// Missing things are 404.
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("alpha", "/customers/nobody")}), http.StatusNotFound)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: tagPath("never", "/customers/ada")}), http.StatusNotFound)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: tagPath("never")}), http.StatusNotFound)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: tagPath("never")}), http.StatusNotFound)

	// DELETE /tags/{tag}: gone from every customer, each one revision more.
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("VIP list+1", "/customers/bob")}), http.StatusNoContent)
	adaRev, bobRev := a.get("ada", http.StatusOK)["revision"].(float64), a.get("bob", http.StatusOK)["revision"].(float64)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: tagPath("VIP list+1")}), http.StatusNoContent)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: tagPath("VIP list+1")}), http.StatusNotFound)
	for id, was := range map[string]float64{"ada": adaRev, "bob": bobRev} {
		c := a.get(id, http.StatusOK)
		if names := tagNames(t, c); len(names) != 0 || c["revision"] != was+1 {
			t.Errorf("%s after the tag's deletion: %v, revision %v (was %v)", id, names, c["revision"], was)
		}
	}
	a.checkTagReadModels()
}

func TestHTTPTagNamesAndBadInput(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.put("ada", map[string]any{})
	for _, name := range []string{"", strings.Repeat("x", 101), "semi;colon", "slash/", "quote\"", "tab\x01", "é"} { // \w is ASCII, as in Rebilly's pattern
		r := a.do(req{Method: http.MethodPost, Path: "/tags", Body: map[string]any{"name": name}, InvalidRequest: "a bad tag name"})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if _, ok := problemFields(t, r)["name"]; !ok {
			t.Errorf("name %q: invalidFields lacks name: %s", name, r.Body)
		}
	}
	for _, name := range []string{"@home", "~x", "a-b.c_d", "with space", "plus+", strings.Repeat("x", 100)} {
		wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/tags", Body: map[string]any{"name": name}}), http.StatusCreated)
		wantStatus(t, a.do(req{Method: http.MethodGet, Path: tagPath(name)}), http.StatusOK)
	}
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/tags", Body: map[string]any{"name": "x", "color": "red"}, InvalidRequest: "unknown field"}), http.StatusUnprocessableEntity)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("semi;colon", "/customers/ada"), InvalidRequest: "a bad tag name"}), http.StatusUnprocessableEntity)

	// Bulk bodies.
	for _, tc := range []struct {
		name string
		body any
	}{
		{"no ids", map[string]any{"customerIds": []string{}}},
		{"null", map[string]any{"customerIds": nil}},
		{"absent", map[string]any{}},
		{"too many", map[string]any{"customerIds": make([]string, 1001)}},
	} {
		r := a.do(req{Method: http.MethodPost, Path: tagPath("bulk", "/customers"), Body: tc.body, InvalidRequest: "bad customerIds"})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if _, ok := problemFields(t, r)["customerIds"]; !ok {
			t.Errorf("%s: invalidFields lacks customerIds: %s", tc.name, r.Body)
		}
	}
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("bulk", "/customers"), Body: map[string]any{"customerIds": "ada"}, InvalidRequest: "not a list"}), http.StatusUnprocessableEntity)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("bulk", "/customers"), Body: `{"customerIds": [`, InvalidRequest: "malformed"}), http.StatusBadRequest)
	if c := a.get("ada", http.StatusOK); c["revision"] != float64(0) {
		t.Errorf("bad input changed the customer: revision %v", c["revision"])
	}
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: tagPath("bulk")}), http.StatusNotFound)
}

func TestHTTPBulkTagging(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	ids := []string{"c1", "c2", "c3", "c4"}
	for _, id := range ids {
		a.put(id, map[string]any{})
	}
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("wave", "/customers/c1")}), http.StatusNoContent)

	// One missing id: 422 naming it (by index), and nothing changes.
	r := a.do(req{Method: http.MethodPost, Path: tagPath("wave", "/customers"), Body: map[string]any{"customerIds": []string{"c2", "ghost", "c3", "bad id!"}}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	fields := problemFields(t, r)
	if _, ok := fields["customerIds[1]"]; !ok || len(fields) != 2 {
		t.Errorf("invalidFields %v, want customerIds[1] and customerIds[3]", fields)
	}
	if _, ok := fields["customerIds[3]"]; !ok {
		t.Errorf("invalidFields %v lacks customerIds[3]", fields)
	}
	for _, id := range []string{"c2", "c3"} {
		if c := a.get(id, http.StatusOK); len(tagNames(t, c)) != 0 || c["revision"] != float64(0) {
			t.Errorf("%s changed by a failed bulk call: %v", id, c)
		}
	}

	// All present: each customer that lacked the tag changes once; c1 had it.
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("wave", "/customers"), Body: map[string]any{"customerIds": ids}}), http.StatusNoContent)
	for _, id := range ids {
		want := float64(1)
		c := a.get(id, http.StatusOK)
		if !slices.Equal(tagNames(t, c), []string{"wave"}) || c["revision"] != want {
			t.Errorf("%s after bulk tagging: %v, revision %v", id, tagNames(t, c), c["revision"])
		}
	}
	list := a.do(req{Method: http.MethodGet, Path: "/customers?filter=tags:wave"})
	if list.Header.Get("Pagination-Total") != "4" {
		t.Errorf("tags:wave total %s", list.Header.Get("Pagination-Total"))
	}

	// Bulk untagging, with a repeated id and one already untagged.
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: tagPath("wave", "/customers/c4")}), http.StatusNoContent)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: tagPath("wave", "/customers"), Body: map[string]any{"customerIds": []string{"c1", "c2", "c2", "c4"}}}), http.StatusNoContent)
	for id, rev := range map[string]float64{"c1": 2, "c2": 2, "c3": 1, "c4": 2} {
		c := a.get(id, http.StatusOK)
		if c["revision"] != rev {
			t.Errorf("%s after bulk untagging: revision %v, want %v", id, c["revision"], rev)
		}
	}
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: tagPath("nope", "/customers"), Body: map[string]any{"customerIds": []string{"c1"}}}), http.StatusNotFound)
	a.checkTagReadModels()
}

func TestHTTPTagCollection(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for _, name := range []string{"delta", "alpha", "Charlie", "bravo-2", "bravo-1"} {
		wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/tags", Body: map[string]any{"name": name}}), http.StatusCreated)
	}
	names := func(r *response) []string {
		t.Helper()
		var tags []struct {
			Name  string `json:"name"`
			Links []struct {
				Rel  string `json:"rel"`
				Href string `json:"href"`
			} `json:"_links"`
		}
		if err := json.Unmarshal(r.Body, &tags); err != nil {
			t.Fatalf("%v: %s", err, r.Body)
		}
		out := []string{}
		for _, tag := range tags {
			if len(tag.Links) != 1 || !strings.HasSuffix(tag.Links[0].Href, "/tags/"+url.PathEscape(tag.Name)) {
				t.Errorf("tag %s links %v", tag.Name, tag.Links)
			}
			out = append(out, tag.Name)
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
		total string
	}{
		{"", []string{"Charlie", "alpha", "bravo-1", "bravo-2", "delta"}, "5"},
		{"?sort=-name&limit=2", []string{"delta", "bravo-2"}, "5"},
		{"?limit=2&offset=4", []string{"delta"}, "5"},
		{"?q=BRAVO", []string{"bravo-1", "bravo-2"}, "2"},
		{"?filter=" + url.QueryEscape("name:alpha,delta"), []string{"alpha", "delta"}, "2"},
		{"?filter=" + url.QueryEscape("name:charlie"), []string{}, "0"},
		{"?filter=" + url.QueryEscape("name:bravo*"), []string{"bravo-1", "bravo-2"}, "2"},
		{"?limit=2&offset=10", []string{}, "5"},
	} {
		r := a.do(req{Method: http.MethodGet, Path: "/tags" + tc.query})
		wantStatus(t, r, http.StatusOK)
		if got := names(r); !slices.Equal(got, tc.want) || r.Header.Get("Pagination-Total") != tc.total {
			t.Errorf("GET /tags%s: %v total %s, want %v total %s", tc.query, got, r.Header.Get("Pagination-Total"), tc.want, tc.total)
		}
	}
	r := a.do(req{Method: http.MethodGet, Path: "/tags?filter=" + url.QueryEscape("color:red"), InvalidRequest: "unknown filter field"})
	wantStatus(t, r, http.StatusBadRequest)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/tags?sort=nope", InvalidRequest: "unknown sort field"}), http.StatusBadRequest)
}

func TestHTTPTagsAreTenantsOwn(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.put("ada", map[string]any{})
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("mine", "/customers/ada")}), http.StatusNoContent)
	otherOrg, otherKey := a.newOrgKey()
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: tagPath("mine"), Key: otherKey}), http.StatusNotFound)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: tagPath("mine"), Key: otherKey}), http.StatusNotFound)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("mine", "/customers/ada"), Key: otherKey}), http.StatusNotFound)
	// The failed tagging of a (to it) missing customer created no tag there.
	if r := a.do(req{Method: http.MethodGet, Path: "/tags", Key: otherKey}); r.Header.Get("Pagination-Total") != "0" {
		t.Errorf("another organization sees tags %s", r.Body)
	}
	// The same name in another organization is another tag.
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/organizations/" + otherOrg + "/tags", Key: otherKey, Body: map[string]any{"name": "mine"}}), http.StatusCreated)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/organizations/" + a.orgID + "/tags", Body: map[string]any{"name": "mine"}}), http.StatusConflict)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/organizations/" + otherOrg + "/tags/mine"}), http.StatusForbidden)
}

func TestHTTPTagPermissions(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.put("ada", map[string]any{})
	readOnly := a.newKey(a.orgID, access.GetTagCollection, access.GetTag)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/tags", Key: readOnly, Body: map[string]any{"name": "x"}}), http.StatusForbidden)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("x", "/customers/ada"), Key: readOnly}), http.StatusForbidden)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("x", "/customers"), Key: readOnly, Body: map[string]any{"customerIds": []string{"ada"}}}), http.StatusForbidden)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/tags", Key: readOnly}), http.StatusOK)
	tagger := a.newKey(a.orgID, access.PostTagCustomer, access.DeleteTagCustomer)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("x", "/customers"), Key: tagger, Body: map[string]any{"customerIds": []string{"ada"}}}), http.StatusNoContent)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: tagPath("x"), Key: tagger}), http.StatusForbidden)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: tagPath("x"), Key: tagger}), http.StatusForbidden)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: tagPath("x"), Key: a.newKey(a.orgID, access.DeleteTag)}), http.StatusNoContent)
}

// TestHTTPConcurrentTaggingOfOneCustomer: 20 taggers, 20 tags, one
// customer, on one node or spread over two: every tag lands and each
// counts one revision.
func TestHTTPConcurrentTaggingOfOneCustomer(t *testing.T) {
	t.Parallel()
	onNodes(t, func(t *testing.T, nodes cluster) {
		a := nodes[0]
		a.put("busy", map[string]any{})
		const n = 20
		statuses := make([]int, n)
		testsync.Race(n, func(i int) {
			statuses[i] = nodes.node(i).do(req{Method: http.MethodPost, Path: tagPath(fmt.Sprintf("t%02d", i), "/customers/busy")}).Status
		})
		for i, s := range statuses {
			if s != http.StatusNoContent {
				t.Errorf("tagging %d: %d", i, s)
			}
		}
		for _, a := range nodes {
			c := a.get("busy", http.StatusOK)
			if names := tagNames(t, c); len(names) != n || c["revision"] != float64(n) {
				t.Errorf("after %d concurrent taggings: %d tags %v, revision %v", n, len(names), names, c["revision"])
			}
		}
		a.checkTagReadModels()
	})
}

// TestHTTPTaggingRacingAMerge: tags added to the duplicate and the target
// while the duplicate is merged, on one node or spread over two, are never
// lost: each tagging either lands before the merge (and moves to the
// target) or fails 404 naming it.
func TestHTTPTaggingRacingAMerge(t *testing.T) {
	t.Parallel()
	onNodes(t, func(t *testing.T, nodes cluster) {
		a := nodes[0]
		for round := range 5 {
			dup, target := fmt.Sprintf("dup-%d", round), fmt.Sprintf("target-%d", round)
			a.put(dup, map[string]any{})
			a.put(target, map[string]any{})
			const taggers = 10
			statuses := make([]int, taggers+1)
			testsync.Race(taggers+1, func(i int) {
				// On two nodes, i/2 spreads the dup's taggings (even i)
				// and the target's (odd i) over both; the merge goes to
				// the second.
				if i == taggers {
					statuses[i] = nodes.node(i / 2).do(req{Method: http.MethodDelete, Path: mergePath("", dup, target)}).Status
					return
				}
				id := dup
				if i%2 == 1 {
					id = target
				}
				statuses[i] = nodes.node(i / 2).do(req{Method: http.MethodPost, Path: tagPath(fmt.Sprintf("t%d", i), "/customers/"+id)}).Status
			})
			if statuses[taggers] != http.StatusNoContent {
				t.Fatalf("round %d: merge %d", round, statuses[taggers])
			}
			names := tagNames(t, nodes.node(round).get(target, http.StatusOK))
			for i := range taggers {
				landed := slices.Contains(names, fmt.Sprintf("t%d", i))
				switch {
				case statuses[i] == http.StatusNoContent && !landed:
					t.Errorf("round %d: tagging %d answered 204 but the target lacks t%d: %v", round, i, i, names)
				case statuses[i] == http.StatusNotFound && (i%2 == 1 || landed):
					t.Errorf("round %d: tagging %d answered 404 (target tagging or landed %v)", round, i, landed)
				case statuses[i] != http.StatusNoContent && statuses[i] != http.StatusNotFound:
					t.Errorf("round %d: tagging %d answered %d", round, i, statuses[i])
				}
			}
		}
		a.checkTagReadModels()
	})
}

// TestHTTPTagRename: PATCH /tags/{tag} (Rebilly's PatchTag, which the JS
// SDK's tags.update sends) renames the tag on every customer.
func TestHTTPTagRename(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.put("ada", map[string]any{})
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("old", "/customers/ada")}), http.StatusNoContent)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: tagPath("zzz", "/customers/ada")}), http.StatusNoContent)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/tags", Body: map[string]any{"name": "taken"}}), http.StatusCreated)
	wantStatus(t, a.do(req{Method: http.MethodPatch, Path: tagPath("old"), Body: map[string]any{"name": "taken"}}), http.StatusConflict)
	wantStatus(t, a.do(req{Method: http.MethodPatch, Path: tagPath("nope"), Body: map[string]any{"name": "x"}}), http.StatusNotFound)
	wantStatus(t, a.do(req{Method: http.MethodPatch, Path: tagPath("old"), Body: map[string]any{"name": "bad/name"}, InvalidRequest: "bad name"}), http.StatusUnprocessableEntity)
	r := a.do(req{Method: http.MethodPatch, Path: tagPath("old"), Body: map[string]any{"name": "Zebra"}})
	wantStatus(t, r, http.StatusOK)
	if r.JSON()["name"] != "Zebra" {
		t.Errorf("renamed %s", r.Body)
	}
	c := a.get("ada", http.StatusOK)
	if names := tagNames(t, c); !slices.Equal(names, []string{"Zebra", "zzz"}) || c["revision"] != float64(3) {
		t.Errorf("after the rename: %v, revision %v", names, c["revision"])
	}
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: tagPath("old")}), http.StatusNotFound)
	if total := a.do(req{Method: http.MethodGet, Path: "/customers?filter=tags:zebra"}).Header.Get("Pagination-Total"); total != "1" {
		t.Errorf("tags:zebra total %s", total)
	}
	a.checkTagReadModels()
}
