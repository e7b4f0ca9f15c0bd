package httpapi_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/customers"

	"github.com/billing/customers-api/internal/testsync"
)

// Lead sources over HTTP (SPEC §6, §10 "Conditional requests").

// leadSourceFieldNames are the writable fields of a lead source.
var leadSourceFieldNames = []string{"medium", "source", "campaign", "term", "content", "affiliate", "subAffiliate", "salesAgent", "clickId", "path", "referrer"}

// lsPath is the lead-source path of customer id under prefix ("" or
// "/organizations/{id}").
func lsPath(prefix, id string) string { return prefix + "/customers/" + id + "/lead-source" }

func TestHTTPLeadSourceLifecycle(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, customers.WithClock(steppingClock()))
	for i, layout := range []string{"", "/organizations/" + a.orgID} {
		t.Run("layout "+layout, func(t *testing.T) {
			a := a.forTest(t)
			id := fmt.Sprint("ls-life-", i)
			base := a.srv.URL + layout
			created := a.do(req{Method: http.MethodPut, Path: layout + "/customers/" + id, Body: map[string]any{}})
			wantStatus(t, created, http.StatusCreated)
			before := created.JSON()

			// None yet: 404 for GET and DELETE.
			wantStatus(t, a.do(req{Method: http.MethodGet, Path: lsPath(layout, id)}), http.StatusNotFound)
			wantStatus(t, a.do(req{Method: http.MethodDelete, Path: lsPath(layout, id)}), http.StatusNotFound)

			// The first write creates it: 201, Location, ETag = the customer's new revision.
			first := map[string]any{"source": "google", "medium": "cpc", "referrer": "https://example.com/landing?x=1"}
			r := a.do(req{Method: http.MethodPost, Path: lsPath(layout, id), Body: first})
			wantStatus(t, r, http.StatusCreated)
			self := base + "/customers/" + id + "/lead-source"
			if loc := r.Header.Get("Location"); loc != self {
				t.Errorf("Location %q, want %q", loc, self)
			}
			if et := r.Header.Get("ETag"); et != `"1"` {
				t.Errorf("ETag %q after the first write, want \"1\"", et)
			}
			ls := r.JSON()
			for _, f := range leadSourceFieldNames {
				if !reflect.DeepEqual(ls[f], first[f]) {
					t.Errorf("%s = %#v, want %#v", f, ls[f], first[f])
				}
			}
			orig, _ := ls["original"].(map[string]any)
			for _, f := range leadSourceFieldNames {
				if !reflect.DeepEqual(orig[f], first[f]) {
					t.Errorf("original.%s = %#v, want %#v", f, orig[f], first[f])
				}
			}
			if ct, _ := ls["createdTime"].(string); !wholeSecondsUTC.MatchString(ct) || ls["updatedTime"] != ct {
				t.Errorf("createdTime %v updatedTime %v", ls["createdTime"], ls["updatedTime"])
			}
			wantLinks := map[string]string{"self": self, "customer": base + "/customers/" + id}
			if l := links(t, ls); !reflect.DeepEqual(l, wantLinks) {
				t.Errorf("lead source _links %v, want %v", l, wantLinks)
			}

			// The customer moved on and links to its lead source.
			c := a.do(req{Method: http.MethodGet, Path: layout + "/customers/" + id})
			wantStatus(t, c, http.StatusOK)
			cust := c.JSON()
			if cust["revision"] != 1.0 || cust["updatedTime"] == before["updatedTime"] || cust["updatedTime"] != ls["updatedTime"] {
				t.Errorf("customer after the first write: revision %v updatedTime %v (was %v, lead source %v)", cust["revision"], cust["updatedTime"], before["updatedTime"], ls["updatedTime"])
			}
			if l := links(t, cust); l["leadSource"] != self {
				t.Errorf("customer _links %v lack leadSource %s", l, self)
			}
			if _, echoed := cust["leadSource"]; echoed {
				t.Errorf("customer echoes leadSource: %s", c.Body)
			}

			// A later write replaces the current values and keeps original.
			r = a.do(req{Method: http.MethodPut, Path: lsPath(layout, id), Body: map[string]any{"campaign": "spring"}})
			wantStatus(t, r, http.StatusOK)
			if r.Header.Get("Location") != "" {
				t.Errorf("200 with Location %q", r.Header.Get("Location"))
			}
			second := r.JSON()
			if second["campaign"] != "spring" || second["source"] != nil || second["medium"] != nil {
				t.Errorf("second write did not replace the values: %s", r.Body)
			}
			if !reflect.DeepEqual(second["original"], ls["original"]) || second["createdTime"] != ls["createdTime"] {
				t.Errorf("second write touched original or createdTime:\nfirst  %v\nsecond %s", ls, r.Body)
			}
			if r.Header.Get("ETag") != `"2"` || second["updatedTime"] == ls["updatedTime"] {
				t.Errorf("second write: ETag %q updatedTime %v", r.Header.Get("ETag"), second["updatedTime"])
			}

			// The same values again change nothing.
			r = a.do(req{Method: http.MethodPost, Path: lsPath(layout, id), Body: map[string]any{"campaign": "spring"}})
			wantStatus(t, r, http.StatusOK)
			if r.Header.Get("ETag") != `"2"` || !reflect.DeepEqual(r.JSON(), second) {
				t.Errorf("an unchanged write moved something: ETag %q %s", r.Header.Get("ETag"), r.Body)
			}

			// GET answers what was written, with the customer's revision as ETag.
			g := a.do(req{Method: http.MethodGet, Path: lsPath(layout, id) + "/"})
			wantStatus(t, g, http.StatusOK)
			if g.Header.Get("ETag") != `"2"` || !reflect.DeepEqual(g.JSON(), second) {
				t.Errorf("GET: ETag %q %s", g.Header.Get("ETag"), g.Body)
			}
			for _, inm := range []string{`"2"`, "*"} {
				r = a.do(req{Method: http.MethodGet, Path: lsPath(layout, id), Headers: map[string]string{"If-None-Match": inm}})
				wantStatus(t, r, http.StatusNotModified)
			}
			wantStatus(t, a.do(req{Method: http.MethodGet, Path: lsPath(layout, id), Headers: map[string]string{"If-None-Match": `"1"`}}), http.StatusOK)

			// DELETE removes it, original included, and is a change of the customer.
			wantStatus(t, a.do(req{Method: http.MethodDelete, Path: lsPath(layout, id)}), http.StatusNoContent)
			wantStatus(t, a.do(req{Method: http.MethodGet, Path: lsPath(layout, id)}), http.StatusNotFound)
			cust = a.get(id, http.StatusOK)
			if _, ok := links(t, cust)["leadSource"]; ok || cust["revision"] != 3.0 {
				t.Errorf("customer after DELETE: revision %v, _links %v", cust["revision"], cust["_links"])
			}
			r = a.do(req{Method: http.MethodPut, Path: lsPath(layout, id), Body: map[string]any{"term": "new"}})
			wantStatus(t, r, http.StatusCreated)
			if o := r.JSON()["original"].(map[string]any); o["term"] != "new" || o["campaign"] != nil || o["source"] != nil {
				t.Errorf("a write after DELETE must start a new original: %v", o)
			}
		})
	}
}

