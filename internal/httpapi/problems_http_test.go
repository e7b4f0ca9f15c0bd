package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestHTTPProblemTypes: every error status of SPEC §7 answers problem+json
// (checked by do) with its documented /problems/<kind> type, a title, and
// the request path as instance. 500 is TestPanicIsA500Problem's.
func TestHTTPProblemTypes(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	orgB, _ := a.newOrgKey()
	readOnly := a.newKey(a.orgID, "GetCustomer")
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/pt-1", Body: map[string]any{}}), http.StatusCreated)
	wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/pt-2", Body: map[string]any{}}), http.StatusCreated)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: mergePath("", "pt-2", "pt-1")}), http.StatusNoContent)
	for _, tc := range []struct {
		name string
		q    req
		want int
		typ  string
	}{
		{"400 malformed JSON", req{Method: http.MethodPost, Path: "/customers", Body: `{"locale":`, InvalidRequest: "malformed JSON"}, 400, "/problems/malformed-request"},
		{"400 not an object", req{Method: http.MethodPut, Path: "/customers/pt-1/lead-source", Body: `[]`, InvalidRequest: "an array body"}, 400, "/problems/malformed-request"},
		{"401 no key", req{Method: http.MethodGet, Path: "/customers/pt-1", NoKey: true}, 401, "/problems/unauthorized"},
		{"403 foreign organization", req{Method: http.MethodGet, Path: "/organizations/" + orgB + "/customers/pt-1"}, 403, "/problems/forbidden"},
		{"403 missing permission", req{Method: http.MethodDelete, Path: mergePath("", "pt-1", "pt-2"), Key: readOnly}, 403, "/problems/forbidden"},
		{"404 unknown customer", req{Method: http.MethodGet, Path: "/customers/pt-nobody"}, 404, "/problems/not-found"},
		{"404 unknown path", req{Method: http.MethodGet, Path: "/invoices", InvalidRequest: "an undocumented path"}, 404, "/problems/not-found"},
		{"405 on a customer", req{Method: http.MethodPatch, Path: "/customers/pt-1", InvalidRequest: "an undocumented method"}, 405, "/problems/method-not-allowed"},
		{"405 on a lead source", req{Method: http.MethodPatch, Path: "/customers/pt-1/lead-source", InvalidRequest: "an undocumented method"}, 405, "/problems/method-not-allowed"},
		{"409 merge into itself", req{Method: http.MethodDelete, Path: mergePath("", "pt-1", "pt-1")}, 409, "/problems/conflict"},
		{"409 PUT of a merged-away id", req{Method: http.MethodPut, Path: "/customers/pt-2", Body: map[string]any{}}, 409, "/problems/conflict"},
		{"412 stale If-Match", req{Method: http.MethodPut, Path: "/customers/pt-1", Body: map[string]any{}, Headers: map[string]string{"If-Match": `"9"`}}, 412, "/problems/precondition-failed"},
		{"413 over 1 MiB", req{Method: http.MethodPut, Path: "/customers/pt-1", Body: `{"locale":"` + strings.Repeat("x", 1<<20) + `"}`, InvalidRequest: "a body over 1 MiB"}, 413, "/problems/payload-too-large"},
		{"415 not JSON", req{Method: http.MethodPost, Path: "/customers", Body: "locale=de", Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, InvalidRequest: "a form body"}, 415, "/problems/unsupported-media-type"},
		{"422 invalid data", req{Method: http.MethodPost, Path: "/customers", Body: map[string]any{"paymentToken": "tok"}, InvalidRequest: "paymentToken is refused"}, 422, "/problems/validation-error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := a.forTest(t)
			r := a.do(tc.q)
			wantStatus(t, r, tc.want)
			p := r.JSON()
			if p["type"] != tc.typ {
				t.Errorf("type %v, want %s", p["type"], tc.typ)
			}
			if title, _ := p["title"].(string); title == "" {
				t.Errorf("no title: %s", r.Body)
			}
			path, _, _ := strings.Cut(tc.q.Path, "?")
			if p["instance"] != path {
				t.Errorf("instance %v, want %s", p["instance"], path)
			}
			_, hasFields := p["invalidFields"]
			if hasFields != (tc.want == 422) {
				t.Errorf("invalidFields present = %v on %d: %s", hasFields, tc.want, r.Body)
			}
			if tc.want == 405 {
				allow := strings.Split(strings.ReplaceAll(r.Header.Get("Allow"), " ", ""), ",")
				for _, m := range []string{"GET", "PUT", "DELETE"} {
					if !slices.Contains(allow, m) {
						t.Errorf("Allow %q lacks %s", r.Header.Get("Allow"), m)
					}
				}
			}
		})
	}
}
