package cleeng_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// rpc posts body to the JSON-RPC endpoint as Cleeng's clients do (no API
// key) and checks what every answer shares: HTTP 200 (204 for
// notifications), JSON, never a problem document.
func (e *env) rpc(body string) reply {
	e.T.Helper()
	r := e.Send(http.MethodPost, "/3.0/json-rpc", http.Header{"Content-Type": {"application/json"}}, []byte(body))
	switch r.Status {
	case http.StatusNoContent:
		if len(r.Body) != 0 {
			e.T.Errorf("%s: 204 with a body %q", body, r.Body)
		}
	case http.StatusOK:
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			e.T.Errorf("%s: Content-Type %q, want application/json", body, ct)
		}
	default:
		e.T.Errorf("%s: HTTP %d %s, want 200 (JSON-RPC answers every error with 200)", body, r.Status, r)
	}
	return r
}

// answer is one JSON-RPC response object, its members kept raw.
type answer map[string]json.RawMessage

func decodeAnswer(t testing.TB, b []byte) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("not one JSON-RPC response object: %s (%v)", b, err)
	}
	if string(a["jsonrpc"]) != `"2.0"` {
		t.Errorf(`%s: jsonrpc is %s, want "2.0"`, b, a["jsonrpc"])
	}
	if _, ok := a["id"]; !ok {
		t.Errorf("%s: no id member", b)
	}
	_, hasResult := a["result"]
	_, hasError := a["error"]
	if hasResult == hasError {
		t.Errorf("%s: a response has exactly one of result and error", b)
	}
	return a
}

// rpcError checks that a holds the error code (and message, when not
// "") with the id wantID (raw JSON, or "" not to check it).
func rpcError(t testing.TB, what string, a answer, code int, message, wantID string) {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(a["error"], &e); err != nil || e == nil {
		t.Errorf("%s: no error object in %v", what, a)
		return
	}
	if len(e) != 2 || e["code"] != float64(code) || e["message"] == "" {
		t.Errorf("%s: error %v, want {code: %d, message} and nothing else", what, e, code)
	}
	if msg, _ := e["message"].(string); message != "" && msg != message {
		t.Errorf("%s: message %q, want %q", what, msg, message)
	}
	if wantID != "" && compact(a["id"]) != wantID {
		t.Errorf("%s: id %s, want %s", what, a["id"], wantID)
	}
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

func getCustomer(token string, id any) string {
	b, _ := json.Marshal(map[string]any{"method": "getCustomer", "params": map[string]any{"customerToken": token}, "jsonrpc": "2.0", "id": id})
	return string(b)
}

// result calls getCustomer with token and returns its result, failing
// on an error answer.
func (e *env) result(token string) map[string]any {
	e.T.Helper()
	r := e.rpc(getCustomer(token, 1))
	a := decodeAnswer(e.T, r.Body)
	var out map[string]any
	if err := json.Unmarshal(a["result"], &out); err != nil || out == nil {
		e.T.Fatalf("getCustomer: no result: %s", r)
	}
	return out
}

// invalidToken checks that token is refused with Cleeng's code 1.
func (e *env) invalidToken(what, token string) {
	e.T.Helper()
	r := e.rpc(getCustomer(token, "t-1"))
	rpcError(e.T, what, decodeAnswer(e.T, r.Body), 1, "Invalid customer token", `"t-1"`)
}

// The example: a customer that fills every mapped field, read
// through a token exactly as Cleeng's documentation shows the call.
func TestGetCustomerMapsEveryField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, key := e.Org("acme")
	e.PutCustomer(key, "amelie", fullCustomer())
	_, token := e.Token(key, "amelie", 0)

	r := e.rpc(`{"method":"getCustomer","params":{"customerToken":"` + token + `"},"jsonrpc":"2.0","id":1}`)
	a := decodeAnswer(t, r.Body)
	if len(a) != 3 || string(a["id"]) != "1" {
		t.Errorf("answer %s: want exactly result, id 1 and jsonrpc", r)
	}
	var got map[string]any
	if err := json.Unmarshal(a["result"], &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id":          "amelie",
		"email":       "amelie@example.com", // the primary entry, not the first
		"displayName": "Amélie Poulain",
		"firstName":   "Amélie",
		"lastName":    "Poulain",
		"currency":    "EUR",
		"locale":      "fr-FR",
		"country":     "FR",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("result\n got %v\nwant %v", got, want)
	}
	// No API key is needed, and one that is sent changes nothing.
	r = e.Send(http.MethodPost, "/3.0/json-rpc", http.Header{"Content-Type": {"application/json"}, "Reb-Apikey": {"sk_live_not_a_key"}}, []byte(getCustomer(token, 2)))
	if r.Status != http.StatusOK || decodeAnswer(t, r.Body)["result"] == nil {
		t.Errorf("with a bogus REB-APIKEY: %d %s", r.Status, r)
	}
}