func TestHTTPLeadSourceOfAMissingCustomer(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	orgB, keyB := a.newOrgKey()
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/ls-owned", Body: map[string]any{}}), http.StatusCreated)
	for _, q := range []req{
		{Method: http.MethodGet, Path: lsPath("", "ls-ghost")},
		{Method: http.MethodPut, Path: lsPath("", "ls-ghost"), Body: map[string]any{"source": "x"}},
		{Method: http.MethodPost, Path: lsPath("", "ls-ghost"), Body: map[string]any{"source": "x"}},
		{Method: http.MethodDelete, Path: lsPath("", "ls-ghost")},
		{Method: http.MethodPut, Path: lsPath("", "bad%20id"), Body: map[string]any{"source": "x"}, InvalidRequest: "the path id breaks the id rule"},
		// Another organization's customer does not exist for the caller.
		{Method: http.MethodPut, Path: lsPath("", "ls-owned"), Key: keyB, Body: map[string]any{"source": "x"}},
		{Method: http.MethodPost, Path: lsPath("/organizations/"+orgB, "ls-owned"), Key: keyB, Body: map[string]any{"source": "x"}},
	} {
		r := a.do(q)
		if r.Status != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404: %s", q.Method, q.Path, r.Status, r.Body)
		}
	}
	// Nothing was created: no customer, no lead source.
	a.get("ls-ghost", http.StatusNotFound)
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: lsPath("", "ls-ghost")}), http.StatusNotFound)
	if c := a.get("ls-owned", http.StatusOK); c["revision"] != 0.0 || len(links(t, c)) != 1 {
		t.Errorf("org B's writes reached org A's customer: %v", c)
	}
}

