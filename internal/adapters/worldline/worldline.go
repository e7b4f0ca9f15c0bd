// Package worldline serves Worldline's (Ingenico Connect) customerDetails
// lookup, POST /v1/{merchantId}/products/{paymentProductId}/customerDetails,
// over the customers domain (SPEC §15): the merchant is the organization.
package worldline

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/adapters"
	"github.com/billing/customers-api/internal/customers"
)

// PathPrefix is where the adapter's routes start.
const PathPrefix = "/v1/"

// Handler serves the adapter.
type Handler struct {
	customers *customers.Service
	auth      adapters.Authenticator
}

// New returns the adapter over svc, authenticating keys with auth.
func New(svc *customers.Service, auth adapters.Authenticator) *Handler {
	return &Handler{customers: svc, auth: auth}
}

// APIError is one error of Worldline's error body.
type APIError struct {
	Code           string `json:"code"`
	ID             string `json:"id"`
	Category       string `json:"category"`
	HTTPStatusCode int    `json:"httpStatusCode"`
	Message        string `json:"message"`
	PropertyName   string `json:"propertyName,omitempty"`
	RequestID      string `json:"requestId"`
}

// ErrorResponse is Worldline's error body.
type ErrorResponse struct {
	ErrorID string     `json:"errorId"`
	Errors  []APIError `json:"errors"`
}

// Details is the lookup's answer; absent values are "", as in the seed.
type Details struct {
	FiscalNumber string `json:"fiscalNumber"`
	City         string `json:"city"`
	Street       string `json:"street"`
	Zip          string `json:"zip"`
	FirstName    string `json:"firstName"`
	Surname      string `json:"surname"`
	EmailAddress string `json:"emailAddress"`
	PhoneNumber  string `json:"phoneNumber"`
	LanguageCode string `json:"languageCode"`
	Country      string `json:"country"`
}

// The lookup keys (SPEC §15).
const (
	KeyFiscalNumber = "fiscalNumber"
	KeyEmailAddress = "emailAddress"
	KeyPhoneNumber  = "phoneNumber"
	KeyCustomerID   = "customerId"
)

// MaxValueLength bounds a lookup value: longer than any email (255), tax
// number or phone number the service stores.
const MaxValueLength = 255

// Request is the lookup's body.
type Request struct {
	CountryCode *string `json:"countryCode"`
	Values      []struct {
		Key   *string `json:"key"`
		Value *string `json:"value"`
	} `json:"values"`
}

func toDetails(c *customers.Customer) Details {
	d := Details{Zip: "", LanguageCode: ""}
	for i, t := range c.TaxNumbers {
		if t.IsDefault || i == 0 {
			d.FiscalNumber = t.Value
			if t.IsDefault {
				break
			}
		}
	}
	if a := c.PrimaryAddress; a != nil {
		d.City, d.Street, d.Zip = adapters.Str(a.City), adapters.Str(a.Address), adapters.Str(a.PostalCode)
		d.FirstName, d.Surname, d.Country = adapters.Str(a.FirstName), adapters.Str(a.LastName), adapters.Str(a.Country)
		d.PhoneNumber = adapters.PrimaryPhone(a)
	}
	d.EmailAddress = adapters.Str(c.Email())
	if c.Locale != nil {
		d.LanguageCode, _, _ = strings.Cut(strings.ReplaceAll(*c.Locale, "_", "-"), "-")
		d.LanguageCode = strings.ToLower(d.LanguageCode)
	}
	return d
}

func newErrorID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// fail answers one error in Worldline's shape.
func fail(w http.ResponseWriter, status int, e APIError) {
	e.HTTPStatusCode = status
	e.RequestID = w.Header().Get("X-Request-Id")
	adapters.WriteJSON(w, status, ErrorResponse{ErrorID: newErrorID(), Errors: []APIError{e}})
}

func badRequest(w http.ResponseWriter, property, msg string) {
	fail(w, http.StatusBadRequest, APIError{Code: "21000020", ID: "PARAMETER_NOT_FOUND_IN_REQUEST", Category: "CONNECTION_REJECTED",
		Message: msg, PropertyName: property})
}

