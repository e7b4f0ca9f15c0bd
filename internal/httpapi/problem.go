package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/pkg/filter"
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
}

type invalidField struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problemKind is one documented problem type: its URI, title and status.
type problemKind struct {
	Type   string
	Title  string
	Status int
}

// The problem types this API answers with; openapi.yaml explains each.
var (
	kindMalformed        = problemKind{"/problems/malformed-request", "Malformed request", http.StatusBadRequest}
	kindInvalidQuery     = problemKind{"/problems/invalid-query", "Invalid query parameter", http.StatusBadRequest}
	kindUnauthorized     = problemKind{"/problems/unauthorized", "Unauthorized", http.StatusUnauthorized}
	kindForbidden        = problemKind{"/problems/forbidden", "Forbidden", http.StatusForbidden}
	kindNotFound         = problemKind{"/problems/not-found", "Not found", http.StatusNotFound}
	kindMethodNotAllowed = problemKind{"/problems/method-not-allowed", "Method not allowed", http.StatusMethodNotAllowed}
	kindConflict         = problemKind{"/problems/conflict", "Conflict", http.StatusConflict}
	kindPrecondition     = problemKind{"/problems/precondition-failed", "Precondition failed", http.StatusPreconditionFailed}
	kindTooLarge         = problemKind{"/problems/payload-too-large", "Payload too large", http.StatusRequestEntityTooLarge}
	kindUnsupportedMedia = problemKind{"/problems/unsupported-media-type", "Unsupported media type", http.StatusUnsupportedMediaType}
	kindValidation       = problemKind{"/problems/validation-error", "Invalid data", http.StatusUnprocessableEntity}
	kindInternal         = problemKind{"/problems/internal-error", "Internal server error", http.StatusInternalServerError}
	kindUnavailable      = problemKind{"/problems/service-unavailable", "Service unavailable", http.StatusServiceUnavailable}
)

// apiError is an error the HTTP layer itself decided on: a problem kind, a
// client-safe detail, and optionally invalid fields and the Allow methods.
type apiError struct {
	kind   problemKind
	detail string
	fields []invalidField
	allow  []string
}

func (e *apiError) Error() string { return e.kind.Title + ": " + e.detail }

func newError(kind problemKind, detail string) *apiError {
	return &apiError{kind: kind, detail: detail}
}

// writeError is the one place that turns an error into a response: it picks
// the status from the error's kind, logs 5xx once with the request id, and
// renders problem+json with no internal detail.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := toProblem(err)
	if p.kind.Status >= 500 {
		log.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()), "error", err.Error())
	}
	body := problem{
		Type: p.kind.Type, Title: p.kind.Title, Status: p.kind.Status, Detail: p.detail,
		Instance: r.URL.Path, RequestID: requestID(r.Context()), InvalidFields: p.fields,
	}
	if len(p.allow) > 0 {
		w.Header().Set("Allow", strings.Join(p.allow, ", "))
	}
	writeBody(w, p.kind.Status, "application/problem+json", body)
}

func toProblem(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var fe *filter.Error
	if errors.As(err, &fe) {
		msg := fmt.Sprintf("at character %d: %s", fe.Offset, fe.Message)
		return &apiError{kind: kindInvalidQuery, detail: fmt.Sprintf("The %s parameter is invalid %s.", fe.Param, msg),
			fields: []invalidField{{Field: fe.Param, Message: msg}}}
	}
	var de *customers.Error
	if errors.As(err, &de) {
		switch de.Kind {
		case customers.KindInvalid:
			out := &apiError{kind: kindValidation, detail: de.Message}
			for _, f := range de.Fields {
				out.fields = append(out.fields, invalidField(f))
			}
			return out
		case customers.KindNotFound:
			return newError(kindNotFound, de.Message)
		case customers.KindConflict:
			return newError(kindConflict, de.Message)
		case customers.KindPreconditionFailed:
			return newError(kindPrecondition, de.Message)
		}
	}
	return newError(kindInternal, "The server failed to handle the request. Quote the request id when reporting this.")
}