func TestHTTPLeadSourceValidation(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/ls-valid", Body: map[string]any{}}), http.StatusCreated)
	for _, tc := range []struct {
		name  string
		body  any
		field string
	}{
		{"campaign of 513 characters", map[string]any{"campaign": strings.Repeat("é", 513)}, "campaign"},
		{"path of 513 characters", map[string]any{"path": strings.Repeat("p", 513)}, "path"},
		{"referrer not a URI", map[string]any{"referrer": "not a uri"}, "referrer"},
		{"referrer of 2084 characters", map[string]any{"referrer": "https://example.com/" + strings.Repeat("r", 2064)}, "referrer"},
		{"unknown field", map[string]any{"utm_source": "x"}, "utm_source"},
		{"number", map[string]any{"source": 5}, "source"},
		{"NUL", `{"medium":"a\u0000"}`, "medium"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := a.forTest(t)
			for _, m := range []string{http.MethodPut, http.MethodPost} {
				r := a.do(req{Method: m, Path: lsPath("", "ls-valid"), Body: tc.body, InvalidRequest: tc.name})
				wantStatus(t, r, http.StatusUnprocessableEntity)
				if _, ok := problemFields(t, r)[tc.field]; !ok {
					t.Errorf("%s: invalidFields lacks %q: %s", m, tc.field, r.Body)
				}
				if p := r.JSON(); p["type"] != "/problems/validation-error" {
					t.Errorf("%s: type %v", m, p["type"])
				}
			}
		})
	}
	// Valid at the limits: 512 characters, a 2083-character referrer, nulls.
	limits := map[string]any{"campaign": strings.Repeat("é", 512), "referrer": "https://example.com/" + strings.Repeat("r", 2063), "source": nil}
	r := a.do(req{Method: http.MethodPut, Path: lsPath("", "ls-valid"), Body: limits})
	wantStatus(t, r, http.StatusCreated)
	// Read-only fields sent back are ignored.
	back := a.do(req{Method: http.MethodPut, Path: lsPath("", "ls-valid"), Body: r.Body})
	wantStatus(t, back, http.StatusOK)
	if !reflect.DeepEqual(back.JSON(), r.JSON()) || back.Header.Get("ETag") != r.Header.Get("ETag") {
		t.Errorf("PUT of the lead source as read changed it:\n%s\n%s", r.Body, back.Body)
	}
	// Refused writes changed nothing.
	if c := a.get("ls-valid", http.StatusOK); c["revision"] != 1.0 {
		t.Errorf("customer revision %v, want 1", c["revision"])
	}
	// Body plumbing applies here too.
	for _, tc := range []struct {
		body    string
		headers map[string]string
		want    int
	}{
		{`{"source":`, nil, http.StatusBadRequest},
		{`{}`, map[string]string{"Content-Type": "text/plain"}, http.StatusUnsupportedMediaType},
		{`{"source":"` + strings.Repeat("x", 1<<20) + `"}`, nil, http.StatusRequestEntityTooLarge},
	} {
		wantStatus(t, a.do(req{Method: http.MethodPost, Path: lsPath("", "ls-valid"), Body: tc.body, Headers: tc.headers, InvalidRequest: "a body the server must refuse"}), tc.want)
	}
}