// displayName falls back to the email, currency to null; the other fields
// are as stored, null when absent.
func TestGetCustomerFallbacks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, key := e.Org("acme")
	email := func(v string) []any { return []any{map[string]any{"label": "main", "value": v, "primary": true}} }
	for _, c := range []struct {
		name string
		body map[string]any
		want map[string]any
	}{
		{"no name: the email", map[string]any{"primaryAddress": map[string]any{"emails": email("anon@example.com"), "country": "DE"}},
			map[string]any{"email": "anon@example.com", "displayName": "anon@example.com", "firstName": nil, "lastName": nil, "currency": nil, "locale": nil, "country": "DE"}},
		{"first name only", map[string]any{"primaryAddress": map[string]any{"firstName": "Cher", "emails": email("cher@example.com")}},
			map[string]any{"email": "cher@example.com", "displayName": "Cher", "firstName": "Cher", "lastName": nil, "currency": nil, "locale": nil, "country": nil}},
		{"last name only", map[string]any{"primaryAddress": map[string]any{"lastName": "Prince"}},
			map[string]any{"email": nil, "displayName": "Prince", "firstName": nil, "lastName": "Prince", "currency": nil, "locale": nil, "country": nil}},
		{"no primary address", map[string]any{"locale": "en_US", "customFields": map[string]any{"currency": "USD"}},
			map[string]any{"email": nil, "displayName": nil, "firstName": nil, "lastName": nil, "currency": "USD", "locale": "en_US", "country": nil}},
		{"lower-case currency", map[string]any{"customFields": map[string]any{"currency": "eur"}},
			map[string]any{"email": nil, "displayName": nil, "firstName": nil, "lastName": nil, "currency": nil, "locale": nil, "country": nil}},
		{"four-letter currency", map[string]any{"customFields": map[string]any{"currency": "EURO"}},
			map[string]any{"email": nil, "displayName": nil, "firstName": nil, "lastName": nil, "currency": nil, "locale": nil, "country": nil}},
		{"two-letter currency", map[string]any{"customFields": map[string]any{"currency": "EU"}},
			map[string]any{"email": nil, "displayName": nil, "firstName": nil, "lastName": nil, "currency": nil, "locale": nil, "country": nil}},
		{"numeric currency", map[string]any{"customFields": map[string]any{"currency": 978}},
			map[string]any{"email": nil, "displayName": nil, "firstName": nil, "lastName": nil, "currency": nil, "locale": nil, "country": nil}},
		{"currency with spaces", map[string]any{"customFields": map[string]any{"currency": " EUR"}},
			map[string]any{"email": nil, "displayName": nil, "firstName": nil, "lastName": nil, "currency": nil, "locale": nil, "country": nil}},
	} {
		id := strings.NewReplacer(" ", "-", ":", "").Replace(c.name)
		e.PutCustomer(key, id, c.body)
		_, token := e.Token(key, id, 0)
		got := e.result(token)
		c.want["id"] = id
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.name, got, c.want)
		}
	}
}

