package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// 5. Plumbing: bodies, routing, request ids, health, content types.

func TestHTTPBodyErrors(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	json := func(mt string) map[string]string { return map[string]string{"Content-Type": mt} }
	overLimit := `{"customFields":{"k":"` + strings.Repeat("x", 1<<20) + `"}}`
	for i, tc := range []struct {
		name    string
		body    any
		headers map[string]string
		want    int
	}{
		{"malformed JSON", `{"websiteId":`, nil, http.StatusBadRequest},
		{"syntax error", `{"websiteId" "x"}`, nil, http.StatusBadRequest},
		{"JSON array", `[{"websiteId":"x"}]`, nil, http.StatusBadRequest},
		{"JSON string", `"customer"`, nil, http.StatusBadRequest},
		{"JSON null", `null`, nil, http.StatusBadRequest},
		{"two JSON values", `{} {}`, nil, http.StatusBadRequest},
		{"empty body", "", nil, http.StatusBadRequest},
		{"whitespace body", "  \n ", nil, http.StatusBadRequest},
		{"text/plain", `{}`, json("text/plain"), http.StatusUnsupportedMediaType},
		{"form", `websiteId=x`, json("application/x-www-form-urlencoded"), http.StatusUnsupportedMediaType},
		{"no media type", `{}`, json(""), http.StatusUnsupportedMediaType},
		{"garbled media type", `{}`, json("application/json; charset"), http.StatusUnsupportedMediaType},
		{"body over 1 MiB", overLimit, nil, http.StatusRequestEntityTooLarge},
	} {
		id := fmt.Sprintf("body-%d", i)
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := a.forTest(t)
			for _, q := range []req{
				{Method: http.MethodPost, Path: "/customers", Body: tc.body, Headers: tc.headers, InvalidRequest: tc.name},
				{Method: http.MethodPut, Path: "/customers/" + id, Body: tc.body, Headers: tc.headers, InvalidRequest: tc.name},
			} {
				r := a.do(q)
				if r.Status != tc.want {
					t.Errorf("%s: status %d, want %d: %.300s", q.Method, r.Status, tc.want, r.Body)
				}
			}
			a.get(id, http.StatusNotFound)
		})
	}
}

func TestHTTPBodyAtTheSizeLimit(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	// Exactly 1 MiB: a small object padded with insignificant whitespace.
	obj := `{"websiteId":"big"}`
	body := obj + strings.Repeat(" ", 1<<20-len(obj))
	if len(body) != 1<<20 {
		t.Fatalf("body is %d bytes", len(body))
	}
	r := a.do(req{Method: http.MethodPut, Path: "/customers/size-limit", Body: body})
	wantStatus(t, r, http.StatusCreated)
	if r.JSON()["websiteId"] != "big" {
		t.Errorf("body: %s", r.Body)
	}
	r = a.do(req{Method: http.MethodPut, Path: "/customers/size-limit", Body: body + " "})
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
}

func TestHTTPMediaTypesAccepted(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for _, mt := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON", "application/vnd.api+json"} {
		t.Run(mt, func(t *testing.T) {
			a := a.forTest(t)
			q := req{Method: http.MethodPost, Path: "/customers", Body: `{}`, Headers: map[string]string{"Content-Type": mt}}
			if strings.HasSuffix(mt, "+json") {
				q.InvalidRequest = "openapi.yaml names only application/json; other +json types are in its prose"
			}
			r := a.do(q)
			wantStatus(t, r, http.StatusCreated)
		})
	}
}

func TestHTTPRouting(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	org := "/organizations/" + a.orgID
	for _, tc := range []struct {
		method, path string
		want         int
		allow        []string // for 405: must be listed
		notAllowed   string   // for 405: must not be listed
	}{
		{http.MethodGet, "/nope", http.StatusNotFound, nil, ""},
		{http.MethodGet, "/customers/x/y/z", http.StatusNotFound, nil, ""},
		{http.MethodGet, org + "/nope", http.StatusNotFound, nil, ""},
		{http.MethodGet, "/organizations", http.StatusNotFound, nil, ""},
		{http.MethodPatch, "/customers/x", http.StatusMethodNotAllowed, []string{"GET", "PUT"}, "PATCH"},
		{http.MethodPatch, "/customers/x/", http.StatusMethodNotAllowed, []string{"GET", "PUT"}, "PATCH"},
		{http.MethodPost, "/customers/x", http.StatusMethodNotAllowed, []string{"GET", "PUT"}, "POST"},
		{http.MethodPatch, org + "/customers/x", http.StatusMethodNotAllowed, []string{"GET", "PUT"}, "PATCH"},
		{http.MethodDelete, "/customers", http.StatusMethodNotAllowed, []string{"POST"}, "DELETE"},
		{http.MethodPut, "/customers/", http.StatusMethodNotAllowed, []string{"POST"}, "PUT"},
		{http.MethodDelete, org + "/customers", http.StatusMethodNotAllowed, []string{"POST"}, "DELETE"},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed, []string{"GET"}, "POST"},
		{http.MethodPut, "/readyz", http.StatusMethodNotAllowed, []string{"GET"}, "PUT"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			t.Parallel()
			a := a.forTest(t)
			r := a.do(req{Method: tc.method, Path: tc.path, InvalidRequest: "a path or method no operation serves"})
			wantStatus(t, r, tc.want)
			if tc.want != http.StatusMethodNotAllowed {
				return
			}
			allow := strings.Split(r.Header.Get("Allow"), ",")
			for i := range allow {
				allow[i] = strings.TrimSpace(allow[i])
			}
			for _, m := range tc.allow {
				if !slices.Contains(allow, m) {
					t.Errorf("Allow %q lacks %s", r.Header.Get("Allow"), m)
				}
			}
			if slices.Contains(allow, tc.notAllowed) {
				t.Errorf("Allow %q lists the refused method %s", r.Header.Get("Allow"), tc.notAllowed)
			}
		})
	}
}