func TestHTTPLeadSourceConditionalWrites(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	// Every write sends new values, so every successful one is a change.
	var writes atomic.Int64
	put := func(t *testing.T, m, id string, headers map[string]string) *response {
		body := map[string]any{"source": fmt.Sprint("write-", writes.Add(1))}
		return a.forTest(t).do(req{Method: m, Path: lsPath("", id), Body: body, Headers: headers})
	}
	mk := func(t *testing.T, id string, withLeadSource bool) {
		body := map[string]any{}
		if withLeadSource {
			body["leadSource"] = map[string]any{"source": "inline"}
		}
		wantStatus(t, a.forTest(t).do(req{Method: http.MethodPut, Path: "/customers/" + id, Body: body}), http.StatusCreated)
	}
	revision := func(t *testing.T, id string) any { return a.forTest(t).get(id, http.StatusOK)["revision"] }

	// A customer created with an inline lead source is at revision 0, and
	// that is the lead source's ETag.
	t.Run("If-Match on PUT and POST", func(t *testing.T) {
		t.Parallel()
		mk(t, "lsc-1", true)
		for _, m := range []string{http.MethodPut, http.MethodPost} {
			wantStatus(t, put(t, m, "lsc-1", map[string]string{"If-Match": `"7"`}), http.StatusPreconditionFailed)
		}
		if rev := revision(t, "lsc-1"); rev != 0.0 {
			t.Fatalf("failed If-Match wrote: revision %v", rev)
		}
		r := put(t, http.MethodPut, "lsc-1", map[string]string{"If-Match": `"0"`})
		wantStatus(t, r, http.StatusOK)
		wantStatus(t, put(t, http.MethodPost, "lsc-1", map[string]string{"If-Match": `"0"`}), http.StatusPreconditionFailed)
		wantStatus(t, put(t, http.MethodPost, "lsc-1", map[string]string{"If-Match": `"1"`}), http.StatusOK)
		wantStatus(t, put(t, http.MethodPut, "lsc-1", map[string]string{"If-Match": "*"}), http.StatusOK)
	})
	t.Run("If-Match star needs the lead source", func(t *testing.T) {
		t.Parallel()
		mk(t, "lsc-2", false)
		wantStatus(t, put(t, http.MethodPut, "lsc-2", map[string]string{"If-Match": "*"}), http.StatusPreconditionFailed)
		wantStatus(t, put(t, http.MethodPost, "lsc-2", map[string]string{"If-Match": `"0"`}), http.StatusPreconditionFailed)
		wantStatus(t, a.forTest(t).do(req{Method: http.MethodGet, Path: lsPath("", "lsc-2")}), http.StatusNotFound)
	})
	t.Run("If-None-Match star is create-only", func(t *testing.T) {
		t.Parallel()
		mk(t, "lsc-3", false)
		wantStatus(t, put(t, http.MethodPut, "lsc-3", map[string]string{"If-None-Match": "*"}), http.StatusCreated)
		wantStatus(t, put(t, http.MethodPost, "lsc-3", map[string]string{"If-None-Match": "*"}), http.StatusPreconditionFailed)
		if rev := revision(t, "lsc-3"); rev != 1.0 {
			t.Errorf("revision %v, want 1", rev)
		}
	})
	t.Run("If-Match on DELETE", func(t *testing.T) {
		t.Parallel()
		mk(t, "lsc-4", true)
		del := func(h map[string]string) *response {
			return a.forTest(t).do(req{Method: http.MethodDelete, Path: lsPath("", "lsc-4"), Headers: h})
		}
		wantStatus(t, del(map[string]string{"If-Match": `"3"`}), http.StatusPreconditionFailed)
		wantStatus(t, a.forTest(t).do(req{Method: http.MethodGet, Path: lsPath("", "lsc-4")}), http.StatusOK)
		wantStatus(t, del(map[string]string{"If-Match": `"0"`}), http.StatusNoContent)
		if rev := revision(t, "lsc-4"); rev != 1.0 {
			t.Errorf("revision %v after DELETE, want 1", rev)
		}
		// Gone: 404 whatever the condition says.
		wantStatus(t, del(map[string]string{"If-Match": `"1"`}), http.StatusNotFound)
	})
}