// A bad, expired or revoked token is Cleeng's error 1, with HTTP 200.
func TestTokensThatGrantNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, key := e.Org("acme")
	e.PutCustomer(key, "ada", fullCustomer())
	_, good := e.Token(key, "ada", 0)
	if e.result(good)["id"] != "ada" {
		t.Fatal("the good token does not read its customer")
	}

	// Malformed or unknown.
	flip := func(s string) string { // the same token but its last character
		last := s[len(s)-1]
		if last == 'a' {
			return s[:len(s)-1] + "b"
		}
		return s[:len(s)-1] + "a"
	}
	for _, bad := range []string{"", "nope", "ct_", "ct_" + strings.Repeat("A", 65), good[:len(good)-1], good + "A", flip(good),
		strings.ToUpper(good), good[:10] + "!" + good[11:], " " + good, "sk_live_" + good[3:]} {
		e.invalidToken("token "+bad, bad)
	}

	// Expired: valid until its lifetime has passed, then code 1.
	_, short := e.Token(key, "ada", 60)
	if e.result(short)["id"] != "ada" {
		t.Fatal("a fresh short-lived token is refused")
	}
	e.Advance(61 * time.Second)
	e.invalidToken("expired token", short)
	if e.result(good)["id"] != "ada" {
		t.Error("a day-long token expired after a minute")
	}

	// Revoked: DELETE /customers/{id}/tokens/{tokenId}.
	tokID, revoked := e.Token(key, "ada", 0)
	if e.result(revoked)["id"] != "ada" {
		t.Fatal("a fresh token is refused")
	}
	if r := e.REST(key, http.MethodDelete, "/customers/ada/tokens/"+tokID, nil); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE token: %d %s", r.Status, r)
	}
	e.invalidToken("revoked token", revoked)
	if e.result(good)["id"] != "ada" {
		t.Error("revoking one token revoked another")
	}
}

// A token grants its own customer only, within its own organization; a
// merge moves the duplicate's tokens to the target.
func TestTokenGrantsItsOwnCustomerOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, keyA := e.Org("A")
	_, keyB := e.Org("B")
	mail := func(v string) map[string]any {
		return map[string]any{"primaryAddress": map[string]any{"firstName": v, "emails": []any{map[string]any{"label": "m", "value": v + "@example.com", "primary": true}}}}
	}
	e.PutCustomer(keyA, "one", mail("a-one"))
	e.PutCustomer(keyA, "two", mail("a-two"))
	e.PutCustomer(keyA, "shared", mail("a-shared"))
	e.PutCustomer(keyB, "shared", mail("b-shared")) // the same id in another organization
	e.PutCustomer(keyB, "bonly", mail("b-only"))
	_, tokOne := e.Token(keyA, "one", 0)
	_, tokTwo := e.Token(keyA, "two", 0)
	_, tokSharedA := e.Token(keyA, "shared", 0)
	_, tokSharedB := e.Token(keyB, "shared", 0)
	_, tokBOnly := e.Token(keyB, "bonly", 0)
	for _, c := range []struct{ token, id, email string }{
		{tokOne, "one", "a-one@example.com"},
		{tokTwo, "two", "a-two@example.com"},
		{tokSharedA, "shared", "a-shared@example.com"},
		{tokSharedB, "shared", "b-shared@example.com"},
		{tokBOnly, "bonly", "b-only@example.com"},
	} {
		if got := e.result(c.token); got["id"] != c.id || got["email"] != c.email {
			t.Errorf("token of %s (%s): read %v", c.id, c.email, got)
		}
	}
	// Org B's key cannot issue tokens for org A's customers.
	if r := e.REST(keyB, http.MethodPost, "/customers/one/tokens", map[string]any{}); r.Status != http.StatusNotFound {
		t.Errorf("org B issued a token for org A's customer: %d %s", r.Status, r)
	}

	// The merge: the duplicate's token now reads the target.
	e.PutCustomer(keyA, "dup", mail("a-dup"))
	_, tokDup := e.Token(keyA, "dup", 0)
	if got := e.result(tokDup); got["id"] != "dup" {
		t.Fatalf("before the merge: %v", got)
	}
	e.Merge(keyA, "dup", "one")
	if got := e.result(tokDup); got["id"] != "one" || got["email"] != "a-one@example.com" {
		t.Errorf("after merging dup into one, dup's token reads %v, want customer one", got)
	}
	if got := e.result(tokOne); got["id"] != "one" {
		t.Errorf("the target's own token reads %v", got)
	}
	// Org B's customers are untouched by org A's merge.
	if got := e.result(tokSharedB); got["id"] != "shared" || got["email"] != "b-shared@example.com" {
		t.Errorf("org B's token reads %v", got)
	}
}

