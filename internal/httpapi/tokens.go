package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/billing/customers-api/internal/customers"
)

// tokenOut is a customer token's representation (SPEC §15). Token is set
// only in the answer that issues it; a stored (replayable) copy of that
// answer carries it as null (SPEC §16).
type tokenOut struct {
	ID          string          `json:"id"`
	Token       json.RawMessage `json:"token,omitempty"`
	CustomerID  string          `json:"customerId"`
	CreatedTime string          `json:"createdTime"`
	ExpiredTime string          `json:"expiredTime"`
	Links       []link          `json:"_links"`
}

func tokenURL(base, customerID, id string) string {
	return customerURL(base, customerID) + "/tokens/" + url.PathEscape(id)
}

func toTokenOut(k *customers.Token, base string) tokenOut {
	return tokenOut{ID: k.ID, CustomerID: k.CustomerID, CreatedTime: apiTime(k.CreatedTime), ExpiredTime: apiTime(k.ExpiredTime),
		Links: []link{{Rel: "self", Href: tokenURL(base, k.CustomerID, k.ID)}, {Rel: "customer", Href: customerURL(base, k.CustomerID)}}}
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var in customers.TokenInput
	// Every field is optional: no body at all asks for the defaults.
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	k, secret, err := s.customers.CreateToken(r.Context(), principal(r.Context()).OrganizationID, pathID(r), in)
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	w.Header().Set("Location", tokenURL(base, k.CustomerID, k.ID))
	out := toTokenOut(k, base)
	writeWithSecret(w, http.StatusCreated, &out, &out.Token, secret)
	return nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	list := func(ctx context.Context, orgID string, lq customers.ListQuery) (int64, []customers.Token, error) {
		return s.customers.ListTokens(ctx, orgID, pathID(r), lq)
	}
	return servePage(s, w, r, list, toTokenOut)
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.customers.DeleteToken(r.Context(), principal(r.Context()).OrganizationID, pathID(r), pathParam(r, "tokenId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