// TestHTTPInlineLeadSource: leadSource on customer POST/PUT sets the lead
// source in the same write, is never echoed, keeps revision 0 on create,
// and leaving it out of a PUT leaves the lead source alone (SPEC §10).
func TestHTTPInlineLeadSource(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for _, q := range []req{
		{Method: http.MethodPost, Path: "/customers", Body: map[string]any{"leadSource": map[string]any{"source": "ads", "campaign": "c1"}}},
		{Method: http.MethodPut, Path: "/customers/inline-1", Body: map[string]any{"leadSource": map[string]any{"source": "ads", "campaign": "c1"}}},
	} {
		r := a.do(q)
		wantStatus(t, r, http.StatusCreated)
		c := r.JSON()
		id := c["id"].(string)
		if c["revision"] != 0.0 || r.Header.Get("ETag") != `"0"` {
			t.Errorf("%s: created with a lead source at revision %v, ETag %q; want 0", q.Method, c["revision"], r.Header.Get("ETag"))
		}
		if _, ok := c["leadSource"]; ok {
			t.Errorf("%s: leadSource echoed: %s", q.Method, r.Body)
		}
		if l := links(t, c); l["leadSource"] != a.srv.URL+"/customers/"+id+"/lead-source" {
			t.Errorf("%s: _links %v lack leadSource", q.Method, l)
		}
		ls := a.do(req{Method: http.MethodGet, Path: lsPath("", id)})
		wantStatus(t, ls, http.StatusOK)
		if body := ls.JSON(); body["source"] != "ads" || body["original"].(map[string]any)["campaign"] != "c1" || ls.Header.Get("ETag") != `"0"` {
			t.Errorf("%s: lead source %s, ETag %q", q.Method, ls.Body, ls.Header.Get("ETag"))
		}
	}

	// A PUT without leadSource (or with null) leaves it alone.
	for _, body := range []map[string]any{{"locale": "de"}, {"locale": "de", "leadSource": nil}} {
		r := a.do(req{Method: http.MethodPut, Path: "/customers/inline-1", Body: body})
		wantStatus(t, r, http.StatusOK)
		if l := links(t, r.JSON()); l["leadSource"] == "" {
			t.Errorf("PUT %v dropped the lead source link", body)
		}
	}
	if c := a.get("inline-1", http.StatusOK); c["revision"] != 1.0 {
		t.Errorf("revision %v after one change, want 1", c["revision"])
	}
	// Changing only the inline lead source is one change; original stays.
	r := a.do(req{Method: http.MethodPut, Path: "/customers/inline-1", Body: map[string]any{"locale": "de", "leadSource": map[string]any{"source": "tv"}}})
	wantStatus(t, r, http.StatusOK)
	if r.JSON()["revision"] != 2.0 {
		t.Errorf("revision %v after changing the lead source, want 2", r.JSON()["revision"])
	}
	ls := a.do(req{Method: http.MethodGet, Path: lsPath("", "inline-1")}).JSON()
	if ls["source"] != "tv" || ls["campaign"] != nil || ls["original"].(map[string]any)["source"] != "ads" {
		t.Errorf("lead source after the inline change: %v", ls)
	}
	// An invalid inline lead source is 422 at leadSource.<field>, nothing written.
	r = a.do(req{Method: http.MethodPut, Path: "/customers/inline-2", Body: map[string]any{"leadSource": map[string]any{"term": strings.Repeat("t", 513), "bogus": 1}}, InvalidRequest: "unknown field in leadSource"})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if _, ok := problemFields(t, r)["leadSource.bogus"]; !ok {
		t.Errorf("invalidFields lack leadSource.bogus: %s", r.Body)
	}
	r = a.do(req{Method: http.MethodPut, Path: "/customers/inline-2", Body: map[string]any{"leadSource": map[string]any{"term": strings.Repeat("t", 513)}}, InvalidRequest: "leadSource.term too long"})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if _, ok := problemFields(t, r)["leadSource.term"]; !ok {
		t.Errorf("invalidFields lack leadSource.term: %s", r.Body)
	}
	a.get("inline-2", http.StatusNotFound)
}

