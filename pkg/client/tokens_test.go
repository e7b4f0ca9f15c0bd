package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/billing/customers-api/pkg/client"
)

// cleengGetCustomer calls Cleeng's getCustomer with a customer token, as
// Cleeng's clients do (no API key), and returns the id of the customer it
// answers, or the JSON-RPC error code.
func cleengGetCustomer(t *testing.T, a *api, token string) (id string, code int) {
	t.Helper()
	body := `{"jsonrpc":"2.0","method":"getCustomer","params":{"customerToken":` + mustMarshal(t, token) + `},"id":1}`
	res, err := a.srv.Client().Post(a.srv.URL+"/3.0/json-rpc", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Result *struct {
			ID string `json:"id"`
		} `json:"result"`
		Error *struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("getCustomer: status %d, %v", res.StatusCode, err)
	}
	if out.Error != nil {
		return "", out.Error.Code
	}
	return out.Result.ID, 0
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCustomerTokens(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		const id = "cus_tokens"
		if _, _, err := c.PutCustomer(ctx, id, client.CustomerInput{}); err != nil {
			t.Fatal(err)
		}
		tokensURL := base + "/customers/" + id + "/tokens"

		// The default lifetime is a day; the secret is in this answer only.
		day, resp, err := c.CreateCustomerToken(ctx, id, client.CustomerTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusCreated || !resp.Created || resp.Location != tokensURL+"/"+day.ID || day.Link("self") != resp.Location ||
			day.Link("customer") != base+"/customers/"+id {
			t.Errorf("create: status %d, Location %q, links %+v", resp.StatusCode, resp.Location, day.Links)
		}
		if day.Token == nil || !strings.HasPrefix(*day.Token, "ct_") || len(*day.Token) < 35 || day.CustomerID != id {
			t.Fatalf("token %+v (secret %s)", day, str(day.Token))
		}
		if got := day.ExpiredTime.Sub(day.CreatedTime); got != 24*time.Hour {
			t.Errorf("default lifetime %s, want 24h", got)
		}
		if day.Expired(day.CreatedTime) || !day.Expired(day.ExpiredTime) {
			t.Errorf("Expired: at creation %v, at expiry %v", day.Expired(day.CreatedTime), day.Expired(day.ExpiredTime))
		}
		hour, _, err := c.CreateCustomerToken(ctx, id, client.TokenLifetime(time.Hour+500*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if got := hour.ExpiredTime.Sub(hour.CreatedTime); got != time.Hour {
			t.Errorf("TokenLifetime(1h0m0.5s) lived %s, want 1h", got)
		}

		// The token is what Cleeng's getCustomer takes instead of a key.
		if got, code := cleengGetCustomer(t, a, *day.Token); got != id || code != 0 {
			t.Errorf("getCustomer with the token: customer %q, error %d", got, code)
		}

		// The list shows no secret; paging and the query work as elsewhere.
		list, resp, err := c.ListCustomerTokens(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || list.Total != 2 || len(list.Tokens) != 2 || list.HasNext() {
			t.Fatalf("list: status %d, total %d, %d tokens", resp.StatusCode, list.Total, len(list.Tokens))
		}
		for _, k := range list.Tokens {
			if k.Token != nil || k.CustomerID != id || k.Link("self") != tokensURL+"/"+k.ID {
				t.Errorf("listed token %+v (secret %s)", k, str(k.Token))
			}
		}
		page, _, err := c.ListCustomerTokens(ctx, id, client.Limit(1), client.Sort("expiredTime"))
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 2 || len(page.Tokens) != 1 || page.Tokens[0].ID != hour.ID || !page.HasNext() {
			t.Fatalf("page 1 by expiredTime: %+v", page)
		}
		if page, _, err = c.ListCustomerTokensAt(ctx, id, page.Links.Next); err != nil || len(page.Tokens) != 1 || page.Tokens[0].ID != day.ID || page.HasNext() {
			t.Fatalf("page 2: %+v, %v", page, err)
		}
		later := hour.ExpiredTime.Add(time.Minute).Format(time.RFC3339)
		if lasting, _, err := c.ListCustomerTokens(ctx, id, client.Filter("expiredTime:"+later+"..")); err != nil || lasting.Total != 1 || lasting.Tokens[0].ID != day.ID {
			t.Errorf("tokens expiring after %s: %+v, %v", later, lasting, err)
		}
		_, _, err = c.ListCustomerTokens(ctx, id, client.Filter("token:x"))
		mustErr(t, err, http.StatusBadRequest)

		// Revoking: 204, then the token grants nothing and is gone.
		resp, err = c.DeleteCustomerToken(ctx, id, day.ID)
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("delete: %v, %+v", err, resp)
		}
		if _, code := cleengGetCustomer(t, a, *day.Token); code != 1 {
			t.Errorf("getCustomer with a revoked token: error %d, want 1", code)
		}
		_, err = c.DeleteCustomerToken(ctx, id, day.ID)
		mustErr(t, err, http.StatusNotFound)
		if list, _, err := c.ListCustomerTokens(ctx, id); err != nil || list.Total != 1 || list.Tokens[0].ID != hour.ID {
			t.Errorf("after revoking: %+v, %v", list, err)
		}
	})
}

func TestCustomerTokenErrors(t *testing.T) {
	a := newAPI(t)
	c := a.client()
	ctx := context.Background()
	for _, id := range []string{"cus_k", "cus_dup"} {
		if _, _, err := c.PutCustomer(ctx, id, client.CustomerInput{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, seconds := range []int64{-1, 30*24*3600 + 1} {
		_, _, err := c.CreateCustomerToken(ctx, "cus_k", client.CustomerTokenInput{ExpiresIn: seconds})
		if e := mustErr(t, err, http.StatusUnprocessableEntity); !client.IsValidation(err) {
			t.Errorf("IsValidation(%v) is false", err)
		} else if _, ok := e.Field("expiresIn"); !ok {
			t.Errorf("expiresIn %d: invalid fields %+v", seconds, e.InvalidFields)
		}
	}
	if k, _, err := c.CreateCustomerToken(ctx, "cus_k", client.CustomerTokenInput{ExpiresIn: 30 * 24 * 3600}); err != nil ||
		k.ExpiredTime.Sub(k.CreatedTime) != 30*24*time.Hour {
		t.Errorf("the longest lifetime: %+v, %v", k, err)
	}
	_, _, err := c.CreateCustomerToken(ctx, "cus_nobody", client.CustomerTokenInput{})
	mustErr(t, err, http.StatusNotFound)
	_, _, err = c.ListCustomerTokens(ctx, "cus_nobody")
	mustErr(t, err, http.StatusNotFound)
	_, err = c.DeleteCustomerToken(ctx, "cus_k", "not-a-uuid")
	mustErr(t, err, http.StatusNotFound)
	_, err = c.DeleteCustomerToken(ctx, "cus_k", "e1919260-b553-484d-8877-c7a0a0b9134b")
	mustErr(t, err, http.StatusNotFound)

	// A merge moves the duplicate's tokens, which then grant the target.
	dup, _, err := c.CreateCustomerToken(ctx, "cus_dup", client.CustomerTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.MergeCustomer(ctx, "cus_dup", "cus_k"); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.ListCustomerTokens(ctx, "cus_dup")
	mustErr(t, err, http.StatusNotFound)
	if list, _, err := c.ListCustomerTokens(ctx, "cus_k"); err != nil || list.Total != 2 {
		t.Errorf("the target's tokens after the merge: %+v, %v", list, err)
	}
	if got, code := cleengGetCustomer(t, a, *dup.Token); got != "cus_k" || code != 0 {
		t.Errorf("getCustomer with the duplicate's token: customer %q, error %d", got, code)
	}
	if _, err := c.DeleteCustomerToken(ctx, "cus_k", dup.ID); err != nil {
		t.Errorf("revoking a moved token from the target: %v", err)
	}

	// Empty ids never leave the client.
	before := a.requests.Load()
	if _, _, err := c.CreateCustomerToken(ctx, "", client.CustomerTokenInput{}); err == nil || client.StatusCode(err) != 0 {
		t.Errorf("empty customer id: %v", err)
	}
	if _, _, err := c.ListCustomerTokens(ctx, ""); err == nil || client.StatusCode(err) != 0 {
		t.Errorf("empty customer id: %v", err)
	}
	if _, err := c.DeleteCustomerToken(ctx, "cus_k", ""); err == nil || client.StatusCode(err) != 0 {
		t.Errorf("empty token id: %v", err)
	}
	if n := a.requests.Load() - before; n != 0 {
		t.Errorf("%d requests sent for empty ids", n)
	}

	// Permissions: each route has its own.
	lister := a.clientWithKey(a.newKey(a.orgID, "GetCustomerTokenCollection"))
	if _, _, err := lister.ListCustomerTokens(ctx, "cus_k"); err != nil {
		t.Errorf("ListCustomerTokens with GetCustomerTokenCollection: %v", err)
	}
	_, _, err = lister.CreateCustomerToken(ctx, "cus_k", client.CustomerTokenInput{})
	mustErr(t, err, http.StatusForbidden)
	_, err = lister.DeleteCustomerToken(ctx, "cus_k", dup.ID)
	mustErr(t, err, http.StatusForbidden)
}

func TestCreateCustomerTokenIdempotent(t *testing.T) {
	a := newAPI(t)
	c := a.client()
	ctx := context.Background()
	if _, _, err := c.PutCustomer(ctx, "cus_once", client.CustomerInput{}); err != nil {
		t.Fatal(err)
	}
	key := client.WithHeader("Idempotency-Key", "token-1")
	first, _, err := c.CreateCustomerToken(ctx, "cus_once", client.CustomerTokenInput{}, key)
	if err != nil {
		t.Fatal(err)
	}
	if first.Token == nil {
		t.Fatal("the first answer has no secret")
	}
	// The replay is the first answer, but a stored answer keeps no secret.
	again, resp, err := c.CreateCustomerToken(ctx, "cus_once", client.CustomerTokenInput{}, key)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || again.Token != nil || !resp.Created || resp.Location != first.Link("self") ||
		resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: id %q (first %q), secret %s, created %v, Location %q, Idempotent-Replayed %q",
			again.ID, first.ID, str(again.Token), resp.Created, resp.Location, resp.Header.Get("Idempotent-Replayed"))
	}
	if list, _, err := c.ListCustomerTokens(ctx, "cus_once"); err != nil || list.Total != 1 {
		t.Errorf("tokens after a replayed create: %+v, %v", list, err)
	}
}

func TestCustomerTokenLimit(t *testing.T) {
	a := newAPI(t)
	c := a.client()
	ctx := context.Background()
	if _, _, err := c.PutCustomer(ctx, "cus_many", client.CustomerInput{}); err != nil {
		t.Fatal(err)
	}
	var last *client.CustomerToken
	for i := range 100 {
		k, _, err := c.CreateCustomerToken(ctx, "cus_many", client.CustomerTokenInput{ExpiresIn: 60})
		if err != nil {
			t.Fatalf("token %d: %v", i+1, err)
		}
		last = k
	}
	// A customer holds at most 100 live tokens; revoking one makes room.
	_, _, err := c.CreateCustomerToken(ctx, "cus_many", client.CustomerTokenInput{})
	mustErr(t, err, http.StatusConflict)
	if !client.IsConflict(err) {
		t.Errorf("IsConflict(%v) is false", err)
	}
	if _, err := c.DeleteCustomerToken(ctx, "cus_many", last.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.CreateCustomerToken(ctx, "cus_many", client.CustomerTokenInput{}); err != nil {
		t.Errorf("after revoking one: %v", err)
	}
}
