package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHTTPCustomerTokens(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.put("ada", map[string]any{})
	r := a.do(req{Method: http.MethodPost, Path: "/customers/ada/tokens", Body: map[string]any{"expiresIn": 3600}})
	wantStatus(t, r, http.StatusCreated)
	k := r.JSON()
	token, _ := k["token"].(string)
	if !strings.HasPrefix(token, "ct_") || len(token) < 35 || strings.Trim(token[3:], "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" ||
		k["customerId"] != "ada" || !strings.HasSuffix(r.Header.Get("Location"), "/customers/ada/tokens/"+k["id"].(string)) {
		t.Fatalf("token %v at %q", k, r.Header.Get("Location"))
	}
	created, _ := time.Parse(time.RFC3339, k["createdTime"].(string))
	expires, _ := time.Parse(time.RFC3339, k["expiredTime"].(string))
	if expires.Sub(created) != time.Hour {
		t.Errorf("expiresIn 3600 gave %s", expires.Sub(created))
	}
	// Only a hash is kept; the list shows no secret.
	var stored int
	if err := a.db.QueryRow(`SELECT count(*) FROM customer_tokens WHERE position(convert_to($1, 'UTF8') in token_hash) > 0`, token).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the token is stored as it is (%d, %v)", stored, err)
	}
	list := a.do(req{Method: http.MethodGet, Path: "/customers/ada/tokens"})
	wantStatus(t, list, http.StatusOK)
	if strings.Contains(string(list.Body), token) || list.Header.Get("Pagination-Total") != "1" {
		t.Errorf("list: %s", list.Body)
	}
	// The default lifetime is a day; more than 30 days is refused.
	r = a.do(req{Method: http.MethodPost, Path: "/customers/ada/tokens", Body: map[string]any{}})
	wantStatus(t, r, http.StatusCreated)
	created, _ = time.Parse(time.RFC3339, r.JSON()["createdTime"].(string))
	expires, _ = time.Parse(time.RFC3339, r.JSON()["expiredTime"].(string))
	if expires.Sub(created) != 24*time.Hour {
		t.Errorf("default lifetime %s", expires.Sub(created))
	}
	for _, bad := range []any{0, 30*24*3600 + 1, -5} {
		wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/customers/ada/tokens", Body: map[string]any{"expiresIn": bad}, InvalidRequest: "expiresIn out of range"}), http.StatusUnprocessableEntity)
	}
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/customers/nobody/tokens", Body: map[string]any{}}), http.StatusNotFound)

	// A merge moves the duplicate's tokens to the target.
	a.put("dup", map[string]any{})
	r = a.do(req{Method: http.MethodPost, Path: "/customers/dup/tokens", Body: map[string]any{}})
	wantStatus(t, r, http.StatusCreated)
	dupToken := r.JSON()["id"].(string)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: "/customers/dup?targetCustomerId=ada"}), http.StatusNoContent)
	list = a.do(req{Method: http.MethodGet, Path: "/customers/ada/tokens"})
	if list.Header.Get("Pagination-Total") != "3" || !strings.Contains(string(list.Body), dupToken) {
		t.Errorf("after the merge: %s", list.Body)
	}
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/customers/dup/tokens"}), http.StatusNotFound)

	// DELETE revokes: 204, then 404.
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: "/customers/ada/tokens/" + k["id"].(string)}), http.StatusNoContent)
	wantStatus(t, a.do(req{Method: http.MethodDelete, Path: "/customers/ada/tokens/" + k["id"].(string)}), http.StatusNotFound)

	// An idempotent replay carries the token as null.
	q := req{Method: http.MethodPost, Path: "/customers/ada/tokens", Body: map[string]any{}, Headers: map[string]string{"Idempotency-Key": "tok-1"}}
	first := a.do(q)
	again := a.do(q)
	if first.JSON()["token"] == nil || again.JSON()["token"] != nil || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %s / %s", first.Body, again.Body)
	}

	// No body at all asks for the defaults.
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/customers/ada/tokens"}), http.StatusCreated)

	// The Adobe adapter answers its bare prefix in its own shape, not the API's.
	for _, path := range []string{"/v3/customers", "/v3/customers/"} {
		// Not through a.do: no documented route serves the bare prefix.
		res, err := http.Get(a.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound || strings.Contains(res.Header.Get("Content-Type"), "problem") || !strings.Contains(string(body), `"code":"404"`) {
			t.Errorf("GET %s: %d %s %s", path, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}

	// Permissions and tenancy.
	_, otherKey := a.newOrgKey()
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/customers/ada/tokens", Key: otherKey}), http.StatusNotFound)
	reader := a.newKey(a.orgID, "GetCustomerTokenCollection")
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/customers/ada/tokens", Key: reader}), http.StatusOK)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/customers/ada/tokens", Key: reader, Body: map[string]any{}}), http.StatusForbidden)
}