func TestHTTPLeadSourcePermissions(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/ls-perm", Body: map[string]any{"leadSource": map[string]any{"source": "before"}}}), http.StatusCreated)
	readLS := a.newKey(a.orgID, access.GetCustomerLeadSource)
	putLS := a.newKey(a.orgID, access.PutCustomerLeadSource)
	delLS := a.newKey(a.orgID, access.DeleteCustomerLeadSource)
	customerOnly := a.newKey(a.orgID, access.GetCustomer, access.PutCustomer, access.DeleteCustomer)
	body := map[string]any{"source": "after"}
	for _, tc := range []struct {
		method, key string
		want        int
	}{
		{http.MethodGet, readLS, http.StatusOK},
		{http.MethodGet, putLS, http.StatusForbidden},
		{http.MethodGet, customerOnly, http.StatusForbidden},
		{http.MethodPut, readLS, http.StatusForbidden},
		{http.MethodPost, readLS, http.StatusForbidden},
		{http.MethodPut, delLS, http.StatusForbidden},
		{http.MethodPost, customerOnly, http.StatusForbidden},
		{http.MethodDelete, readLS, http.StatusForbidden},
		{http.MethodDelete, putLS, http.StatusForbidden},
		{http.MethodDelete, customerOnly, http.StatusForbidden},
	} {
		var b any
		if tc.method == http.MethodPut || tc.method == http.MethodPost {
			b = body
		}
		r := a.do(req{Method: tc.method, Path: lsPath("", "ls-perm"), Key: tc.key, Body: b})
		if r.Status != tc.want {
			t.Errorf("%s with key %s: %d, want %d", tc.method, tc.key[:12], r.Status, tc.want)
		}
		if r.Status == http.StatusForbidden && r.JSON()["type"] != "/problems/forbidden" {
			t.Errorf("403 type %v", r.JSON()["type"])
		}
	}
	if ls := a.do(req{Method: http.MethodGet, Path: lsPath("", "ls-perm")}).JSON(); ls["source"] != "before" {
		t.Fatalf("refused writes changed the lead source: %v", ls)
	}
	// POST is a PutCustomerLeadSource operation (SPEC §10).
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: lsPath("", "ls-perm"), Key: putLS, Body: body}), http.StatusOK)
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: lsPath("", "ls-perm"), Key: putLS, Body: map[string]any{"source": "again"}}), http.StatusOK)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: lsPath("", "ls-perm"), Key: delLS}), http.StatusNoContent)
}

// TestHTTPRacingFirstLeadSourceWrites: of concurrent first writes, on one
// node or spread over two, exactly one answers 201; original holds that
// write's values, and every write (each with different values) is one
// revision.
func TestHTTPRacingFirstLeadSourceWrites(t *testing.T) {
	t.Parallel()
	onNodes(t, func(t *testing.T, nodes cluster) {
		wantStatus(t, nodes[0].do(req{Method: http.MethodPut, Path: "/customers/ls-race", Body: map[string]any{}}), http.StatusCreated)
		const n = 12
		statuses := make([]int, n)
		testsync.Race(n, func(i int) {
			m := http.MethodPut
			if i%2 == 1 {
				m = http.MethodPost
			}
			// i/2: on two nodes, PUTs and POSTs go to both.
			statuses[i] = nodes.node(i / 2).do(req{Method: m, Path: lsPath("", "ls-race"), Body: map[string]any{"campaign": fmt.Sprint("writer-", i)}}).Status
		})
		creator := -1
		for i, s := range statuses {
			switch s {
			case http.StatusCreated:
				if creator >= 0 {
					t.Errorf("writers %d and %d both got 201", creator, i)
				}
				creator = i
			case http.StatusOK:
			default:
				t.Errorf("writer %d: status %d", i, s)
			}
		}
		if creator < 0 {
			t.Fatalf("no writer got 201: %v", statuses)
		}
		for _, a := range nodes {
			r := a.do(req{Method: http.MethodGet, Path: lsPath("", "ls-race")})
			wantStatus(t, r, http.StatusOK)
			if got := r.JSON()["original"].(map[string]any)["campaign"]; got != fmt.Sprint("writer-", creator) {
				t.Errorf("original.campaign %v, want the creator's writer-%d", got, creator)
			}
			if r.Header.Get("ETag") != fmt.Sprintf(`"%d"`, n) {
				t.Errorf("ETag %s after %d changing writes, want \"%d\"", r.Header.Get("ETag"), n, n)
			}
		}
	})
}
