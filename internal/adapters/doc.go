// Package adapters holds what the read adapters for other platforms'
// clients share (SPEC §15): each platform's own package (cleeng, adobevip,
// worldline) maps the domain's customers to its platform's shape and
// answers in its platform's error shape; none has SQL of its own.
package adapters

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/customers"
)

// Authenticator checks an API key's secret (access.Service does).
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (*access.Principal, error)
}

// MaxBodyBytes bounds an adapter's request body.
const MaxBodyBytes = 64 << 10

// WriteJSON answers status with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"message":"internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header, or "".
func BearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// PrimaryPhone is the contact's primary phone number, else its first, else "".
func PrimaryPhone(c *customers.Contact) string {
	if c == nil || len(c.PhoneNumbers) == 0 {
		return ""
	}
	for _, p := range c.PhoneNumbers {
		if p.Primary {
			return p.Value
		}
	}
	return c.PhoneNumbers[0].Value
}

// Str is *s, or "" when nil.
func Str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Country is the customer's primary address country, or nil.
func Country(c *customers.Customer) *string {
	if c.PrimaryAddress == nil {
		return nil
	}
	return c.PrimaryAddress.Country
}