// JSON-RPC 2.0's own errors, each with HTTP 200 and the id echoed as sent
// (null when it could not be read).
func TestJSONRPCErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, key := e.Org("acme")
	e.PutCustomer(key, "ada", fullCustomer())
	_, token := e.Token(key, "ada", 0)
	tok := `{"customerToken":"` + token + `"}`
	for _, c := range []struct {
		name, body string
		code       int
		id         string // raw JSON of the id to echo; "" not checked
	}{
		// -32700: not JSON.
		{"truncated", `{"jsonrpc":"2.0","method":"getCustomer","params":` + tok, -32700, "null"},
		{"empty body", ``, -32700, "null"},
		{"trailing garbage", `{"jsonrpc":"2.0","method":"getCustomer","params":` + tok + `,"id":1} x`, -32700, "null"},
		{"single quotes", `{'jsonrpc':'2.0'}`, -32700, "null"},
		// -32600: JSON, but not a request object.
		{"a string", `"getCustomer"`, -32600, "null"},
		{"a number", `42`, -32600, "null"},
		{"null", `null`, -32600, "null"},
		{"missing jsonrpc", `{"method":"getCustomer","params":` + tok + `,"id":7}`, -32600, "7"},
		{"wrong jsonrpc", `{"jsonrpc":"1.0","method":"getCustomer","params":` + tok + `,"id":"v1"}`, -32600, `"v1"`},
		{"numeric jsonrpc", `{"jsonrpc":2.0,"method":"getCustomer","params":` + tok + `,"id":8}`, -32600, ""},
		{"missing method", `{"jsonrpc":"2.0","params":` + tok + `,"id":9}`, -32600, "9"},
		{"object id", `{"jsonrpc":"2.0","method":"getCustomer","params":` + tok + `,"id":{"a":1}}`, -32600, "null"},
		// -32601: unknown method.
		{"unknown method", `{"jsonrpc":"2.0","method":"listCustomers","params":` + tok + `,"id":"m-1"}`, -32601, `"m-1"`},
		{"method names are case-sensitive", `{"jsonrpc":"2.0","method":"GetCustomer","params":` + tok + `,"id":10}`, -32601, "10"},
		// -32602: params without a string customerToken.
		{"no params", `{"jsonrpc":"2.0","method":"getCustomer","id":11}`, -32602, "11"},
		{"array params", `{"jsonrpc":"2.0","method":"getCustomer","params":["` + token + `"],"id":12}`, -32602, "12"},
		{"numeric token", `{"jsonrpc":"2.0","method":"getCustomer","params":{"customerToken":5},"id":13}`, -32602, "13"},
		{"null token", `{"jsonrpc":"2.0","method":"getCustomer","params":{"customerToken":null},"id":14}`, -32602, "14"},
		{"other member", `{"jsonrpc":"2.0","method":"getCustomer","params":{"token":"` + token + `"},"id":15}`, -32602, "15"},
		{"string params", `{"jsonrpc":"2.0","method":"getCustomer","params":"` + token + `","id":16}`, -32602, "16"},
		// 1: a well-formed call with a bad token.
		{"bad token", `{"jsonrpc":"2.0","method":"getCustomer","params":{"customerToken":"ct_nope"},"id":17}`, 1, "17"},
	} {
		r := e.rpc(c.body)
		if r.Status != http.StatusOK {
			continue // rpc said so
		}
		rpcError(t, c.name, decodeAnswer(t, r.Body), c.code, "", c.id)
	}
}

// The id is echoed exactly as sent, string or number; an explicit null id
// is a call (not a notification) and is answered with id null.
func TestIDIsEchoed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, key := e.Org("acme")
	e.PutCustomer(key, "ada", fullCustomer())
	_, token := e.Token(key, "ada", 0)
	for _, id := range []string{`1`, `"abc"`, `""`, `0`, `-3`, `12345678901234567890`, `1.5`, `"ünï-©ode"`, `null`} {
		r := e.rpc(`{"jsonrpc":"2.0","method":"getCustomer","params":{"customerToken":"` + token + `"},"id":` + id + `}`)
		if r.Status != http.StatusOK {
			continue
		}
		a := decodeAnswer(t, r.Body)
		if compact(a["id"]) != id {
			t.Errorf("id %s echoed as %s", id, a["id"])
		}
		if a["result"] == nil {
			t.Errorf("id %s: %s", id, r)
		}
		// Errors echo it too.
		r = e.rpc(`{"jsonrpc":"2.0","method":"getCustomer","params":{"customerToken":"ct_bad"},"id":` + id + `}`)
		rpcError(t, "bad token with id "+id, decodeAnswer(t, r.Body), 1, "Invalid customer token", id)
	}
}

