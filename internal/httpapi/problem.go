package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/customers"
)

// problem is the application/problem+json body of every error (RFC 9457).
type problem struct {
	Type          string         `json:"type"`
	Title         string         `json:"title"`
	Status        int            `json:"status"`
	Detail        string         `json:"detail"`
	Instance      string         `json:"instance"`
	RequestID     string         `json:"requestId"`
	InvalidFields []invalidField `json:"invalidFields,omitempty"`
	// MergedInto is an extension member (RFC 9457 §3.2): on the 404 of a
	// customer id that was merged away, the customer it was merged into.
	MergedInto string `json:"mergedInto,omitempty"`
}

type invalidField struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problemType is one documented problem type: its URI, title and status.
type problemType struct {
	URI    string
	Title  string
	Status int
}

// The problem types this API answers with; openapi.yaml explains each.
var (
	typeMalformed        = problemType{"/problems/malformed-request", "Malformed request", http.StatusBadRequest}
	typeInvalidQuery     = problemType{"/problems/invalid-query", "Invalid query parameter", http.StatusBadRequest}
	typeUnauthorized     = problemType{"/problems/unauthorized", "Unauthorized", http.StatusUnauthorized}
	typeForbidden        = problemType{"/problems/forbidden", "Forbidden", http.StatusForbidden}
	typeNotFound         = problemType{"/problems/not-found", "Not found", http.StatusNotFound}
	typeMethodNotAllowed = problemType{"/problems/method-not-allowed", "Method not allowed", http.StatusMethodNotAllowed}
	typeConflict         = problemType{"/problems/conflict", "Conflict", http.StatusConflict}
	typePrecondition     = problemType{"/problems/precondition-failed", "Precondition failed", http.StatusPreconditionFailed}
	typeTooLarge         = problemType{"/problems/payload-too-large", "Payload too large", http.StatusRequestEntityTooLarge}
	typeUnsupportedMedia = problemType{"/problems/unsupported-media-type", "Unsupported media type", http.StatusUnsupportedMediaType}
	typeValidation       = problemType{"/problems/validation-error", "Invalid data", http.StatusUnprocessableEntity}
	typeTooManyRequests  = problemType{"/problems/too-many-requests", "Too many requests", http.StatusTooManyRequests}
	typeInternal         = problemType{"/problems/internal-error", "Internal server error", http.StatusInternalServerError}
	typeUnavailable      = problemType{"/problems/service-unavailable", "Service unavailable", http.StatusServiceUnavailable}
)

// apiError is an error the HTTP layer itself decided on: a problem type, a
// client-safe detail, and optionally invalid fields and the Allow methods.
type apiError struct {
	typ    problemType
	detail string
	fields []invalidField
	allow  []string
	// retryAfter, when positive, is sent as Retry-After (seconds).
	retryAfter int
	// mergedInto is the problem's mergedInto member (a 404 of a merged-away
	// customer).
	mergedInto string
}

func (e *apiError) Error() string { return e.typ.Title + ": " + e.detail }

func newError(typ problemType, detail string) *apiError {
	return &apiError{typ: typ, detail: detail}
}

// queryError is a malformed query parameter the HTTP layer found itself
// (limit, offset, fields, expand, ...), located like the query language's
// own errors: the parameter and the 0-based character offset in its value.
type queryError struct {
	param   string
	offset  int
	message string
}

func (e *queryError) Error() string {
	return fmt.Sprintf("query parameter %s at character %d: %s", e.param, e.offset, e.message)
}

func invalidQuery(param string, offset int, message string) error {
	return &queryError{param: param, offset: offset, message: message}
}

// queryProblem is the 400 of a malformed query parameter.
func queryProblem(param string, offset int, message string) *apiError {
	msg := fmt.Sprintf("at character %d: %s", offset, message)
	return &apiError{typ: typeInvalidQuery, detail: fmt.Sprintf("The %s parameter is invalid %s.", param, msg),
		fields: []invalidField{{Field: param, Message: msg}}}
}

// writeError is the one place that turns an error into a response: it picks
// the status from the error's kind, logs 5xx once with the request id, and
// renders problem+json with no internal detail. A request whose client has
// gone away is not an error: it is logged as canceled, and nothing is sent.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
		annotate(r.Context(), slog.Bool("canceled", true))
		// 499 (a client that closed the request) is for the access log;
		// nobody is left to read it.
		w.WriteHeader(statusClientClosed)
		return
	}
	p := toProblem(err)
	if p.typ.Status >= 500 {
		log.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()), "error", err.Error())
	}
	body := problem{
		Type: p.typ.URI, Title: p.typ.Title, Status: p.typ.Status, Detail: p.detail,
		Instance: r.URL.Path, RequestID: requestID(r.Context()), InvalidFields: p.fields, MergedInto: p.mergedInto,
	}
	if len(p.allow) > 0 {
		w.Header().Set("Allow", strings.Join(p.allow, ", "))
	}
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	writeBody(w, p.typ.Status, "application/problem+json", body)
}

// unavailableRetryAfter is the Retry-After of a 503, in seconds: the
// database's limits (pool wait, statement timeout) and its restarts are
// over in about that time.
const unavailableRetryAfter = 1

func unavailable(detail string) *apiError {
	return &apiError{typ: typeUnavailable, detail: detail, retryAfter: unavailableRetryAfter}
}

// statusClientClosed is nginx's 499: the client closed the connection
// before the answer was ready.
const statusClientClosed = 499

func toProblem(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var qe *queryError
	if errors.As(err, &qe) {
		return queryProblem(qe.param, qe.offset, qe.message)
	}
	var de *customers.Error
	if errors.As(err, &de) {
		switch de.Kind {
		case customers.KindInvalid:
			out := &apiError{typ: typeValidation, detail: de.Message}
			for _, f := range de.Fields {
				out.fields = append(out.fields, invalidField(f))
			}
			return out
		case customers.KindBadQuery:
			return queryProblem(de.Param, de.Offset, de.Message)
		case customers.KindNotFound:
			e := newError(typeNotFound, de.Message)
			e.mergedInto = de.MergedInto
			return e
		case customers.KindConflict:
			return newError(typeConflict, de.Message)
		case customers.KindPreconditionFailed:
			return newError(typePrecondition, de.Message)
		case customers.KindUnavailable:
			return unavailable(de.Message)
		}
	}
	if errors.Is(err, access.ErrUnavailable) {
		return unavailable("The database is unavailable or busy; retry shortly.")
	}
	return newError(typeInternal, "The server failed to handle the request. Quote the request id when reporting this.")
}