func notFound(w http.ResponseWriter) {
	fail(w, http.StatusBadRequest, APIError{Code: "1214", ID: "CUSTOMER_DETAILS_NOT_FOUND", Category: "CONNECTION_REJECTED",
		Message: "No customer, or more than one, matches the lookup."})
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// /v1/{merchantId}/products/{paymentProductId}/customerDetails
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, PathPrefix), "/")
	if len(parts) != 4 || parts[0] == "" || parts[1] != "products" || parts[2] == "" || parts[3] != "customerDetails" {
		fail(w, http.StatusNotFound, APIError{Code: "1002", ID: "UNKNOWN_RESOURCE", Category: "CONNECTION_REJECTED",
			Message: "No resource lives at this path."})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		fail(w, http.StatusMethodNotAllowed, APIError{Code: "1003", ID: "METHOD_NOT_ALLOWED", Category: "CONNECTION_REJECTED",
			Message: "Only POST is served here."})
		return
	}
	key := r.Header.Get("REB-APIKEY")
	if key == "" {
		key = adapters.BearerToken(r)
	}
	p, err := h.auth.Authenticate(r.Context(), key)
	switch {
	case errors.Is(err, access.ErrUnauthenticated):
		fail(w, http.StatusUnauthorized, APIError{Code: "9002", ID: "MISSING_OR_INVALID_AUTHORIZATION", Category: "CONNECTION_REJECTED",
			Message: "Send a valid API key in REB-APIKEY or as Authorization: Bearer <key>."})
		return
	case err != nil:
		unavailable(w)
		return
	}
	if !strings.EqualFold(parts[0], p.OrganizationID) || !p.Can(access.GetCustomer) {
		fail(w, http.StatusForbidden, APIError{Code: "9007", ID: "ACCESS_TO_MERCHANT_NOT_ALLOWED", Category: "CONNECTION_REJECTED",
			Message: "This API key may not read this merchant's customers."})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, adapters.MaxBodyBytes))
	if err != nil {
		badRequest(w, "", "The request body is too large or unreadable.")
		return
	}
	var req Request
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		badRequest(w, "", "The request body must be one JSON object {countryCode, values: [{key, value}]} and nothing else.")
		return
	}
	lookup, property, msg := toLookup(req)
	if msg != "" {
		badRequest(w, property, msg)
		return
	}
	found, err := h.customers.FindCustomers(r.Context(), p.OrganizationID, lookup, 2)
	switch {
	case err != nil:
		unavailable(w)
	case len(found) != 1:
		notFound(w)
	default:
		adapters.WriteJSON(w, http.StatusOK, toDetails(found[0]))
	}
}

func unavailable(w http.ResponseWriter) {
	fail(w, http.StatusServiceUnavailable, APIError{Code: "9999", ID: "SERVICE_UNAVAILABLE", Category: "IO_ERROR",
		Message: "The service is unavailable; retry shortly."})
}

// toLookup checks the request and returns the lookup it asks for, or the
// property and message of what is wrong.
func toLookup(req Request) (l customers.Lookup, property, msg string) {
	if req.CountryCode == nil || len(*req.CountryCode) != 2 || !isLetters(*req.CountryCode) {
		return l, "countryCode", "countryCode is required: a two-letter ISO 3166-1 country code."
	}
	l.Country = strings.ToUpper(*req.CountryCode)
	if len(req.Values) == 0 {
		return l, "values", "values is required: at least one {key, value}."
	}
	for i, v := range req.Values {
		if v.Key == nil {
			return l, fmt.Sprintf("values[%d].key", i), "key is required."
		}
		if v.Value == nil || *v.Value == "" {
			return l, fmt.Sprintf("values[%d].value", i), "value is required."
		}
		if utf8.RuneCountInString(*v.Value) > MaxValueLength || strings.ContainsRune(*v.Value, 0) {
			return l, fmt.Sprintf("values[%d].value", i), fmt.Sprintf("value must be at most %d characters, without NUL.", MaxValueLength)
		}
		var dst **string
		switch *v.Key {
		case KeyFiscalNumber:
			dst = &l.TaxNumber
		case KeyEmailAddress:
			dst = &l.Email
		case KeyPhoneNumber:
			dst = &l.Phone
		case KeyCustomerID:
			dst = &l.ID
		default:
			return l, fmt.Sprintf("values[%d].key", i), fmt.Sprintf("unknown key %q: use fiscalNumber, emailAddress, phoneNumber or customerId.", *v.Key)
		}
		if *dst != nil {
			return l, fmt.Sprintf("values[%d].key", i), fmt.Sprintf("key %q is given twice.", *v.Key)
		}
		value := *v.Value
		*dst = &value
	}
	return l, "", ""
}

// isLetters reports whether s is ASCII letters only.
func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