// A notification (no id) gets no answer body; a batch gets an array of
// the answers to its calls, notifications left out.
func TestNotificationsAndBatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, key := e.Org("acme")
	e.PutCustomer(key, "ada", fullCustomer())
	_, token := e.Token(key, "ada", 0)
	call := `{"jsonrpc":"2.0","method":"getCustomer","params":{"customerToken":"` + token + `"}`

	for _, n := range []string{call + `}`, `{"jsonrpc":"2.0","method":"nope"}`, `{"jsonrpc":"2.0","method":"getCustomer","params":{"customerToken":"ct_bad"}}`,
		`{"jsonrpc":"2.0","method":"getCustomer"}`} {
		if r := e.rpc(n); r.Status != http.StatusNoContent {
			t.Errorf("notification %s: %d %s, want 204 and no body", n, r.Status, r)
		}
	}

	// [call, notification, unknown method, not an object, bad token]
	r := e.rpc(`[` + call + `,"id":1}, ` + call + `}, {"jsonrpc":"2.0","method":"nope","id":"x"}, 42, {"jsonrpc":"2.0","method":"getCustomer","params":{"customerToken":"ct_bad"},"id":3}]`)
	var batch []json.RawMessage
	if err := json.Unmarshal(r.Body, &batch); err != nil {
		t.Fatalf("batch answer is not an array: %s", r)
	}
	if len(batch) != 4 {
		t.Fatalf("batch: %d answers, want 4 (the notification unanswered): %s", len(batch), r)
	}
	byID := map[string]answer{}
	for _, raw := range batch {
		a := decodeAnswer(t, raw)
		byID[compact(a["id"])] = a
	}
	var res map[string]any
	if err := json.Unmarshal(byID["1"]["result"], &res); err != nil || res["id"] != "ada" {
		t.Errorf("batch: the call's answer %v", byID["1"])
	}
	rpcError(t, "batch unknown method", byID[`"x"`], -32601, "", `"x"`)
	rpcError(t, "batch non-object", byID["null"], -32600, "", "null")
	rpcError(t, "batch bad token", byID["3"], 1, "Invalid customer token", "3")

	// Notifications only: nothing to answer.
	if r := e.rpc(`[` + call + `}, {"jsonrpc":"2.0","method":"nope"}]`); r.Status != http.StatusNoContent {
		t.Errorf("a batch of notifications: %d %s, want 204", r.Status, r)
	}
	// An empty batch is one Invalid Request, not an array.
	r = e.rpc(`[]`)
	if bytes.HasPrefix(bytes.TrimSpace(r.Body), []byte("[")) {
		t.Errorf("empty batch answered with an array: %s", r)
	} else {
		rpcError(t, "empty batch", decodeAnswer(t, r.Body), -32600, "", "null")
	}
	// A malformed batch is one Parse error.
	r = e.rpc(`[` + call + `,"id":1}, {"jsonrpc"`)
	rpcError(t, "malformed batch", decodeAnswer(t, r.Body), -32700, "", "null")
	// A batch of one non-object is an array of one Invalid Request.
	r = e.rpc(`[1]`)
	if err := json.Unmarshal(r.Body, &batch); err != nil || len(batch) != 1 {
		t.Fatalf("[1]: %s", r)
	}
	rpcError(t, "[1]", decodeAnswer(t, batch[0]), -32600, "", "null")
}

// A method other than POST is refused in JSON-RPC's shape, never with the
// main API's problem document.
func TestOtherMethodsKeepJSONRPCShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		r := e.Send(m, "/3.0/json-rpc", nil, nil)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || r.Status < 400 || r.Status >= 500 {
			t.Errorf("%s: %d %q %s, want a 4xx in JSON", m, r.Status, ct, r)
			continue
		}
		rpcError(t, m, decodeAnswer(t, r.Body), -32600, "", "null")
	}
}