func TestHTTPProblemEnvelope(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	r := a.do(req{Method: http.MethodGet, Path: "/customers/nobody"})
	wantStatus(t, r, http.StatusNotFound)
	p := r.JSON()
	if p["instance"] != "/customers/nobody" {
		t.Errorf("instance %v, want the request path", p["instance"])
	}
	if typ, _ := p["type"].(string); typ != "about:blank" && !strings.HasPrefix(typ, "/problems/") {
		t.Errorf("type %q", typ)
	}
	if _, ok := p["invalidFields"]; ok {
		t.Errorf("404 carries invalidFields: %s", r.Body)
	}
}

func TestHTTPRequestID(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for _, tc := range []struct {
		name, sent string
		echoed     bool
	}{
		{"plain", "req-123", true},
		{"printable with spaces and symbols", "a b!~{}", true},
		{"128 characters", strings.Repeat("r", 128), true},
		{"129 characters", strings.Repeat("r", 129), false},
		{"tab inside", "abc\tdef", false},
		{"non-ASCII", "abc-é", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := a.forTest(t)
			for _, q := range []req{
				{Method: http.MethodGet, Path: "/healthz", NoKey: true},
				{Method: http.MethodPost, Path: "/customers", Body: map[string]any{}},
				{Method: http.MethodGet, Path: "/customers/nobody"}, // a problem carries it too (checked by do)
				{Method: http.MethodGet, Path: "/customers/nobody", NoKey: true},
			} {
				q.Headers = map[string]string{"X-Request-Id": tc.sent}
				r := a.do(q)
				if r.Status >= 500 {
					t.Fatalf("%s %s: %d", q.Method, q.Path, r.Status)
				}
				got := r.Header.Get("X-Request-Id")
				if tc.echoed && got != tc.sent {
					t.Errorf("%s %s: X-Request-Id %q, want the sent %q", q.Method, q.Path, got, tc.sent)
				}
				if !tc.echoed {
					if got == tc.sent || got == "" || len(got) > 128 || !printableASCII(got) {
						t.Errorf("%s %s: X-Request-Id %q, want a generated one", q.Method, q.Path, got)
					}
				}
				if r.Status >= 400 && r.JSON()["requestId"] != got {
					t.Errorf("%s %s: problem requestId %v, header %q", q.Method, q.Path, r.JSON()["requestId"], got)
				}
			}
		})
	}
	t.Run("generated ids differ", func(t *testing.T) {
		a := a.forTest(t)
		x := a.do(req{Method: http.MethodGet, Path: "/healthz", NoKey: true}).Header.Get("X-Request-Id")
		y := a.do(req{Method: http.MethodGet, Path: "/healthz", NoKey: true}).Header.Get("X-Request-Id")
		if x == y {
			t.Errorf("two requests got the same generated id %q", x)
		}
	})
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func TestHTTPHealth(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		for _, key := range []struct {
			name  string
			noKey bool
			key   string
		}{{"no key", true, ""}, {"bad key", false, "sk_live_" + strings.Repeat("0", 40)}} {
			t.Run(path+" "+key.name, func(t *testing.T) {
				a := a.forTest(t)
				r := a.do(req{Method: http.MethodGet, Path: path, NoKey: key.noKey, Key: key.key})
				wantStatus(t, r, http.StatusOK)
				if ct := r.Header.Get("Content-Type"); ct != jsonContentType {
					t.Errorf("Content-Type %q", ct)
				}
				r.JSON() // a JSON object
			})
		}
	}
}

func TestHTTPJSONContentType(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for _, q := range []req{
		{Method: http.MethodPost, Path: "/customers", Body: map[string]any{}},
		{Method: http.MethodPut, Path: "/customers/ct-1", Body: map[string]any{}},
		{Method: http.MethodPut, Path: "/customers/ct-1", Body: map[string]any{"locale": "de"}},
		{Method: http.MethodGet, Path: "/customers/ct-1"},
		{Method: http.MethodGet, Path: "/organizations/" + a.orgID + "/customers/ct-1"},
	} {
		r := a.do(q)
		if r.Status >= 300 {
			t.Fatalf("%s %s: %d %s", q.Method, q.Path, r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); ct != jsonContentType {
			t.Errorf("%s %s: Content-Type %q, want %q", q.Method, q.Path, ct, jsonContentType)
		}
		if !bytes.HasPrefix(r.Body, []byte("{")) {
			t.Errorf("%s %s: body %.100s", q.Method, q.Path, r.Body)
		}
	}
}
