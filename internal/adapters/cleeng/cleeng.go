// Package cleeng serves Cleeng's getCustomer (JSON-RPC 2.0 at
// POST /3.0/json-rpc) over the customers domain, authenticated by a
// customer token alone (SPEC §15, §16).
package cleeng

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/billing/customers-api/internal/adapters"
	"github.com/billing/customers-api/internal/customers"
)

// Path is where the adapter is served.
const Path = "/3.0/json-rpc"

// JSON-RPC 2.0 error codes, and Cleeng's own for a bad token.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternal       = -32603
	CodeInvalidToken   = 1
)

// MaxBatch bounds the requests of one batch.
const MaxBatch = 100

// Handler serves the adapter.
type Handler struct {
	customers *customers.Service
}

// New returns the adapter over svc.
func New(svc *customers.Service) *Handler { return &Handler{customers: svc} }

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type response struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  any             `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
	ID      json.RawMessage `json:"id"`
}

// Customer is getCustomer's result.
type Customer struct {
	ID          string  `json:"id"`
	Email       *string `json:"email"`
	DisplayName *string `json:"displayName"`
	FirstName   *string `json:"firstName"`
	LastName    *string `json:"lastName"`
	Currency    *string `json:"currency"`
	Locale      *string `json:"locale"`
	Country     *string `json:"country"`
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// toCustomer maps a customer to getCustomer's result.
func toCustomer(c *customers.Customer) Customer {
	out := Customer{ID: c.ID, Email: c.Email(), FirstName: c.FirstName(), LastName: c.LastName(), Locale: c.Locale, Country: adapters.Country(c)}
	if name := strings.TrimSpace(adapters.Str(c.FirstName()) + " " + adapters.Str(c.LastName())); name != "" {
		out.DisplayName = &name
	} else {
		out.DisplayName = out.Email
	}
	if cur, ok := c.CustomFields["currency"].(string); ok && currencyCode.MatchString(cur) {
		out.Currency = &cur
	}
	return out
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		adapters.WriteJSON(w, http.StatusMethodNotAllowed, response{JSONRPC: "2.0", ID: json.RawMessage("null"),
			Error: &rpcError{Code: CodeInvalidRequest, Message: "Invalid Request: JSON-RPC requests are POSTed"}})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, adapters.MaxBodyBytes))
	if err != nil {
		adapters.WriteJSON(w, http.StatusOK, parseError("the request body is too large or unreadable"))
		return
	}
	trimmed := bytes.TrimSpace(body)
	if !json.Valid(trimmed) {
		adapters.WriteJSON(w, http.StatusOK, parseError("the request is not valid JSON"))
		return
	}
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var batch []json.RawMessage
		_ = json.Unmarshal(trimmed, &batch)
		if len(batch) == 0 || len(batch) > MaxBatch {
			adapters.WriteJSON(w, http.StatusOK, response{JSONRPC: "2.0", ID: json.RawMessage("null"),
				Error: &rpcError{Code: CodeInvalidRequest, Message: "Invalid Request: a batch holds 1 to 100 requests"}})
			return
		}
		var out []response
		for _, raw := range batch {
			if resp, answer := h.call(r.Context(), raw); answer {
				out = append(out, resp)
			}
		}
		if len(out) == 0 {
			w.WriteHeader(http.StatusNoContent) // only notifications
			return
		}
		adapters.WriteJSON(w, http.StatusOK, out)
		return
	}
	resp, answer := h.call(r.Context(), trimmed)
	if !answer {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	adapters.WriteJSON(w, http.StatusOK, resp)
}

func parseError(why string) response {
	return response{JSONRPC: "2.0", ID: json.RawMessage("null"), Error: &rpcError{Code: CodeParseError, Message: "Parse error: " + why}}
}

// request is one JSON-RPC request; ID is nil when absent (a notification).
type request struct {
	JSONRPC *string         `json:"jsonrpc"`
	Method  *string         `json:"method"`
	Params  json.RawMessage `json:"params"`
	ID      json.RawMessage `json:"id"`
}

// call answers one request; answer is false for a notification.
func (h *Handler) call(ctx context.Context, raw json.RawMessage) (resp response, answer bool) {
	resp = response{JSONRPC: "2.0", ID: json.RawMessage("null")}
	fail := func(code int, msg string) (response, bool) {
		resp.Error = &rpcError{Code: code, Message: msg}
		return resp, true
	}
	var req request
	if err := json.Unmarshal(raw, &req); err != nil || bytes.TrimSpace(raw)[0] != '{' {
		return fail(CodeInvalidRequest, "Invalid Request: not a request object")
	}
	if validID(req.ID) {
		resp.ID = req.ID
	}
	if req.JSONRPC == nil || *req.JSONRPC != "2.0" || req.Method == nil || (req.ID != nil && !validID(req.ID)) {
		return fail(CodeInvalidRequest, `Invalid Request: "jsonrpc" must be "2.0", "method" a string and "id" a string, number or null`)
	}
	notification := req.ID == nil
	if *req.Method != "getCustomer" {
		resp, _ = fail(CodeMethodNotFound, "Method not found: this service answers getCustomer only")
		return resp, !notification
	}
	var params struct {
		CustomerToken *string `json:"customerToken"`
	}
	if len(req.Params) == 0 || req.Params[0] != '{' || json.Unmarshal(req.Params, &params) != nil || params.CustomerToken == nil {
		resp, _ = fail(CodeInvalidParams, `Invalid params: "params" must be an object with a string "customerToken"`)
		return resp, !notification
	}
	_, c, err := h.customers.CustomerByToken(ctx, *params.CustomerToken)
	switch {
	case errors.Is(err, customers.ErrBadToken):
		resp, _ = fail(CodeInvalidToken, "Invalid customer token")
	case err != nil:
		resp, _ = fail(CodeInternal, "Internal error: the customer could not be read; retry shortly")
	default:
		resp.Result = toCustomer(c)
	}
	return resp, !notification
}

// validID reports whether raw is a JSON-RPC id: a string, a number or null.
func validID(raw json.RawMessage) bool {
	if raw == nil {
		return false
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return false
	}
	switch v.(type) {
	case string, float64, nil:
		return true
	}
	return false
}
